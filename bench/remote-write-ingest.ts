/**
 * Remote-write ingest benchmark: Vigil vs Debian's Prometheus 2.42, same workload, same run.
 *
 *   node --import tsx bench/remote-write-ingest.ts [--hosts 200] [--steps 480] [--concurrency 8] [--only vigil|prometheus]
 *
 * Workload: node_exporter-like, `hosts` × 500 series (default 200 → 100k series), `steps`
 * scrapes at 15s (default 480 → 2h), 2000 samples per request, pre-encoded to bench/.work/.
 * Reports samples/s accepted, bytes per sample on disk after compaction (Vigil: head moved into
 * DuckDB; Prometheus: TSDB snapshot incl. head), peak RSS, and Vigil/Prometheus ratios.
 */
import { execSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  duBytes,
  freePort,
  startProcess,
  stopProcess,
  vigilServeArgs,
  waitForHttp,
  watchRss,
} from './lib/processes.ts';
import { ensureWorkloadFile, readWorkload } from './workload/remote-write-file.ts';

const { values: args } = parseArgs({
  options: {
    hosts: { type: 'string', default: '200' },
    steps: { type: 'string', default: '480' },
    concurrency: { type: 'string', default: '8' },
    only: { type: 'string' },
  },
});
const hosts = Number(args.hosts);
const steps = Number(args.steps);
const concurrency = Number(args.concurrency);
const root = new URL('..', import.meta.url).pathname;
// Run Vigil as `npm start` does: from the bundle, not through the TypeScript loader.
execSync('npm run --silent --workspace @vigil/server build', { cwd: root, stdio: 'inherit' });
const workDir = join(root, 'bench/.work');
mkdirSync(workDir, { recursive: true });

// Start 2h before "today at midnight UTC" so the file is reusable all day and in the past.
const day = Math.floor(Date.now() / 86_400_000) * 86_400_000;
const params = { hosts, steps, intervalMs: 15_000, startMs: day - steps * 15_000, seriesPerRequest: 2000 };
const genStart = Date.now();
const workload = await ensureWorkloadFile(workDir, params);
console.error(
  `workload: ${workload.samples} samples in ${workload.requests} requests (${workload.path}, ready in ${Date.now() - genStart}ms)`,
);

interface Result {
  name: string;
  seconds: number;
  samplesPerSecond: number;
  failed: number;
  diskBytes: number;
  bytesPerSample: number;
  peakRss: number;
}

async function send(url: string): Promise<{ seconds: number; failed: number; firstError?: string }> {
  let failed = 0;
  let firstError: string | undefined;
  const started = process.hrtime.bigint();
  // Like Prometheus's remote-write shards: a series always goes through the same worker, so
  // each series' samples arrive in time order while workers run in parallel.
  const requestsPerStep = workload.requests / steps;
  const worker = async (w: number) => {
    for await (const body of readWorkload(workload.path, (i) => (i % requestsPerStep) % concurrency === w)) {
      const res = await fetch(url, {
        method: 'POST',
        body,
        headers: {
          'Content-Type': 'application/x-protobuf',
          'Content-Encoding': 'snappy',
          'X-Prometheus-Remote-Write-Version': '0.1.0',
        },
      });
      const text = await res.text();
      if (res.status >= 300) {
        failed++;
        firstError ??= `${res.status} ${text.slice(0, 300)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, failed, firstError };
}

async function benchVigil(): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  const port = await freePort();
  const child = startProcess(process.execPath, [...vigilServeArgs({ port, dataDir: dir, logLevel: 'warn' })]);
  try {
    await waitForHttp(`http://127.0.0.1:${port}/-/ready`);
    const rss = watchRss(child.pid!);
    const r = await send(`http://127.0.0.1:${port}/api/v1/write`);
    if (r.failed) console.error(`vigil: ${r.failed} requests failed, first: ${r.firstError}`);
    const compact = await fetch(`http://127.0.0.1:${port}/api/vigil/v1/admin/compact`, { method: 'POST' });
    if (!compact.ok) throw new Error(`compact failed: ${compact.status} ${await compact.text()}`);
    const peakRss = rss.peak();
    rss.stop();
    await stopProcess(child);
    const diskBytes = duBytes(join(dir, 'metrics'));
    return summarize('vigil', r, diskBytes, peakRss);
  } finally {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchPrometheus(): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'prom-bench-'));
  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  (await import('node:fs')).writeFileSync(config, 'global:\n  scrape_interval: 15s\n');
  const child = startProcess('/usr/bin/prometheus', [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-remote-write-receiver',
    '--web.enable-admin-api',
    '--log.level=warn',
  ]);
  try {
    await waitForHttp(`http://127.0.0.1:${port}/-/ready`);
    const rss = watchRss(child.pid!);
    const r = await send(`http://127.0.0.1:${port}/api/v1/write`);
    if (r.failed) console.error(`prometheus: ${r.failed} requests failed, first: ${r.firstError}`);
    const snap = await fetch(`http://127.0.0.1:${port}/api/v1/admin/tsdb/snapshot?skip_head=false`, {
      method: 'POST',
    });
    const body = (await snap.json()) as { data: { name: string } };
    const peakRss = rss.peak();
    rss.stop();
    const diskBytes = duBytes(join(dir, 'data', 'snapshots', body.data.name));
    return summarize('prometheus', r, diskBytes, peakRss);
  } finally {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

function summarize(
  name: string,
  r: { seconds: number; failed: number },
  diskBytes: number,
  peakRss: number,
): Result {
  const accepted = workload.samples - (r.failed * workload.samples) / workload.requests;
  return {
    name,
    seconds: r.seconds,
    samplesPerSecond: accepted / r.seconds,
    failed: r.failed,
    diskBytes,
    bytesPerSample: diskBytes / workload.samples,
    peakRss,
  };
}

const results: Result[] = [];
if (args.only !== 'prometheus') results.push(await benchVigil());
if (args.only !== 'vigil') results.push(await benchPrometheus());

const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(
  `\nremote write, ${fmt(workload.samples)} samples (${hosts * 500} series × ${steps} scrapes), concurrency ${concurrency}\n`,
);
console.log(
  '| system | ingest time (s) | samples/s | failed requests | bytes/sample on disk | peak RSS (MiB) |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  console.log(
    `| ${r.name} | ${fmt(r.seconds, 1)} | ${fmt(r.samplesPerSecond)} | ${r.failed} | ${fmt(r.bytesPerSample, 2)} | ${fmt(r.peakRss / 2 ** 20)} |`,
  );
}
const v = results.find((r) => r.name === 'vigil');
const p = results.find((r) => r.name === 'prometheus');
if (v && p) {
  console.log(
    `\nVigil / Prometheus: ingest rate ${fmt(v.samplesPerSecond / p.samplesPerSecond, 2)}×, bytes per sample ${fmt(v.bytesPerSample / p.bytesPerSample, 2)}×, peak RSS ${fmt(v.peakRss / p.peakRss, 2)}×`,
  );
}
