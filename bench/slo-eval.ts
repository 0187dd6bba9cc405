/**
 * SLO rule evaluation: Vigil running N Sloth SLOs from `slo_files` vs Debian's Prometheus 2.42
 * running the rule file Vigil generates for them (what `sloth generate` writes), over the same
 * data, in the same run.
 *
 *   node --import tsx bench/slo-eval.ts [--slos 100] [--instances 5] [--hours 3] [--window 4]
 *
 * Each SLO's service has `instances` × {code 200, code 500} request counters, `hours` of history
 * at 15s (ending `--ahead` minutes from now so the data stays fresh while measuring), loaded into
 * both by remote write. Each SLO is an events SLI (`sum(rate(errors[w])) / sum(rate(total[w]))`,
 * windows 5m to 3d, 99.9%) with page and ticket alerts: 17 rules in 3 groups per SLO, evaluated
 * every 15s. Both start without the SLOs and get them by a config reload (POST /-/reload) once the
 * data is in: Prometheus refuses samples over an hour older than the newest it holds, and the
 * rules' own samples are from now. After two warm-up intervals it measures `window` intervals: the groups' evaluation
 * time (from /api/v1/rules on both) and each process's CPU share (utime+stime from /proc).
 * Vigil runs from its TypeScript sources (tsx), so no bundle is rebuilt under other users.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import snappy from 'snappy';
import { parse, stringify } from 'yaml';
import { slothSpecSchema } from '../packages/server/src/config/slo.ts';
import { generateSpec } from '../packages/server/src/slo/generate.ts';
import {
  cpuSeconds,
  freePort,
  startProcess,
  stopProcess,
  vigilServeArgs,
  waitForHttp,
} from './lib/processes.ts';

const { values: args } = parseArgs({
  options: {
    slos: { type: 'string', default: '100' },
    instances: { type: 'string', default: '5' },
    hours: { type: 'string', default: '3' },
    window: { type: 'string', default: '4' },
    ahead: { type: 'string', default: '8' },
  },
});
const sloCount = Number(args.slos);
const instances = Number(args.instances);
const hours = Number(args.hours);
const windowIntervals = Number(args.window);
const INTERVAL = 15_000;

const end = Math.floor((Date.now() + Number(args.ahead) * 60_000) / INTERVAL) * INTERVAL;
const steps = Math.round((hours * 3_600_000) / INTERVAL);
const start = end - (steps - 1) * INTERVAL;

/** The Sloth document: one SLO per service. */
function specs(): string {
  const docs = [];
  for (let i = 0; i < sloCount; i++) {
    const job = `svc-${String(i).padStart(3, '0')}`;
    docs.push(
      stringify({
        version: 'prometheus/v1',
        service: job,
        labels: { team: `team-${i % 10}` },
        slos: [
          {
            name: 'availability',
            objective: 99.9,
            sli: {
              events: {
                error_query: `sum(rate(http_requests_total{job="${job}",code=~"5.."}[{{.window}}]))`,
                total_query: `sum(rate(http_requests_total{job="${job}"}[{{.window}}]))`,
              },
            },
            alerting: { name: 'BudgetBurn', page_alert: {}, ticket_alert: {} },
          },
        ],
      }),
    );
  }
  return docs.join('---\n');
}

// --- remote write encoding (one request per timestamp, all series) ---
const encoder = new TextEncoder();
function varint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}
function bytesField(out: number[], field: number, bytes: ArrayLike<number>): void {
  out.push((field << 3) | 2);
  varint(out, bytes.length);
  for (let i = 0; i < bytes.length; i++) out.push(bytes[i]);
}
function encodeRequest(series: { labels: [string, string][]; value: number }[], t: number): Buffer {
  const req: number[] = [];
  const f64 = Buffer.alloc(8);
  for (const s of series) {
    const ts: number[] = [];
    for (const [n, v] of s.labels) {
      const label: number[] = [];
      bytesField(label, 1, encoder.encode(n));
      bytesField(label, 2, encoder.encode(v));
      bytesField(ts, 1, label);
    }
    const sample: number[] = [0x09];
    f64.writeDoubleLE(s.value, 0);
    for (const b of f64) sample.push(b);
    sample.push(0x10);
    varint(sample, t);
    bytesField(ts, 2, sample);
    bytesField(req, 1, ts);
  }
  return snappy.compressSync(Buffer.from(req));
}

/** Request bodies in time order: counters growing 100 req/step per instance, 0.05% errors. */
function requests(): Buffer[] {
  const bodies: Buffer[] = [];
  const ok = new Float64Array(sloCount * instances);
  const bad = new Float64Array(sloCount * instances);
  for (let step = 0; step < steps; step++) {
    const series: { labels: [string, string][]; value: number }[] = [];
    for (let i = 0; i < sloCount; i++)
      for (let k = 0; k < instances; k++) {
        const j = i * instances + k;
        const errors = (step + j) % 20 === 0 ? 1 : 0;
        ok[j] += 100 - errors;
        bad[j] += errors;
        const job = `svc-${String(i).padStart(3, '0')}`;
        const base: [string, string][] = [
          ['__name__', 'http_requests_total'],
          ['instance', `host-${k}:8080`],
          ['job', job],
        ];
        series.push({ labels: [...base.slice(0, 1), ['code', '200'], ...base.slice(1)], value: ok[j] });
        series.push({ labels: [...base.slice(0, 1), ['code', '500'], ...base.slice(1)], value: bad[j] });
      }
    bodies.push(encodeRequest(series, start + step * INTERVAL));
  }
  return bodies;
}

interface System {
  readonly name: 'vigil' | 'prometheus';
  readonly url: string;
  readonly pid: number;
  addRules(): Promise<void>;
  stop(): Promise<void>;
}

async function startVigil(dir: string, specPath: string): Promise<System> {
  const port = await freePort();
  const config = join(dir, 'vigil.yml');
  writeFileSync(config, 'global: {evaluation_interval: 15s}\n');
  const child = startProcess(
    process.execPath,
    [...vigilServeArgs({ port, dataDir: join(dir, 'data'), config: config, logLevel: 'warn' })],
    { ...process.env, VIGIL_FROM_SOURCE: '1' },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/-/ready`, 300_000);
  const withRules = `slo_files: [${JSON.stringify(specPath)}]\nglobal: {evaluation_interval: 15s}\n`;
  return {
    name: 'vigil',
    url,
    pid: child.pid!,
    addRules: () => reloadWith(url, config, withRules),
    stop: () => stopProcess(child),
  };
}

async function startPrometheus(dir: string, rulesPath: string): Promise<System> {
  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, 'global: {evaluation_interval: 15s}\n');
  const child = startProcess('/usr/bin/prometheus', [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-remote-write-receiver',
    '--web.enable-lifecycle',
    '--log.level=warn',
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/-/ready`, 300_000);
  const withRules = `global: {evaluation_interval: 15s}\nrule_files: [${JSON.stringify(rulesPath)}]\n`;
  return {
    name: 'prometheus',
    url,
    pid: child.pid!,
    addRules: () => reloadWith(url, config, withRules),
    stop: () => stopProcess(child),
  };
}

/** Rewrites the config file and reloads it; resolves once every SLO group runs. */
async function reloadWith(url: string, configPath: string, text: string): Promise<void> {
  writeFileSync(configPath, text);
  const res = await fetch(`${url}/-/reload`, { method: 'POST' });
  if (!res.ok) throw new Error(`reload of ${url} failed: ${res.status} ${await res.text()}`);
  for (;;) {
    const groups = await fetch(`${url}/api/v1/rules`).then(
      (r) => r.json() as Promise<{ data: { groups: unknown[] } }>,
    );
    if (groups.data.groups.length === sloCount * 3) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function load(system: System, bodies: readonly Buffer[]): Promise<number> {
  const t0 = performance.now();
  for (const body of bodies) {
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
    if (res.status >= 300)
      throw new Error(`${system.name} rejected a write: ${res.status} ${text.slice(0, 300)}`);
  }
  return (performance.now() - t0) / 1000;
}

interface GroupStat {
  name: string;
  evaluationTime: number;
  rules: { health: string; lastError?: string; state?: string }[];
}

async function groupStats(s: System): Promise<GroupStat[]> {
  const res = await fetch(`${s.url}/api/v1/rules`);
  const body = (await res.json()) as { data: { groups: GroupStat[] } };
  return body.data.groups;
}

/** A recorded value both must agree on: the mean 1h error ratio over all SLOs. */
async function meanRatio(s: System): Promise<number> {
  const res = await fetch(
    `${s.url}/api/v1/query?query=${encodeURIComponent('avg(slo:sli_error:ratio_rate1h)')}`,
  );
  const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
  return Number(body.data.result[0]?.value[1] ?? Number.NaN);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor((s.length - 1) / 2)];
}

const dir = mkdtempSync(join(tmpdir(), 'vigil-slobench-'));
const specPath = join(dir, 'slos.yml');
const rulesPath = join(dir, 'rules.yml');
const specText = specs();
writeFileSync(specPath, specText);
// The rule file Prometheus runs: the same generator Vigil uses for slo_files.
const groups = specText
  .split('---\n')
  .flatMap((doc) => generateSpec(slothSpecSchema.parse(parse(doc)), { version: 'bench', mode: 'vigil' }));
writeFileSync(rulesPath, stringify({ groups }));
const systems: System[] = [];
try {
  for (const name of ['vigil', 'prometheus'] as const) {
    const sdir = join(dir, name);
    mkdirSync(sdir);
    systems.push(
      name === 'vigil' ? await startVigil(sdir, specPath) : await startPrometheus(sdir, rulesPath),
    );
  }
  const bodies = requests();
  console.error(`data: ${sloCount * instances * 2} series × ${steps} samples`);
  const loadTimes = await Promise.all(systems.map((s) => load(s, bodies)));
  systems.forEach((s, i) => {
    console.error(`${s.name}: loaded in ${loadTimes[i].toFixed(1)}s`);
  });
  if (Date.now() > end + 300_000 - (2 * INTERVAL + windowIntervals * INTERVAL + 15_000))
    throw new Error(
      'loading took too long: the data would be stale before the window ends; use a larger --ahead',
    );
  await Promise.all(systems.map((s) => s.addRules()));
  await new Promise((r) => setTimeout(r, 2 * INTERVAL + 2_000));

  const cpu0 = systems.map((s) => cpuSeconds(s.pid));
  const t0 = performance.now();
  const rounds: Record<System['name'], { sum: number[]; max: number[]; errors: number }> = {
    vigil: { sum: [], max: [], errors: 0 },
    prometheus: { sum: [], max: [], errors: 0 },
  };
  for (let k = 0; k < windowIntervals; k++) {
    await new Promise((r) => setTimeout(r, INTERVAL));
    for (const s of systems) {
      const gs = await groupStats(s);
      rounds[s.name].sum.push(gs.reduce((n, g) => n + g.evaluationTime, 0));
      rounds[s.name].max.push(Math.max(...gs.map((g) => g.evaluationTime)));
      rounds[s.name].errors = gs.reduce((n, g) => n + g.rules.filter((r) => r.health === 'err').length, 0);
    }
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = systems.map((s, i) => cpuSeconds(s.pid) - cpu0[i]);
  const ratios = await Promise.all(systems.map(meanRatio));

  const ms = (s: number) => (s * 1000).toFixed(s < 0.1 ? 1 : 0);
  console.log(
    `\nSLO rules: ${sloCount} SLOs (${sloCount * 17} rules in ${sloCount * 3} groups) at 15s over ${sloCount * instances * 2} series with ${hours}h of 15s history; ` +
      `${windowIntervals} intervals measured after 2 warm-up intervals (${wall.toFixed(0)}s window)\n`,
  );
  console.log(
    '| system | all groups, one round (median ms) | slowest group (median ms) | CPU share | rules in error | avg(slo:sli_error:ratio_rate1h) |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  systems.forEach((s, i) => {
    const r = rounds[s.name];
    console.log(
      `| ${s.name === 'vigil' ? 'Vigil' : 'Prometheus 2.42'} | ${ms(median(r.sum))} | ${ms(median(r.max))} | ${((cpu[i] / wall) * 100).toFixed(1)}% | ${r.errors} | ${ratios[i]} |`,
    );
  });
  console.log(
    `\nVigil/Prometheus: evaluation time ${(median(rounds.vigil.sum) / median(rounds.prometheus.sum)).toFixed(2)}×, ` +
      `CPU ${(cpu[0] / cpu[1]).toFixed(2)}× (load average: ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]})`,
  );
} finally {
  for (const s of systems) await s.stop();
  rmSync(dir, { recursive: true, force: true });
}
