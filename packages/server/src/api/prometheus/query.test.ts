import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { labelsFromRecord } from '../../model/labels.ts';
import { STALE_NAN } from '../../model/sample.ts';
import { startTestVigil, type TestVigil } from '../../testutil/vigil.ts';
import { formatSampleValue, formatTimestamp } from './json.ts';
import { formatFixed } from './parse-query.ts';

describe('Prometheus query API', () => {
  let vigil: TestVigil;
  before(async () => {
    vigil = await startTestVigil();
    // http_requests_total{job="api",instance="a"|"b"} at 0,15,..,600s: a grows 10/s, b 20/s.
    const points = (perSecond: number) => {
      const ts = new Float64Array(41);
      const vs = new Float64Array(41);
      for (let i = 0; i <= 40; i++) {
        ts[i] = i * 15_000;
        vs[i] = perSecond * i * 15;
      }
      return { ts, vs };
    };
    const a = points(10);
    const b = points(20);
    const stale = new Float64Array(2);
    stale[0] = 1;
    stale[1] = STALE_NAN;
    await vigil.storage.append([
      {
        labels: labelsFromRecord({ __name__: 'http_requests_total', job: 'api', instance: 'a' }),
        timestamps: a.ts,
        values: a.vs,
      },
      {
        labels: labelsFromRecord({ __name__: 'http_requests_total', job: 'api', instance: 'b' }),
        timestamps: b.ts,
        values: b.vs,
      },
      {
        labels: labelsFromRecord({ __name__: 'gone' }),
        timestamps: new Float64Array([0, 30_000]),
        values: stale,
      },
      { labels: labelsFromRecord({ __name__: 'temperature' }), timestamps: a.ts, values: a.vs },
    ]);
  });
  after(() => vigil.stop());

  const raw = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${vigil.url}${path}`, init);
    return { status: res.status, text: await res.text() };
  };
  const q = (s: string) => encodeURIComponent(s);

  test('instant vector: exact Prometheus JSON text', async () => {
    const { status, text } = await raw(`/api/v1/query?query=${q('http_requests_total / 15')}&time=300`);
    assert.equal(status, 200);
    assert.equal(
      text,
      '{"status":"success","data":{"resultType":"vector","result":[' +
        '{"metric":{"instance":"a","job":"api"},"value":[300,"200"]},' +
        '{"metric":{"instance":"b","job":"api"},"value":[300,"400"]}]}}',
    );
  });

  test('scalar and string results, fractional timestamps', async () => {
    assert.equal(
      (await raw(`/api/v1/query?query=${q('1/3')}&time=12.5`)).text,
      '{"status":"success","data":{"resultType":"scalar","result":[12.500,"0.3333333333333333"]}}',
    );
    assert.equal(
      (await raw(`/api/v1/query?query=${q('"hi"')}&time=1`)).text,
      '{"status":"success","data":{"resultType":"string","result":[1,"hi"]}}',
    );
  });

  test('range query: matrix with step-aligned points; staleness ends a series', async () => {
    const { text } = await raw(
      `/api/v1/query_range?query=${q('sum by (job) (http_requests_total) or gone')}&start=0&end=60&step=30`,
    );
    const body = JSON.parse(text);
    assert.equal(body.data.resultType, 'matrix');
    assert.deepEqual(body.data.result, [
      { metric: { __name__: 'gone' }, values: [[0, '1']] },
      {
        metric: { job: 'api' },
        values: [
          [0, '0'],
          [30, '900'],
          [60, '1800'],
        ],
      },
    ]);
  });

  test('form POST, limit parameter, and a range vector as instant result', async () => {
    const post = await raw('/api/v1/query', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `query=${q('http_requests_total[30s]')}&time=30&limit=1`,
    });
    assert.deepEqual(JSON.parse(post.text).data, {
      resultType: 'matrix',
      result: [
        {
          metric: { __name__: 'http_requests_total', instance: 'a', job: 'api' },
          values: [
            [15, '150'],
            [30, '300'],
          ],
        },
      ],
    });
  });

  test('errors: status codes and error types as Prometheus', async () => {
    const cases: [string, number, string, RegExp][] = [
      [
        '/api/v1/query?query=sum(',
        400,
        'bad_data',
        /^invalid parameter "query": 1:5: parse error: unclosed left parenthesis/,
      ],
      ['/api/v1/query', 400, 'bad_data', /no expression found in input/],
      ['/api/v1/query?query=up&time=x', 400, 'bad_data', /invalid parameter "time"/],
      [
        '/api/v1/query_range?query=up&start=0&end=100',
        400,
        'bad_data',
        /invalid parameter "step": cannot parse "" to a valid duration/,
      ],
      [
        '/api/v1/query_range?query=up&start=0&end=100&step=0',
        400,
        'bad_data',
        /zero or negative query resolution step/,
      ],
      [
        '/api/v1/query_range?query=up&start=0&end=100000&step=1',
        400,
        'bad_data',
        /exceeded maximum resolution of 11,000 points/,
      ],
      [
        '/api/v1/query_range?query=up&start=10&end=0&step=1',
        400,
        'bad_data',
        /end timestamp must not be before start time/,
      ],
      [
        `/api/v1/query?query=${q('http_requests_total + on(job) http_requests_total')}&time=60`,
        422,
        'execution',
        /found duplicate series for the match group/,
      ],
    ];
    for (const [path, status, errorType, message] of cases) {
      const r = await raw(path);
      assert.equal(r.status, status, path);
      const body = JSON.parse(r.text);
      assert.equal(body.status, 'error', path);
      assert.equal(body.errorType, errorType, path);
      assert.match(body.error, message, path);
    }
  });

  test('warnings and infos are reported', async () => {
    const body = JSON.parse((await raw(`/api/v1/query?query=${q('rate(temperature[1m])')}&time=60`)).text);
    assert.ok(
      body.infos?.some((i: string) => /might not be a counter/.test(i)),
      JSON.stringify(body),
    );
  });

  test('format_query and parse_query', async () => {
    assert.deepEqual(
      JSON.parse((await raw(`/api/v1/format_query?query=${q('sum(rate(x{a="b"}[5m]))by(c)')}`)).text),
      {
        status: 'success',
        data: 'sum by (c) (rate(x{a="b"}[5m]))',
      },
    );
    const parsed = JSON.parse(
      (await raw(`/api/v1/parse_query?query=${q('up{job="x"} offset 1m > 1')}`)).text,
    );
    assert.deepEqual(parsed.data, {
      type: 'binaryExpr',
      op: '>',
      lhs: {
        type: 'vectorSelector',
        name: 'up',
        offset: 60000,
        matchers: [
          { name: 'job', value: 'x', type: '=' },
          { name: '__name__', value: 'up', type: '=' },
        ],
        timestamp: null,
        startOrEnd: null,
      },
      rhs: { type: 'numberLiteral', val: '1' },
      matching: null,
      bool: false,
    });
  });

  test('a client that disconnects cancels its query', async () => {
    const busy = await startTestVigil();
    try {
      // 2,000 series, and a subquery that aggregates all of them at 600,000 steps: many seconds
      // of work unless cancelled.
      const batch = [];
      for (let i = 0; i < 2000; i++) {
        const ts = new Float64Array(41);
        const vs = new Float64Array(41);
        for (let k = 0; k <= 40; k++) {
          ts[k] = k * 15_000;
          vs[k] = k * i;
        }
        batch.push({
          labels: labelsFromRecord({ __name__: 'busy_total', i: String(i) }),
          timestamps: ts,
          values: vs,
        });
      }
      await busy.storage.append(batch);
      const heavy = q('sum_over_time(sum(rate(busy_total[1m]))[10m:1ms])');
      const controller = new AbortController();
      const pending = fetch(`${busy.url}/api/v1/query?query=${heavy}&time=600`, {
        signal: controller.signal,
      });
      await new Promise((r) => setTimeout(r, 300));
      controller.abort();
      const early = await pending.then(
        async (r) => `${r.status} ${(await r.text()).slice(0, 200)}`,
        () => undefined,
      );
      assert.equal(early, undefined, 'the query finished before the client went away');
      const canceled = async () => {
        const text = await (await fetch(`${busy.url}/metrics`)).text();
        return Number(/vigil_query_errors_total\{type="canceled"\} (\d+)/.exec(text)?.[1] ?? 0);
      };
      for (let i = 0; i < 50 && (await canceled()) === 0; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(await canceled(), 1);
    } finally {
      await busy.stop();
    }
  });

  test('a query over the samples limit fails with Prometheus error text', async () => {
    const small = await startTestVigil('query:\n  max_samples: 10\n');
    try {
      await small.storage.append([
        {
          labels: labelsFromRecord({ __name__: 'm' }),
          timestamps: new Float64Array(Array.from({ length: 20 }, (_, i) => i * 1000)),
          values: new Float64Array(20),
        },
      ]);
      const r = await fetch(`${small.url}/api/v1/query?query=${q('m[1m]')}&time=20`);
      assert.equal(r.status, 422);
      assert.match(
        ((await r.json()) as { error: string }).error,
        /query processing would load too many samples into memory in query execution/,
      );
    } finally {
      await small.stop();
    }
  });
});

test('sample values and timestamps are formatted as Go formats them', () => {
  const f = (v: number) => formatSampleValue(v);
  assert.deepEqual(
    [
      f(1),
      f(0.1),
      f(-0),
      f(1e21),
      f(1.5e-7),
      f(123456.789),
      f(Number.NaN),
      f(Number.POSITIVE_INFINITY),
      f(-Infinity),
      f(1e-6),
    ],
    ['1', '0.1', '-0', '1e+21', '1.5e-07', '123456.789', 'NaN', '+Inf', '-Inf', '0.000001'],
  );
  assert.deepEqual(
    [formatTimestamp(1500), formatTimestamp(1000), formatTimestamp(1001), formatTimestamp(-1500)],
    ['1.500', '1', '1.001', '-1.500'],
  );
  assert.deepEqual(
    [formatFixed(1e21), formatFixed(1.5e-7), formatFixed(-2.5)],
    ['1000000000000000000000', '0.00000015', '-2.5'],
  );
});
