// biome-ignore-all lint/suspicious/noExplicitAny: responses of several JSON shapes, each checked by value
/**
 * Loki's query API over HTTP against a real server: every endpoint Grafana's Loki data source
 * and logcli call answers with Loki's JSON shape, and bad parameters get 400 with a message.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestVigil, type TestVigil } from '../../testutil/vigil.ts';

let vigil: TestVigil;
const t = (BigInt(Date.now() - 120_000) / 1_000_000_000n) * 1_000_000_000n * 1_000_000n;
const sec = 1_000_000_000n;
const range = { start: String(t - sec), end: String(t + 30n * sec) };
const API_LINES = [
  '{"status":500,"path":"/a","latency":"120ms"}',
  '{"status":200,"path":"/b","latency":"80ms"}',
  '{"status":503,"path":"/c","latency":"2s"}',
];
const API_BYTES = API_LINES.reduce((n, l) => n + Buffer.byteLength(l), 0);

before(async () => {
  vigil = await startTestVigil();
  const res = await fetch(`${vigil.url}/loki/api/v1/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      streams: [
        {
          stream: { app: 'api', env: 'prod' },
          values: [
            [String(t), API_LINES[0]],
            [String(t + sec), API_LINES[1]],
            [String(t + 2n * sec), API_LINES[2]],
          ],
        },
        { stream: { app: 'web', env: 'dev' }, values: [[String(t + 3n * sec), 'level=info msg=hi']] },
      ],
    }),
  });
  assert.equal(res.status, 204);
});

after(async () => {
  await vigil?.stop();
});

async function get(path: string, params: Record<string, string>): Promise<{ status: number; body: string }> {
  const res = await fetch(`${vigil.url}/loki/api/v1/${path}?${new URLSearchParams(params)}`);
  return { status: res.status, body: await res.text() };
}

async function getJson(path: string, params: Record<string, string>): Promise<any> {
  const { status, body } = await get(path, params);
  assert.equal(status, 200, body);
  return JSON.parse(body);
}

test('labels, label values and series', async () => {
  assert.deepEqual(await getJson('labels', range), { status: 'success', data: ['app', 'env'] });
  assert.deepEqual(await getJson('label/app/values', range), { status: 'success', data: ['api', 'web'] });
  assert.deepEqual(await getJson('label/app/values', { ...range, query: '{env="dev"}' }), {
    status: 'success',
    data: ['web'],
  });
  assert.deepEqual(await getJson('series', { ...range, 'match[]': '{env=~".+"}' }), {
    status: 'success',
    data: [
      { app: 'api', env: 'prod' },
      { app: 'web', env: 'dev' },
    ],
  });
});

test('index stats and volume', async () => {
  const stats = await getJson('index/stats', { ...range, query: '{app="api"}' });
  assert.equal(stats.streams, 1);
  assert.equal(stats.entries, 3);
  assert.equal(stats.bytes, API_BYTES);
  assert.equal(typeof stats.chunks, 'number');
  const volume = await getJson('index/volume', { ...range, query: '{env=~".+"}', targetLabels: 'app' });
  assert.equal(volume.status, 'success');
  assert.equal(volume.data.resultType, 'vector');
  assert.deepEqual(
    volume.data.result.map((r: any) => [r.metric, r.value[1]]),
    [
      [{ app: 'api' }, String(API_BYTES)],
      [{ app: 'web' }, '17'],
    ],
  );
  assert.equal(typeof volume.data.result[0].value[0], 'number');
});

test('query_range: streams with direction and limit, matrix with step', async () => {
  const fwd = await getJson('query_range', {
    ...range,
    query: '{app="api"}',
    direction: 'forward',
    limit: '2',
  });
  assert.equal(fwd.status, 'success');
  assert.equal(fwd.data.resultType, 'streams');
  assert.deepEqual(fwd.data.result, [
    {
      stream: { app: 'api', env: 'prod' },
      values: [
        [String(t), API_LINES[0]],
        [String(t + sec), API_LINES[1]],
      ],
    },
  ]);
  assert.equal(typeof fwd.data.stats.summary.execTime, 'number');
  const back = await getJson('query_range', {
    ...range,
    query: '{app="api"} | json | status >= 500',
    limit: '1',
  });
  assert.deepEqual(
    back.data.result.flatMap((s: any) => s.values.map((v: [string, string]) => v[0])),
    [String(t + 2n * sec)],
  );
  assert.equal(back.data.result[0].stream.status, '503', 'parsed labels are part of the stream');

  const matrix = await getJson('query_range', {
    query: 'sum by (app) (count_over_time({env=~".+"}[10s]))',
    start: String(t / sec),
    end: String(t / sec + 10n),
    step: '10s',
  });
  assert.equal(matrix.data.resultType, 'matrix');
  assert.deepEqual(
    matrix.data.result.map((s: any) => [s.metric, s.values]),
    [
      [
        { app: 'api' },
        [
          [Number(t / sec), '1'],
          [Number(t / sec) + 10, '2'], // windows are left-open: (t, t+10s]
        ],
      ],
      [{ app: 'web' }, [[Number(t / sec) + 10, '1']]],
    ],
  );
});

test('query: vector and scalar', async () => {
  const time = String(t / sec + 10n);
  const vector = await getJson('query', { query: 'sum(count_over_time({env=~".+"}[1m]))', time });
  assert.equal(vector.data.resultType, 'vector');
  assert.deepEqual(vector.data.result, [{ metric: {}, value: [Number(time), '4'] }]);
  const scalar = await getJson('query', { query: '1+1', time });
  assert.deepEqual(scalar.data.resultType, 'scalar');
  assert.deepEqual(scalar.data.result, [Number(time), '2']);
});

test('detected_fields: fields of json lines with guessed types', async () => {
  const out = await getJson('detected_fields', { ...range, query: '{app="api"}' });
  const byLabel = Object.fromEntries(out.fields.map((f: any) => [f.label, f]));
  assert.equal(byLabel.status.type, 'int');
  assert.equal(byLabel.status.cardinality, 3);
  assert.equal(byLabel.latency.type, 'duration');
  assert.equal(byLabel.path.type, 'string');
});

test('bad parameters and queries are 400 with what is wrong', async () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ['query_range', { ...range, query: '{app="api"} |=' }, /parse error at line 1, col \d+/],
    ['query_range', { query: '{app="api"}', start: range.end, end: range.start }, /end timestamp/],
    ['query_range', { query: '{app="api"}', limit: 'abc' }, /invalid limit/],
    ['query_range', { query: '{app="api"}', direction: 'sideways' }, /invalid direction/],
    ['query_range', { query: '{app="api"}', start: 'yesterday' }, /invalid start/],
    ['query', { query: '{app="api"}' }, /.+/],
    ['index/volume', { query: '{app="api"}', aggregateBy: 'x' }, /invalid aggregateBy/],
  ];
  for (const [path, params, message] of cases) {
    const { status, body } = await get(path, params);
    assert.equal(status, 400, `${path} ${JSON.stringify(params)}: ${body}`);
    assert.match(body, message);
  }
});
