/**
 * Rule evaluation: Vigil vs Debian's Prometheus 2.42 running the same 1,000 alerting rules over
 * the same data, in the same run.
 *
 *   node --import tsx bench/rules-eval.ts [--hosts 200] [--rules 1000] [--steps 40] [--window 4]
 *
 * Loads the node_exporter-like workload (bench/workload: `hosts` × 500 series, default 200 →
 * 100k series; `steps` scrapes at 15s ending `--ahead` minutes from now (default 9), so the rules
 * still see fresh data after loading) into both at once by remote write. Both evaluate one rule file with `rules` alerting rules in groups of
 * 100 at a 15s interval: per-host thresholds (filesystem ratios, network rates), fleet-wide
 * aggregations (CPU by instance) and histogram quantiles, with templated labels and annotations;
 * about a third of them fire. After two warm-up intervals it measures `window` intervals: the
 * groups' evaluation time (from /api/v1/rules, the same API on both) and each process's CPU
 * share (utime+stime from /proc over the window's wall time). Prints a markdown table.
 *
 * Small run: node --import tsx bench/rules-eval.ts --hosts 20 --rules 1000 --steps 30 --window 3
 * (--from-source runs Vigil through tsx instead of the esbuild bundle.)
 */
import { execSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import {
  cpuSeconds,
  freePort,
  startProcess,
  stopProcess,
  vigilServeArgs,
  waitForHttp,
} from './lib/processes.ts';
import { ensureWorkloadFile, readWorkload } from './workload/remote-write-file.ts';

const { values: args } = parseArgs({
  options: {
    hosts: { type: 'string', default: '200' },
    rules: { type: 'string', default: '1000' },
    steps: { type: 'string', default: '40' },
    window: { type: 'string', default: '4' },
    // How far ahead of the start the data ends (minutes). Loading takes minutes on a busy
    // machine; the rules must still see fresh data (within the 5m lookback) when measured.
    // At most Vigil's limits.max_future_skew (10m).
    ahead: { type: 'string', default: '9' },
    concurrency: { type: 'string', default: '8' },
    // Run Vigil from its TypeScript sources instead of the bundle (same code, slower start).
    'from-source': { type: 'boolean', default: false },
  },
});
const hosts = Number(args.hosts);
const ruleCount = Number(args.rules);
const steps = Number(args.steps);
const windowIntervals = Number(args.window);
const concurrency = Number(args.concurrency);
if (!(hosts > 0 && ruleCount > 0 && steps >= 20 && windowIntervals > 0))
  throw new Error('--hosts, --rules and --window must be positive, --steps at least 20 (5m of data)');
const INTERVAL = 15_000;

const root = new URL('..', import.meta.url).pathname;
if (!args['from-source'])
  execSync('npm run --silent --workspace @vigil/server build', { cwd: root, stdio: 'inherit' });
const workDir = join(root, 'bench/.work');
mkdirSync(workDir, { recursive: true });

// Data ends `ahead` minutes from now, so the 5m lookback still covers it when the window ends.
const end = Math.floor((Date.now() + Number(args.ahead) * 60_000) / INTERVAL) * INTERVAL;
const params = {
  hosts,
  steps,
  intervalMs: INTERVAL,
  startMs: end - (steps - 1) * INTERVAL,
  seriesPerRequest: 2000,
};
const workload = await ensureWorkloadFile(workDir, params);
console.error(`workload: ${workload.samples} samples, ${hosts * 500} series`);

/** The rule file: `ruleCount` alerting rules over the workload, 100 per group. */
function ruleFile(): string {
  const host = (i: number) => `host-${String(i % hosts).padStart(4, '0')}:9100`;
  const annotations = {
    summary: '{{ $labels.instance }} is in trouble',
    description: 'value {{ $value | humanize }} on {{ $labels.instance }} ({{ $labels.job }})',
  };
  const rules: Record<string, unknown>[] = [];
  for (let i = 0; i < ruleCount; i++) {
    const kind = i % 10;
    const fire = i % 3 === 0; // a third of the thresholds are always crossed
    let expr: string;
    if (kind < 4)
      expr = `node_filesystem_avail_bytes{instance="${host(i)}",mountpoint="/"} / node_filesystem_size_bytes{instance="${host(i)}",mountpoint="/"} ${fire ? '>' : '<'} 0`;
    else if (kind < 7)
      expr = `rate(node_network_receive_bytes_total{instance="${host(i)}",device="eth${i % 2}"}[5m]) ${fire ? '>=' : '<'} 0`;
    else if (kind < 9)
      expr = `sum by (instance) (rate(node_cpu_seconds_total{mode!="idle",cpu="${i % 8}"}[5m])) ${fire ? '>=' : '<'} 0`;
    else
      expr = `histogram_quantile(0.9, sum by (le, instance) (rate(http_request_duration_seconds_bucket{handler="/metrics"}[5m]))) ${fire ? '>=' : '<'} 0`;
    rules.push({
      alert: `BenchAlert${String(i).padStart(4, '0')}`,
      expr,
      for: i % 4 === 0 ? '0s' : '1m',
      labels: { severity: i % 2 ? 'warning' : 'page', instance: '{{ $labels.instance }}' },
      annotations,
    });
  }
  const groups = [];
  for (let g = 0; g * 100 < rules.length; g++)
    groups.push({ name: `bench-${g}`, interval: '15s', rules: rules.slice(g * 100, g * 100 + 100) });
  return stringify({ groups });
}

interface System {
  readonly name: 'vigil' | 'prometheus';
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

async function startVigil(dir: string, rulesPath: string): Promise<System> {
  const port = await freePort();
  const config = join(dir, 'vigil.yml');
  writeFileSync(config, `rule_files: [${JSON.stringify(rulesPath)}]\nglobal: {evaluation_interval: 15s}\n`);
  const child = startProcess(
    process.execPath,
    [...vigilServeArgs({ port, dataDir: join(dir, 'data'), config: config, logLevel: 'warn' })],
    { ...process.env, VIGIL_FROM_SOURCE: args['from-source'] ? '1' : '' },
  );
  const url = `http://127.0.0.1:${port}`;
  // Loading 1,000 rules and starting the server takes a while on a busy machine.
  await waitForHttp(`${url}/-/ready`, 300_000);
  return { name: 'vigil', url, pid: child.pid!, stop: () => stopProcess(child) };
}

async function startPrometheus(dir: string, rulesPath: string): Promise<System> {
  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, `global: {evaluation_interval: 15s}\nrule_files: [${JSON.stringify(rulesPath)}]\n`);
  const child = startProcess('/usr/bin/prometheus', [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-remote-write-receiver',
    '--log.level=warn',
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/-/ready`, 300_000);
  return { name: 'prometheus', url, pid: child.pid!, stop: () => stopProcess(child) };
}

async function load(system: System): Promise<number> {
  const started = process.hrtime.bigint();
  const requestsPerStep = workload.requests / steps;
  let rejected = 0;
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
        if (!/out of bounds/.test(text))
          throw new Error(`${system.name} rejected a write: ${res.status} ${text.slice(0, 300)}`);
        rejected++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  if (rejected > 0) console.error(`${system.name}: ${rejected} requests refused as out of bounds`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

interface GroupStat {
  name: string;
  evaluationTime: number;
  lastEvaluation: string;
}

async function groupStats(s: System): Promise<GroupStat[]> {
  const res = await fetch(`${s.url}/api/v1/rules?exclude_alerts=true`);
  const body = (await res.json()) as { data: { groups: GroupStat[] } };
  return body.data.groups;
}

async function firingCount(s: System): Promise<{ firing: number; pending: number }> {
  const res = await fetch(`${s.url}/api/v1/alerts`);
  const body = (await res.json()) as { data: { alerts: { state: string }[] } };
  let firing = 0;
  let pending = 0;
  for (const a of body.data.alerts) {
    if (a.state === 'firing') firing++;
    else if (a.state === 'pending') pending++;
  }
  return { firing, pending };
}

/** Rule evaluations done so far (prometheus_rule_evaluations_total or vigil_rule_evaluations_total). */
async function ruleEvaluations(s: System): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const name = s.name === 'vigil' ? 'vigil_rule_evaluations_total' : 'prometheus_rule_evaluations_total';
  let n = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      n += Number(line.slice(line.lastIndexOf(' ') + 1));
  return n;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor((s.length - 1) / 2)];
}

const dir = mkdtempSync(join(tmpdir(), 'vigil-rbench-'));
const rulesPath = join(dir, 'rules.yml');
writeFileSync(rulesPath, ruleFile());
const systems: System[] = [];
try {
  for (const name of ['vigil', 'prometheus'] as const) {
    const sdir = join(dir, name);
    mkdirSync(sdir);
    systems.push(
      name === 'vigil' ? await startVigil(sdir, rulesPath) : await startPrometheus(sdir, rulesPath),
    );
  }
  // Both load at once, so the data is still fresh for both when the measurement starts.
  const loadTimes = await Promise.all(systems.map(load));
  for (const [i, s] of systems.entries()) console.error(`${s.name}: loaded in ${loadTimes[i].toFixed(1)}s`);
  const freshUntil = end + 300_000 - (2 * INTERVAL + 2_000 + windowIntervals * INTERVAL + 10_000);
  if (Date.now() > freshUntil)
    throw new Error(
      `loading took too long: the data (ending ${new Date(end).toISOString()}) would be stale before the window ends; use a larger --ahead (at most 10) or fewer --hosts`,
    );
  // Warm up: two evaluation rounds over the loaded data.
  await new Promise((r) => setTimeout(r, 2 * INTERVAL + 2_000));

  const evals0 = await Promise.all(systems.map(ruleEvaluations));
  const cpu0 = systems.map((s) => cpuSeconds(s.pid));
  const t0 = performance.now();
  const perRound: Record<System['name'], { sum: number[]; max: number[] }> = {
    vigil: { sum: [], max: [] },
    prometheus: { sum: [], max: [] },
  };
  for (let k = 0; k < windowIntervals; k++) {
    await new Promise((r) => setTimeout(r, INTERVAL));
    for (const s of systems) {
      const groups = await groupStats(s);
      perRound[s.name].sum.push(groups.reduce((n, g) => n + g.evaluationTime, 0));
      perRound[s.name].max.push(Math.max(...groups.map((g) => g.evaluationTime)));
    }
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = systems.map((s, i) => cpuSeconds(s.pid) - cpu0[i]);
  const evals = (await Promise.all(systems.map(ruleEvaluations))).map((n, i) => n - evals0[i]);
  const alerts = await Promise.all(systems.map(firingCount));

  const ms = (s: number) => (s * 1000).toFixed(s < 0.1 ? 1 : 0);
  console.log(
    `\nRule evaluation, ${ruleCount} alerting rules in ${Math.ceil(ruleCount / 100)} groups at 15s over ${hosts * 500} series; ` +
      `${windowIntervals} intervals measured after 2 warm-up intervals (${wall.toFixed(0)}s window)\n`,
  );
  console.log(
    '| system | all groups, one round (median ms) | slowest group (median ms) | CPU share | rule evaluations in window | CPU ms per 1000 rule evaluations | firing / pending alerts |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const perK = (i: number) => (cpu[i] * 1000 * 1000) / Math.max(1, evals[i]);
  systems.forEach((s, i) => {
    const r = perRound[s.name];
    console.log(
      `| ${s.name === 'vigil' ? 'Vigil' : 'Prometheus 2.42'} | ${ms(median(r.sum))} | ${ms(median(r.max))} | ${((cpu[i] / wall) * 100).toFixed(1)}% | ${evals[i]} | ${perK(i).toFixed(0)} | ${alerts[i].firing} / ${alerts[i].pending} |`,
    );
  });
  console.log(
    `\nVigil/Prometheus: evaluation time ${(median(perRound.vigil.sum) / median(perRound.prometheus.sum)).toFixed(2)}×, ` +
      `CPU per rule evaluation ${(perK(0) / perK(1)).toFixed(2)}× (load average during the run: ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]})`,
  );
} finally {
  for (const s of systems) await s.stop();
  rmSync(dir, { recursive: true, force: true });
}
