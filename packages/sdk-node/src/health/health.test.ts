import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { test } from 'node:test';
import { Registry } from '../metrics/registry.ts';
import { Health } from './health.ts';

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

test('readiness: pass, warn when a non-critical check fails, fail when a critical one does', async () => {
  const registry = new Registry();
  const health = new Health({ service: 'checkout', version: '1.4.2', cacheMs: 0, registry });
  let dbUp = true;
  let cacheUp = true;
  health.register('db', () => {
    if (!dbUp) throw new Error('connection refused');
  });
  health.register('cache', () => (cacheUp ? 'ok' : Promise.reject(new Error('cache miss storm'))), {
    critical: false,
  });
  assert.equal((await health.report('readiness')).status, 'pass');
  cacheUp = false;
  const warn = await health.report('readiness');
  assert.equal(warn.status, 'warn');
  assert.equal(warn.output, 'cache: cache miss storm');
  assert.equal(warn.checks['cache:responseTime'][0].affectsServiceHealth, false);
  dbUp = false;
  const fail = await health.report('readiness');
  assert.equal(fail.status, 'fail');
  assert.equal(fail.serviceId, 'checkout');
  assert.equal(fail.version, '1.4.2');
  assert.equal(fail.checks['db:responseTime'][0].status, 'fail');
  assert.equal(fail.checks['db:responseTime'][0].observedUnit, 'ms');
  const text = registry.render();
  assert.match(text, /^health_check_status\{check="db",kind="readiness"\} 0$/m);
  assert.match(text, /^health_check_status\{check="cache",kind="readiness"\} 0$/m);
  assert.match(text, /^health_check_duration_seconds_count\{check="db"\} 3$/m);
  // Liveness has no checks here: it passes regardless.
  assert.equal((await health.report('liveness')).status, 'pass');
});

test('checks time out, concurrent probes share one run, results are cached', async () => {
  const health = new Health({ cacheMs: 200 });
  let runs = 0;
  health.register('slow', () => new Promise((r) => setTimeout(r, 1000)), { timeoutMs: 30 });
  health.register('counted', async () => {
    runs++;
    await new Promise((r) => setTimeout(r, 20));
  });
  const [a, b] = await Promise.all([health.report('readiness'), health.report('readiness')]);
  assert.equal(a.status, 'fail');
  assert.equal(a.checks['slow:responseTime'][0].output, 'timed out after 30 ms');
  assert.equal(b.status, 'fail');
  assert.equal(runs, 1);
  await health.report('readiness');
  assert.equal(runs, 1, 'cached');
  await new Promise((r) => setTimeout(r, 220));
  await health.report('readiness');
  assert.equal(runs, 2, 'cache expired');
});

test('a check may report itself degraded; bad registrations are refused', async () => {
  const health = new Health({ cacheMs: 0 });
  health.register('queue', () => ({ status: 'warn', output: 'backlog 10k' }));
  const r = await health.report('readiness');
  assert.equal(r.status, 'warn');
  assert.equal(r.output, 'queue: backlog 10k');
  assert.throws(() => health.register('queue', () => 1), /already registered/);
  assert.throws(() => health.register('x', 'nope' as never), /must be a function/);
  assert.throws(
    () => health.register('y', () => 1, { kind: 'later' as never }),
    /liveness, readiness or startup/,
  );
});

test('HTTP: application/health+json, 200 for pass/warn, 503 for fail; draining fails readiness only', async (t) => {
  const health = new Health({ service: 'svc', cacheMs: 0 });
  health.register('boot', () => 1, { kind: 'startup' });
  const { url, server } = await serve((req, res) => {
    const kind = req.url === '/livez' ? 'liveness' : req.url === '/startupz' ? 'startup' : 'readiness';
    health.handler(kind)(req, res);
  });
  t.after(() => new Promise((r) => server.close(r)));
  const ready = await fetch(`${url}/readyz`);
  assert.equal(ready.status, 200);
  assert.equal(ready.headers.get('content-type'), 'application/health+json');
  assert.equal(((await ready.json()) as { status: string }).status, 'pass');
  assert.equal((await fetch(`${url}/startupz`)).status, 503, 'not marked started yet');
  health.markStarted();
  assert.equal((await fetch(`${url}/startupz`)).status, 200);
  health.startDraining();
  const draining = await fetch(`${url}/readyz`);
  assert.equal(draining.status, 503);
  assert.equal(((await draining.json()) as { output: string }).output, 'shutting down');
  assert.equal((await fetch(`${url}/livez`)).status, 200);
});
