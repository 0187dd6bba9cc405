/**
 * The built package as apps use it, in real child processes: an ESM app (import) and a
 * CommonJS app (require), an app preloaded with `--import @vigil/node/register`, and the
 * dual-package and two-copies cases, which must share one registry and one observer.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { ensureBuilt, packageRoot } from './testing/build.ts';
import { runApp } from './testing/child.ts';
import { startOtlpReceiver } from './testing/otlp-receiver.ts';

const apps = join(packageRoot, 'test-apps');
const TRACE = '0af7651916cd43dd8448eb211c80319c';

before(() => ensureBuilt());

for (const [file, format] of [
  ['esm-app.mjs', 'esm'],
  ['cjs-app.cjs', 'cjs'],
] as const) {
  test(`${format} app: traces, logs and metrics flow, and shutdown on SIGTERM flushes them`, async (t) => {
    const receiver = await startOtlpReceiver();
    t.after(() => receiver.close());
    const app = runApp([join(apps, file)], {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_METRIC_EXPORT_INTERVAL: '600000' },
    });
    t.after(() => app.stop());
    const { port } = (await app.line('port')) as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/hello/ann`, {
      headers: { traceparent: `00-${TRACE}-b7ad6b7169203331-01` },
    });
    const body = (await res.json()) as { hello: string; requestId: string };
    assert.equal(body.hello, 'ann');
    assert.equal(res.headers.get('x-request-id'), body.requestId);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, new RegExp(`^hello_total\\{format="${format}"\\} 1$`, 'm'));
    assert.match(metrics, /^nodejs_heap_size_used_bytes \d+/m);
    assert.equal(await app.stop(), 0);

    const logLine = app.lines.find((l) => l.msg === 'saying hello')!;
    assert.equal(logLine.trace_id, TRACE);
    assert.equal(logLine.request_id, body.requestId);
    assert.equal(logLine.service, `${format}-app`);
    const spans = receiver.traces.flatMap((r) =>
      r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)),
    );
    const server = spans.find((s) => s.name === 'GET /hello/:name')!;
    assert.equal(Buffer.from(server.traceId).toString('hex'), TRACE);
    const records = receiver.logs.flatMap((r) =>
      r.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((s) => s.logRecords)),
    );
    assert.ok(
      records.some(
        (r) => r.body?.value.value === 'saying hello' && Buffer.from(r.traceId).toString('hex') === TRACE,
      ),
    );
    const pushed = receiver.metrics.flatMap((m) =>
      m.resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((s) => s.metrics)),
    );
    assert.ok(
      pushed.some((m) => m.name === 'hello_total'),
      'the final push on shutdown',
    );
  });
}

test('ESM app preloaded with --import @vigil/node/register, configured by OTEL_* only', async (t) => {
  const receiver = await startOtlpReceiver();
  t.after(() => receiver.close());
  const app = runApp(['--import', '@vigil/node/register', join(apps, 'preloaded-app.mjs')], {
    cwd: packageRoot,
    env: { OTEL_SERVICE_NAME: 'preloaded', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
  });
  t.after(() => app.stop());
  const { port } = (await app.line('port')) as { port: number };
  const body = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { service: string };
  assert.equal(body.service, 'preloaded');
  assert.equal(await app.stop(), 0, app.stderr());
  assert.equal(app.lines.find((l) => l.msg === 'preloaded hello')?.service, 'preloaded');
  assert.ok(receiver.traces.length > 0);
});

test('CommonJS app preloaded with --require @vigil/node/register', async (t) => {
  const app = runApp(['--require', '@vigil/node/register', join(apps, 'cjs-app.cjs')], {
    cwd: packageRoot,
    env: {
      OTEL_SERVICE_NAME: 'cjs-preloaded',
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    },
  });
  t.after(() => app.stop());
  const { port } = (await app.line('port')) as { port: number };
  await (await fetch(`http://127.0.0.1:${port}/hello/bob`)).json();
  assert.equal(await app.stop(), 0);
  assert.equal(app.lines.find((l) => l.msg === 'saying hello')?.service, 'cjs-preloaded');
});

test('dual package (import + require) and a second physical copy share one registry and observer', async (t) => {
  // A copy of the built package under another node_modules, as npm makes for two versions.
  const tmp = mkdtempSync(join(packageRoot, '.copies-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const copy = join(tmp, 'node_modules', 'other', 'node_modules', '@vigil', 'node');
  mkdirSync(copy, { recursive: true });
  cpSync(join(packageRoot, 'dist'), join(copy, 'dist'), { recursive: true });
  cpSync(join(packageRoot, 'package.json'), join(copy, 'package.json'));
  const app = runApp([join(apps, 'dual-package.mjs')], {
    env: { COPY_PATH: join(copy, 'dist', 'index.cjs') },
  });
  assert.equal(await app.exited, 0, app.stderr());
  const r = app.lines.find((l) => 'sameRegistry' in l)!;
  assert.equal(r.sameModule, false, 'two module instances were really loaded');
  assert.equal(r.sameRegistry, true);
  assert.equal(r.copySameRegistry, true);
  assert.equal(r.sameCounter, true);
  assert.equal(r.sameObserver, true);
  const text = String(r.exposition);
  assert.match(text, /^shared_total\{by="esm"\} 2$/m);
  assert.match(text, /^shared_total\{by="cjs"\} 3$/m);
  assert.match(text, /^shared_total\{by="copy"\} 4$/m);
  assert.equal(text.match(/^# TYPE shared_total counter$/gm)?.length, 1);
});

test('every log line, up to the last one before an uncaught exception, reaches stdout', async () => {
  const child = spawn(process.execPath, [join(apps, 'crash-app.mjs')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d;
  });
  // 'close' comes after the stdio streams have ended, so everything written has been read.
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(code, 1, err);
  assert.match(err, /crash on purpose/);
  const lines = out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { msg: string; i?: number });
  assert.equal(lines.filter((l) => l.msg === 'before the crash').length, 500);
  assert.equal(lines.at(-1)?.msg, 'about to throw');
});
