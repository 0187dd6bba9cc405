/**
 * The hand-written decoder against the reference decoder over generated code: random
 * WriteRequests encoded by the generated code must decode identically (values bit for bit), and
 * random, mutated or truncated bytes must give RemoteWriteDecodeError, never anything else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { WriteRequestSchema } from '../../gen/remote_pb.ts';
import { type Label as LabelPb, TimeSeriesSchema } from '../../gen/types_pb.ts';
import { isStaleNaN, STALE_NAN } from '../../model/sample.ts';
import type { WriteRequestInit } from './client.ts';
import { WriteRequestDecoder } from './decode.ts';
import { RemoteWriteDecodeError } from './decode-error.ts';
import { decodeWriteRequestGenerated } from './decode-generated.ts';
import type { DecodedWriteRequest } from './decoded.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

// --- arbitraries -------------------------------------------------------------------------------

const bitsView = new DataView(new ArrayBuffer(8));
/** Any float64 including every NaN payload, plus the interesting ones more often. */
const anyDouble = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((bits) => {
    bitsView.setBigUint64(0, bits, true);
    return bitsView.getFloat64(0, true);
  }),
  fc.constantFrom(STALE_NAN, Number.NaN, 0, -0, Number.POSITIVE_INFINITY, 1.5),
  fc.double(),
);
const timestamp = fc.oneof(
  fc.bigInt({ min: 1_600_000_000_000n, max: 1_900_000_000_000n }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
);
const labelName = fc.oneof(
  fc.constantFrom('__name__', 'job', 'instance', 'a', 'b', ''),
  fc.string({ unit: 'binary', maxLength: 12 }),
);
const labelValue = fc.oneof(
  fc.constantFrom('up', 'x', '', '\ufeffbom'),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const label = fc.record({ name: labelName, value: labelValue });
const sample = fc.record({ value: anyDouble, timestamp });
const exemplar = fc.record({ labels: fc.array(label, { maxLength: 2 }), value: fc.double(), timestamp });
const histogram = fc.record({
  count: fc.constant({ case: 'countInt' as const, value: 3n }),
  sum: fc.double(),
  schema: fc.integer({ min: -4, max: 8 }),
  timestamp,
  positiveDeltas: fc.array(fc.bigInt({ min: -5n, max: 5n }), { maxLength: 3 }),
});
const timeSeries = fc.record({
  labels: fc.array(label, { maxLength: 6 }),
  samples: fc.array(sample, { maxLength: 4 }),
  exemplars: fc.array(exemplar, { maxLength: 2 }),
  histograms: fc.array(histogram, { maxLength: 2 }),
});
const metadata = fc.record({
  type: fc.integer({ min: 0, max: 9 }),
  metricFamilyName: fc.oneof(fc.constantFrom('up', ''), fc.string({ maxLength: 10 })),
  help: fc.string({ unit: 'binary', maxLength: 20 }),
  unit: fc.string({ maxLength: 5 }),
});
const writeRequest = fc.record({
  timeseries: fc.array(timeSeries, { maxLength: 6 }),
  metadata: fc.array(metadata, { maxLength: 3 }),
});

function encode(request: WriteRequestInit): Uint8Array {
  return toBinary(WriteRequestSchema, create(WriteRequestSchema, request));
}

// --- comparison --------------------------------------------------------------------------------

/** Plain data with every value's bits spelled out, so NaN payloads are compared too. */
function comparable(d: DecodedWriteRequest) {
  return {
    series: d.series.map((s) => ({
      labels: s.labels.map((l) => ({ name: l.name, value: l.value })),
      timestamps: [...s.timestamps],
      values: Buffer.from(s.values.buffer, s.values.byteOffset, s.values.byteLength).toString('hex'),
    })),
    invalid: d.invalid,
    metadata: d.metadata,
    exemplars: d.exemplars,
    histograms: d.histograms,
  };
}

type Outcome = { ok: true; value: ReturnType<typeof comparable> } | { ok: false; error: unknown };

function run(decode: (b: Uint8Array) => DecodedWriteRequest, bytes: Uint8Array): Outcome {
  try {
    return { ok: true, value: comparable(decode(bytes)) };
  } catch (error) {
    return { ok: false, error };
  }
}

// One long-lived decoder with a tiny cache, so generations rotate constantly across the runs.
const warm = new WriteRequestDecoder({ labelCacheEntries: 4, labelCacheBytes: 512 });
const handWritten = (b: Uint8Array) => warm.decode(b);
const cold = (b: Uint8Array) => new WriteRequestDecoder({ labelCacheEntries: 0 }).decode(b);

function assertSameAsGenerated(bytes: Uint8Array): void {
  const want = run(decodeWriteRequestGenerated, bytes);
  assert.ok(want.ok, `the generated decoder failed on its own encoding: ${!want.ok && want.error}`);
  for (const decode of [cold, handWritten, handWritten]) {
    const got = run(decode, bytes);
    assert.ok(got.ok, `hand-written decoder failed: ${!got.ok && got.error}`);
    assert.deepStrictEqual(got.value, want.value);
  }
}

/** The hand-written decoder on arbitrary bytes: a result or RemoteWriteDecodeError, and agreement where both succeed. */
function assertSafeOn(bytes: Uint8Array): void {
  const got = run(handWritten, bytes);
  if (!got.ok) {
    assert.ok(got.error instanceof RemoteWriteDecodeError, `unexpected error type: ${got.error}`);
    assert.match((got.error as Error).message, /^invalid protobuf WriteRequest: /);
    return;
  }
  const want = run(decodeWriteRequestGenerated, bytes);
  // Compared only where both decoders read the same bytes the same way: the generated code reads
  // invalid UTF-8 as U+FFFD where ours rejects the series, and it parses exemplars and histograms
  // (which ours skips whole) leniently: a field inside one may read past the nested message's end.
  const comparableBytes =
    got.value.exemplars.length === 0 &&
    got.value.histograms === 0 &&
    !got.value.invalid.some((s) => s.message.includes('UTF-8'));
  if (want.ok && comparableBytes) {
    assert.deepStrictEqual(got.value, want.value);
  }
}

// --- tests -------------------------------------------------------------------------------------

test('random WriteRequests encoded by the generated code decode identically', () => {
  fc.assert(
    fc.property(writeRequest, (request) => assertSameAsGenerated(encode(request))),
    { numRuns: RUNS },
  );
});

test('fields in any order, labels split around samples, and unknown fields decode identically', () => {
  const unknownField = fc.oneof(
    fc.record({
      field: fc.integer({ min: 5, max: 2000 }),
      wire: fc.constant(0),
      payload: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    }),
    fc.record({
      field: fc.integer({ min: 5, max: 2000 }),
      wire: fc.constantFrom(1, 5, 2),
      payload: fc.uint8Array({ maxLength: 12 }),
    }),
    fc.record({ field: fc.integer({ min: 5, max: 2000 }), wire: fc.constant(3), payload: fc.constant(0n) }),
  );
  const shuffledSeries = timeSeries.chain((ts) => {
    // Each label, sample, exemplar and histogram as its own TimeSeries encoding: concatenated in any
    // order they form one TimeSeries message whose repeated fields keep their relative order.
    const parts: Uint8Array[] = [
      ...ts.labels.map((l) => toBinary(TimeSeriesSchema, create(TimeSeriesSchema, { labels: [l] }))),
      ...ts.samples.map((s) => toBinary(TimeSeriesSchema, create(TimeSeriesSchema, { samples: [s] }))),
      ...ts.exemplars.map((e) => toBinary(TimeSeriesSchema, create(TimeSeriesSchema, { exemplars: [e] }))),
      ...ts.histograms.map((h) => toBinary(TimeSeriesSchema, create(TimeSeriesSchema, { histograms: [h] }))),
    ];
    return fc
      .tuple(
        fc.shuffledSubarray(parts, { minLength: parts.length, maxLength: parts.length }),
        fc.array(unknownField, { maxLength: 3 }),
      )
      .chain(([ordered, unknown]) =>
        fc
          .shuffledSubarray([...ordered, ...unknown.map(encodeUnknown)], {
            minLength: ordered.length + unknown.length,
            maxLength: ordered.length + unknown.length,
          })
          .map((all) => Buffer.concat(all)),
      );
  });
  fc.assert(
    fc.property(fc.array(shuffledSeries, { maxLength: 4 }), (series) => {
      const body = Buffer.concat(
        series.map((s) => Buffer.concat([Buffer.from([0x0a]), varint(BigInt(s.length)), s])),
      );
      assertSameAsGenerated(body);
    }),
    { numRuns: RUNS },
  );
});

test('every truncation of a valid request decodes as the generated code does, or fails the same way', () => {
  fc.assert(
    fc.property(writeRequest, fc.nat(), (request, cutSeed) => {
      const bytes = encode(request);
      if (bytes.length === 0) return;
      const cut = cutSeed % bytes.length;
      const prefix = bytes.subarray(0, cut);
      const want = run(decodeWriteRequestGenerated, prefix);
      const got = run(handWritten, prefix);
      assert.equal(
        got.ok,
        want.ok,
        `cut at ${cut} of ${bytes.length}: generated ${want.ok}, hand-written ${got.ok}`,
      );
      if (got.ok && want.ok) assert.deepStrictEqual(got.value, want.value);
      if (!got.ok) assert.ok(got.error instanceof RemoteWriteDecodeError);
    }),
    { numRuns: RUNS },
  );
});

test('random and mutated bytes give a result or RemoteWriteDecodeError, never a crash', () => {
  const mutated = fc
    .tuple(
      writeRequest,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
    )
    .map(([request, edits]) => {
      const bytes = Uint8Array.from(encode(request));
      for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
      return bytes;
    });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated), (bytes) => assertSafeOn(bytes)),
    { numRuns: RUNS * 3 },
  );
});

// --- examples ----------------------------------------------------------------------------------

test('labels are sorted, empty values dropped, and stale markers kept bit for bit', () => {
  const decoded = new WriteRequestDecoder().decode(
    encode({
      timeseries: [
        {
          labels: [
            { name: 'job', value: 'node' },
            { name: 'empty', value: '' },
            { name: '__name__', value: 'up' },
          ],
          samples: [
            { value: 1, timestamp: 1000n },
            { value: STALE_NAN, timestamp: 2000n },
            { value: Number.NaN, timestamp: 3000n },
          ],
        },
      ],
    }),
  );
  assert.deepStrictEqual(decoded.series[0].labels, [
    { name: '__name__', value: 'up' },
    { name: 'job', value: 'node' },
  ]);
  assert.deepStrictEqual([...decoded.series[0].timestamps], [1000, 2000, 3000]);
  assert.equal(isStaleNaN(decoded.series[0].values[1]), true);
  assert.equal(isStaleNaN(decoded.series[0].values[2]), false);
});

test('every value bit pattern, NaN payloads included, is copied from the wire exactly', () => {
  // Built by hand: fast-check and the generated encoder pass values through JS arrays, where V8
  // may rewrite NaN payloads before they ever reach the wire.
  fc.assert(
    fc.property(
      fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { minLength: 1, maxLength: 8 }),
      (patterns) => {
        const samples = patterns.map((bits, i) => {
          const s = Buffer.alloc(11);
          s[0] = 0x09;
          s.writeBigUInt64LE(bits, 1);
          s[9] = 0x10;
          s[10] = i;
          return Buffer.concat([Buffer.from([0x12, s.length]), s]);
        });
        const label = Buffer.from([0x0a, 0x08, 0x0a, 0x02, 0x61, 0x62, 0x12, 0x02, 0x63, 0x64]);
        const decoded = new WriteRequestDecoder().decode(rawSeries(label, Buffer.concat(samples)));
        const values = decoded.series[0].values;
        const got = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
        for (let i = 0; i < patterns.length; i++) assert.equal(got.readBigUInt64LE(i * 8), patterns[i]);
      },
    ),
    { numRuns: RUNS },
  );
});

test('repeated label names and invalid UTF-8 reject the series, with the samples it carried', () => {
  const f = (labels: LabelPb[] | Uint8Array, samples: number, want: RegExp) => {
    const sampleList: { value: number; timestamp: bigint }[] = Array.from({ length: samples }, (_, i) => ({
      value: i,
      timestamp: BigInt(i),
    }));
    const body =
      labels instanceof Uint8Array
        ? rawSeries(labels, toBinary(TimeSeriesSchema, create(TimeSeriesSchema, { samples: sampleList })))
        : encode({ timeseries: [{ labels, samples: sampleList }] });
    const decoded = new WriteRequestDecoder().decode(body);
    assert.equal(decoded.series.length, 0);
    assert.equal(decoded.invalid.length, 1);
    assert.equal(decoded.invalid[0].samples, samples);
    assert.match(decoded.invalid[0].message, want);
  };
  f(
    [
      { name: '__name__', value: 'up' },
      { name: 'a', value: '1' },
      { name: 'a', value: '2' },
    ] as LabelPb[],
    2,
    /^up\{a="1", a="2"\}: duplicate label name "a"$/,
  );
  // Prometheus checks for repeats before empty values are dropped.
  f(
    [
      { name: 'a', value: '' },
      { name: 'a', value: 'x' },
      { name: '__name__', value: 'up' },
    ] as LabelPb[],
    1,
    /duplicate label name "a"/,
  );
  // Label{name: "__name__", value: "up"}, Label{name: "a", value: 0xff 0xfe}
  f(
    Uint8Array.from([
      0x0a,
      0x0e,
      0x0a,
      0x08,
      ...Buffer.from('__name__'),
      0x12,
      0x02,
      ...Buffer.from('up'),
      0x0a,
      0x07,
      0x0a,
      0x01,
      0x61,
      0x12,
      0x02,
      0xff,
      0xfe,
    ]),
    3,
    /value of label "a" is not valid UTF-8/,
  );
  f(
    Uint8Array.from([0x0a, 0x07, 0x0a, 0x02, 0xc3, 0x28, 0x12, 0x01, 0x78]),
    1,
    /label name .* is not valid UTF-8/,
  );
});

test('malformed bodies name the problem and the byte offset', () => {
  const f = (bytes: number[], want: RegExp) =>
    assert.throws(
      () => new WriteRequestDecoder().decode(Uint8Array.from(bytes)),
      (err: unknown) => {
        assert.ok(err instanceof RemoteWriteDecodeError);
        assert.match(err.message, want);
        return true;
      },
    );
  f([0x0a, 0x05, 0x01], /claims 5 bytes but only 1 remain/);
  f([0x0a], /ends inside a length/);
  f([0x08, 0x01], /WriteRequest.timeseries has wire type varint, expected length-delimited/);
  f([0x0a, 0x02, 0x12, 0x00, 0x37], /invalid wire type 7 for field 6/);
  f([0x0a, 0x04, 0x12, 0x02, 0x0a, 0x00], /Sample.value has wire type length-delimited, expected fixed64/);
  f([0x0a, 0x05, 0x12, 0x03, 0x09, 0x00, 0x00], /ends inside Sample.value/);
  f([0x00, 0x00], /invalid field number 0/);
  f([0x28, ...Array(11).fill(0xff)], /varint longer than 10 bytes/);
  f([0x2b, 0x34], /group 5 closed by a tag for 6/);
  f([0x2c], /unexpected end-group tag/);
});

test('an empty body is an empty WriteRequest', () => {
  assert.deepStrictEqual(new WriteRequestDecoder().decode(new Uint8Array(0)), {
    series: [],
    invalid: [],
    metadata: [],
    exemplars: [],
    histograms: 0,
  });
});

// --- helpers -----------------------------------------------------------------------------------

function varint(v: bigint): Buffer {
  const out: number[] = [];
  let x = BigInt.asUintN(64, v);
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return Buffer.from(out);
}

function encodeUnknown(f: { field: number; wire: number; payload: bigint | Uint8Array }): Buffer {
  const tag = varint(BigInt(f.field * 8 + f.wire));
  if (f.wire === 0) return Buffer.concat([tag, varint(f.payload as bigint)]);
  if (f.wire === 3) return Buffer.concat([tag, varint(BigInt(f.field * 8 + 4))]);
  const bytes = f.payload as Uint8Array;
  if (f.wire === 2) return Buffer.concat([tag, varint(BigInt(bytes.length)), bytes]);
  const size = f.wire === 1 ? 8 : 4;
  const fixed = Buffer.alloc(size);
  fixed.set(bytes.subarray(0, size));
  return Buffer.concat([tag, fixed]);
}

/** A WriteRequest with one TimeSeries made of raw label field bytes followed by `rest`. */
function rawSeries(labelFields: Uint8Array, rest: Uint8Array): Uint8Array {
  const inner = Buffer.concat([labelFields, rest]);
  return Buffer.concat([Buffer.from([0x0a]), varint(BigInt(inner.length)), inner]);
}
