/**
 * An existing Prometheus scrape config for the blackbox exporter (the usual __param_target /
 * instance / __address__ relabelling) pointed at Vigil: Debian's Prometheus scrapes Vigil's
 * /probe and stores the probe results. Fails (does not skip) when Prometheus is missing.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startTestVigil } from '../testutil/vigil.ts';
import { freePort, startHttpServer, tempDir } from './testutil.ts';

const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

test("Prometheus scrapes Vigil's /probe with a blackbox exporter scrape config", async () => {
  if (!existsSync(PROMETHEUS_BIN))
    throw new Error(`${PROMETHEUS_BIN} is missing: install Debian's prometheus package (.ci/run does this)`);
  const dir = tempDir();
  const target = await startHttpServer((_req, res) => res.end('ok'));
  const vigil = await startTestVigil('');
  let child: ChildProcess | undefined;
  try {
    const port = await freePort();
    const config = join(dir.path, 'prometheus.yml');
    writeFileSync(
      config,
      `
global: { scrape_interval: 1s, scrape_timeout: 1s }
scrape_configs:
  - job_name: blackbox
    metrics_path: /probe
    params: { module: [http_2xx] }
    static_configs:
      - targets: ['http://${target.address}/', 'http://127.0.0.1:1/']
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: ${vigil.address}
`,
    );
    child = spawn(
      PROMETHEUS_BIN,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir.path, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    const query = async (q: string) => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
        if (!res.ok) return [];
        return (
          (await res.json()) as {
            data: { result: { metric: Record<string, string>; value: [number, string] }[] };
          }
        ).data.result;
      } catch {
        return [];
      }
    };
    const deadline = Date.now() + 30_000;
    let result: Awaited<ReturnType<typeof query>> = [];
    while (result.length < 2) {
      if (Date.now() > deadline) throw new Error('Prometheus stored no probe_success from Vigil within 30s');
      await new Promise((r) => setTimeout(r, 250));
      result = await query('probe_success');
    }
    const byInstance = Object.fromEntries(result.map((r) => [r.metric.instance, r.value[1]]));
    assert.deepEqual(byInstance, { [`http://${target.address}/`]: '1', 'http://127.0.0.1:1/': '0' });
    assert.deepEqual(
      (await query('up')).map((r) => r.value[1]),
      ['1', '1'],
      'both scrapes of /probe succeed, whatever the probe result',
    );
    const codes = await query('probe_http_status_code');
    assert.deepEqual(codes.map((r) => r.value[1]).sort(), ['0', '200']);
    const timeout = await query('probe_timeout_seconds');
    assert.equal(timeout[0].value[1], '0.5', "Prometheus's 1s scrape timeout minus the 0.5s offset");
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await vigil.stop();
    await target.close();
    dir.remove();
  }
});
