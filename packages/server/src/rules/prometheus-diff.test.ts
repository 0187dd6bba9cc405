/**
 * Differential test against Debian's Prometheus 2.42: one rule file loaded in both, both scraping
 * the same local exporter, and /api/v1/rules and /api/v1/alerts compared once both have settled:
 * groups, rules (type, query, `for`, `keep_firing_for`, labels, annotations, health, last error,
 * state) and alerts (labels, templated annotations, state, value). Times are not compared (the
 * two evaluate at different moments), nor fields 2.42 does not have.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, PROMETHEUS_BIN } from '../promql/differential/systems.ts';
import { startTestVigil } from '../testutil/vigil.ts';

const RULES = `groups:
- name: recording
  rules:
  - record: job:demo_up:sum
    expr: sum by (job) (demo_up)
  - record: demo_temp:celsius
    expr: demo_temp_kelvin - 273.15
    labels: {unit: celsius}
- name: alerts
  rules:
  - alert: InstanceDown
    expr: demo_up == 0
    labels: {severity: page, where: '{{ $labels.site }}'}
    annotations:
      summary: '{{ $labels.site }} is down (value {{ $value }})'
      description: 'Temperature {{ with query "demo_temp_kelvin" }}{{ . | sortByLabel "site" | first | value | humanize }}{{ end }}K in {{ $externalLabels.dc }}; {{ humanizeDuration 3725 }}; {{ 0.1234 | humanizePercentage }}; {{ 1048576 | humanize1024 }}'
  - alert: SlowBurn
    expr: demo_up == 1
    for: 1h
    annotations: {site: '{{ $labels.site | toUpper }}'}
  - alert: Hot
    expr: demo_temp_kelvin > 300
    keep_firing_for: 10m
    labels: {team: '{{ reReplaceAll "(.*)-(.*)" "$2" $labels.site }}'}
  - alert: NeverFires
    expr: demo_up > 5
  - alert: UsesRecording
    expr: job:demo_up:sum < 3
- name: limited
  limit: 1
  rules:
  - alert: TooMany
    expr: demo_up >= 0
  - record: too_many
    expr: demo_up
`;

const EXPOSITION = `# TYPE demo_up gauge
demo_up{site="eu-a"} 1
demo_up{site="eu-b"} 0
demo_up{site="us-c"} 1
# TYPE demo_temp_kelvin gauge
demo_temp_kelvin{site="eu-a"} 310.5
demo_temp_kelvin{site="eu-b"} 290
`;

interface Prometheus {
  readonly url: string;
  stop(): Promise<void>;
}

/** Debian's Prometheus with `configYaml` as its config file, on 127.0.0.1, ready. */
async function startPrometheusWith(configYaml: string, dir: string): Promise<Prometheus> {
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, configYaml);
  const port = await freePort();
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'prom-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (d) => {
    err = (err + d).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`prometheus exited before it was ready:\n${err}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return { url, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready within 60s:\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

// biome-ignore lint/suspicious/noExplicitAny: JSON whose shape is what is being compared
type Json = any;

async function getData(url: string): Promise<Json> {
  const res = await fetch(url);
  const body = (await res.json()) as Json;
  assert.equal(res.status, 200, `${url}: ${JSON.stringify(body)}`);
  return body.data;
}

const sortBy = <T>(list: T[], key: (x: T) => string): T[] =>
  [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

/** What both must agree on: everything but times, durations of evaluation and the file path. */
function rulesView(data: Json): Json {
  return data.groups.map((g: Json) => ({
    name: g.name,
    interval: g.interval,
    limit: g.limit,
    rules: g.rules.map((r: Json) => ({
      type: r.type,
      name: r.name,
      query: r.query,
      duration: r.duration,
      keepFiringFor: r.keepFiringFor,
      labels: r.labels,
      annotations: r.annotations,
      health: r.health,
      lastError: r.lastError,
      state: r.state,
      alerts: r.alerts && sortBy(r.alerts.map(alertView), (a: Json) => JSON.stringify(a.labels)),
    })),
  }));
}

function alertView(a: Json): Json {
  return { labels: a.labels, annotations: a.annotations, state: a.state, value: a.value };
}

function alertsView(data: Json): Json {
  return sortBy(data.alerts.map(alertView), (a: Json) => JSON.stringify(a.labels));
}

/**
 * The series the rules wrote, as of now: recorded series with values, and the label sets of
 * ALERTS and ALERTS_FOR_STATE (whose values are times, which differ between the two).
 */
async function seriesView(url: string): Promise<Json> {
  const q = async (expr: string) =>
    (await getData(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)).result.map((s: Json) => ({
      metric: s.metric,
      value: s.value[1],
    }));
  const byMetric = (list: Json[]) => sortBy(list, (s: Json) => JSON.stringify(s.metric));
  return {
    recorded: byMetric(await q('{__name__=~"job:.*|demo_temp:.*|too_many"}')),
    alerts: byMetric(await q('ALERTS')),
    forState: byMetric((await q('ALERTS_FOR_STATE')).map((s: Json) => ({ metric: s.metric }))),
  };
}

/** The keys of every object in `a`'s JSON that `b`'s object at the same place lacks. */
function missingKeys(a: Json, b: Json, path = ''): string[] {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return [];
  if (Array.isArray(a))
    return a.flatMap((x, i) => (i < b.length ? missingKeys(x, b[i], `${path}[${i}]`) : []));
  const out: string[] = [];
  for (const k of Object.keys(a)) {
    if (!(k in b)) out.push(`${path}.${k}`);
    // Label and annotation maps are compared as values, not as shapes.
    else if (k !== 'labels' && k !== 'annotations') out.push(...missingKeys(a[k], b[k], `${path}.${k}`));
  }
  return out;
}

test('the same rules over the same scraped data: /api/v1/rules and /api/v1/alerts agree with Prometheus 2.42', {
  timeout: 240_000,
}, async (t) => {
  assert.ok(existsSync(PROMETHEUS_BIN), `${PROMETHEUS_BIN} is missing: apt-get install prometheus`);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rules-diff-'));
  const exporter: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(EXPOSITION);
  });
  await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', () => r()));
  const target = `127.0.0.1:${(exporter.address() as { port: number }).port}`;
  const rulesFile = join(dir, 'rules.yml');
  writeFileSync(rulesFile, RULES);
  const config = `global: {scrape_interval: 1s, evaluation_interval: 1s, external_labels: {dc: test}}
rule_files: [${JSON.stringify(rulesFile)}]
scrape_configs:
  - job_name: demo
    static_configs: [{targets: [${JSON.stringify(target)}]}]
`;
  let prom: Prometheus | undefined;
  let vigil: Awaited<ReturnType<typeof startTestVigil>> | undefined;
  try {
    [prom, vigil] = await Promise.all([startPrometheusWith(config, dir), startTestVigil(config)]);
    const p = prom;
    const v = vigil;
    const snapshot = async (url: string) => ({
      rules: await getData(`${url}/api/v1/rules`),
      alerts: await getData(`${url}/api/v1/alerts`),
      series: await seriesView(url),
    });
    // Both have settled once every alert that can fire does (and the recording rules' results
    // are seen by the rule that uses them); compare until they agree or a minute passes.
    let last: { p: Json; v: Json } | undefined;
    const deadline = Date.now() + 90_000;
    for (;;) {
      const [ps, vs] = await Promise.all([snapshot(p.url), snapshot(v.url)]);
      last = { p: ps, v: vs };
      const settled = (s: Json) =>
        alertsView(s.alerts).filter((a: Json) => a.state === 'firing').length === 3;
      if (
        settled(ps) &&
        settled(vs) &&
        JSON.stringify(rulesView(ps.rules)) === JSON.stringify(rulesView(vs.rules)) &&
        JSON.stringify(alertsView(ps.alerts)) === JSON.stringify(alertsView(vs.alerts)) &&
        JSON.stringify(ps.series) === JSON.stringify(vs.series)
      )
        break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.deepEqual(rulesView(last.v.rules), rulesView(last.p.rules));
    assert.deepEqual(alertsView(last.v.alerts), alertsView(last.p.alerts));
    // What the rules wrote: recorded series with their values, ALERTS and ALERTS_FOR_STATE series.
    assert.deepEqual(last.v.series, last.p.series);
    assert.equal(last.v.series.alerts.length, 5, 'three firing and two pending alerts in ALERTS');
    // Every field Prometheus 2.42 returns, Vigil returns too (Vigil may have 3.x's newer ones).
    assert.deepEqual(missingKeys(last.p.rules, last.v.rules), []);
    assert.deepEqual(missingKeys(last.p.alerts, last.v.alerts), []);
    // The comparison covered what it is meant to: firing, pending and inactive alerts, a rule
    // error, templated labels and annotations.
    const view = rulesView(last.v.rules);
    const states = view.flatMap((g: Json) => g.rules.map((r: Json) => r.state)).filter(Boolean);
    assert.deepEqual([...new Set(states)].sort(), ['firing', 'inactive', 'pending']);
    assert.ok(view.some((g: Json) => g.rules.some((r: Json) => r.health === 'err')));
    t.diagnostic(`compared ${view.reduce((n: number, g: Json) => n + g.rules.length, 0)} rules`);
  } finally {
    await Promise.all([prom?.stop(), vigil?.stop()]);
    exporter.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
