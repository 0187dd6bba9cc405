import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { setErrorHandler } from '../errors.ts';
import { startOtlpReceiver } from '../testing/otlp-receiver.ts';
import { OtlpMetricsPusher } from './otlp.ts';
import { Registry } from './registry.ts';

test('OTLP push: every type decodes with the upstream schema, with exemplars and resource', async (t) => {
  const receiver = await startOtlpReceiver();
  t.after(() => receiver.close());
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  t.after(() => context.disable());
  const tracer = new BasicTracerProvider().getTracer('t');

  const r = new Registry();
  const orders = r.counter({ name: 'orders_total', help: 'Orders.', labelNames: ['status'] });
  const temp = r.gauge({ name: 'temp_celsius', help: 'Temp.', unit: 'celsius' });
  const lat = r.histogram({ name: 'lat_seconds', help: 'Lat.', buckets: [0.1, 1], unit: 'seconds' });
  const size = r.summary({ name: 'size_bytes', help: 'Size.', percentiles: [0.5, 0.9] });
  let traceId = '';
  tracer.startActiveSpan('op', (span) => {
    traceId = span.spanContext().traceId;
    orders.inc({ status: 'ok' }, 3);
    lat.observe(0.5);
    span.end();
  });
  temp.set(-2.5);
  lat.observe(5);
  for (let i = 1; i <= 10; i++) size.observe(i);

  const pusher = new OtlpMetricsPusher({
    url: `${receiver.url}/v1/metrics`,
    headers: {},
    intervalMs: 60_000,
    timeoutMs: 5000,
    source: {
      resource: { 'service.name': 'checkout', 'process.pid': 42 },
      scopeName: '@vigil/node',
      scopeVersion: '0.1.0',
    },
    gather: () => r.snapshot(),
  });
  await pusher.flush();
  assert.equal(receiver.metrics.length, 1);
  const rm = receiver.metrics[0].resourceMetrics[0];
  const res = Object.fromEntries(rm.resource!.attributes.map((a) => [a.key, a.value!.value.value]));
  assert.deepEqual(res, { 'service.name': 'checkout', 'process.pid': 42n });
  assert.equal(rm.scopeMetrics[0].scope!.name, '@vigil/node');
  const byName = new Map(rm.scopeMetrics[0].metrics.map((m) => [m.name, m]));

  const sum = byName.get('orders_total')!.data;
  assert.equal(sum.case, 'sum');
  if (sum.case === 'sum') {
    assert.equal(sum.value.isMonotonic, true);
    assert.equal(sum.value.aggregationTemporality, 2);
    const p = sum.value.dataPoints[0];
    assert.deepEqual(p.value, { case: 'asDouble', value: 3 });
    assert.deepEqual(
      p.attributes.map((a) => [a.key, a.value!.value.value]),
      [['status', 'ok']],
    );
    assert.ok(p.startTimeUnixNano > 0n && p.timeUnixNano >= p.startTimeUnixNano);
    assert.equal(Buffer.from(p.exemplars[0].traceId).toString('hex'), traceId);
  }
  const gauge = byName.get('temp_celsius')!;
  assert.equal(gauge.unit, 'Cel');
  assert.equal(gauge.data.case, 'gauge');
  if (gauge.data.case === 'gauge')
    assert.deepEqual(gauge.data.value.dataPoints[0].value, { case: 'asDouble', value: -2.5 });

  const hist = byName.get('lat_seconds')!;
  assert.equal(hist.unit, 's');
  assert.equal(hist.data.case, 'histogram');
  if (hist.data.case === 'histogram') {
    const p = hist.data.value.dataPoints[0];
    assert.equal(p.count, 2n);
    assert.equal(p.sum, 5.5);
    assert.deepEqual(p.explicitBounds, [0.1, 1]);
    assert.deepEqual(p.bucketCounts, [0n, 1n, 1n]);
    assert.equal(p.exemplars.length, 1);
    assert.equal(p.exemplars[0].value.value, 0.5);
    assert.equal(Buffer.from(p.exemplars[0].traceId).toString('hex'), traceId);
  }
  const summary = byName.get('size_bytes')!.data;
  assert.equal(summary.case, 'summary');
  if (summary.case === 'summary') {
    const p = summary.value.dataPoints[0];
    assert.equal(p.count, 10n);
    assert.equal(p.sum, 55);
    assert.deepEqual(
      p.quantileValues.map((q) => [q.quantile, q.value]),
      [
        [0.5, 5],
        [0.9, 9],
      ],
    );
  }
});

test('OTLP push: an unreachable endpoint is reported, never thrown', async () => {
  const errors: Error[] = [];
  setErrorHandler((e) => errors.push(e));
  const pusher = new OtlpMetricsPusher({
    url: 'http://127.0.0.1:1/v1/metrics',
    headers: {},
    intervalMs: 60_000,
    timeoutMs: 2000,
    source: { resource: {}, scopeName: 's', scopeVersion: '1' },
    gather: async () => [],
  });
  await pusher.shutdown();
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /OTLP metrics export: cannot send to http:\/\/127.0.0.1:1\/v1\/metrics/);
});
