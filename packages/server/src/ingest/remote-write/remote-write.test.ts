/**
 * POST /api/v1/write on a real Vigil (in-process, real HTTP on 127.0.0.1, real storage), fed by
 * the remote-write client in client.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import snappy from 'snappy';
import { newMatcher } from '../../model/matcher.ts';
import { isStaleNaN, STALE_NAN } from '../../model/sample.ts';
import { startTestVigil, type TestVigil } from '../../testutil/vigil.ts';
import { compressWriteRequest, postRemoteWrite, sendWriteRequest, type WriteRequestInit } from './client.ts';

const MAX_BODY = 64 * 1024;
let vigil: TestVigil;
let url: string;

before(async () => {
  vigil = await startTestVigil(`server:\n  max_body_bytes: ${MAX_BODY}\n`);
  url = `${vigil.url}/api/v1/write`;
});
after(async () => {
  await vigil?.stop();
});

/** A recent timestamp (storage refuses samples far in the past or future), in whole seconds. */
const T = BigInt(Math.floor(Date.now() / 1000) * 1000 - 60_000);

function series(name: string, samples: [number, bigint][], extra: Record<string, string> = {}) {
  return {
    labels: [
      { name: '__name__', value: name },
      ...Object.entries(extra).map(([n, v]) => ({ name: n, value: v })),
    ],
    samples: samples.map(([value, timestamp]) => ({ value, timestamp })),
  };
}

async function select(name: string) {
  return vigil.storage.select([newMatcher('=', '__name__', name)], { minT: 0, maxT: Date.now() + 3_600_000 });
}

async function metric(line: string): Promise<number> {
  const text = await (await fetch(`${vigil.url}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

test('stores series sent by the client; labels arrive unsorted and are stored sorted', async () => {
  const res = await sendWriteRequest(url, {
    timeseries: [
      {
        labels: [
          { name: 'job', value: 'node' },
          { name: 'instance', value: 'host-1:9100' },
          { name: '__name__', value: 'rw_basic_total' },
          { name: 'empty', value: '' },
        ],
        samples: [
          { value: 1, timestamp: T },
          { value: 2.5, timestamp: T + 15_000n },
        ],
      },
      series('rw_basic_total', [[7, T]], { job: 'node', instance: 'host-2:9100' }),
    ],
  });
  assert.equal(res.status, 204, res.body);
  assert.equal(res.body, '');

  const stored = await select('rw_basic_total');
  assert.deepStrictEqual(
    stored.map((s) => s.labels),
    [
      [
        { name: '__name__', value: 'rw_basic_total' },
        { name: 'instance', value: 'host-1:9100' },
        { name: 'job', value: 'node' },
      ],
      [
        { name: '__name__', value: 'rw_basic_total' },
        { name: 'instance', value: 'host-2:9100' },
        { name: 'job', value: 'node' },
      ],
    ],
  );
  assert.deepStrictEqual([...stored[0].timestamps], [Number(T), Number(T) + 15_000]);
  assert.deepStrictEqual([...stored[0].values], [1, 2.5]);

  const api = await fetch(`${vigil.url}/api/v1/series?match[]=rw_basic_total`);
  assert.deepStrictEqual(((await api.json()) as { data: unknown }).data, [
    { __name__: 'rw_basic_total', instance: 'host-1:9100', job: 'node' },
    { __name__: 'rw_basic_total', instance: 'host-2:9100', job: 'node' },
  ]);
});

test('stale markers round-trip bit for bit; an ordinary NaN stays an ordinary NaN', async () => {
  // Sample objects, not [value, t] tuples: V8 may rewrite NaN payloads in arrays that hold doubles.
  const res = await sendWriteRequest(url, {
    timeseries: [
      {
        labels: [{ name: '__name__', value: 'rw_stale' }],
        samples: [
          { value: 1, timestamp: T },
          { value: STALE_NAN, timestamp: T + 1000n },
          { value: Number.NaN, timestamp: T + 2000n },
        ],
      },
    ],
  });
  assert.equal(res.status, 204, res.body);
  const [stored] = await select('rw_stale');
  assert.equal(stored.values.length, 3);
  assert.equal(stored.values[0], 1);
  assert.equal(isStaleNaN(stored.values[1]), true);
  assert.ok(Number.isNaN(stored.values[2]) && !isStaleNaN(stored.values[2]));
});

test('Content-Type and Content-Encoding are checked as Prometheus checks them', async () => {
  const body = compressWriteRequest({ timeseries: [series('rw_headers', [[1, T]])] });
  const f = async (headers: Record<string, string | undefined>, status: number, message?: RegExp) => {
    const res = await postRemoteWrite(url, body, { headers });
    assert.equal(res.status, status, `${JSON.stringify(headers)}: ${res.body}`);
    if (message) assert.match(res.body, message);
  };
  await f({}, 204);
  await f({ 'content-type': 'application/x-protobuf;proto=prometheus.WriteRequest' }, 204);
  await f({ 'content-type': undefined, 'content-encoding': undefined }, 204); // pre-1.0 senders
  await f({ 'content-encoding': undefined }, 204);
  await f({ 'x-prometheus-remote-write-version': undefined }, 204);
  await f({ 'x-prometheus-remote-write-version': '2.0.0' }, 204); // not checked, as in Prometheus
  await f(
    { 'content-type': 'yolo' },
    415,
    /expected application\/x-protobuf as the first \(media\) part, got yolo/,
  );
  await f({ 'content-type': 'application/json' }, 415, /expected application\/x-protobuf/);
  await f(
    { 'content-type': 'application/x-protobuf;proto=yolo' },
    415,
    /unknown type for remote write protobuf message yolo/,
  );
  await f(
    { 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request' },
    415,
    /io.prometheus.write.v2.Request protobuf message is not accepted by this server; only accepts prometheus.WriteRequest/,
  );
  await f({ 'content-type': 'application/x-protobuf; proto' }, 415, /expected parameters to be key-values/);
  await f(
    { 'content-encoding': 'zstd' },
    415,
    /zstd encoding \(compression\) is not accepted by this server; only snappy/,
  );
  await f({ 'content-encoding': 'gzip' }, 415, /gzip encoding/);
});

test('bodies that are not snappy or not a WriteRequest get a 400 naming the problem', async () => {
  const f = async (body: Uint8Array, message: RegExp) => {
    const res = await postRemoteWrite(url, body);
    assert.equal(res.status, 400, res.body);
    assert.match(res.body, message);
  };
  await f(Buffer.from('definitely not snappy'), /not valid snappy block format/);
  await f(new Uint8Array(0), /the body is empty/);
  await f(
    Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    /does not start with a valid uncompressed-length header/,
  );
  const valid = compressWriteRequest({ timeseries: [series('rw_truncated', [[1, T]])] });
  await f(valid.subarray(0, valid.length - 3), /not valid snappy block format/);
  await f(
    snappy.compressSync(Buffer.from([0x0a, 0x05, 0x01])),
    /invalid protobuf WriteRequest: .* claims 5 bytes/,
  );
  await f(snappy.compressSync(Buffer.from('{"timeseries": []}')), /invalid protobuf WriteRequest/);
  // Framed snappy (the streaming format) starts with a stream identifier chunk, not a length.
  await f(Buffer.from('ff060000734e61507059', 'hex'), /snappy/);
});

test('oversize bodies: 413 when the compressed body is too large, 400 when it would decompress past the limit', async () => {
  const big = await postRemoteWrite(url, randomBytes(MAX_BODY + 1));
  assert.equal(big.status, 413, big.body);
  assert.match(big.body, /server.max_body_bytes/);

  // 10x the limit of zeros compresses to a few KiB; the header declares the real size.
  const bomb = snappy.compressSync(Buffer.alloc(MAX_BODY * 10));
  assert.ok(bomb.length < MAX_BODY);
  const res = await postRemoteWrite(url, bomb);
  assert.equal(res.status, 400, res.body);
  assert.match(res.body, new RegExp(`would decompress to ${MAX_BODY * 10} bytes, more than the ${MAX_BODY}`));

  const ok = await sendWriteRequest(url, { timeseries: [series('rw_after_oversize', [[1, T]])] });
  assert.equal(ok.status, 204, ok.body);
});

test('invalid label names: the good series are stored and the 400 names the bad one', async () => {
  const before = await metric(
    'vigil_ingest_rejected_samples_total{protocol="remote_write",reason="invalid_labels"}',
  );
  const res = await sendWriteRequest(url, {
    timeseries: [
      series('rw_partial_good', [[1, T]]),
      {
        labels: [
          { name: '__name__', value: 'rw_partial_bad' },
          { name: '', value: 'x' },
        ],
        samples: [{ value: 1, timestamp: T }],
      },
      { labels: [{ name: 'job', value: 'no-name' }], samples: [{ value: 1, timestamp: T }] },
    ],
  });
  assert.equal(res.status, 400);
  assert.match(
    res.body,
    /^2 samples rejected \(invalid_labels\), e\.g\. rw_partial_bad\{="x"\}: invalid label name ""/,
  );
  assert.equal((await select('rw_partial_good')).length, 1);
  assert.equal((await select('rw_partial_bad')).length, 0);
  const afterCount = await metric(
    'vigil_ingest_rejected_samples_total{protocol="remote_write",reason="invalid_labels"}',
  );
  assert.equal(afterCount - before, 2);
});

test('duplicate label names and invalid UTF-8 are refused per series', async () => {
  const dup = await sendWriteRequest(url, {
    timeseries: [
      {
        labels: [
          { name: '__name__', value: 'rw_dup' },
          { name: 'a', value: '1' },
          { name: 'a', value: '2' },
        ],
        samples: [{ value: 1, timestamp: T }],
      },
      series('rw_dup_neighbour', [[1, T]]),
    ],
  });
  assert.equal(dup.status, 400);
  assert.match(
    dup.body,
    /1 sample rejected \(invalid_labels\), e\.g\. rw_dup\{a="1", a="2"\}: duplicate label name "a"/,
  );
  assert.equal((await select('rw_dup')).length, 0);
  assert.equal((await select('rw_dup_neighbour')).length, 1);

  // One TimeSeries by hand: labels __name__="rw_utf8" and a=<0xff 0xfe>, one sample.
  const label = (name: Buffer, value: Buffer) =>
    Buffer.concat([
      Buffer.from([0x0a, name.length + value.length + 4, 0x0a, name.length]),
      name,
      Buffer.from([0x12, value.length]),
      value,
    ]);
  const sample = Buffer.from([0x12, 0x0b, 0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0x01]);
  const ts = Buffer.concat([
    label(Buffer.from('__name__'), Buffer.from('rw_utf8')),
    label(Buffer.from('a'), Buffer.from([0xff, 0xfe])),
    sample,
  ]);
  const body = snappy.compressSync(Buffer.concat([Buffer.from([0x0a, ts.length]), ts]));
  const res = await postRemoteWrite(url, body);
  assert.equal(res.status, 400);
  assert.match(
    res.body,
    /1 sample rejected \(invalid_labels\), e\.g\. rw_utf8\{a=".*"\}: value of label "a" is not valid UTF-8/,
  );
});

test('out-of-order and duplicate samples: 400 naming them, everything else stored', async () => {
  const send = (samples: [number, bigint][]) =>
    sendWriteRequest(url, { timeseries: [series('rw_order', samples)] });
  assert.equal((await send([[1, T]])).status, 204);

  const older = await send([[1, T - 1000n]]);
  assert.equal(older.status, 400);
  assert.match(older.body, /^1 sample rejected \(out_of_order\), e\.g\. rw_order: sample at \d+ is older/);

  const changed = await send([[2, T]]);
  assert.equal(changed.status, 400);
  assert.match(changed.body, /1 sample rejected \(duplicate_timestamp\)/);

  assert.equal(
    (await send([[1, T]])).status,
    204,
    'an identical duplicate is dropped silently, as Prometheus does',
  );

  const mixed = await send([
    [3, T + 2000n],
    [4, T + 1000n],
    [5, T + 3000n],
  ]);
  assert.equal(mixed.status, 400);
  assert.match(mixed.body, /1 sample rejected \(out_of_order\)/);
  const [stored] = await select('rw_order');
  assert.deepStrictEqual([...stored.timestamps], [Number(T), Number(T) + 2000, Number(T) + 3000]);
  assert.deepStrictEqual([...stored.values], [1, 3, 5]);
});

test('metadata and exemplars are stored; native histograms are counted and ignored', async () => {
  const histogramsBefore = await metric('vigil_remote_write_ignored_total{kind="histogram"}');
  const request: WriteRequestInit = {
    timeseries: [
      {
        ...series('rw_meta_seconds_total', [[1, T]]),
        exemplars: [{ labels: [{ name: 'trace_id', value: 'abc' }], value: 0.5, timestamp: T }],
      },
      {
        labels: [{ name: '__name__', value: 'rw_native_histogram' }],
        histograms: [
          { count: { case: 'countInt', value: 3n }, sum: 1.5, schema: 0, timestamp: T },
          { count: { case: 'countFloat', value: 2 }, sum: 0.5, schema: 1, timestamp: T + 1000n },
        ],
      },
    ],
    metadata: [
      { type: 1, metricFamilyName: 'rw_meta_seconds_total', help: 'Seconds spent.', unit: 'seconds' },
      { type: 3, metricFamilyName: 'rw_native_histogram', help: 'A histogram.', unit: '' },
    ],
  };
  const res = await sendWriteRequest(url, request);
  assert.equal(res.status, 204, res.body);
  assert.deepStrictEqual(vigil.storage.metadata('rw_meta_seconds_total').get('rw_meta_seconds_total'), [
    { metric: 'rw_meta_seconds_total', type: 'counter', help: 'Seconds spent.', unit: 'seconds' },
  ]);
  assert.equal(
    vigil.storage.metadata('rw_native_histogram').get('rw_native_histogram')?.[0].type,
    'histogram',
  );
  assert.equal((await select('rw_meta_seconds_total')).length, 1);
  assert.equal((await select('rw_native_histogram')).length, 0);
  const exemplars = await vigil.storage.selectExemplars(
    [[newMatcher('=', '__name__', 'rw_meta_seconds_total')]],
    Number(T) - 1,
    Number(T) + 1,
  );
  assert.deepStrictEqual(
    exemplars.map((s) => s.exemplars.map((e) => [e.labels, e.value, e.timestamp])),
    [[[[{ name: 'trace_id', value: 'abc' }], 0.5, Number(T)]]],
  );
  assert.equal((await metric('vigil_remote_write_ignored_total{kind="histogram"}')) - histogramsBefore, 2);
});

test('the raw-body parser stays inside the remote-write scope', async () => {
  const res = await fetch(`${vigil.url}/api/v1/series`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'match[]=rw_basic_total',
  });
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { data: unknown[] }).data.length, 2);
});

test('fuzz: random bodies and headers always get a 4xx or 204, never a 5xx, and the server stays up', async () => {
  const valid = compressWriteRequest({ timeseries: [series('rw_fuzz', [[1, T]], { a: 'b' })] });
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 2000 }),
    // Valid snappy around random bytes: the protobuf decoder sees them.
    fc.uint8Array({ maxLength: 2000 }).map((b) => snappy.compressSync(b)),
    // A valid request with a few bytes changed.
    fc
      .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 5 })
      .map((edits) => {
        const b = Uint8Array.from(valid);
        for (const [at, v] of edits) b[at % b.length] = v;
        return b;
      }),
  );
  const headerValue = fc.option(
    fc.string({ unit: 'grapheme-ascii', maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, '')),
    {
      nil: undefined,
    },
  );
  await fc.assert(
    fc.asyncProperty(body, headerValue, headerValue, async (bytes, contentType, encoding) => {
      const headers: Record<string, string | undefined> = {};
      if (contentType !== undefined) headers['content-type'] = contentType;
      if (encoding !== undefined) headers['content-encoding'] = encoding;
      const res = await postRemoteWrite(url, bytes, { headers });
      assert.ok([204, 400, 413, 415].includes(res.status), `status ${res.status}: ${res.body}`);
      if (res.status !== 204) assert.ok(res.body.trim().length > 0, 'an error must say what was wrong');
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
  );
  // A series the fuzzed requests cannot have written: a mutated copy of `valid` may have stored a
  // different value at T for rw_fuzz, which makes a resend a duplicate_timestamp, rightly.
  const after = compressWriteRequest({ timeseries: [series('rw_fuzz_after', [[1, T]], { a: 'b' })] });
  const ok = await postRemoteWrite(url, after);
  assert.equal(ok.status, 204, ok.body);
  assert.equal((await fetch(`${vigil.url}/-/healthy`)).status, 200);
});
