/**
 * End to end with examples/: the instrumented checkout service and the traffic script against a
 * real `vigil serve` (a child process, OTLP/HTTP on its own port). Metrics, logs and traces must
 * arrive and correlate: a log line's trace id fetches the trace, a histogram exemplar names a
 * stored trace too.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { ensureBuilt, packageRoot } from './testing/build.ts';
import { type RunningApp, runApp } from './testing/child.ts';

const repo = join(packageRoot, '..', '..');

before(() => ensureBuilt());

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${what}: not there after ${timeoutMs} ms${last ? ` (last error: ${last})` : ''}`);
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url);
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

test('examples/ against vigil serve: metrics, logs and traces arrive and correlate', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-sdk-e2e-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const [port, otlpPort] = [await freePort(), await freePort()];
  const vigil: RunningApp = runApp([
    join(repo, 'packages/server/bin/vigil.mjs'),
    'serve',
    '--data-dir',
    dataDir,
    '--listen',
    `127.0.0.1:${port}`,
    '--otlp-http-listen',
    `127.0.0.1:${otlpPort}`,
    '--otlp-grpc-listen',
    '',
  ]);
  t.after(() => vigil.stop());
  const api = `http://127.0.0.1:${port}`;
  await waitFor(
    'vigil ready',
    async () => ((await fetch(`${api}/-/ready`).catch(() => undefined))?.ok ? true : undefined),
    60_000,
  );

  const service = runApp([join(repo, 'examples/checkout-service.mjs')], {
    env: {
      PORT: '0',
      PRINT_PORT: '1',
      FAILURE_RATE: '0.2',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    },
  });
  t.after(() => service.stop());
  const { listening } = (await service.line('listening')) as { listening: number };
  const traffic = runApp([
    join(repo, 'examples/traffic.mjs'),
    '--target',
    `http://127.0.0.1:${listening}`,
    '--requests',
    '80',
    '--rps',
    '80',
  ]);
  assert.equal(await traffic.exited, 0, traffic.stderr());
  const summary = traffic.lines[0] as { sent: number; statuses: Record<string, number> };
  assert.equal(summary.sent, 80);

  // Metrics: the RED counter by route template, pushed over OTLP, queried with PromQL.
  const q = encodeURIComponent('sum by (job, route) (http_server_requests_total{job="checkout"})');
  const series = await waitFor('metrics in Vigil', async () => {
    const { body } = (await getJson(`${api}/api/v1/query?query=${q}`)) as {
      body: { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    };
    const checkout = body.data.result.find((r) => r.metric.route === '/checkout');
    return checkout && Number(checkout.value[1]) > 0 ? body.data.result : undefined;
  });
  assert.ok(
    series.some((s) => s.metric.route === '/inventory/:sku'),
    'the inventory calls made by checkout',
  );

  // Logs: the service's lines, each with a trace id.
  const logQuery = encodeURIComponent('{service_name="checkout"} |= "order placed"');
  const logs = await waitFor('logs in Vigil', async () => {
    const { status, body } = await getJson(
      `${api}/loki/api/v1/query_range?query=${logQuery}&limit=20&start=${(Date.now() - 600_000) * 1e6}&end=${(Date.now() + 60_000) * 1e6}`,
    );
    if (status !== 200) throw new Error(`Loki query answered ${status}: ${JSON.stringify(body)}`);
    const result = (body as { data: { result: { stream: Record<string, string>; values: unknown[][] }[] } })
      .data.result;
    return result.length > 0 ? result : undefined;
  });
  const stream = logs[0];
  const traceId =
    stream.stream.trace_id ?? (stream.values[0][2] as Record<string, string> | undefined)?.trace_id;
  assert.match(String(traceId), /^[0-9a-f]{32}$/, `a trace id on the log line: ${JSON.stringify(stream)}`);
  // The customer's password in the log call was redacted before it left the process.
  assert.equal(stream.stream.customer_password, '[REDACTED]', JSON.stringify(stream.stream));

  // Traces: the log line's trace id fetches the trace, with the checkout server span and the
  // inventory call made inside it.
  const trace = await waitFor('the trace of a log line', async () => {
    const { status, body } = await getJson(`${api}/api/traces/${traceId}`);
    return status === 200 ? body : undefined;
  });
  const spans = ((trace as { batches?: unknown[]; resourceSpans?: unknown[] }).batches ??
    (trace as { resourceSpans: unknown[] }).resourceSpans) as {
    scopeSpans: { spans: { name: string }[] }[];
  }[];
  const names = spans.flatMap((b) => b.scopeSpans.flatMap((s) => s.spans.map((sp) => sp.name)));
  assert.ok(names.includes('POST /checkout'), names.join(', '));
  assert.ok(names.includes('GET /inventory/:sku'), names.join(', '));
  assert.ok(names.includes('db.insert order'), names.join(', '));

  // Exemplars: a latency bucket links to a trace Vigil has.
  const exemplarQuery = encodeURIComponent('http_server_request_duration_seconds_bucket{job="checkout"}');
  const exemplarTrace = await waitFor('an exemplar', async () => {
    const { status, body } = await getJson(
      `${api}/api/v1/query_exemplars?query=${exemplarQuery}&start=${Math.floor(Date.now() / 1000) - 600}&end=${Math.ceil(Date.now() / 1000) + 60}`,
    );
    if (status !== 200) throw new Error(`query_exemplars answered ${status}`);
    const data = (body as { data: { exemplars: { labels: Record<string, string> }[] }[] }).data;
    return data.flatMap((d) => d.exemplars).find((e) => e.labels.trace_id)?.labels.trace_id;
  });
  assert.equal((await fetch(`${api}/api/traces/${exemplarTrace}`)).status, 200);

  assert.equal(await service.stop(), 0, service.stderr());
});
