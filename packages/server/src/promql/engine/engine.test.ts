import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compareLabels, formatLabels, labelsFromRecord } from '../../model/labels.ts';
import type { Matcher } from '../../model/matcher.ts';
import { type SeriesSamples, STALE_NAN } from '../../model/sample.ts';
import { MemoryStorage } from '../../storage/memory/memory-storage.ts';
import { Engine, type Queryable, type QueryableHints } from './engine.ts';
import { QueryError } from './errors.ts';
import type { QueryValue } from './values.ts';

// storage's MetricsStorage must satisfy the engine's seam.
const _seamCheck: Queryable = new MemoryStorage();

const M = 60_000;

/** A series from [time, value] points; 'stale' writes a staleness marker (kept bit-exact in the Float64Array). */
function series(labels: Record<string, string>, points: [number, number | 'stale'][]): SeriesSamples {
  const values = new Float64Array(points.length);
  points.forEach((p, i) => {
    values[i] = p[1] === 'stale' ? STALE_NAN : p[1];
  });
  return { labels: labelsFromRecord(labels), timestamps: Float64Array.from(points.map((p) => p[0])), values };
}

/** Samples every minute from 0 to `minutes`, value = f(i). */
function everyMinute(
  labels: Record<string, string>,
  minutes: number,
  f: (i: number) => number,
): SeriesSamples {
  const pts: [number, number][] = [];
  for (let i = 0; i <= minutes; i++) pts.push([i * M, f(i)]);
  return series(labels, pts);
}

async function storageWith(...s: SeriesSamples[]): Promise<MemoryStorage> {
  const st = new MemoryStorage();
  const res = await st.append(s);
  assert.deepEqual(res.rejected, []);
  return st;
}

/** Vector results as "labels value" lines, sorted. */
function vectorLines(v: QueryValue): string[] {
  assert.equal(v.type, 'vector');
  if (v.type !== 'vector') return [];
  return v.samples.map((s) => `${formatLabels(s.metric)} ${s.v}`).sort();
}

async function rejection(p: Promise<unknown>): Promise<QueryError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof QueryError, `expected QueryError, got ${err}`);
    return err;
  }
  assert.fail('expected the query to fail');
}

test('instant queries: rate, aggregation, scalar and string results', async () => {
  const st = await storageWith(
    everyMinute({ __name__: 'reqs_total', job: 'a', i: '1' }, 10, (i) => i * 60),
    everyMinute({ __name__: 'reqs_total', job: 'a', i: '2' }, 10, (i) => i * 120),
    everyMinute({ __name__: 'reqs_total', job: 'b', i: '3' }, 10, (i) => i * 30),
  );
  const eng = new Engine();
  const r = await eng.instantQuery(st, 'sum by (job) (rate(reqs_total[5m]))', 10 * M);
  assert.deepEqual(vectorLines(r.result), ['{job="a"} 3', '{job="b"} 0.5']);
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(r.infos, []);
  assert.deepEqual((await eng.instantQuery(st, 'scalar(sum(reqs_total))', 10 * M)).result, {
    type: 'scalar',
    t: 10 * M,
    v: 2100,
  });
  assert.deepEqual((await eng.instantQuery(st, '"hello"', 5)).result, { type: 'string', t: 5, v: 'hello' });
  const m = (await eng.instantQuery(st, 'reqs_total{i="1"}[3m]', 10 * M)).result;
  assert.equal(m.type, 'matrix');
  if (m.type === 'matrix') assert.deepEqual([...m.series[0].timestamps], [8 * M, 9 * M, 10 * M]);
});

test('range queries align to steps and sort series by labels', async () => {
  const st = await storageWith(
    everyMinute({ __name__: 'g', x: 'b' }, 10, (i) => i),
    everyMinute({ __name__: 'g', x: 'a' }, 10, (i) => 2 * i),
  );
  const r = await new Engine().rangeQuery(st, 'g * 10', 2 * M, 4 * M, M);
  assert.equal(r.result.type, 'matrix');
  if (r.result.type !== 'matrix') return;
  assert.deepEqual(
    r.result.series.map((s) => [formatLabels(s.metric), [...s.timestamps], [...s.values]]),
    [
      ['{x="a"}', [2 * M, 3 * M, 4 * M], [40, 60, 80]],
      ['{x="b"}', [2 * M, 3 * M, 4 * M], [20, 30, 40]],
    ],
  );
  const sorted = [...r.result.series].sort((a, b) => compareLabels(a.metric, b.metric));
  assert.deepEqual(r.result.series, sorted);
});

test('lookback delta: 5m by default, configurable per engine and per query; windows are left-open', async () => {
  const st = await storageWith(series({ __name__: 'once' }, [[0, 7]]));
  const eng = new Engine();
  assert.deepEqual(vectorLines((await eng.instantQuery(st, 'once', 4 * M)).result), ['once 7']);
  // A sample exactly lookback-delta old is outside the (t - 5m, t] window.
  assert.deepEqual(vectorLines((await eng.instantQuery(st, 'once', 5 * M)).result), []);
  assert.deepEqual(
    vectorLines((await new Engine({ lookbackDelta: 10 * M }).instantQuery(st, 'once', 9 * M)).result),
    ['once 7'],
  );
  assert.deepEqual(
    vectorLines((await eng.instantQuery(st, 'once', 9 * M, { lookbackDelta: 10 * M })).result),
    ['once 7'],
  );
  const st2 = await storageWith(everyMinute({ __name__: 'c' }, 10, () => 1));
  assert.deepEqual(vectorLines((await eng.instantQuery(st2, 'count_over_time(c[5m])', 10 * M)).result), [
    '{} 5',
  ]);
});

test('staleness markers end a series immediately', async () => {
  const st = await storageWith(
    series({ __name__: 'up', job: 'x' }, [
      [0, 1],
      [M, 1],
      [2 * M, 'stale'],
    ]),
  );
  const eng = new Engine();
  assert.deepEqual(vectorLines((await eng.instantQuery(st, 'up', M + 30_000)).result), ['up{job="x"} 1']);
  assert.deepEqual(vectorLines((await eng.instantQuery(st, 'up', 2 * M + 30_000)).result), []);
  // Range selectors never return markers.
  assert.deepEqual(vectorLines((await eng.instantQuery(st, 'count_over_time(up[5m])', 3 * M)).result), [
    '{job="x"} 2',
  ]);
});

test('offset (negative too) and @ with start()/end()', async () => {
  const st = await storageWith(everyMinute({ __name__: 'g' }, 20, (i) => i));
  const eng = new Engine();
  assert.deepEqual(vectorLines((await eng.instantQuery(st, 'g offset 5m', 10 * M)).result), ['g 5']);
  assert.deepEqual(vectorLines((await eng.instantQuery(st, 'g offset -5m', 10 * M)).result), ['g 15']);
  assert.deepEqual(vectorLines((await eng.instantQuery(st, 'g @ 180', 10 * M)).result), ['g 3']);
  const r = await eng.rangeQuery(st, 'g @ end() - g @ start()', 2 * M, 6 * M, 2 * M);
  assert.ok(r.result.type === 'matrix' && r.result.series.length === 1);
  if (r.result.type === 'matrix') assert.deepEqual([...r.result.series[0].values], [4, 4, 4]);
});

test('each selector is fetched once per query, for its whole time range', async () => {
  const st = await storageWith(
    everyMinute({ __name__: 'a' }, 60, (i) => i),
    everyMinute({ __name__: 'b' }, 60, (i) => i),
  );
  const calls: { minT: number; maxT: number }[] = [];
  const counting: Queryable = {
    select: (matchers: readonly Matcher[], hints: QueryableHints) => {
      calls.push({ minT: hints.minT, maxT: hints.maxT });
      return st.select(matchers, hints);
    },
  };
  await new Engine().rangeQuery(counting, 'rate(a[5m]) + b', 10 * M, 60 * M, 15_000);
  assert.equal(calls.length, 2);
  assert.deepEqual(calls[0], { minT: 5 * M + 1, maxT: 60 * M });
  assert.deepEqual(calls[1], { minT: 5 * M + 1, maxT: 60 * M });
});

test('max samples: the query fails with Prometheus error', async () => {
  const st = await storageWith(
    ...Array.from({ length: 20 }, (_, k) => everyMinute({ __name__: 'm', k: String(k) }, 30, (i) => i)),
  );
  const err = await rejection(new Engine({ maxSamples: 100 }).rangeQuery(st, 'm', 0, 30 * M, M));
  assert.equal(err.type, 'too_many_samples');
  assert.equal(err.message, 'query processing would load too many samples into memory in query execution');
  // Within the limit, the same query succeeds.
  await new Engine({ maxSamples: 1000 }).rangeQuery(st, 'm', 0, 30 * M, M);
});

test('max series per query', async () => {
  const st = await storageWith(
    ...Array.from({ length: 5 }, (_, k) => everyMinute({ __name__: 'm', k: String(k) }, 3, () => 1)),
  );
  const err = await rejection(new Engine({ maxSeries: 4 }).instantQuery(st, 'm', 2 * M));
  assert.match(err.message, /more than 4 series/);
});

test('timeout and cancellation give Prometheus errors', async () => {
  const st = await storageWith(everyMinute({ __name__: 'm' }, 10, (i) => i));
  const timedOut = await rejection(new Engine({ timeout: 0 }).rangeQuery(st, 'm', 0, 10 * M, 1000));
  assert.equal(timedOut.type, 'timeout');
  assert.match(timedOut.message, /^query timed out in (query preparation|expression evaluation)$/);

  const aborted = new AbortController();
  aborted.abort();
  const canceled = await rejection(new Engine().instantQuery(st, 'm', 0, { signal: aborted.signal }));
  assert.equal(canceled.type, 'canceled');

  // A client that goes away while the data is fetched cancels the evaluation.
  const controller = new AbortController();
  const abortingSelect: Queryable = {
    select: async (matchers, hints) => {
      const res = await st.select(matchers, hints);
      controller.abort();
      return res;
    },
  };
  const midway = await rejection(
    new Engine().rangeQuery(abortingSelect, 'm', 0, 10 * M, 1000, { signal: controller.signal }),
  );
  assert.equal(midway.type, 'canceled');
  assert.equal(midway.message, 'query was canceled in expression evaluation');
});

test('concurrency limit: queries beyond it wait for a slot', async () => {
  const st = await storageWith(everyMinute({ __name__: 'm' }, 3, () => 1));
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const order: string[] = [];
  const gated: Queryable = {
    select: async (matchers, hints) => {
      const name = matchers.find((m) => m.name === '__name__')?.value ?? '';
      order.push(`select ${name}`);
      if (name === 'm') await gate;
      return st.select(matchers, hints);
    },
  };
  const eng = new Engine({ maxConcurrent: 1 });
  const first = eng.instantQuery(gated, 'm', M).then(() => order.push('first done'));
  const second = eng.instantQuery(gated, 'other', M).then(() => order.push('second done'));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['select m']);
  release();
  await Promise.all([first, second]);
  assert.deepEqual(order, ['select m', 'first done', 'select other', 'second done']);
});

test('errors: bad queries are bad_data with the parser message', async () => {
  const st = await storageWith();
  const eng = new Engine();
  const parse = await rejection(eng.instantQuery(st, 'sum(', 0));
  assert.equal(parse.type, 'bad_data');
  assert.equal(parse.message, '1:5: parse error: unclosed left parenthesis');
  const rangeType = await rejection(eng.rangeQuery(st, 'x[5m]', 0, M, 1000));
  assert.equal(
    rangeType.message,
    'invalid expression type "range vector" for range query, must be Scalar or instant Vector',
  );
  const execution = await rejection(eng.instantQuery(st, 'topk(NaN, vector(1))', 0));
  assert.equal(execution.type, 'execution');
  assert.equal(execution.message, 'Parameter value is NaN');
});

test('annotations carry Prometheus wording and the position of the sub-expression', async () => {
  const st = await storageWith(everyMinute({ __name__: 'requests' }, 10, (i) => i));
  const eng = new Engine();
  const r = await eng.instantQuery(st, 'sum(rate(requests[5m]))', 10 * M);
  assert.deepEqual(r.infos, [
    'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "requests" (1:10)',
  ]);
  const q = await eng.instantQuery(st, 'quantile(2, requests)', 10 * M);
  assert.deepEqual(q.warnings, ['PromQL warning: quantile value should be between 0 and 1, got 2 (1:10)']);
  const sorted = await eng.rangeQuery(st, 'sort(requests)', 0, M, M);
  assert.deepEqual(sorted.warnings, [
    'PromQL warning: sort is ineffective for range queries since results are always ordered by labels (1:1)',
  ]);
});

test('an instant query at t equals the range query column at t', async () => {
  const queries = [
    'rate(c_total[3m])',
    'sum by (k) (c_total)',
    'max_over_time(c_total[2m]) - min_over_time(c_total[2m] offset 1m)',
    'c_total > bool 10',
    'avg_over_time(c_total[5m:1m])',
    'topk(2, c_total)',
    'histogram_quantile(0.5, sum by (le) (c_total))',
    'count_values("v", round(c_total))',
    'absent(nonexistent)',
    'c_total unless on(k) c_total{k="1"}',
  ];
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.array(fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }), {
          minLength: 1,
          maxLength: 12,
        }),
        {
          minLength: 1,
          maxLength: 4,
        },
      ),
      fc.integer({ min: 0, max: 14 }),
      fc.constantFrom(...queries),
      async (data, minute, query) => {
        const st = await storageWith(
          ...data.map((vals, k) =>
            series(
              { __name__: 'c_total', k: String(k), le: String(k === data.length - 1 ? '+Inf' : k) },
              vals.flatMap((v, i): [number, number][] => (v === undefined ? [] : [[i * 30_000, v]])),
            ),
          ),
        );
        const eng = new Engine();
        const t = minute * M;
        const inst = await eng.instantQuery(st, query, t);
        const range = await eng.rangeQuery(st, query, t - M, t + M, M);
        assert.equal(inst.result.type, 'vector');
        assert.equal(range.result.type, 'matrix');
        if (inst.result.type !== 'vector' || range.result.type !== 'matrix') return;
        const fromRange = range.result.series.flatMap((s) => {
          const i = s.timestamps.indexOf(t);
          return i < 0 ? [] : [`${formatLabels(s.metric)} ${s.values[i]}`];
        });
        assert.deepEqual(fromRange.sort(), vectorLines(inst.result), query);
      },
    ),
    { numRuns: 150, seed: 20260825 },
  );
});
