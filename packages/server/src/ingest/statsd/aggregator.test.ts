import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLabels } from '../../model/labels.ts';
import { isStaleNaN } from '../../model/sample.ts';
import { type AggregatorOptions, type FlushSnapshot, globToRegExp, StatsdAggregator } from './aggregator.ts';
import { ALL_TAG_FORMATS, parseStatsdLine, type StatsdSample } from './line-parser.ts';

const DEFAULTS: AggregatorOptions = { maxSeries: 1000, seriesTtlMs: 0, buckets: [0.01, 0.1, 1] };

/** Feeds StatsD lines through the real parser into the aggregator; returns drop reasons. */
function feed(agg: StatsdAggregator, now: number, ...lines: string[]): string[] {
  const drops: string[] = [];
  for (const line of lines) {
    parseStatsdLine(line, ALL_TAG_FORMATS, {
      sample: (s: StatsdSample) => {
        const reason = agg.add(s, now);
        if (reason) drops.push(reason);
      },
      error: (reason) => assert.fail(`test line ${line} did not parse: ${reason}`),
      tagErrors: () => {},
      ignored: () => {},
    });
  }
  return drops;
}

/** A flush as `series → value`, with stale markers shown as "stale". */
function values(snapshot: FlushSnapshot): Record<string, number | 'stale'> {
  const out: Record<string, number | 'stale'> = {};
  for (const s of snapshot.batch) {
    assert.equal(s.timestamps.length, 1);
    const v = s.values[0];
    out[formatLabels(s.labels)] = isStaleNaN(v) ? 'stale' : v;
  }
  return out;
}

test('counters accumulate, scaled by the sample rate, across flushes', () => {
  const agg = new StatsdAggregator(DEFAULTS);
  feed(agg, 1, 'hits:1|c', 'hits:2|c|@0.5', 'hits:1|c|#code:200');
  assert.deepEqual(values(agg.flush(100, 100)), { hits: 5, 'hits{code="200"}': 1 });
  feed(agg, 150, 'hits:3|c');
  assert.deepEqual(values(agg.flush(200, 200)), { hits: 8, 'hits{code="200"}': 1 });
});

test('negative counter increments are dropped, as statsd_exporter does', () => {
  const agg = new StatsdAggregator(DEFAULTS);
  assert.deepEqual(feed(agg, 1, 'hits:5|c', 'hits:-1|c'), ['negative_counter']);
  assert.deepEqual(values(agg.flush(100, 100)), { hits: 5 });
});

test('gauges keep the last value; signed values change it', () => {
  const agg = new StatsdAggregator(DEFAULTS);
  feed(agg, 1, 'temp:20|g', 'temp:+5|g', 'temp:-2.5|g', 'delta_only:-3|g', 'sampled:7|g|@0.1');
  assert.deepEqual(values(agg.flush(100, 100)), { temp: 22.5, delta_only: -3, sampled: 7 });
  feed(agg, 101, 'temp:1|g');
  assert.deepEqual(values(agg.flush(200, 200)), { temp: 1, delta_only: -3, sampled: 7 });
});

test('timers become histograms in seconds; histograms and distributions keep their unit', () => {
  const agg = new StatsdAggregator(DEFAULTS);
  feed(agg, 1, 'rt:5|ms', 'rt:50|ms', 'rt:5000|ms', 'size:0.1|h', 'size:0.5|h|@0.25', 'd1:2|d');
  const got = values(agg.flush(100, 100));
  assert.deepEqual(got, {
    'rt_bucket{le="0.01"}': 1,
    'rt_bucket{le="0.1"}': 2,
    'rt_bucket{le="1.0"}': 2,
    'rt_bucket{le="+Inf"}': 3,
    rt_sum: 5.055,
    rt_count: 3,
    'size_bucket{le="0.01"}': 0,
    'size_bucket{le="0.1"}': 1, // le is inclusive
    'size_bucket{le="1.0"}': 5, // 1 + 4 (0.5 sampled at 25% weighs 4)
    'size_bucket{le="+Inf"}': 5,
    size_sum: 0.1 + 0.5 * 4,
    size_count: 5,
    'd1_bucket{le="0.01"}': 0,
    'd1_bucket{le="0.1"}': 0,
    'd1_bucket{le="1.0"}': 0,
    'd1_bucket{le="+Inf"}': 1,
    d1_sum: 2,
    d1_count: 1,
  });
});

test('histogram series keep their tags next to le', () => {
  const agg = new StatsdAggregator({ ...DEFAULTS, buckets: [1] });
  feed(agg, 1, 'rt:500|ms|#route:/a,zone:eu');
  const labels = agg.flush(100, 100).batch.map((s) => formatLabels(s.labels));
  assert.deepEqual(labels, [
    'rt_bucket{le="1.0", route="/a", zone="eu"}',
    'rt_bucket{le="+Inf", route="/a", zone="eu"}',
    'rt_sum{route="/a", zone="eu"}',
    'rt_count{route="/a", zone="eu"}',
  ]);
});

test('per-name bucket overrides: the first matching glob wins', () => {
  const agg = new StatsdAggregator({
    ...DEFAULTS,
    bucketOverrides: [
      { match: 'db_*', buckets: [5] },
      { match: '*_size', buckets: [100, 1000] },
      { match: 'db_size', buckets: [1] }, // never reached: db_* matches first
    ],
  });
  feed(agg, 1, 'db.query:1|h', 'db.size:1|h', 'req.size:1|h', 'other:1|h');
  const buckets = (name: string) =>
    agg
      .flush(100, 100)
      .batch.filter((s) => s.labels.some((l) => l.value === `${name}_bucket`))
      .map((s) => s.labels.find((l) => l.name === 'le')!.value);
  assert.deepEqual(buckets('db_query'), ['5.0', '+Inf']);
  assert.deepEqual(buckets('db_size'), ['5.0', '+Inf']);
  assert.deepEqual(buckets('req_size'), ['100.0', '1000.0', '+Inf']);
  assert.deepEqual(buckets('other'), ['0.01', '0.1', '1.0', '+Inf']);
});

test('sets count distinct members per flush interval', () => {
  const agg = new StatsdAggregator(DEFAULTS);
  feed(agg, 1, 'users:alice|s', 'users:bob|s', 'users:alice|s', 'users:carol|s|#app:x');
  assert.deepEqual(values(agg.flush(100, 100)), { users: 2, 'users{app="x"}': 1 });
  feed(agg, 101, 'users:dave|s');
  assert.deepEqual(values(agg.flush(200, 200)), { users: 1, 'users{app="x"}': 0 });
});

test('a name used with two types keeps the first; histogram series names are reserved', () => {
  const agg = new StatsdAggregator(DEFAULTS);
  assert.deepEqual(feed(agg, 1, 'x:1|c', 'x:1|g', 'x:1|ms', 'x:1|s', 'x:1|c|#a:b'), [
    'type_conflict',
    'type_conflict',
    'type_conflict',
  ]);
  assert.deepEqual(feed(agg, 1, 'rt:1|ms', 'rt.sum:1|g', 'rt_count:1|c', 'rt_bucket:1|c'), [
    'type_conflict',
    'type_conflict',
    'type_conflict',
  ]);
  assert.deepEqual(feed(agg, 1, 'q_sum:1|g', 'q:1|h'), ['type_conflict']);
  // Timers, histograms and distributions are all histograms: they may share a name.
  assert.deepEqual(feed(agg, 1, 'rt:1|h', 'rt:1|d'), []);
});

test('idle series expire after the TTL with a staleness marker; their name is then free', () => {
  const agg = new StatsdAggregator({ ...DEFAULTS, seriesTtlMs: 1000, buckets: [1] });
  feed(agg, 0, 'old:1|c', 'busy:1|g', 'rt:1|ms');
  assert.equal(agg.flush(10, 10).expired, 0);
  feed(agg, 900, 'busy:2|g');
  const snapshot = agg.flush(1000, 1000);
  assert.equal(snapshot.expired, 2);
  assert.deepEqual(values(snapshot), {
    old: 'stale',
    busy: 2,
    'rt_bucket{le="1.0"}': 'stale',
    'rt_bucket{le="+Inf"}': 'stale',
    rt_sum: 'stale',
    rt_count: 'stale',
  });
  assert.equal(agg.seriesCount, 1);
  assert.deepEqual(values(agg.flush(1100, 1100)), { busy: 2 });
  // The counter came back as a new series, and the name is free for another type now.
  assert.deepEqual(feed(agg, 1200, 'old:1|g', 'rt:1|c'), []);
  assert.deepEqual(values(agg.flush(1300, 1300)), { busy: 2, old: 1, rt: 1 });
});

test('a series that expires before its first flush writes nothing', () => {
  const agg = new StatsdAggregator({ ...DEFAULTS, seriesTtlMs: 10 });
  feed(agg, 0, 'blip:1|c');
  const snapshot = agg.flush(100, 100);
  assert.equal(snapshot.expired, 1);
  assert.deepEqual(snapshot.batch, []);
});

test('the series limit counts every Prometheus series and refuses new ones only', () => {
  // A histogram with one bucket is 4 series: le="1.0", le="+Inf", _sum, _count.
  const agg = new StatsdAggregator({ ...DEFAULTS, maxSeries: 6, buckets: [1] });
  assert.deepEqual(feed(agg, 1, 'rt:1|ms', 'a:1|c', 'b:1|g', 'c:1|g', 'rt:1|ms|#x:y'), [
    'series_limit',
    'series_limit',
  ]);
  assert.equal(agg.seriesCount, 6);
  assert.deepEqual(feed(agg, 2, 'a:1|c', 'rt:2|ms'), []);
  assert.deepEqual(values(agg.flush(10, 10)).a, 2);
});

test('TYPE metadata is reported once per new family', () => {
  const agg = new StatsdAggregator(DEFAULTS);
  feed(agg, 1, 'a:1|c', 'b:1|g', 'c:x|s', 'd:1|ms');
  const first = agg.flush(10, 10).metadata.map((m) => `${m.metric} ${m.type}`);
  assert.deepEqual(first, ['a counter', 'b gauge', 'c gauge', 'd histogram']);
  feed(agg, 11, 'a:1|c', 'e:1|h');
  assert.deepEqual(
    agg.flush(20, 20).metadata.map((m) => `${m.metric} ${m.type}`),
    ['e histogram'],
  );
});

test('globToRegExp treats everything but * literally', () => {
  assert.ok(globToRegExp('a.b*').test('a.bcd'));
  assert.ok(!globToRegExp('a.b*').test('axbcd'));
  assert.ok(globToRegExp('*').test(''));
  assert.ok(!globToRegExp('http_*_seconds').test('http_x_seconds_total'));
  assert.ok(globToRegExp('(x)+?').test('(x)+?'));
});
