/**
 * The hand-written OTLP trace decoder against the generated one: the same spans from the same
 * bytes (property test over random requests), and nothing but ProtoDecodeError (or a rejected
 * span) from corrupted bytes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { ExportTraceServiceRequestSchema } from '../../../gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.ts';
import type { AnyValue } from '../../../gen/opentelemetry/proto/common/v1/common_pb.ts';
import type { EncodedSpan } from '../../../storage/traces/otlp/span-codec.ts';
import { ProtoDecodeError } from '../../../storage/traces/otlp/wire.ts';
import { spanData } from '../../../storage/traces/storetest/spans.ts';
import { decodeTraceRequest } from './decode.ts';
import { spansFromRequest } from './from-message.ts';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const text = fc.string({ maxLength: 12, unit: 'binary' });

const anyValue: fc.Arbitrary<AnyValue> = fc.letrec<{ v: AnyValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text.map((s) => ({ value: { case: 'stringValue', value: s } }) as AnyValue),
    fc.boolean().map((b) => ({ value: { case: 'boolValue', value: b } }) as AnyValue),
    fc
      .bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
      .map((i) => ({ value: { case: 'intValue', value: i } }) as AnyValue),
    fc.double({ noNaN: true }).map((d) => ({ value: { case: 'doubleValue', value: d } }) as AnyValue),
    bytes(3).map((b) => ({ value: { case: 'bytesValue', value: b } }) as AnyValue),
    fc
      .array(tie('v'), { maxLength: 3 })
      .map((values) => ({ value: { case: 'arrayValue', value: { values } } }) as unknown as AnyValue),
  ),
})).v;

const keyValues = fc.array(fc.record({ key: text, value: anyValue }), { maxLength: 4 });

const span = fc.record({
  traceId: fc.oneof(bytes(16), bytes(8)),
  spanId: bytes(8),
  parentSpanId: fc.oneof(fc.constant(new Uint8Array(0)), bytes(8)),
  traceState: text,
  flags: fc.integer({ min: 0, max: 0xffff }),
  name: text,
  kind: fc.integer({ min: 0, max: 5 }),
  startTimeUnixNano: fc.bigInt({ min: 0n, max: 2n ** 63n }),
  endTimeUnixNano: fc.bigInt({ min: 0n, max: 2n ** 63n }),
  attributes: keyValues,
  droppedAttributesCount: fc.integer({ min: 0, max: 5 }),
  events: fc.array(
    fc.record({ timeUnixNano: fc.bigInt({ min: 0n, max: 2n ** 63n }), name: text, attributes: keyValues }),
    {
      maxLength: 2,
    },
  ),
  links: fc.array(
    fc.record({
      traceId: bytes(16),
      spanId: bytes(8),
      traceState: text,
      attributes: keyValues,
      flags: fc.nat(3),
    }),
    {
      maxLength: 2,
    },
  ),
  status: fc.record({ code: fc.integer({ min: 0, max: 2 }), message: text }),
});

const request = fc.array(
  fc.record({
    resource: fc.record({ attributes: keyValues, droppedAttributesCount: fc.nat(3) }),
    schemaUrl: text,
    scopeSpans: fc.array(
      fc.record({
        scope: fc.record({ name: text, version: text, attributes: keyValues }),
        schemaUrl: text,
        spans: fc.array(span, { maxLength: 3 }),
      }),
      { maxLength: 2 },
    ),
  }),
  { maxLength: 2 },
);

function encode(resourceSpans: unknown): Uint8Array {
  return toBinary(
    ExportTraceServiceRequestSchema,
    create(ExportTraceServiceRequestSchema, { resourceSpans } as never),
  );
}

test('decodes the same spans as the generated decoder', () => {
  fc.assert(
    fc.property(request, (rs) => {
      const body = encode(rs);
      const fast = decodeTraceRequest(body);
      const slow = spansFromRequest(fromBinary(ExportTraceServiceRequestSchema, body));
      assert.equal(fast.undecodable.length, 0);
      assert.deepEqual(fast.spans.map(spanData), slow.spans.map(spanData));
    }),
    { seed: 20261123, numRuns: 300 },
  );
});

test('looking up one attribute of an encoded span gives what decoding them all gives', () => {
  fc.assert(
    fc.property(request, text, (rs, missing) => {
      const body = encode(rs);
      const slow = spansFromRequest(fromBinary(ExportTraceServiceRequestSchema, body)).spans;
      // Fresh spans: attribute() must work on the bytes, before `attributes` is ever decoded.
      decodeTraceRequest(body).spans.forEach((span, i) => {
        const expected = slow[i].attributes;
        const firstOf = (key: string) => expected.find((a) => a.key === key)?.value;
        for (const key of [...expected.map((a) => a.key), missing]) {
          assert.deepEqual((span as EncodedSpan).attribute(key), firstOf(key), `key ${JSON.stringify(key)}`);
        }
      });
    }),
    { seed: 20261124, numRuns: 300 },
  );
});

test('corrupt bytes give ProtoDecodeError or rejected spans, never another error', () => {
  fc.assert(
    fc.property(
      request,
      fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 }),
      fc.nat(),
      (rs, flips, cut) => {
        const body = encode(rs);
        if (body.length === 0) return;
        const bad = body.slice(0, Math.max(1, body.length - (cut % 4)));
        for (const [at, v] of flips) bad[at % bad.length] = v;
        try {
          const out = decodeTraceRequest(bad);
          // Whatever decoded must be readable all the way down, or fail only with ProtoDecodeError.
          for (const s of out.spans) {
            try {
              void s.attributes;
              void s.events;
              void s.links;
            } catch (err) {
              assert.ok(err instanceof ProtoDecodeError, `lazy decode threw ${err}`);
            }
          }
        } catch (err) {
          assert.ok(err instanceof ProtoDecodeError, `threw ${err}`);
        }
      },
    ),
    { seed: 42, numRuns: 2000 },
  );
});

test('a span whose own bytes are broken is rejected alone', () => {
  const body = encode([
    {
      resource: { attributes: [] },
      scopeSpans: [
        {
          scope: { name: 's' },
          spans: [{ traceId: new Uint8Array(16).fill(1), spanId: new Uint8Array(8).fill(2), name: 'ok' }],
        },
      ],
    },
  ]);
  // Append a second ResourceSpans by hand whose one span has a name that is not UTF-8.
  const broken = Buffer.from([0x2a, 0x02, 0xff, 0xfe]); // Span{name: 0xff 0xfe}
  const scopeSpans = Buffer.concat([Buffer.from([0x12, broken.length]), broken]);
  const rs = Buffer.concat([Buffer.from([0x12, scopeSpans.length]), scopeSpans]);
  const all = Buffer.concat([Buffer.from(body), Buffer.from([0x0a, rs.length]), rs]);
  const out = decodeTraceRequest(all);
  assert.equal(out.spans.length, 1);
  assert.equal(out.undecodable.length, 1);
  assert.match(out.undecodable[0].reason, /not valid UTF-8/);
});
