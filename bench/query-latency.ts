/**
 * PromQL query latency: Vigil vs Debian's Prometheus 2.42 on the same data, in the same run.
 *
 *   node --import tsx bench/query-latency.ts [--hosts 200] [--steps 480] [--reps 7] [--compact] [--only-family <name>]
 *
 * Loads the node_exporter-like workload (bench/workload: `hosts` × 500 series, default 200 →
 * 100k series; `steps` scrapes at 15s, default 480 → 2h) into both by remote write, then runs a
 * realistic query set (rate, sum by, topk, histogram_quantile over rate, joins with
 * on/group_left, regex matchers, subqueries, and small rule-style instant queries) as instant
 * queries at the end of the data and as 1h range queries at a 30s step. Each query runs `reps`
 * times after one warm-up, alternating which system goes first. Prints a markdown table with the
 * median and p90 latency (HTTP round trip, body read) per query family for both, and the ratio of
 * medians. --compact moves Vigil's in-memory head into DuckDB before querying (the cold path;
 * Prometheus keeps 2h of data in its head either way).
 *
 * Small run to check it works: node --import tsx bench/query-latency.ts --hosts 4 --steps 240 --reps 3
 */
import { execSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, startProcess, stopProcess, vigilServeArgs, waitForHttp } from './lib/processes.ts';
import { ensureWorkloadFile, readWorkload } from './workload/remote-write-file.ts';

const { values: args } = parseArgs({
  options: {
    hosts: { type: 'string', default: '200' },
    steps: { type: 'string', default: '480' },
    reps: { type: 'string', default: '7' },
    concurrency: { type: 'string', default: '8' },
    compact: { type: 'boolean', default: false },
    'only-family': { type: 'string' },
  },
});
const hosts = Number(args.hosts);
const steps = Number(args.steps);
const reps = Number(args.reps);
const concurrency = Number(args.concurrency);
if (!(hosts > 0 && steps >= 240 && reps > 0 && concurrency > 0))
  throw new Error('--hosts, --reps and --concurrency must be positive; --steps at least 240 (1h of data)');

const root = new URL('..', import.meta.url).pathname;
// Run Vigil as `npm start` does: from the bundle, not through the TypeScript loader.
execSync('npm run --silent --workspace @vigil/server build', { cwd: root, stdio: 'inherit' });
const workDir = join(root, 'bench/.work');
mkdirSync(workDir, { recursive: true });

// Ends at today's midnight UTC, as the ingest benchmark, so the pre-encoded file is shared with it.
const day = Math.floor(Date.now() / 86_400_000) * 86_400_000;
const params = { hosts, steps, intervalMs: 15_000, startMs: day - steps * 15_000, seriesPerRequest: 2000 };
const workload = await ensureWorkloadFile(workDir, params);
const dataEnd = params.startMs + (steps - 1) * params.intervalMs;
console.error(`workload: ${workload.samples} samples, ${hosts * 500} series (${workload.path})`);

/** One query of the set; `instantOnly` for the small rule-style queries. */
interface BenchQuery {
  readonly family: string;
  readonly query: string;
  readonly instantOnly?: boolean;
}

const host0 = 'host-0000:9100';
const QUERIES: readonly BenchQuery[] = [
  { family: 'rate', query: 'rate(node_network_receive_bytes_total[5m])' },
  { family: 'rate', query: 'irate(node_disk_io_time_seconds_total[5m])' },
  { family: 'sum by', query: 'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))' },
  { family: 'sum by', query: 'sum by (mode) (rate(node_cpu_seconds_total[5m]))' },
  { family: 'topk', query: 'topk(10, sum by (instance) (rate(node_network_receive_bytes_total[5m])))' },
  {
    family: 'histogram_quantile',
    query: 'histogram_quantile(0.99, sum by (le, handler) (rate(http_request_duration_seconds_bucket[5m])))',
  },
  {
    family: 'histogram_quantile',
    query: 'histogram_quantile(0.9, rate(http_request_duration_seconds_bucket{handler="/api/v1/query"}[5m]))',
  },
  {
    family: 'join on/group_left',
    query:
      'rate(node_cpu_seconds_total{mode="user"}[5m]) / on(instance) group_left sum by (instance) (rate(node_cpu_seconds_total[5m]))',
  },
  {
    family: 'join on/group_left',
    query:
      'node_filesystem_avail_bytes / on(instance, device, mountpoint) group_left node_filesystem_size_bytes',
  },
  {
    family: 'regex matchers',
    query: 'sum(rate(node_disk_read_bytes_total{device=~"sd.*|nvme.*", instance=~"host-00[0-4].*"}[5m]))',
  },
  {
    family: 'regex matchers',
    query: 'count({__name__=~"node_network_.*_errs_total", device!~"lo|docker0"})',
  },
  {
    family: 'subquery',
    query: 'max_over_time(sum by (instance) (rate(node_cpu_seconds_total{mode="user"}[1m]))[30m:1m])',
  },
  {
    family: 'rule-style instant',
    instantOnly: true,
    query: `node_filesystem_avail_bytes{instance="${host0}", mountpoint="/"} / node_filesystem_size_bytes{instance="${host0}", mountpoint="/"} < 0.1`,
  },
  {
    family: 'rule-style instant',
    instantOnly: true,
    query: `rate(http_request_duration_seconds_count{instance="${host0}", handler="/metrics"}[5m]) > 100`,
  },
  {
    family: 'rule-style instant',
    instantOnly: true,
    query: `histogram_quantile(0.9, rate(http_request_duration_seconds_bucket{instance="${host0}"}[5m])) > 0.5`,
  },
  {
    family: 'rule-style instant',
    instantOnly: true,
    query: 'count by (job) (node_memory_field00_bytes)',
  },
].filter((q) => !args['only-family'] || q.family === args['only-family']);

/** A system under test: where it answers, and how to stop it. */
interface System {
  readonly name: 'vigil' | 'prometheus';
  readonly url: string;
  stop(): Promise<void>;
}

async function load(system: System): Promise<number> {
  const started = process.hrtime.bigint();
  // Like remote-write shards: a series always goes through the same worker, so each series'
  // samples arrive in time order while workers run in parallel.
  const requestsPerStep = workload.requests / steps;
  const worker = async (w: number) => {
    for await (const body of readWorkload(workload.path, (i) => (i % requestsPerStep) % concurrency === w)) {
      const res = await fetch(`${system.url}/api/v1/write`, {
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
        // Prometheus refuses a lagging shard's samples once its head has moved on ("out of
        // bounds"); a few such requests do not change what the queries measure. Anything else does.
        if (!/out of bounds/.test(text))
          throw new Error(`${system.name} rejected a write: ${res.status} ${text.slice(0, 300)}`);
        rejected++;
      }
    }
  };
  let rejected = 0;
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  if (rejected > 0) console.error(`${system.name}: ${rejected} requests refused as out of bounds`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function startVigil(dir: string): Promise<System> {
  const port = await freePort();
  const child = startProcess(process.execPath, [...vigilServeArgs({ port, dataDir: dir, logLevel: 'warn' })]);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/-/ready`);
  return { name: 'vigil', url, stop: () => stopProcess(child) };
}

async function startPrometheus(dir: string): Promise<System> {
  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, '');
  const child = startProcess('/usr/bin/prometheus', [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-remote-write-receiver',
    '--log.level=warn',
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/-/ready`);
  return { name: 'prometheus', url, stop: () => stopProcess(child) };
}

/** One timed request; returns ms and how many series came back. */
async function timeQuery(
  system: System,
  path: string,
  params: Record<string, string>,
): Promise<{ ms: number; series: number }> {
  const started = process.hrtime.bigint();
  const res = await fetch(`${system.url}${path}?${new URLSearchParams(params)}`);
  const text = await res.text();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (res.status !== 200)
    throw new Error(`${system.name} ${path} ${params.query}: ${res.status} ${text.slice(0, 300)}`);
  const result = (JSON.parse(text) as { data: { result: unknown } }).data.result;
  return { ms, series: Array.isArray(result) ? result.length : 1 };
}

function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

const vigilDir = mkdtempSync(join(tmpdir(), 'vigil-qbench-'));
const promDir = mkdtempSync(join(tmpdir(), 'prom-qbench-'));
const systems: System[] = [];
try {
  systems.push(await startVigil(vigilDir), await startPrometheus(promDir));
  for (const s of systems) console.error(`${s.name}: loaded in ${(await load(s)).toFixed(1)}s`);
  if (args.compact) {
    const res = await fetch(`${systems[0].url}/api/vigil/v1/admin/compact`, { method: 'POST' });
    if (!res.ok) throw new Error(`vigil compact failed: ${res.status} ${await res.text()}`);
  }

  // Evaluate off the scrape grid, as real dashboards do.
  const instantTime = ((dataEnd - 7_300) / 1000).toFixed(3);
  const range = {
    start: ((dataEnd - 3_600_000 - 7_300) / 1000).toFixed(3),
    end: instantTime,
    step: '30',
  };
  type Key = `${string}|${'instant' | 'range'}`;
  const timings = new Map<Key, Record<System['name'], number[]>>();
  for (const q of QUERIES) {
    const kinds: ('instant' | 'range')[] = q.instantOnly ? ['instant'] : ['instant', 'range'];
    for (const kind of kinds) {
      const path = kind === 'instant' ? '/api/v1/query' : '/api/v1/query_range';
      const params: Record<string, string> =
        kind === 'instant' ? { query: q.query, time: instantTime } : { query: q.query, ...range };
      const key: Key = `${q.family}|${kind}`;
      const bucket = timings.get(key) ?? { vigil: [], prometheus: [] };
      timings.set(key, bucket);
      // Warm-up (parse caches, page cache), and a check that both return the same number of series.
      const [v, p] = [await timeQuery(systems[0], path, params), await timeQuery(systems[1], path, params)];
      if (v.series !== p.series)
        console.error(
          `warning: ${kind} ${q.query}: vigil returned ${v.series} series, prometheus ${p.series}`,
        );
      for (let r = 0; r < reps; r++) {
        const order = r % 2 === 0 ? systems : [...systems].reverse();
        for (const s of order) bucket[s.name].push((await timeQuery(s, path, params)).ms);
      }
    }
  }

  const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0));
  console.log(
    `\nPromQL latency, ${hosts * 500} series × ${steps} scrapes at 15s; instant at the end of the data, ` +
      `range = 1h at 30s step; ${reps} runs per query after a warm-up, alternating order` +
      `${args.compact ? '; Vigil head compacted into DuckDB' : ''}\n`,
  );
  console.log(
    '| family | kind | queries | Vigil median ms | Vigil p90 ms | Prometheus median ms | Prometheus p90 ms | Vigil/Prometheus (median) |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [key, t] of timings) {
    const [family, kind] = key.split('|');
    const v = [...t.vigil].sort((a, b) => a - b);
    const p = [...t.prometheus].sort((a, b) => a - b);
    const n = QUERIES.filter((q) => q.family === family).length;
    console.log(
      `| ${family} | ${kind} | ${n} | ${fmt(percentile(v, 0.5))} | ${fmt(percentile(v, 0.9))} | ` +
        `${fmt(percentile(p, 0.5))} | ${fmt(percentile(p, 0.9))} | ${(percentile(v, 0.5) / percentile(p, 0.5)).toFixed(2)}× |`,
    );
  }
} finally {
  for (const s of systems) await s.stop();
  rmSync(vigilDir, { recursive: true, force: true });
  rmSync(promDir, { recursive: true, force: true });
}
