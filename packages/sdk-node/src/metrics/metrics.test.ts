import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { resetReportedErrors, setErrorHandler, VigilMetricError } from '../errors.ts';
import { Counter } from './counter.ts';
import { Gauge } from './gauge.ts';
import { exponentialBuckets, Histogram, linearBuckets } from './histogram.ts';
import { Registry } from './registry.ts';
import { Summary } from './summary.ts';

let reported: Error[] = [];
beforeEach(() => {
  reported = [];
  resetReportedErrors();
  setErrorHandler((e) => reported.push(e));
});
afterEach(() => setErrorHandler(() => {}));

test('counter: inc forms, bound children, labels as numbers, get', () => {
  const c = new Counter({ name: 'orders_total', help: 'Orders.', labelNames: ['status', 'code'] as const });
  c.inc({ status: 'ok', code: 200 });
  c.inc({ status: 'ok', code: '200' }, 2);
  const bound = c.labels({ status: 'failed', code: 500 });
  bound.inc();
  bound.inc(0.5);
  c.labels('ok', '200').inc(10);
  assert.equal(c.get({ status: 'ok', code: 200 }), 13);
  assert.equal(c.get({ status: 'failed', code: '500' }), 1.5);
  assert.equal(c.children().length, 2);
  assert.deepEqual(reported, []);
});

test('counter: negative and NaN increments are reported, not thrown, and not counted', () => {
  const c = new Counter({ name: 'x_total', help: 'X.' });
  c.inc(-1);
  c.inc(Number.NaN);
  c.inc(2);
  assert.equal(c.get(), 2);
  assert.equal(reported.length, 2);
  assert.match(reported[0].message, /cannot increase by -1/);
});

test('missing, unknown and mistyped labels are reported and the observation dropped', () => {
  const c = new Counter({ name: 'req_total', help: 'R.', labelNames: ['method'] });
  c.inc({ methd: 'GET' } as never);
  c.inc({ method: 'GET', extra: 'x' } as never);
  c.inc({ method: { nested: 1 } } as never);
  c.inc();
  assert.equal(c.children().length, 0);
  assert.equal(reported.length, 4);
  assert.match(reported[0].message, /label "method" is missing/);
  assert.match(reported[1].message, /unknown label "extra"/);
  assert.match(reported[3].message, /has labels \[method\]/);
  // A bound child with bad labels still works as an object; it just records nowhere.
  c.labels('a', 'b').inc();
  assert.equal(c.children().length, 0);
});

test('declaration errors throw VigilMetricError with the name and what to do', () => {
  const bad: [() => unknown, RegExp][] = [
    [() => new Counter({ name: 'http-requests', help: 'x' }), /"http-requests" is invalid.*"http_requests"/],
    [() => new Counter({ name: '1abc', help: 'x' }), /not starting with a digit/],
    [() => new Counter({ name: 'ok', help: '' }), /help must be a non-empty string/],
    [() => new Counter({ name: 'ok', help: 'x', labelNames: ['a-b'] }), /label name "a-b" is invalid/],
    [() => new Counter({ name: 'ok', help: 'x', labelNames: ['__x'] }), /reserves/],
    [() => new Counter({ name: 'ok', help: 'x', labelNames: ['a', 'a'] }), /listed twice/],
    [() => new Histogram({ name: 'h', help: 'x', labelNames: ['le'] }), /"le" is reserved/],
    [() => new Summary({ name: 's', help: 'x', labelNames: ['quantile'] }), /"quantile" is reserved/],
    [() => new Histogram({ name: 'h', help: 'x', buckets: [1, 1] }), /strictly increasing/],
    [() => new Histogram({ name: 'h', help: 'x', buckets: [] }), /at least one/],
    [() => new Summary({ name: 's', help: 'x', percentiles: [1.5] }), /between 0 and 1/],
    [() => new Counter({ name: 'ok', help: 'x', maxSeries: 0 }), /maxSeries/],
  ];
  for (const [make, message] of bad) {
    assert.throws(make, (e: unknown) => e instanceof VigilMetricError && message.test((e as Error).message));
  }
});

test('registry: declaring again returns the same metric; a different shape throws', () => {
  const r = new Registry();
  const a = r.counter({ name: 'a_total', help: 'A.', labelNames: ['x'] });
  assert.equal(r.counter({ name: 'a_total', help: 'A again.', labelNames: ['x'] }), a);
  assert.throws(() => r.gauge({ name: 'a_total', help: 'A.' }), /already declared as a counter/);
  assert.throws(() => r.counter({ name: 'a_total', help: 'A.', labelNames: ['y'] }), /already declared/);
  const h = r.histogram({ name: 'h', help: 'H.', buckets: [1, 2] });
  assert.equal(r.histogram({ name: 'h', help: 'H.' }), h);
  assert.throws(() => r.histogram({ name: 'h', help: 'H.', buckets: [1, 3] }), /already declared/);
});

test('cardinality guard: label sets beyond maxSeries go to one overflow series, reported once', () => {
  const r = new Registry({ maxSeries: 3 });
  const c = r.counter({ name: 'hits_total', help: 'H.', labelNames: ['user'] });
  for (let i = 0; i < 10; i++) c.inc({ user: `u${i}` });
  c.inc({ user: 'u0' }, 5); // existing series still count normally
  assert.equal(c.children().length, 4);
  assert.equal(c.get({ user: 'u0' }), 6);
  assert.equal(reported.length, 1);
  assert.match(reported[0].message, /limit of 3 label sets/);
  const text = r.render();
  assert.match(text, /^hits_total\{otel_metric_overflow="true"\} 7$/m);
  const total = [...text.matchAll(/^hits_total\S* (\d+)$/gm)].reduce((s, m) => s + Number(m[1]), 0);
  assert.equal(total, 15);
});

test('gauge: set/inc/dec/timer/collect callback', async () => {
  let size = 0;
  const r = new Registry();
  const g = r.gauge({
    name: 'pool_size',
    help: 'P.',
    collect() {
      this.set(size);
    },
  });
  size = 7;
  await r.collect();
  assert.equal(g.get(), 7);
  g.inc(3);
  g.dec();
  assert.equal(g.get(), 9);
  const lg = r.gauge({ name: 'queue', help: 'Q.', labelNames: ['q'] });
  lg.set({ q: 'a' }, 4);
  lg.labels('a').dec(2);
  assert.equal(lg.get({ q: 'a' }), 2);
  const end = g.startTimer();
  assert.ok(end() >= 0);
});

test('histogram: buckets are upper-inclusive, NaN goes to +Inf, helpers build buckets', () => {
  const h = new Histogram({ name: 'lat', help: 'L.', buckets: [0.1, 1, 10] });
  for (const v of [0.05, 0.1, 0.5, 1, 5, 10, 11, Number.POSITIVE_INFINITY]) h.observe(v);
  assert.deepEqual(h.get()!.counts, [2, 2, 2, 2]);
  assert.equal(h.get()!.count, 8);
  const many = new Histogram({ name: 'many', help: 'M.', buckets: linearBuckets(1, 1, 40) });
  for (let v = 0.5; v <= 41; v += 0.5) many.observe(v);
  const counts = many.get()!.counts;
  assert.equal(counts[0], 2); // 0.5, 1
  assert.equal(counts[39], 2); // 39.5, 40
  assert.equal(counts[40], 2); // 40.5, 41
  assert.deepEqual(exponentialBuckets(1, 2, 4), [1, 2, 4, 8]);
});

test('summary: quantiles by nearest rank over the window, sum and count cumulative', () => {
  const s = new Summary({ name: 'sz', help: 'S.', percentiles: [0.5, 0.9, 0.99] });
  for (let i = 1; i <= 100; i++) s.observe(i);
  const got = s.get()!;
  assert.deepEqual(got.quantiles, [50, 90, 99]);
  assert.equal(got.count, 100);
  assert.equal(got.sum, 5050);
  const empty = new Summary({ name: 'e', help: 'E.', percentiles: [0.5] });
  assert.ok(Number.isNaN(empty.get()!.quantiles[0]));
});

test('summary: past maxSamples a slot keeps a bounded uniform sample', () => {
  const s = new Summary({ name: 'sz', help: 'S.', percentiles: [0.5], maxSamples: 100, ageBuckets: 1 });
  for (let i = 0; i < 10_000; i++) s.observe(i % 1000);
  const snap = s.snapshot().series[0];
  assert.equal(snap.samples!.length, 100);
  const median = s.get()!.quantiles[0];
  assert.ok(median > 300 && median < 700, `median ${median} of a uniform 0..999 sample`);
});

test('summary: observations older than maxAge leave the window', async () => {
  const s = new Summary({ name: 'w', help: 'W.', percentiles: [0.5], maxAgeSeconds: 0.1, ageBuckets: 2 });
  s.observe(1000);
  await new Promise((r) => setTimeout(r, 150));
  s.observe(1);
  assert.deepEqual(s.get()!.quantiles, [1]);
  assert.equal(s.get()!.count, 2);
});

test('remove and reset', () => {
  const c = new Counter({ name: 'c_total', help: 'C.', labelNames: ['a', 'b'] });
  c.inc({ a: '1', b: '2' });
  c.inc({ a: '1', b: '3' });
  c.remove({ a: '1', b: '2' });
  assert.deepEqual(
    c.children().map((x) => x.values),
    [['1', '3']],
  );
  c.reset();
  assert.equal(c.children().length, 0);
  const single = new Gauge({ name: 'g', help: 'G.' });
  single.set(5);
  single.reset();
  assert.equal(single.get(), 0);
});
