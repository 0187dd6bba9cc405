#!/usr/bin/env node
// A small instrumented shop service: Express with @vigil/node. Every request gets a span, RED
// metrics and an access log line; orders call an inventory route and a flaky payment provider
// through a circuit breaker; a fake database has a health check; checkout has SLOs.
//
//   vigil serve                                    # in another terminal (OTLP on :4318)
//   node examples/checkout-service.mjs             # PORT=3000 by default
//   node examples/traffic.mjs                      # makes it busy
//
// Configure with OTEL_* variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME, ...).
import { createServer } from 'node:http';
import { observe } from '@vigil/node';
import express from 'express';

const obs = observe({ service: 'checkout', version: '1.4.2', environment: process.env.APP_ENV ?? 'dev' });
const port = Number(process.env.PORT ?? 3000);
const base = () => `http://127.0.0.1:${server.address().port}`;

const orders = obs.metrics.counter({
  name: 'orders_total',
  help: 'Orders by outcome.',
  labelNames: ['status'],
});
const basket = obs.metrics.histogram({
  name: 'order_value_euros',
  help: 'Order values.',
  buckets: [5, 10, 25, 50, 100, 250, 500],
});
const queue = obs.metrics.gauge({ name: 'fulfilment_queue_length', help: 'Orders waiting for fulfilment.' });
let waiting = 0;

// A pretend database: slow sometimes, down when DB_DOWN=1.
const db = {
  async query(ms) {
    await new Promise((r) => setTimeout(r, ms + Math.random() * ms));
    if (process.env.DB_DOWN === '1') throw new Error('database unavailable');
  },
};
obs.health.register('db', () => db.query(2), { critical: true, timeoutMs: 500 });
obs.health.register('recommendations', () => (Math.random() < 0.05 ? Promise.reject(new Error('slow')) : 1), {
  critical: false,
});

// The payment provider fails ~10% of calls (FAILURE_RATE to change), through a breaker.
const failureRate = Number(process.env.FAILURE_RATE ?? 0.1);
const pay = obs.breaker(
  'payments',
  async (amount) => {
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
    if (Math.random() < failureRate) throw new Error('payment provider error');
    return { paid: amount };
  },
  { failureRatio: 0.5, minimumThroughput: 20, resetAfterMs: 5000, timeoutMs: 1000 },
);

obs.slo.availability({ name: 'checkout-availability', route: '/checkout', method: 'POST', objective: 0.99 });
obs.slo.latency({ name: 'checkout-latency', route: '/checkout', thresholdSeconds: 0.1, objective: 0.95 });

const app = express();
app.use(obs.http.express());
app.use(express.json());

app.get('/inventory/:sku', async (req, res) => {
  await obs.span('db.select inventory', () => db.query(3));
  res.json({ sku: req.params.sku, inStock: req.params.sku !== 'sold-out' });
});

app.post('/checkout', async (req, res) => {
  const { sku = 'sku-1', amount = 20 } = req.body ?? {};
  const stock = await (await obs.http.fetch(`${base()}/inventory/${encodeURIComponent(sku)}`)).json();
  if (!stock.inStock) {
    orders.inc({ status: 'out_of_stock' });
    obs.log.warn({ sku }, 'out of stock');
    return res.status(409).json({ error: 'out of stock' });
  }
  try {
    await pay(amount);
  } catch (err) {
    orders.inc({ status: 'payment_failed' });
    obs.log.error({ err, sku, amount }, 'payment failed');
    return res.status(502).json({ error: err.message });
  }
  await obs.span('db.insert order', () => db.query(4));
  orders.inc({ status: 'placed' });
  basket.observe(amount);
  queue.set(++waiting);
  setTimeout(() => queue.set(--waiting), 200).unref();
  obs.log.info(
    { sku, amount, customer: { email: 'ann@example.com', password: 'never-logged' } },
    'order placed',
  );
  res.status(201).json({ ok: true, requestId: obs.requestId() });
});

app.get('/orders/:id', async (req, res) => {
  await obs.span('db.select order', () => db.query(2));
  res.json({ id: req.params.id, status: 'shipped' });
});

app.get('/slo', (_req, res) => res.json(obs.slo.spec()));
app.use(obs.http.expressErrors());

const server = createServer(app);
obs.trackServer(server);
obs.handleSignals();
server.listen(port, '127.0.0.1', () => {
  obs.log.info({ port: server.address().port }, 'checkout service listening');
  // Machine-readable line for scripts and tests.
  if (process.env.PRINT_PORT)
    process.stdout.write(`${JSON.stringify({ listening: server.address().port })}\n`);
});
