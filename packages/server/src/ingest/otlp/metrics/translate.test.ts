import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { ExportMetricsServiceRequestSchema } from '../../../gen/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.ts';
import { formatLabels } from '../../../model/labels.ts';
import { isStaleNaN, type SeriesSamples } from '../../../model/sample.ts';
import { DeltaAccumulator } from './delta.ts';
import { type MetricsTranslation, translateMetrics } from './translate.ts';

// Requests are written in OTLP/JSON, the form the specification's examples use.
const T1 = '1700000000000000000'; // ns
const T1_MS = 1_700_000_000_000;
const T2 = '1700000060000000000';
const T2_MS = T1_MS + 60_000;
const T3 = '1700000120000000000';

type Json = { [key: string]: JsonValue };

function attrs(record: Record<string, string>): Json[] {
  return Object.entries(record).map(([key, value]) => ({ key, value: { stringValue: value } }));
}

/** One resource with one scope holding `metrics`. */
function request(
  metrics: Json[],
  resource: Record<string, string> = { 'service.name': 'svc' },
  scope: Json = { name: 'lib', version: '1.0' },
): ReturnType<typeof parse> {
  return parse({
    resourceMetrics: [{ resource: { attributes: attrs(resource) }, scopeMetrics: [{ scope, metrics }] }],
  });
}

function parse(json: Json) {
  return fromJson(ExportMetricsServiceRequestSchema, json, { ignoreUnknownFields: true });
}

function newDelta(now = () => T1_MS) {
  return new DeltaAccumulator({ maxStreams: 1000, maxIdleMs: 3_600_000, now });
}

/** Series rendered as `name{labels}` → [[t, v], ...], for readable assertions. */
function samples(series: readonly SeriesSamples[]): Record<string, [number, number | 'stale'][]> {
  const out: Record<string, [number, number | 'stale'][]> = {};
  for (const s of series) {
    out[formatLabels(s.labels)] = Array.from(s.timestamps, (t, i) => [
      t,
      isStaleNaN(s.values[i]) ? 'stale' : s.values[i],
    ]);
  }
  return out;
}

function translate(metrics: Json[], delta = newDelta()): MetricsTranslation {
  return translateMetrics(request(metrics), delta);
}

const SCOPE = 'job="svc", otel_scope_name="lib", otel_scope_version="1.0"';
/** SCOPE with `le` in its sorted place. */
const le = (v: string) => `job="svc", le="${v}", otel_scope_name="lib", otel_scope_version="1.0"`;

test('gauge: attributes, job, instance and scope become labels; ns become ms', () => {
  const t = translateMetrics(
    request(
      [
        {
          name: 'queue.depth',
          unit: '{item}',
          description: 'Items waiting',
          gauge: {
            dataPoints: [
              { timeUnixNano: T1, asDouble: 2.5, attributes: attrs({ 'queue.name': 'a', empty: '' }) },
            ],
          },
        },
      ],
      { 'service.name': 'api', 'service.namespace': 'shop', 'service.instance.id': 'pod-1' },
      { name: 'lib', version: '1.0', attributes: attrs({ 'lib.kind': 'x' }) },
    ),
    newDelta(),
  );
  assert.deepEqual(samples(t.series), {
    'queue_depth{instance="pod-1", job="shop/api", otel_scope_lib_kind="x", otel_scope_name="lib", otel_scope_version="1.0", queue_name="a"}':
      [[T1_MS, 2.5]],
  });
  assert.deepEqual(t.metadata, [{ metric: 'queue_depth', type: 'gauge', help: 'Items waiting', unit: '' }]);
  assert.equal(t.points, 1);
  assert.equal(t.acceptedPoints, 1);
  assert.deepEqual(t.rejected, []);
  // Only identifying resource attributes: no target_info.
  assert.deepEqual(t.targetInfo, []);
});

test('sums: monotonic → counter with _total, non-monotonic → gauge; int values', () => {
  const t = translate([
    {
      name: 'http.requests',
      unit: '1',
      sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ timeUnixNano: T1, asInt: '42' }] },
    },
    {
      name: 'connections.active',
      unit: '{connection}',
      sum: {
        aggregationTemporality: 2,
        isMonotonic: false,
        dataPoints: [{ timeUnixNano: T1, asDouble: -3 }],
      },
    },
    { name: 'memory.used', unit: 'By', gauge: { dataPoints: [{ timeUnixNano: T1, asInt: '1024' }] } },
    { name: 'cpu.utilization', unit: '1', gauge: { dataPoints: [{ timeUnixNano: T1, asDouble: 0.25 }] } },
  ]);
  assert.deepEqual(samples(t.series), {
    [`http_requests_total{${SCOPE}}`]: [[T1_MS, 42]],
    [`connections_active{${SCOPE}}`]: [[T1_MS, -3]],
    [`memory_used_bytes{${SCOPE}}`]: [[T1_MS, 1024]],
    [`cpu_utilization_ratio{${SCOPE}}`]: [[T1_MS, 0.25]],
  });
  assert.deepEqual(
    t.metadata.map((m) => [m.metric, m.type, m.unit]),
    [
      ['http_requests_total', 'counter', ''],
      ['connections_active', 'gauge', ''],
      ['memory_used_bytes', 'gauge', 'bytes'],
      ['cpu_utilization_ratio', 'gauge', ''],
    ],
  );
});

test('histogram: cumulative buckets with +Inf, _sum and _count', () => {
  const t = translate([
    {
      name: 'http.server.duration',
      unit: 's',
      histogram: {
        aggregationTemporality: 2,
        dataPoints: [
          {
            timeUnixNano: T1,
            count: '6',
            sum: 3.5,
            explicitBounds: [0.1, 1, 2.5],
            bucketCounts: ['1', '2', '0', '3'],
          },
        ],
      },
    },
  ]);
  assert.deepEqual(samples(t.series), {
    [`http_server_duration_seconds_sum{${SCOPE}}`]: [[T1_MS, 3.5]],
    [`http_server_duration_seconds_count{${SCOPE}}`]: [[T1_MS, 6]],
    [`http_server_duration_seconds_bucket{${le('0.1')}}`]: [[T1_MS, 1]],
    [`http_server_duration_seconds_bucket{${le('1')}}`]: [[T1_MS, 3]],
    [`http_server_duration_seconds_bucket{${le('2.5')}}`]: [[T1_MS, 3]],
    [`http_server_duration_seconds_bucket{${le('+Inf')}}`]: [[T1_MS, 6]],
  });
  assert.deepEqual(t.metadata, [
    { metric: 'http_server_duration_seconds', type: 'histogram', help: '', unit: 'seconds' },
  ]);
});

test('histogram without sum or buckets: only _count and +Inf', () => {
  const t = translate([
    { name: 'h', histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: T1, count: '4' }] } },
  ]);
  assert.deepEqual(samples(t.series), {
    [`h_count{${SCOPE}}`]: [[T1_MS, 4]],
    [`h_bucket{${le('+Inf')}}`]: [[T1_MS, 4]],
  });
});

test('invalid histograms are rejected per point', () => {
  const t = translate([
    {
      name: 'h',
      histogram: {
        aggregationTemporality: 2,
        dataPoints: [
          { timeUnixNano: T1, count: '1', explicitBounds: [1, 2], bucketCounts: ['1', '0'] },
          { timeUnixNano: T1, count: '1', explicitBounds: [2, 1], bucketCounts: ['1', '0', '0'] },
          { timeUnixNano: T1, count: '1', explicitBounds: [1, 'NaN'], bucketCounts: ['1', '0', '0'] },
          {
            timeUnixNano: T2,
            count: '1',
            explicitBounds: [1],
            bucketCounts: ['1', '0'],
            attributes: attrs({ ok: 'y' }),
          },
        ],
      },
    },
  ]);
  assert.equal(t.points, 4);
  assert.equal(t.acceptedPoints, 1);
  assert.equal(t.rejected.length, 1);
  assert.equal(t.rejected[0].reason, 'invalid_histogram');
  assert.equal(t.rejected[0].count, 3);
  assert.match(t.rejected[0].example, /2 bucket_counts for 2 explicit_bounds; expected 3/);
});

test('summary: quantile series plus _sum and _count', () => {
  const t = translate([
    {
      name: 'rpc.latency',
      unit: 'ms',
      summary: {
        dataPoints: [
          {
            timeUnixNano: T1,
            count: '10',
            sum: 123.5,
            quantileValues: [
              { quantile: 0.5, value: 10 },
              { quantile: 0.99, value: 50 },
              { quantile: 1e-7, value: 1 },
            ],
          },
        ],
      },
    },
  ]);
  assert.deepEqual(samples(t.series), {
    [`rpc_latency_milliseconds_sum{${SCOPE}}`]: [[T1_MS, 123.5]],
    [`rpc_latency_milliseconds_count{${SCOPE}}`]: [[T1_MS, 10]],
    [`rpc_latency_milliseconds{${SCOPE}, quantile="0.5"}`]: [[T1_MS, 10]],
    [`rpc_latency_milliseconds{${SCOPE}, quantile="0.99"}`]: [[T1_MS, 50]],
    [`rpc_latency_milliseconds{${SCOPE}, quantile="0.0000001"}`]: [[T1_MS, 1]],
  });
  assert.equal(t.metadata[0].type, 'summary');
});

test('NO_RECORDED_VALUE becomes a staleness marker on every series of the point', () => {
  const t = translate([
    { name: 'g', gauge: { dataPoints: [{ timeUnixNano: T1, flags: 1 }] } },
    {
      name: 'h',
      histogram: {
        aggregationTemporality: 2,
        dataPoints: [{ timeUnixNano: T1, flags: 1, sum: 0, explicitBounds: [1] }],
      },
    },
    {
      name: 's',
      summary: { dataPoints: [{ timeUnixNano: T1, flags: 1, quantileValues: [{ quantile: 0.5 }] }] },
    },
  ]);
  assert.deepEqual(samples(t.series), {
    [`g{${SCOPE}}`]: [[T1_MS, 'stale']],
    [`h_sum{${SCOPE}}`]: [[T1_MS, 'stale']],
    [`h_count{${SCOPE}}`]: [[T1_MS, 'stale']],
    [`h_bucket{${le('1')}}`]: [[T1_MS, 'stale']],
    [`h_bucket{${le('+Inf')}}`]: [[T1_MS, 'stale']],
    [`s_sum{${SCOPE}}`]: [[T1_MS, 'stale']],
    [`s_count{${SCOPE}}`]: [[T1_MS, 'stale']],
    [`s{${SCOPE}, quantile="0.5"}`]: [[T1_MS, 'stale']],
  });
});

test('points without timestamp or value, and metrics with bad names or temporality, are rejected', () => {
  const t = translate([
    {
      name: 'g',
      gauge: { dataPoints: [{ asDouble: 1 }, { timeUnixNano: T1 }, { timeUnixNano: T1, asDouble: 7 }] },
    },
    { name: '@@@', gauge: { dataPoints: [{ timeUnixNano: T1, asDouble: 1 }] } },
    {
      name: 'c',
      sum: { aggregationTemporality: 0, isMonotonic: true, dataPoints: [{ timeUnixNano: T1, asDouble: 1 }] },
    },
    { name: 'nodata' },
  ]);
  assert.deepEqual(samples(t.series), { [`g{${SCOPE}}`]: [[T1_MS, 7]] });
  assert.equal(t.points, 5);
  assert.equal(t.acceptedPoints, 1);
  assert.deepEqual(
    t.rejected.map((r) => [r.reason, r.count]),
    [
      ['missing_timestamp', 1],
      ['missing_value', 1],
      ['invalid_metric_name', 1],
      ['invalid_temporality', 1],
    ],
  );
  assert.deepEqual(t.warnings, ['metric "nodata" has no data and was ignored']);
});

test('attribute names are sanitised; colliding names join values with ";" in key order', () => {
  const t = translate([
    {
      name: 'g',
      gauge: {
        dataPoints: [
          {
            timeUnixNano: T1,
            asDouble: 1,
            attributes: [
              { key: 'a_b', value: { stringValue: 'second' } },
              { key: 'a.b', value: { stringValue: 'first' } },
              { key: '2xx', value: { boolValue: true } },
              { key: 'job', value: { stringValue: 'overridden by the resource' } },
              { key: '__name__', value: { stringValue: 'ignored' } },
              { key: 'n', value: { intValue: '9007199254740993' } },
              { key: 'd', value: { doubleValue: 0.5 } },
              {
                key: 'arr',
                value: {
                  arrayValue: {
                    values: [{ stringValue: 'x' }, { intValue: '1' }, { doubleValue: 'Infinity' }, {}],
                  },
                },
              },
              { key: 'map', value: { kvlistValue: { values: [{ key: 'k', value: { boolValue: false } }] } } },
              { key: 'raw', value: { bytesValue: 'aGk=' } },
            ],
          },
        ],
      },
    },
  ]);
  assert.deepEqual(Object.keys(samples(t.series)), [
    'g{a_b="first;second", arr="[\\"x\\",1,\\"Infinity\\",null]", d="0.5", job="svc", key_2xx="true", map="{\\"k\\":false}", n="9007199254740993", otel_scope_name="lib", otel_scope_version="1.0", raw="aGk="}',
  ]);
});

test('attribute keys that cannot become label names reject the point', () => {
  const t = translate([
    {
      name: 'g',
      gauge: {
        dataPoints: [
          { timeUnixNano: T1, asDouble: 1, attributes: attrs({ ようこそ: 'x' }) },
          { timeUnixNano: T1, asDouble: 2, attributes: attrs({ fine: 'x' }) },
        ],
      },
    },
  ]);
  assert.equal(t.acceptedPoints, 1);
  assert.deepEqual(
    t.rejected.map((r) => r.reason),
    ['invalid_attribute'],
  );
});

test('target_info: one series per resource with its other attributes, job and instance', () => {
  const json = {
    resourceMetrics: [
      {
        resource: {
          attributes: attrs({
            'service.name': 'api',
            'service.instance.id': 'i-1',
            'host.name': 'h1',
            'k8s.pod.name': 'p',
          }),
        },
        scopeMetrics: [
          {
            scope: { name: '' },
            metrics: [
              {
                name: 'g',
                gauge: {
                  dataPoints: [
                    // 6 minutes apart: samples every 2.5 minutes from the first to the last point.
                    { timeUnixNano: T1, asDouble: 1 },
                    { timeUnixNano: '1700000360000000000', asDouble: 2 },
                  ],
                },
              },
            ],
          },
        ],
      },
      // The same resource again: no duplicate samples.
      {
        resource: {
          attributes: attrs({
            'service.name': 'api',
            'service.instance.id': 'i-1',
            'host.name': 'h1',
            'k8s.pod.name': 'p',
          }),
        },
        scopeMetrics: [
          { metrics: [{ name: 'g2', gauge: { dataPoints: [{ timeUnixNano: T1, asDouble: 1 }] } }] },
        ],
      },
      // Only service.name: no target_info.
      {
        resource: { attributes: attrs({ 'service.name': 'solo' }) },
        scopeMetrics: [
          { metrics: [{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: T1, asDouble: 1 }] } }] },
        ],
      },
    ],
  };
  const t = translateMetrics(parse(json), newDelta());
  assert.deepEqual(samples(t.targetInfo), {
    'target_info{host_name="h1", instance="i-1", job="api", k8s_pod_name="p"}': [
      [T1_MS, 1],
      [T1_MS + 150_000, 1],
      [T1_MS + 300_000, 1],
      [T1_MS + 360_000, 1],
    ],
  });
  // No scope name: no scope labels at all.
  assert.ok(Object.keys(samples(t.series)).includes('g{instance="i-1", job="api"}'));
  assert.ok(t.metadata.some((m) => m.metric === 'target_info' && m.type === 'gauge'));
});

test('gauge metadata follows a prometheus.type hint', () => {
  const t = translate([
    {
      name: 'build',
      metadata: attrs({ 'prometheus.type': 'info' }),
      gauge: { dataPoints: [{ timeUnixNano: T1, asDouble: 1 }] },
    },
  ]);
  assert.equal(t.metadata[0].type, 'info');
});

test('samples of one series arrive sorted by time whatever the order of points', () => {
  const t = translate([
    {
      name: 'g',
      gauge: {
        dataPoints: [
          { timeUnixNano: T3, asDouble: 3 },
          { timeUnixNano: T1, asDouble: 1 },
          { timeUnixNano: T2, asDouble: 2 },
        ],
      },
    },
  ]);
  assert.deepEqual(samples(t.series)[`g{${SCOPE}}`], [
    [T1_MS, 1],
    [T2_MS, 2],
    [T1_MS + 120_000, 3],
  ]);
});

const deltaSum = (points: Json[], isMonotonic = true): Json => ({
  name: 'requests',
  sum: { aggregationTemporality: 1, isMonotonic, dataPoints: points },
});

test('delta sums add up across requests into a counter', () => {
  const delta = newDelta();
  const name = `requests_total{${SCOPE}}`;
  let t = translate([deltaSum([{ startTimeUnixNano: T1, timeUnixNano: T1, asInt: '5' }])], delta);
  assert.deepEqual(samples(t.series)[name], [[T1_MS, 5]]);
  // A gap between points (the SDK skipped an idle interval) still adds up.
  t = translate([deltaSum([{ startTimeUnixNano: T2, timeUnixNano: T3, asDouble: 2.5 }])], delta);
  assert.deepEqual(samples(t.series)[name], [[T1_MS + 120_000, 7.5]]);
  assert.deepEqual(t.metadata[0].type, 'counter');
});

test('delta points: out of order rejected, an exact retry re-emits the total', () => {
  const delta = newDelta();
  const name = `requests_total{${SCOPE}}`;
  translate([deltaSum([{ startTimeUnixNano: T1, timeUnixNano: T2, asDouble: 1 }])], delta);
  let t = translate([deltaSum([{ startTimeUnixNano: T2, timeUnixNano: T3, asDouble: 2 }])], delta);
  assert.deepEqual(samples(t.series)[name], [[T1_MS + 120_000, 3]]);
  // The sender retries the same request: accepted, total unchanged.
  t = translate([deltaSum([{ startTimeUnixNano: T2, timeUnixNano: T3, asDouble: 2 }])], delta);
  assert.deepEqual(samples(t.series)[name], [[T1_MS + 120_000, 3]]);
  assert.deepEqual(t.rejected, []);
  // An older point: rejected.
  t = translate([deltaSum([{ startTimeUnixNano: T1, timeUnixNano: T2, asDouble: 100 }])], delta);
  assert.deepEqual(t.series, []);
  assert.deepEqual(
    t.rejected.map((r) => [r.reason, r.count]),
    [['delta_out_of_order', 1]],
  );
});

test('several delta points of one stream in one request are added in time order', () => {
  const t = translate([
    deltaSum([
      { startTimeUnixNano: T2, timeUnixNano: T3, asDouble: 4 },
      { startTimeUnixNano: T1, timeUnixNano: T2, asDouble: 1 },
    ]),
  ]);
  assert.deepEqual(samples(t.series)[`requests_total{${SCOPE}}`], [
    [T2_MS, 1],
    [T1_MS + 120_000, 5],
  ]);
  assert.deepEqual(t.rejected, []);
});

test('a stale delta point ends the running total', () => {
  const delta = newDelta();
  const name = `requests{${SCOPE}}`;
  translate([deltaSum([{ startTimeUnixNano: T1, timeUnixNano: T1, asDouble: 5 }], false)], delta);
  let t = translate([deltaSum([{ startTimeUnixNano: T1, timeUnixNano: T2, flags: 1 }], false)], delta);
  assert.deepEqual(samples(t.series)[name], [[T2_MS, 'stale']]);
  t = translate([deltaSum([{ startTimeUnixNano: T2, timeUnixNano: T3, asDouble: -2 }], false)], delta);
  assert.deepEqual(samples(t.series)[name], [[T1_MS + 120_000, -2]]);
  assert.equal(delta.size, 1);
});

test('idle delta streams are forgotten, and the stream limit rejects new streams', () => {
  let now = T1_MS;
  const delta = new DeltaAccumulator({ maxStreams: 1, maxIdleMs: 600_000, now: () => now });
  const point = (value: number, t: string, a: string) => ({
    startTimeUnixNano: t,
    timeUnixNano: t,
    asDouble: value,
    attributes: attrs({ a }),
  });
  translate([deltaSum([point(5, T1, 'x')])], delta);
  let t = translate([deltaSum([point(1, T2, 'y')])], delta);
  assert.deepEqual(
    t.rejected.map((r) => r.reason),
    ['delta_stream_limit'],
  );
  now += 3_600_000;
  t = translate([deltaSum([point(1, T3, 'x')])], delta);
  // Forgotten after an hour idle: the total starts again.
  assert.deepEqual(Object.values(samples(t.series)), [[[T1_MS + 120_000, 1]]]);
});

test('delta histograms add bucket by bucket; new bounds start over', () => {
  const delta = newDelta();
  const h = (start: string, time: string, bounds: number[], counts: string[], sum: number) => ({
    name: 'h',
    histogram: {
      aggregationTemporality: 1,
      dataPoints: [
        {
          startTimeUnixNano: start,
          timeUnixNano: time,
          explicitBounds: bounds,
          bucketCounts: counts,
          count: String(counts.reduce((a, c) => a + Number(c), 0)),
          sum,
        },
      ],
    },
  });
  translate([h(T1, T1, [1, 2], ['1', '0', '2'], 10)], delta);
  let t = translate([h(T1, T2, [1, 2], ['0', '3', '1'], 5)], delta);
  assert.deepEqual(samples(t.series), {
    [`h_sum{${SCOPE}}`]: [[T2_MS, 15]],
    [`h_count{${SCOPE}}`]: [[T2_MS, 7]],
    [`h_bucket{${le('1')}}`]: [[T2_MS, 1]],
    [`h_bucket{${le('2')}}`]: [[T2_MS, 4]],
    [`h_bucket{${le('+Inf')}}`]: [[T2_MS, 7]],
  });
  t = translate([h(T2, T3, [5], ['1', '1'], 1)], delta);
  assert.deepEqual(samples(t.series)[`h_bucket{${le('5')}}`], [[T1_MS + 120_000, 1]]);
  assert.deepEqual(samples(t.series)[`h_count{${SCOPE}}`], [[T1_MS + 120_000, 2]]);
});

const expPoint = (fields: Json): Json => ({
  name: 'latency',
  unit: 's',
  exponentialHistogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: T1, ...fields }] },
});

test('exponential histogram: negative, zero and positive buckets as classic buckets', () => {
  // Scale 0: positive bucket i holds (2^i, 2^(i+1)], negative bucket i holds [-2^(i+1), -2^i).
  const t = translate([
    expPoint({
      scale: 0,
      count: '7',
      sum: 1.5,
      zeroCount: '1',
      positive: { offset: 0, bucketCounts: ['1', '2'] },
      negative: { offset: 1, bucketCounts: ['3'] },
    }),
  ]);
  assert.deepEqual(samples(t.series), {
    [`latency_seconds_sum{${SCOPE}}`]: [[T1_MS, 1.5]],
    [`latency_seconds_count{${SCOPE}}`]: [[T1_MS, 7]],
    [`latency_seconds_bucket{${le('-2')}}`]: [[T1_MS, 3]],
    [`latency_seconds_bucket{${le('0')}}`]: [[T1_MS, 4]],
    [`latency_seconds_bucket{${le('2')}}`]: [[T1_MS, 5]],
    [`latency_seconds_bucket{${le('4')}}`]: [[T1_MS, 7]],
    [`latency_seconds_bucket{${le('+Inf')}}`]: [[T1_MS, 7]],
  });
  assert.equal(t.metadata[0].type, 'histogram');
});

test('exponential histogram: fine scales are reduced to at most scale 3', () => {
  // Scale 5, buckets 0..7: at scale 3 they merge 4 into 1 → buckets 0 and 1 of (2^(1/8))^i.
  const t = translate([
    expPoint({
      scale: 5,
      count: '8',
      positive: { offset: 0, bucketCounts: ['1', '1', '1', '1', '1', '1', '1', '1'] },
    }),
  ]);
  assert.deepEqual(samples(t.series), {
    [`latency_seconds_count{${SCOPE}}`]: [[T1_MS, 8]],
    [`latency_seconds_bucket{${le('1.0905077326652577')}}`]: [[T1_MS, 4]],
    [`latency_seconds_bucket{${le('1.189207115002721')}}`]: [[T1_MS, 8]],
    [`latency_seconds_bucket{${le('+Inf')}}`]: [[T1_MS, 8]],
  });
});

test('exponential histogram: an out-of-range scale is rejected', () => {
  const t = translate([expPoint({ scale: 21, count: '1', positive: { offset: 0, bucketCounts: ['1'] } })]);
  assert.deepEqual(
    t.rejected.map((r) => r.reason),
    ['invalid_exponential_histogram'],
  );
});

test('delta exponential histograms merge at the lower scale', () => {
  const delta = newDelta();
  const point = (time: string, scale: number, offset: number, counts: string[]) => ({
    name: 'latency',
    unit: 's',
    exponentialHistogram: {
      aggregationTemporality: 1,
      dataPoints: [
        {
          startTimeUnixNano: T1,
          timeUnixNano: time,
          scale,
          count: String(counts.reduce((a, c) => a + Number(c), 0)),
          positive: { offset, bucketCounts: counts },
        },
      ],
    },
  });
  translate([point(T1, 1, 0, ['1', '1'])], delta); // (1, √2] and (√2, 2]
  const t = translate([point(T2, 0, 1, ['5'])], delta); // (2, 4]
  // Merged at scale 0: (1, 2] holds 2, (2, 4] holds 5.
  assert.deepEqual(samples(t.series), {
    [`latency_seconds_count{${SCOPE}}`]: [[T2_MS, 7]],
    [`latency_seconds_bucket{${le('2')}}`]: [[T2_MS, 2]],
    [`latency_seconds_bucket{${le('4')}}`]: [[T2_MS, 7]],
    [`latency_seconds_bucket{${le('+Inf')}}`]: [[T2_MS, 7]],
  });
});
