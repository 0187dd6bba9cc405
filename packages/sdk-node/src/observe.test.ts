/**
 * observe() as a whole: configuration from OTEL_* variables, all three signals over OTLP to a
 * receiver, graceful shutdown that fails readiness first and drains in-flight requests.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { setErrorHandler } from './errors.ts';
import { Registry } from './metrics/registry.ts';
import { observe } from './observe.ts';
import { startOtlpReceiver } from './testing/otlp-receiver.ts';

test('OTEL_* configure everything; metrics, traces and logs arrive over OTLP with one resource', async (t) => {
  const receiver = await startOtlpReceiver();
  t.after(() => receiver.close());
  const lines: string[] = [];
  const obs = observe({
    env: {
      OTEL_SERVICE_NAME: 'from-env',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=staging,team=payments',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '1',
      OTEL_METRIC_EXPORT_INTERVAL: '600000',
      LOG_LEVEL: 'debug',
    },
    version: '2.0.0',
    metrics: { registry: new Registry(), runtime: false },
    logs: { destination: { write: (s: string) => void lines.push(s) } },
  });
  assert.equal(obs.service, 'from-env');
  assert.equal(observe(), obs, 'observe() again returns the same observer');
  const orders = obs.metrics.counter({ name: 'orders_total', help: 'Orders.', labelNames: ['status'] });
  await obs.span('checkout', async () => {
    orders.inc({ status: 'ok' });
    obs.log.debug('debug is on');
    obs.log.info({ orderId: 7 }, 'order placed');
  });
  await obs.shutdown();
  assert.equal(receiver.traces.length > 0 && receiver.metrics.length > 0 && receiver.logs.length > 0, true);

  const attrs = (a: { key: string; value?: { value: { value?: unknown } } }[]) =>
    Object.fromEntries(a.map((x) => [x.key, x.value?.value.value]));
  const traceRes = attrs(receiver.traces[0].resourceSpans[0].resource!.attributes);
  const metricRes = attrs(receiver.metrics[0].resourceMetrics[0].resource!.attributes);
  const logRes = attrs(receiver.logs[0].resourceLogs[0].resource!.attributes);
  for (const r of [traceRes, metricRes, logRes]) {
    assert.equal(r['service.name'], 'from-env');
    assert.equal(r['service.version'], '2.0.0');
    assert.equal(r['deployment.environment.name'], 'staging');
    assert.equal(r.team, 'payments');
  }
  assert.equal(traceRes['service.instance.id'], logRes['service.instance.id']);
  const span = receiver.traces[0].resourceSpans[0].scopeSpans[0].spans[0];
  assert.equal(span.name, 'checkout');
  const records = receiver.logs.flatMap((l) => l.resourceLogs[0].scopeLogs[0].logRecords);
  const placed = records.find((r) => r.body?.value.value === 'order placed')!;
  assert.deepEqual(Buffer.from(placed.traceId), Buffer.from(span.traceId));
  assert.ok(records.some((r) => r.body?.value.value === 'debug is on'));
  const metric = receiver.metrics
    .at(-1)!
    .resourceMetrics[0].scopeMetrics[0].metrics.find((m) => m.name === 'orders_total')!;
  assert.equal(metric.data.case, 'sum');
  // The stdout lines carry the same ids.
  const line = JSON.parse(lines.find((l) => l.includes('order placed'))!);
  assert.equal(line.trace_id, Buffer.from(span.traceId).toString('hex'));
});

test('graceful shutdown: readiness fails first, in-flight requests finish, then servers close', async () => {
  const obs = observe({
    service: 'drain',
    env: {},
    traces: { exporter: 'none' },
    metrics: { registry: new Registry(), otlp: false, runtime: false },
    logs: { otlp: false, destination: { write: () => {} } },
  });
  let release: () => void = () => {};
  const server = createServer(
    obs.http.node((req, res) => {
      if (req.url === '/slow') {
        release = () => res.end('done');
        return;
      }
      res.end('fast');
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  obs.trackServer(server);
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  assert.equal((await fetch(`${url}/readyz`)).status, 200);
  const slow = fetch(`${url}/slow`).then((r) => r.text());
  await new Promise((r) => setTimeout(r, 50));
  const stopping = obs.shutdown({ drainMs: 100, timeoutMs: 5000 });
  // During the drain period the server still answers, but readiness says no.
  const ready = await fetch(`${url}/readyz`, { headers: { connection: 'close' } });
  assert.equal(ready.status, 503);
  release();
  assert.equal(await slow, 'done');
  await stopping;
  assert.equal(server.listening, false);
  await assert.rejects(fetch(`${url}/readyz`));
  assert.notEqual(
    observe({ env: {}, traces: false, metrics: false, logs: false }),
    obs,
    'a new observer after shutdown',
  );
  await observe().shutdown();
});

test('configuration mistakes throw with the variable and the allowed values', async () => {
  assert.throws(
    () => observe({ env: { OTEL_TRACES_EXPORTER: 'zipkin' } }),
    /OTEL_TRACES_EXPORTER="zipkin" is not supported; use one of otlp, console, none/,
  );
  assert.throws(
    () => observe({ env: { OTEL_TRACES_SAMPLER: 'often' } }),
    /OTEL_TRACES_SAMPLER="often" is not a known sampler/,
  );
  const reported: string[] = [];
  setErrorHandler((e) => reported.push(e.message));
  const obs = observe({
    env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_SDK_DISABLED: 'true' },
    metrics: { registry: new Registry(), runtime: false },
    logs: { destination: { write: () => {} } },
  });
  assert.match(
    reported[0],
    /OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported by @vigil\/node; sending http\/protobuf/,
  );
  // OTEL_SDK_DISABLED: nothing sampled, nothing exported, the API still works.
  obs.span('x', (span) => assert.equal(span.isRecording(), false));
  await obs.shutdown();
});

test('shutdown does not hang on a collector that never answers', async (t) => {
  // Accepts connections and requests, never responds.
  const blackHole = createServer(() => {});
  await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
  t.after(() => {
    blackHole.closeAllConnections();
    blackHole.close();
  });
  const reported: string[] = [];
  setErrorHandler((e) => reported.push(e.message));
  const obs = observe({
    service: 'stuck',
    endpoint: `http://127.0.0.1:${(blackHole.address() as { port: number }).port}`,
    exportTimeoutMs: 60_000,
    env: {},
    metrics: { registry: new Registry(), runtime: false },
    logs: { destination: { write: () => {} } },
  });
  obs.span('work', () => obs.log.info('queued for export'));
  await obs.shutdown({ flushTimeoutMs: 300 });
  assert.ok(
    reported.some((m) => /did not finish within 300 ms|within 300 ms; dropping them/.test(m)),
    reported.join('\n'),
  );
});
