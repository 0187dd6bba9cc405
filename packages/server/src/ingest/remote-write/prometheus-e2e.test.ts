/**
 * End to end with a remote-write sender nobody here wrote: Debian's Prometheus (2.42) scrapes
 * itself every second and remote-writes to a real Vigil. CI installs it (.ci/run); when the binary
 * is missing this test fails rather than skips.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { newMatcher } from '../../model/matcher.ts';
import { startTestVigil, tempDir } from '../../testutil/vigil.ts';

const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

test('Prometheus remote-writes its own metrics, with metadata, into Vigil', {
  timeout: 120_000,
}, async (t) => {
  assert.ok(
    existsSync(PROMETHEUS),
    `${PROMETHEUS} not found: install Debian's prometheus package (CI does this in .ci/run) or set PROMETHEUS_BIN`,
  );
  const vigil = await startTestVigil();
  t.after(() => vigil.stop());
  const dir = tempDir('vigil-prometheus-e2e-');
  t.after(() => dir.remove());

  const port = await freePort();
  const config = join(dir.path, 'prometheus.yml');
  writeFileSync(
    config,
    `global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus-e2e
    static_configs:
      - targets: ['127.0.0.1:${port}']
remote_write:
  - url: ${vigil.url}/api/v1/write
    queue_config:
      batch_send_deadline: 1s
      min_backoff: 100ms
      max_backoff: 1s
    metadata_config:
      send_interval: 1s
`,
  );
  const prometheus = startPrometheus([
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir.path, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ]);
  t.after(() => stop(prometheus.child));

  const seen = await waitFor(
    async () => {
      const build = await vigil.storage.series({
        matchers: [[newMatcher('=', '__name__', 'prometheus_build_info')]],
        minT: 0,
        maxT: Date.now() + 60_000,
      });
      const up = await vigil.storage.select(
        [newMatcher('=', '__name__', 'up'), newMatcher('=', 'job', 'prometheus-e2e')],
        { minT: 0, maxT: Date.now() + 60_000 },
      );
      const metadata = vigil.storage.metadata('prometheus_build_info').get('prometheus_build_info');
      // Two scrapes' worth of `up`, so at least one request after the first has been accepted.
      return build.length > 0 && up.length === 1 && up[0].values.length >= 2 && metadata
        ? { build, up, metadata }
        : undefined;
    },
    60_000,
    () =>
      `Prometheus's samples did not arrive in Vigil within 60s. Prometheus said:\n${prometheus.stderr().slice(-4000)}`,
  );

  assert.deepStrictEqual(
    seen.up[0].labels.map((l) => l.name),
    ['__name__', 'instance', 'job'],
  );
  assert.equal(seen.up[0].labels[1].value, `127.0.0.1:${port}`);
  assert.ok([...seen.up[0].values].every((v) => v === 1));
  assert.match(
    seen.build[0].find((l) => l.name === 'version')?.value ?? '',
    /^2\./,
    'prometheus_build_info carries the sender version',
  );
  assert.equal(seen.metadata[0].type, 'gauge');

  const text = await (await fetch(`${vigil.url}/metrics`)).text();
  const count = (code: string) =>
    Number(new RegExp(`vigil_remote_write_requests_total\\{code="${code}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  assert.ok(count('204') > 0, text);
  for (const code of ['400', '413', '415', '500'])
    assert.equal(count(code), 0, `no ${code} answers expected:\n${text}`);
  assert.doesNotMatch(prometheus.stderr(), /non-recoverable error|Failed to send batch/);
});

function startPrometheus(args: string[]): { child: ChildProcess; stderr(): string } {
  const child = spawn(PROMETHEUS, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  child.on('error', (e) => {
    err += `\nspawn failed: ${e.message}`;
  });
  return { child, stderr: () => err };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitFor<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  explain: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(explain());
    await new Promise((r) => setTimeout(r, 250));
  }
}
