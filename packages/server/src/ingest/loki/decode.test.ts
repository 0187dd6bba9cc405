import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import { labelsToRecord } from '../../model/labels.ts';
import { decodePushJson } from './decode-json.ts';
import { decodePushProto } from './decode-proto.ts';
import { LokiPushDecodeError } from './errors.ts';
import { parseLabelString } from './labels.ts';
import { encodePushRequest } from './testutil.ts';

const labelName = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/);
const text = fc.string({ unit: 'grapheme', maxLength: 40 });

test('protobuf decoder reads what an independent encoder wrote (property)', () => {
  const stream = fc.record({
    labels: fc.dictionary(
      labelName,
      text.filter((s) => s !== ''),
      { minKeys: 1, maxKeys: 4 },
    ),
    entries: fc.array(
      fc.record({
        ts: fc.bigInt({ min: 0n, max: 4_000_000_000_000_000_000n }),
        line: text,
        metadata: fc.array(
          fc.tuple(
            labelName,
            text.filter((s) => s !== ''),
          ),
          { maxLength: 3 },
        ),
      }),
      { maxLength: 5 },
    ),
  });
  fc.assert(
    fc.property(fc.array(stream, { maxLength: 4 }), (streams) => {
      const encoded = encodePushRequest(
        streams.map((s) => ({
          labels: `{${Object.entries(s.labels)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(', ')}}`,
          entries: s.entries.map((e) => ({
            ts: e.ts,
            line: e.line,
            metadata: [...new Map(e.metadata)],
          })),
        })),
      );
      const decoded = decodePushProto(encoded);
      assert.equal(decoded.length, streams.length);
      decoded.forEach((d, i) => {
        assert.deepEqual(labelsToRecord(d.labels), Object.fromEntries(Object.entries(streams[i].labels)));
        assert.deepEqual(
          d.entries.map((e) => [e.timestampNs, e.line, labelsToRecord(e.metadata)]),
          streams[i].entries.map((e) => [e.ts, e.line, Object.fromEntries(new Map(e.metadata))]),
        );
      });
    }),
    { seed: 20240101, numRuns: 300 },
  );
});

test('protobuf decoder throws only its own error on arbitrary bytes (fuzz)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        decodePushProto(bytes);
      } catch (err) {
        assert.ok(err instanceof LokiPushDecodeError, String(err));
      }
    }),
    { seed: 7, numRuns: 3000 },
  );
  // Truncations of a valid request.
  const valid = encodePushRequest([
    { labels: '{a="b"}', entries: [{ ts: 5n, line: 'hello', metadata: [['k', 'v']] }] },
  ]);
  for (let n = 0; n < valid.length; n++) {
    try {
      decodePushProto(valid.subarray(0, n));
    } catch (err) {
      assert.ok(err instanceof LokiPushDecodeError, String(err));
    }
  }
});

test('JSON push: values with metadata, the legacy form, and clear errors', () => {
  const [s] = decodePushJson(
    JSON.stringify({ streams: [{ stream: { app: 'x' }, values: [['123', 'line', { trace_id: 't' }]] }] }),
  );
  assert.deepEqual(labelsToRecord(s.labels), { app: 'x' });
  assert.deepEqual(s.entries, [
    { timestampNs: 123n, line: 'line', metadata: [{ name: 'trace_id', value: 't' }] },
  ]);
  const [legacy] = decodePushJson(
    JSON.stringify({
      streams: [{ labels: '{app="y"}', entries: [{ ts: '2024-01-01T00:00:00.5Z', line: 'l' }] }],
    }),
  );
  assert.equal(legacy.entries[0].timestampNs, 1_704_067_200_500_000_000n);
  const bad = (body: string, message: RegExp) =>
    assert.throws(
      () => decodePushJson(body),
      (e: Error) => e instanceof LokiPushDecodeError && message.test(e.message),
    );
  bad('{', /not valid JSON/);
  bad('{"streams":{}}', /"streams" array/);
  bad('{"streams":[{"stream":{"a":1},"values":[]}]}', /streams\[0\]\.stream\.a is not a string/);
  bad('{"streams":[{"stream":{"a":"b"},"values":[[1.5,"x"]]}]}', /not Unix epoch nanoseconds/);
  bad('{"streams":[{"stream":{"a":"b"},"values":[["1",2]]}]}', /log line\) is not a string/);
});

test('label strings in Prometheus syntax', () => {
  assert.deepEqual(labelsToRecord(parseLabelString('{job="a", env = "p\\"q", x=`raw`}')), {
    env: 'p"q',
    job: 'a',
    x: 'raw',
  });
  assert.throws(() => parseLabelString('job="a"'), LokiPushDecodeError);
  assert.throws(() => parseLabelString('{job=a}'), LokiPushDecodeError);
  assert.throws(() => parseLabelString('{job="a" env="b"}'), LokiPushDecodeError);
});

test('protobuf timestamps: negative and out-of-range seconds and nanos decode exactly', () => {
  // seconds and nanos as Go's encoder writes them, including the 10-byte varints of negative
  // numbers and a nanos field wider than int32 (only its low 32 bits count, as in Go).
  const entry = (seconds: bigint, nanos: bigint | number) => {
    const ts = new BinaryWriter().tag(1, WireType.Varint).int64(seconds);
    if (typeof nanos === 'number') ts.tag(2, WireType.Varint).int32(nanos);
    else ts.tag(2, WireType.Varint).uint64(nanos);
    return new BinaryWriter()
      .tag(1, WireType.LengthDelimited)
      .bytes(ts.finish())
      .tag(2, WireType.LengthDelimited)
      .string('x')
      .finish();
  };
  const cases: [bigint, bigint | number, bigint][] = [
    [1_700_000_000n, 123, 1_700_000_000_000_000_123n],
    [-2n, 500_000_000, -1_500_000_000n],
    [5n, -3, 4_999_999_997n],
    [2n ** 60n, 0, 2n ** 60n * 1_000_000_000n],
    [1n, 2n ** 32n + 7n, 1_000_000_007n],
    [1n, 2n ** 31n, 1_000_000_000n - 2n ** 31n],
  ];
  for (const [seconds, nanos, want] of cases) {
    let stream = new BinaryWriter().tag(1, WireType.LengthDelimited).string('{a="b"}');
    stream = stream.tag(2, WireType.LengthDelimited).bytes(entry(seconds, nanos));
    const body = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(stream.finish()).finish();
    const [decoded] = decodePushProto(Buffer.from(body));
    assert.equal(decoded.entries[0].timestampNs, want, `seconds ${seconds}, nanos ${nanos}`);
  }
});
