/**
 * The exposition checked by two parsers that share no code with it: the server's own
 * Prometheus/OpenMetrics parser and parse-prometheus-text-format from npm.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, type Sampler, SamplingDecision } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { newParser } from '../../../server/src/textparse/index.ts';
import { type ParsedEntry, parseAll } from '../../../server/src/textparse/testutil.ts';
import { Registry } from './registry.ts';

function series(entries: ParsedEntry[]) {
  return entries.filter((e) => e.kind === 'series');
}

function sampleRegistry(): Registry {
  const r = new Registry();
  const c = r.counter({
    name: 'orders_total',
    help: 'Orders placed.\nSecond "line" \\ here',
    labelNames: ['status'],
  });
  c.inc({ status: 'ok' }, 3);
  c.inc({ status: 'we"ird\\va\nlue' });
  r.gauge({ name: 'temperature_celsius', help: 'T.', unit: 'celsius' }).set(-3.5);
  const h = r.histogram({
    name: 'latency_seconds',
    help: 'L.',
    labelNames: ['route'],
    buckets: [0.1, 1, 1e6],
  });
  h.observe({ route: '/a' }, 0.05);
  h.observe({ route: '/a' }, 2);
  // parse-prometheus-text-format only keeps _sum/_count of histograms without other labels.
  const rpc = r.histogram({ name: 'rpc_seconds', help: 'R.', buckets: [0.1, 1, 1e6] });
  rpc.observe(0.05);
  rpc.observe(2);
  const s = r.summary({ name: 'size_bytes', help: 'S.', percentiles: [0.5, 0.99] });
  s.observe(10);
  s.observe(20);
  r.gauge({ name: 'special', help: 'Sp.', labelNames: ['k'] }).set({ k: 'nan' }, Number.NaN);
  r.gauge({ name: 'special', help: 'Sp.', labelNames: ['k'] }).set({ k: 'inf' }, Number.NEGATIVE_INFINITY);
  return r;
}

test('text format 0.0.4 parses with the server parser and with parse-prometheus-text-format', () => {
  const text = sampleRegistry().render(false);
  const entries = parseAll(newParser('prometheus-text', text));
  const byName = new Map(series(entries).map((e) => [`${e.name}${JSON.stringify(e.labels)}`, e.value]));
  assert.equal(byName.get('orders_total{"status":"ok"}'), 3);
  assert.equal(byName.get('orders_total{"status":"we\\"ird\\\\va\\nlue"}'), 1);
  assert.equal(byName.get('latency_seconds_bucket{"route":"/a","le":"0.1"}'), 1);
  assert.equal(byName.get('latency_seconds_bucket{"route":"/a","le":"1e+06"}'), 2);
  assert.equal(byName.get('latency_seconds_bucket{"route":"/a","le":"+Inf"}'), 2);
  assert.equal(byName.get('latency_seconds_count{"route":"/a"}'), 2);
  assert.equal(byName.get('size_bytes{"quantile":"0.5"}'), 10);
  assert.equal(byName.get('special{"k":"inf"}'), Number.NEGATIVE_INFINITY);
  assert.ok(Number.isNaN(byName.get('special{"k":"nan"}')!));
  const help = entries.find((e) => e.kind === 'help' && e.metric === 'orders_total');
  assert.deepEqual(help, {
    kind: 'help',
    metric: 'orders_total',
    help: 'Orders placed.\nSecond "line" \\ here',
  });

  const npm = parsePrometheusTextFormat(text);
  const orders = npm.find((f) => f.name === 'orders_total')!;
  assert.equal(orders.type, 'COUNTER');
  assert.deepEqual(
    orders.metrics.map((m) => [m.labels?.status, Number(m.value)]),
    [
      ['ok', 3],
      ['we"ird\\va\nlue', 1],
    ],
  );
  const rpc = npm.find((f) => f.name === 'rpc_seconds')!;
  assert.equal(rpc.type, 'HISTOGRAM');
  assert.deepEqual(rpc.metrics[0].buckets, { '0.1': '1', '1': '1', '1e+06': '2', '+Inf': '2' });
  assert.equal(rpc.metrics[0].sum, '2.05');
  assert.equal(rpc.metrics[0].count, '2');
  const size = npm.find((f) => f.name === 'size_bytes')!;
  assert.deepEqual(size.metrics[0].quantiles, { '0.5': '10', '0.99': '20' });
});

test('OpenMetrics parses with the server parser: family names, units, le/quantile spelling, EOF', () => {
  const text = sampleRegistry().render(true);
  assert.ok(text.endsWith('# EOF\n'));
  assert.match(text, /^# TYPE orders counter$/m);
  assert.match(text, /^# UNIT temperature_celsius celsius$/m);
  const entries = parseAll(newParser('openmetrics', text));
  const names = new Set(series(entries).map((e) => e.name));
  assert.ok(names.has('orders_total'));
  const le = series(entries)
    .filter((e) => e.name === 'latency_seconds_bucket')
    .map((e) => (e.kind === 'series' ? e.labels.le : ''));
  assert.deepEqual(le, ['0.1', '1.0', '1e+06', '+Inf']);
  assert.match(text, /^latency_seconds_bucket\{route="\/a",le="1.0"\} 1$/m);
  assert.match(text, /^size_bytes\{quantile="0.5"\} 10$/m);
});

test('property: any label values and help text round-trip through both parsers', () => {
  const value = fc.string({ unit: 'grapheme', maxLength: 20 });
  fc.assert(
    fc.property(fc.array(value, { minLength: 1, maxLength: 5 }), value, fc.double(), (values, help, v) => {
      const r = new Registry();
      const g = r.gauge({ name: 'g', help: help || 'h', labelNames: ['a'] });
      for (const x of values) g.set({ a: x }, v);
      const want = new Map(values.map((x) => [x, v]));
      for (const om of [false, true]) {
        const text = r.render(om);
        const got = series(parseAll(newParser(om ? 'openmetrics' : 'prometheus-text', text)));
        assert.equal(got.length, want.size);
        for (const e of got) {
          if (e.kind !== 'series') continue;
          assert.ok(want.has(e.labels.a));
          assert.ok(Object.is(e.value, want.get(e.labels.a)) || (Number.isNaN(e.value) && Number.isNaN(v)));
        }
      }
      const npm = parsePrometheusTextFormat(r.render(false))[0];
      assert.deepEqual(new Set(npm.metrics.map((m) => m.labels!.a)), new Set(want.keys()));
    }),
    { seed: 7, numRuns: 300 },
  );
});

test('exemplars: an observation inside a sampled span carries its ids in OpenMetrics only', () => {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  // Samples spans whose name starts with "keep".
  const sampler: Sampler = {
    shouldSample: (_c, _t, name) => ({
      decision: name.startsWith('keep') ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.RECORD,
    }),
    toString: () => 'by-name',
  };
  const tracer = new BasicTracerProvider({ sampler }).getTracer('test');
  try {
    const r = new Registry();
    const c = r.counter({ name: 'pay_total', help: 'P.' });
    const h = r.histogram({ name: 'pay_seconds', help: 'P.', buckets: [0.1, 1] });
    let ids = { traceId: '', spanId: '' };
    tracer.startActiveSpan('keep', (span) => {
      ids = span.spanContext();
      c.inc(2);
      h.observe(0.5);
      span.end();
    });
    tracer.startActiveSpan('drop', (span) => {
      h.observe(0.05); // recorded but not sampled: no exemplar
      span.end();
    });
    h.observe(5); // no span at all
    const om = r.render(true);
    assert.match(
      om,
      new RegExp(
        `^pay_total 2 # \\{trace_id="${ids.traceId}",span_id="${ids.spanId}"\\} 2 \\d+\\.\\d{3}$`,
        'm',
      ),
    );
    assert.match(
      om,
      new RegExp(
        `^pay_seconds_bucket\\{le="1.0"\\} 2 # \\{trace_id="${ids.traceId}",span_id="${ids.spanId}"\\} 0.5 `,
        'm',
      ),
    );
    assert.match(om, /^pay_seconds_bucket\{le="0.1"\} 1$/m);
    assert.match(om, /^pay_seconds_bucket\{le="\+Inf"\} 3$/m);
    assert.doesNotMatch(r.render(false), /trace_id/);
    // The server's OpenMetrics parser accepts exemplars.
    assert.equal(series(parseAll(newParser('openmetrics', om))).length, 6);
  } finally {
    context.disable();
  }
});
