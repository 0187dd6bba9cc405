/**
 * PromQL differential test: the same data and the same few hundred queries sent to Vigil and to
 * a real Prometheus 2.42 (Debian's /usr/bin/prometheus; the test fails when it is missing), every
 * answer compared (see compare.ts for the rules, queries.ts for the query set and LEFT_OUT).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildQueries, LEFT_OUT } from './queries.ts';
import { describeMismatch, runDifferential } from './run.ts';
import { startLoadedPair } from './setup.ts';
import { callApi } from './systems.ts';

const MINUTE = 60_000;

test('PromQL differential: Vigil answers like Prometheus 2.42', { timeout: 240_000 }, async (t) => {
  const pair = await startLoadedPair(t);
  const { startMs } = pair;
  // The data's awkward parts reached Prometheus as meant; else agreeing would prove little.
  const ask = async (query: string, minutes: number) => {
    const time = ((startMs + minutes * MINUTE + 700) / 1000).toFixed(3);
    const answer = await callApi(pair.prometheusUrl, '/api/v1/query', { query, time });
    assert.equal(answer.body?.status, 'success', JSON.stringify(answer.body));
    return answer.body.data.result as { value: [number, string] }[];
  };
  const staleSeries = 'vd_queue_length{job="api", instance="host-c:9100", queue="email"}';
  assert.equal((await ask(staleSeries, 44)).length, 1, 'the series exists before its staleness marker');
  assert.deepStrictEqual(
    await ask(staleSeries, 47),
    [],
    'a staleness marker (not a plain NaN) ends the series',
  );
  assert.deepStrictEqual(
    await ask('vd_queue_length{job="api", instance="host-b:9100", queue="email"}', 35),
    [],
    'the gap is longer than the lookback delta',
  );
  const resets = await ask(
    'resets(vd_http_requests_total{job="api", instance="host-a:9100", method="GET", status="200"}[1h])',
    62,
  );
  assert.equal(resets[0]?.value[1], '1', 'the counter reset is there');

  const queries = buildQueries(startMs);
  const summary = await runDifferential(pair, queries, {
    // 25m: a target is down; 35m: inside a 12.5m gap; 47m: after a staleness marker;
    // 62m: after the last scrape (series still within the lookback delta).
    instantTimes: [25, 35, 47, 62].map((m) => startMs + m * MINUTE + 700),
    range: {
      start: startMs - 3 * MINUTE + 700,
      end: startMs + 65 * MINUTE + 700,
      steps: [60_000, 37_000, 150_000],
    },
  });
  t.diagnostic(
    `${queries.length} queries, ${summary.comparisons} comparisons (${summary.instant} instant, ${summary.range} range); ` +
      `${summary.withData} with data, ${summary.errors} errors in both, ${summary.mismatches.length} mismatches; ` +
      `left out: ${LEFT_OUT.map((l) => l.construct).join('; ')}`,
  );
  assert.ok(queries.length >= 200, `only ${queries.length} queries`);
  // Both sides answering "nothing" agrees trivially; most comparisons must carry data.
  assert.ok(
    summary.withData >= summary.comparisons * 0.8,
    `only ${summary.withData} of ${summary.comparisons} comparisons returned data from Prometheus`,
  );
  if (summary.mismatches.length > 0) {
    const shown = summary.mismatches.slice(0, 25).map((m) => describeMismatch(m));
    assert.fail(
      `${summary.mismatches.length} of ${summary.comparisons} comparisons differ` +
        `${summary.mismatches.length > shown.length ? ` (first ${shown.length} shown)` : ''}:\n\n${shown.join('\n\n')}`,
    );
  }
});
