/**
 * The HTTP middleware with real servers (Express, Fastify, node:http) on 127.0.0.1 and real
 * requests: spans continue the caller's trace, request ids go in and out, RED metrics carry
 * route templates, access logs carry the trace, outgoing fetch propagates all of it.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import express from 'express';
import Fastify from 'fastify';
import { newParser } from '../../../server/src/textparse/index.ts';
import { parseAll } from '../../../server/src/textparse/testutil.ts';
import { type TestObserver, testObserver } from '../testing/observer.ts';

let t: TestObserver;
const servers: Server[] = [];
let expressUrl = '';
let nodeUrl = '';
let fastifyUrl = '';
let closeFastify: () => Promise<void>;

function listen(server: Server): Promise<string> {
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`),
    ),
  );
}

function metricValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of parseAll(newParser('prometheus-text', text))) {
    if (e.kind === 'series') out.set(`${e.name}${JSON.stringify(e.labels)}`, e.value);
  }
  return out;
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

before(async () => {
  t = testObserver();
  const { obs } = t;
  t.obs.slo.availability({ name: 'orders-availability', route: '/api/orders/:id', objective: 0.99 });

  const app = express();
  app.use(obs.http.express());
  const api = express.Router();
  api.get('/orders/:id', (req, res) => {
    obs.log.info({ orderId: req.params.id }, 'order fetched');
    res.json({ id: req.params.id, requestId: obs.requestId() });
  });
  app.use('/api', api);
  app.get('/fail', () => {
    throw new Error('database on fire');
  });
  app.get('/bad', (_req, res) => {
    res.status(404).send('nope');
  });
  // Calls the node:http service through the instrumented fetch.
  app.get('/chain', async (_req, res) => {
    const r = await obs.http.fetch(`${nodeUrl}/downstream`);
    res.json(await r.json());
  });
  app.use(obs.http.expressErrors());
  expressUrl = await listen(createServer(app));

  nodeUrl = await listen(
    createServer(
      obs.http.node(
        (req, res) => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ requestId: obs.requestId(), traceparent: req.headers.traceparent }));
        },
        { route: (req) => (req.url?.startsWith('/downstream') ? '/downstream' : undefined) },
      ),
    ),
  );

  const fastify = Fastify();
  await fastify.register(obs.http.fastify);
  fastify.get('/items/:sku', async (req) => {
    obs.log.info('item fetched');
    return { sku: (req.params as { sku: string }).sku };
  });
  fastify.get('/boom', async () => {
    throw new TypeError('bad sku');
  });
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  fastifyUrl = `http://127.0.0.1:${(fastify.server.address() as { port: number }).port}`;
  closeFastify = () => fastify.close();
});

after(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await closeFastify();
  await t.obs.shutdown();
});

async function waitForSpans(n: number) {
  for (let i = 0; i < 100 && t.spans.getFinishedSpans().length < n; i++)
    await new Promise((r) => setTimeout(r, 10));
}

test('express: server span continues the caller trace, route template, request id in and out', async () => {
  t.spans.reset();
  const res = await fetch(`${expressUrl}/api/orders/42?x=1`, {
    headers: { traceparent: `00-${TRACE}-${PARENT}-01`, 'x-request-id': 'req-abc' },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-request-id'), 'req-abc');
  assert.deepEqual(await res.json(), { id: '42', requestId: 'req-abc' });
  await waitForSpans(1);
  const [span] = t.spans.getFinishedSpans();
  assert.equal(span.name, 'GET /api/orders/:id');
  assert.equal(span.kind, SpanKind.SERVER);
  assert.equal(span.spanContext().traceId, TRACE);
  assert.equal(span.parentSpanContext?.spanId, PARENT);
  assert.equal(span.attributes['http.route'], '/api/orders/:id');
  assert.equal(span.attributes['http.request.method'], 'GET');
  assert.equal(span.attributes['url.path'], '/api/orders/42');
  assert.equal(span.attributes['url.query'], 'x=1');
  assert.equal(span.attributes['http.response.status_code'], 200);
  assert.equal(span.attributes['server.address'], '127.0.0.1');
  // The app's log line and the access log line both carry the trace and the request id.
  const appLine = t.lines.find((l) => l.msg === 'order fetched')!;
  assert.equal(appLine.trace_id, TRACE);
  assert.equal(appLine.span_id, span.spanContext().spanId);
  assert.equal(appLine.request_id, 'req-abc');
  assert.equal(appLine.service, 'checkout');
  const access = t.lines.findLast((l) => l.msg === 'request completed')!;
  assert.equal(access.trace_id, TRACE);
  assert.deepEqual(access.req, { method: 'GET', path: '/api/orders/42', route: '/api/orders/:id' });
});

test('a malformed incoming request id is replaced by a generated one', async () => {
  const res = await fetch(`${expressUrl}/api/orders/1`, { headers: { 'x-request-id': 'bad id {}' } });
  assert.match(res.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
  await res.text();
});

test('express: thrown errors and 5xx make error spans; 4xx do not; RED metrics by route and class', async () => {
  t.spans.reset();
  assert.equal((await fetch(`${expressUrl}/fail`)).status, 500);
  assert.equal((await fetch(`${expressUrl}/bad`)).status, 404);
  await waitForSpans(2);
  const [fail, bad] = t.spans.getFinishedSpans();
  assert.equal(fail.status.code, SpanStatusCode.ERROR);
  assert.equal(fail.events[0]?.name, 'exception');
  assert.equal(fail.events[0]?.attributes?.['exception.message'], 'database on fire');
  assert.equal(bad.status.code, SpanStatusCode.UNSET);
  const v = metricValues(await t.obs.metrics.exposition());
  assert.equal(v.get('http_server_requests_total{"method":"GET","route":"/fail","status_class":"5xx"}'), 1);
  // No route matched: no route label value, never the raw path.
  assert.equal(v.get('http_server_requests_total{"method":"GET","route":"/bad","status_class":"4xx"}'), 1);
  assert.ok(
    (v.get(
      'http_server_request_duration_seconds_count{"method":"GET","route":"/api/orders/:id","status_class":"2xx"}',
    ) ?? 0) >= 1,
  );
  assert.equal(
    t.lines.findLast(
      (l) => l.msg === 'request completed' && (l.res as { statusCode: number }).statusCode === 500,
    )!.level,
    50,
  );
});

test('outgoing fetch: client span between the two servers, trace context and request id passed on', async () => {
  t.spans.reset();
  const res = await fetch(`${expressUrl}/chain`, { headers: { 'x-request-id': 'req-chain' } });
  const body = (await res.json()) as { requestId: string; traceparent: string };
  assert.equal(body.requestId, 'req-chain');
  await waitForSpans(3);
  const spans = t.spans.getFinishedSpans();
  const downstream = spans.find((s) => s.name === 'GET /downstream')!;
  const client = spans.find((s) => s.kind === SpanKind.CLIENT)!;
  const upstream = spans.find((s) => s.name === 'GET /chain')!;
  assert.equal(client.parentSpanContext?.spanId, upstream.spanContext().spanId);
  assert.equal(downstream.parentSpanContext?.spanId, client.spanContext().spanId);
  assert.equal(new Set(spans.map((s) => s.spanContext().traceId)).size, 1);
  assert.equal(body.traceparent, `00-${client.spanContext().traceId}-${client.spanContext().spanId}-01`);
  assert.equal(client.attributes['url.full'], `${nodeUrl}/downstream`);
  assert.equal(client.attributes['http.response.status_code'], 200);
  const v = metricValues(await t.obs.metrics.exposition());
  assert.equal(
    v.get(
      'http_client_request_duration_seconds_count{"method":"GET","server_address":"127.0.0.1","status_class":"2xx"}',
    ),
    1,
  );
});

test('fastify: plugin spans, route templates, errors, built-in endpoints', async () => {
  t.spans.reset();
  const res = await fetch(`${fastifyUrl}/items/sku-9`, {
    headers: { traceparent: `00-${TRACE}-${PARENT}-01` },
  });
  assert.deepEqual(await res.json(), { sku: 'sku-9' });
  assert.equal((await fetch(`${fastifyUrl}/boom`)).status, 500);
  await waitForSpans(2);
  const [ok, boom] = t.spans.getFinishedSpans();
  assert.equal(ok.name, 'GET /items/:sku');
  assert.equal(ok.spanContext().traceId, TRACE);
  assert.equal(boom.status.code, SpanStatusCode.ERROR);
  assert.equal(boom.events[0]?.attributes?.['exception.type'], 'TypeError');
  assert.equal(t.lines.findLast((l) => l.msg === 'item fetched')!.trace_id, TRACE);
  const ready = await fetch(`${fastifyUrl}/readyz`);
  assert.equal(ready.status, 200);
  assert.equal(ready.headers.get('content-type'), 'application/health+json');
  const metrics = await fetch(`${fastifyUrl}/metrics`);
  assert.match(
    await metrics.text(),
    /http_server_requests_total\{method="GET",route="\/items\/:sku",status_class="2xx"\} 1/,
  );
});

test('built-in endpoints on express: OpenMetrics with exemplars linking to request traces', async () => {
  const res = await fetch(`${expressUrl}/metrics`, {
    headers: { accept: 'application/openmetrics-text; version=1.0.0' },
  });
  const text = await res.text();
  assert.match(res.headers.get('content-type')!, /openmetrics/);
  const m =
    /^http_server_request_duration_seconds_bucket\{method="GET",route="\/api\/orders\/:id",status_class="2xx",le="[^"]+"\} \d+ # \{trace_id="([0-9a-f]{32})",span_id="([0-9a-f]{16})"\}/m.exec(
      text,
    );
  assert.ok(
    m,
    `a bucket carries an exemplar:\n${text
      .split('\n')
      .filter((l) => l.includes('orders'))
      .join('\n')}`,
  );
  assert.ok(text.endsWith('# EOF\n'));
  // The SLO counted the order requests.
  const v = metricValues(await t.obs.metrics.exposition());
  assert.ok((v.get('slo_events_total{"slo":"orders-availability"}') ?? 0) >= 2);
  assert.equal(
    v.get('slo_good_events_total{"slo":"orders-availability"}'),
    v.get('slo_events_total{"slo":"orders-availability"}'),
  );
});
