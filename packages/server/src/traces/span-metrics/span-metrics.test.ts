import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../config/load.ts';
import type { SeriesExemplars } from '../../model/exemplar.ts';
import { formatLabels } from '../../model/labels.ts';
import { isStaleNaN } from '../../model/sample.ts';
import { testResource, testSpan } from '../../storage/traces/storetest/spans.ts';
import { SpanMetrics } from './span-metrics.ts';

const config = (yaml = '') =>
  parseConfig(`traces:\n  span_metrics:\n${yaml || '    enabled: true\n'}`, 't.yml').traces.span_metrics;
const NOW = Date.UTC(2026, 0, 1, 12, 0, 30);

function spans() {
  const api = testResource('api');
  // Durations chosen to sit on both sides of bucket bounds (0.002, 0.004, ... 16.384 s).
  return [1, 2, 3, 4.5, 2048, 20_000].map((ms, i) =>
    testSpan({
      traceId: `${'1'.repeat(31)}${i}`,
      spanId: `${'2'.repeat(15)}${i}`,
      name: 'GET /items',
      kind: 2,
      durationMs: ms,
      status: i === 5 ? 2 : 0,
      resource: api,
      attributes: { 'http.route': '/items' },
    }),
  );
}

test('calls and latency buckets per service, span name, kind and status, with exact values', () => {
  const m = new SpanMetrics(config());
  m.observe(spans(), NOW);
  const ok = m.inspect(['api', 'GET /items', 'SPAN_KIND_SERVER', 'STATUS_CODE_UNSET']);
  assert.deepEqual(ok, {
    calls: 5,
    // le: 0.002 0.004 0.008 0.016 0.032 0.064 0.128 0.256 0.512 1.024 2.048 4.096 8.192 16.384 +Inf
    buckets: [2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5],
    sum: 0.001 + 0.002 + 0.003 + 0.0045 + 2.048,
    count: 5,
  });
  const failed = m.inspect(['api', 'GET /items', 'SPAN_KIND_SERVER', 'STATUS_CODE_ERROR']);
  assert.deepEqual(failed, {
    calls: 1,
    buckets: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    sum: 20,
    count: 1,
  });
});

test('collected series have Tempo names and labels; a new series starts with a 0 a minute earlier', () => {
  const m = new SpanMetrics(config());
  m.observe(spans().slice(0, 1), NOW);
  const first = m.collect(NOW);
  const byName = new Map(first.map((s) => [formatLabels(s.labels), s]));
  const calls = byName.get(
    'traces_spanmetrics_calls_total{service="api", span_kind="SPAN_KIND_SERVER", span_name="GET /items", status_code="STATUS_CODE_UNSET"}',
  );
  assert.ok(calls, [...byName.keys()].join('\n'));
  assert.deepEqual([...calls.timestamps], [Date.UTC(2026, 0, 1, 11, 59, 59, 999), NOW]);
  assert.deepEqual([...calls.values], [0, 1]);
  assert.ok(
    byName.has(
      'traces_spanmetrics_latency_bucket{le="0.002", service="api", span_kind="SPAN_KIND_SERVER", span_name="GET /items", status_code="STATUS_CODE_UNSET"}',
    ),
  );
  assert.ok(
    byName.has(
      'traces_spanmetrics_latency_bucket{le="+Inf", service="api", span_kind="SPAN_KIND_SERVER", span_name="GET /items", status_code="STATUS_CODE_UNSET"}',
    ),
  );
  assert.equal(first.length, 1 + 15 + 2);
  // Later collections are cumulative, one sample each.
  m.observe(spans().slice(1, 2), NOW + 15_000);
  const second = m.collect(NOW + 15_000);
  const calls2 = second.find((s) => formatLabels(s.labels).startsWith('traces_spanmetrics_calls_total{'))!;
  assert.deepEqual([...calls2.values], [2]);
});

test('series not updated for 15 minutes get a staleness marker and are dropped', () => {
  const m = new SpanMetrics(config());
  m.observe(spans().slice(0, 1), NOW);
  m.collect(NOW);
  const later = m.collect(NOW + 16 * 60_000);
  assert.ok(later.length > 0 && later.every((s) => isStaleNaN(s.values[0])));
  assert.deepEqual(m.collect(NOW + 17 * 60_000), []);
});

test('extra dimensions from span and resource attributes, status_message, and a series cap', () => {
  const m = new SpanMetrics(
    config(
      '    dimensions: [http.route, service.version]\n    intrinsic_dimensions: {status_message: true}\n    max_series: 1\n',
    ),
  );
  const withVersion = testResource('api', { 'service.version': '1.0' });
  m.observe(
    [
      testSpan({
        traceId: 'a'.repeat(32),
        spanId: 'b'.repeat(16),
        resource: withVersion,
        attributes: { 'http.route': '/x' },
      }),
      testSpan({ traceId: 'a'.repeat(32), spanId: 'c'.repeat(16), resource: withVersion, name: 'other' }),
    ],
    NOW,
  );
  const series = m.collect(NOW).map((s) => formatLabels(s.labels));
  assert.ok(
    series.includes(
      'traces_spanmetrics_calls_total{http_route="/x", service="api", service_version="1.0", span_kind="SPAN_KIND_INTERNAL", span_name="span", status_code="STATUS_CODE_UNSET"}',
    ),
    series.join('\n'),
  );
  assert.equal(m.droppedSpans, 1);
});

test('latency buckets carry an exemplar of their latest span, stamped at collection, once', () => {
  const m = new SpanMetrics(config());
  // Spans 0 and 1 (1 ms, 2 ms) share the 0.002 bucket: the later one is its exemplar.
  m.observe(spans(), NOW);
  const exemplars: SeriesExemplars[] = [];
  m.collect(NOW + 1000, exemplars);
  const got = exemplars.map((s) => ({
    series: formatLabels(s.labels),
    exemplars: s.exemplars.map((e) => ({ labels: formatLabels(e.labels), value: e.value, t: e.timestamp })),
  }));
  const series = (le: string, status = 'STATUS_CODE_UNSET') =>
    `traces_spanmetrics_latency_bucket{le="${le}", service="api", span_kind="SPAN_KIND_SERVER", span_name="GET /items", status_code="${status}"}`;
  const ex = (i: number, seconds: number) => [
    {
      labels: `{spanID="${'2'.repeat(15)}${i}", traceID="${'1'.repeat(31)}${i}"}`,
      value: seconds,
      t: NOW + 1000,
    },
  ];
  assert.deepEqual(
    got.sort((a, b) => a.series.localeCompare(b.series)),
    [
      { series: series('+Inf', 'STATUS_CODE_ERROR'), exemplars: ex(5, 20) },
      { series: series('0.002'), exemplars: ex(1, 0.002) },
      { series: series('0.004'), exemplars: ex(2, 0.003) },
      { series: series('0.008'), exemplars: ex(3, 0.0045) },
      { series: series('2.048'), exemplars: ex(4, 2.048) },
    ].sort((a, b) => a.series.localeCompare(b.series)),
  );
  // An exemplar is written once; a collection with no new spans has none.
  const again: SeriesExemplars[] = [];
  m.collect(NOW + 2000, again);
  assert.deepEqual(again, []);
});
