/**
 * Ingest over HTTP against a real Vigil: Loki push in protobuf+snappy and gzip JSON, NDJSON, and
 * bad input of every kind answered with the right status and a message saying what was wrong,
 * never a crash; limits refuse with their own reason and self-metric.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import snappy from 'snappy';
import { compressPushRequest } from '../ingest/loki/testutil.ts';
import { startTestVigil, type TestVigil } from '../testutil/vigil.ts';

let vigil: TestVigil;

before(async () => {
  vigil = await startTestVigil(`
server:
  max_body_bytes: 1MB
logs:
  limits:
    max_line_size: 1KB
    max_labels_per_stream: 4
    max_active_streams: 30
`);
});

after(async () => {
  await vigil?.stop();
});

const nowNs = () => BigInt(Date.now()) * 1_000_000n;

async function push(body: Buffer | string, headers: Record<string, string>) {
  const res = await fetch(`${vigil.url}/loki/api/v1/push`, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

async function lines(query: string): Promise<string[]> {
  const res = await fetch(
    `${vigil.url}/loki/api/v1/query_range?${new URLSearchParams({ query, since: '1h', limit: '1000', direction: 'forward' })}`,
  );
  const body = (await res.json()) as { data: { result: { values: [string, string][] }[] } };
  return body.data.result
    .flatMap((s) => s.values)
    .sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1))
    .map((v) => v[1]);
}

async function metric(name: string): Promise<string[]> {
  const text = await (await fetch(`${vigil.url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name));
}

describe('accepted input', () => {
  test('Loki push in protobuf + snappy', async () => {
    const t = nowNs();
    const body = compressPushRequest([
      {
        labels: '{app="proto", env="x"}',
        entries: [
          { ts: t, line: 'first' },
          { ts: t + 1n, line: 'second', metadata: [['trace_id', '4bf92f3577b34da6a3ce929d0e0e4736']] },
        ],
      },
    ]);
    const res = await push(body, { 'content-type': 'application/x-protobuf' });
    assert.equal(res.status, 204, res.text);
    assert.deepEqual(await lines('{app="proto"}'), ['first', 'second']);
    const traced = await fetch(
      `${vigil.url}/api/vigil/v1/traces/4bf92f3577b34da6a3ce929d0e0e4736/logs?since=1h`,
    );
    assert.deepEqual(
      ((await traced.json()) as { data: { logs: { line: string }[] } }).data.logs.map((l) => l.line),
      ['second'],
    );
  });

  test('Loki push in gzip JSON', async () => {
    const body = gzipSync(
      JSON.stringify({ streams: [{ stream: { app: 'gz' }, values: [[String(nowNs()), 'zipped']] }] }),
    );
    const res = await push(body, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    assert.equal(res.status, 204, res.text);
    assert.deepEqual(await lines('{app="gz"}'), ['zipped']);
  });

  test('NDJSON: timestamp, level and message by common names, the rest as metadata', async () => {
    const sec = Math.floor(Date.now() / 1000) - 10;
    const body = [
      JSON.stringify({ ts: sec, level: 'WARN', msg: 'disk almost full', disk: { free_gb: 3 } }),
      JSON.stringify({
        '@timestamp': new Date((sec + 1) * 1000).toISOString(),
        severity: 'error',
        message: 'disk full',
      }),
      JSON.stringify({ time: (sec + 2) * 1000, text: 'no level here', user: 'u1' }),
    ].join('\n');
    const res = await fetch(`${vigil.url}/api/v1/logs/ndjson?service_name=backup&host=db1`, {
      method: 'POST',
      body,
    });
    assert.equal(res.status, 204, await res.text());
    assert.deepEqual(await lines('{service_name="backup", host="db1"}'), [
      'disk almost full',
      'disk full',
      'no level here',
    ]);
    const q = await fetch(
      `${vigil.url}/loki/api/v1/query_range?${new URLSearchParams({ query: '{service_name="backup"} | detected_level="warn" | disk_free_gb > 2', since: '1h' })}`,
    );
    const found = (await q.json()) as { data: { result: { values: [string, string][] }[] } };
    assert.deepEqual(
      found.data.result.flatMap((s) => s.values.map((v) => v[1])),
      ['disk almost full'],
    );
  });
});

describe('bad input', () => {
  const cases: [string, Buffer | string, Record<string, string>, number, RegExp][] = [
    ['malformed JSON', '{"streams": [', { 'content-type': 'application/json' }, 400, /not valid JSON/],
    ['JSON without streams', '{}', { 'content-type': 'application/json' }, 400, /"streams" array/],
    [
      'bad timestamp',
      '{"streams":[{"stream":{"a":"b"},"values":[["soon","x"]]}]}',
      { 'content-type': 'application/json' },
      400,
      /nanoseconds/,
    ],
    [
      'not snappy',
      Buffer.from('definitely not snappy'),
      { 'content-type': 'application/x-protobuf' },
      400,
      /snappy/,
    ],
    [
      'snappy of garbage protobuf',
      snappy.compressSync(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f])),
      { 'content-type': 'application/x-protobuf' },
      400,
      /past the end|truncated/,
    ],
    [
      'bad stream labels',
      compressPushRequest([{ labels: 'app=x', entries: [{ ts: 1n, line: 'l' }] }]),
      { 'content-type': 'application/x-protobuf' },
      400,
      /invalid stream labels|not of the form/,
    ],
    ['unknown content type', 'x', { 'content-type': 'text/plain' }, 415, /Content-Type/],
    ['bad gzip', 'not gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, 400, /gzip/],
    [
      'body over the limit',
      Buffer.alloc(2 * 1024 * 1024, 'a'),
      { 'content-type': 'application/json' },
      413,
      /larger than/,
    ],
  ];
  for (const [name, body, headers, status, message] of cases) {
    test(`Loki push: ${name} → ${status}`, async () => {
      const res = await push(body, headers);
      assert.equal(res.status, status, res.text);
      assert.match(res.text, message);
    });
  }

  test('NDJSON: a bad line refuses the request and stores nothing', async () => {
    const res = await fetch(`${vigil.url}/api/v1/logs/ndjson?service_name=bad`, {
      method: 'POST',
      body: '{"msg":"ok"}\n{not json}\n',
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /^line 2: not valid JSON/);
    assert.deepEqual(await lines('{service_name="bad"}'), []);
    const badLabel = await fetch(`${vigil.url}/api/v1/logs/ndjson?bad-name=x`, {
      method: 'POST',
      body: '{}',
    });
    assert.equal(badLabel.status, 400);
  });

  test('LogQL errors are 400 with the parse error', async () => {
    const res = await fetch(`${vigil.url}/loki/api/v1/query_range?query=${encodeURIComponent('{app="a"')}`);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /^parse error at line 1, col 9/);
    const instant = await fetch(`${vigil.url}/loki/api/v1/query?query=${encodeURIComponent('{app="a"}')}`);
    assert.equal(instant.status, 400);
    assert.match(await instant.text(), /log queries are not supported as an instant query/);
    const step = await fetch(
      `${vigil.url}/loki/api/v1/query_range?query=${encodeURIComponent('rate({app="a"}[1m])')}&step=0`,
    );
    assert.equal(step.status, 400);
    const limit = await fetch(
      `${vigil.url}/loki/api/v1/query_range?query=${encodeURIComponent('{app="a"}')}&limit=100000`,
    );
    assert.equal(limit.status, 400);
    assert.match(await limit.text(), /max entries limit/);
  });
});

describe('limits', () => {
  test('long lines, too many labels and future timestamps are refused with a reason; the rest is stored', async () => {
    const t = nowNs();
    const body = JSON.stringify({
      streams: [
        {
          stream: { app: 'lim' },
          values: [
            [String(t), 'x'.repeat(2000)],
            [String(t + 1n), 'short'],
          ],
        },
        { stream: { app: 'lim2', a: '1', b: '2', c: '3', d: '4' }, values: [[String(t), 'too many labels']] },
        { stream: { app: 'lim' }, values: [[String(t + 3_600_000_000_000n), 'from the future']] },
      ],
    });
    const res = await push(body, { 'content-type': 'application/json' });
    assert.equal(res.status, 400);
    assert.match(res.text, /line_too_long/);
    assert.match(res.text, /too_many_labels/);
    assert.match(res.text, /too_far_in_future/);
    assert.deepEqual(await lines('{app="lim"}'), ['short']);
    const rejected = await metric('vigil_logs_rejected_lines_total');
    for (const reason of ['line_too_long', 'too_many_labels', 'too_far_in_future']) {
      assert.ok(
        rejected.some((l) => l.includes(`reason="${reason}"`)),
        reason,
      );
    }
  });

  test('the active-stream limit answers 429 once reached', async () => {
    const t = nowNs();
    const streams = Array.from({ length: 40 }, (_, i) => ({
      stream: { app: 'many', n: String(i) },
      values: [[String(t), 'x']],
    }));
    const res = await push(JSON.stringify({ streams }), { 'content-type': 'application/json' });
    assert.equal(res.status, 429);
    assert.match(res.text, /max_active_streams/);
    assert.ok((await metric('vigil_logs_rejected_lines_total{reason="stream_limit"}')).length === 1);
  });
});
