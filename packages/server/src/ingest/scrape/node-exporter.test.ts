/**
 * Scraping an exporter nobody here wrote: Debian's node_exporter, side by side with Debian's
 * Prometheus 2.42 scraping the same exporter. Both binaries are installed by .ci/run; a missing
 * one fails this test rather than skipping it.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { labelsToRecord } from '../../model/labels.ts';
import { newMatcher } from '../../model/matcher.ts';
import { startTestVigil, tempDir } from '../../testutil/vigil.ts';
import { formatOpenMetricsFloat, parseFloatValue } from '../../textparse/index.ts';
import { selectSeries, valuesOf, waitFor } from './testutil.ts';

const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';
const PROMETHEUS = '/usr/bin/prometheus';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Starts a program and registers its termination; its output is kept for error messages. */
function run(bin: string, args: string[]): { child: ChildProcess; output: () => string } {
  assert.ok(
    existsSync(bin),
    `${bin} is not installed; .ci/run installs it (apt-get install prometheus prometheus-node-exporter)`,
  );
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  );
  return { child, output: () => output };
}

async function httpOk(url: string): Promise<string | undefined> {
  const res = await fetch(url);
  return res.ok ? res.text() : undefined;
}

/** Metric name → number of sample lines, from an exposition read with a plain line regex. */
function countByName(exposition: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of exposition.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (m) out.set(m[1], (out.get(m[1]) ?? 0) + 1);
  }
  return out;
}

/** Prometheus 3 (and Vigil) write le/quantile as OpenMetrics floats; Prometheus 2.42 keeps them as exposed. */
function normalizeBounds(labels: Record<string, string>): Record<string, string> {
  const out = { ...labels };
  for (const name of ['le', 'quantile']) {
    if (out[name] === undefined) continue;
    const v = parseFloatValue(out[name]);
    if (typeof v === 'number') out[name] = formatOpenMetricsFloat(v);
  }
  return out;
}

/** A job exercising target and metric relabeling, given to Vigil and Prometheus alike. */
function relabelJob(port: number): string {
  return `  - job_name: node_relabel
    static_configs:
      - targets: ['127.0.0.1:${port}']
        labels: {__meta_team: Infra, env: prod}
    relabel_configs:
      - source_labels: [__address__]
        target_label: shard
        modulus: 7
        action: hashmod
      - source_labels: [__meta_team]
        target_label: team
        action: lowercase
      - regex: __meta_(.*)
        action: labelmap
        replacement: meta_$1
      - source_labels: [__address__]
        regex: '(.*):(\\d+)'
        target_label: port
        replacement: '\${2}'
      - source_labels: [env]
        target_label: team
        action: dropequal
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: 'go_.*|process_.*|promhttp_.*'
        action: drop
      - source_labels: [__name__, mode]
        regex: 'node_cpu_seconds_total;(.*)'
        target_label: cpu_mode
        replacement: 'mode_$1'
      - source_labels: [__name__]
        regex: 'node_(memory|filesystem)_(.*)'
        target_label: area
        replacement: '$1'
      - source_labels: [area]
        target_label: area_upper
        action: uppercase
      - source_labels: [__name__]
        regex: 'node_(cpu|memory|filesystem|network|disk)_.*'
        action: keep
`;
}

const key = (labels: Record<string, string>) =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

test('node_exporter scraped by Vigil and by Prometheus 2.42: same series', {
  timeout: 120_000,
}, async (t) => {
  const exporterPort = await freePort();
  const exporter = run(NODE_EXPORTER, [`--web.listen-address=127.0.0.1:${exporterPort}`]);
  const exporterUrl = `http://127.0.0.1:${exporterPort}/metrics`;
  await waitFor(`node_exporter to serve (${exporter.output()})`, () => httpOk(exporterUrl), 20_000);

  // The same two jobs for both: plain, and with target and metric relabeling.
  const jobsYaml = `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:${exporterPort}']
${relabelJob(exporterPort)}`;
  const dir = tempDir('vigil-prom-');
  cleanups.push(() => dir.remove());
  const promPort = await freePort();
  writeFileSync(join(dir.path, 'prometheus.yml'), jobsYaml);
  const prometheus = run(PROMETHEUS, [
    `--config.file=${join(dir.path, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir.path, 'data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
    '--log.level=warn',
  ]);
  const vigil = await startTestVigil(jobsYaml);
  cleanups.push(() => vigil.stop());

  // A few successful scrapes of both jobs in Vigil.
  const up = await waitFor(
    'three scrapes of each job in Vigil',
    async () => {
      const [plain] = await selectSeries(vigil.storage, 'up', { job: 'node' });
      const [relabeled] = await selectSeries(vigil.storage, 'up', { job: 'node_relabel' });
      return plain?.values.length >= 3 && relabeled?.values.length >= 3 && plain;
    },
    30_000,
  );
  assert.ok(
    valuesOf(up).every((v) => v === '1'),
    `up: ${valuesOf(up)}`,
  );

  // And in Prometheus.
  const promApi = `http://127.0.0.1:${promPort}/api/v1`;
  await waitFor(
    `Prometheus to have scraped (${prometheus.output()})`,
    async () => {
      const res = await fetch(`${promApi}/query?query=${encodeURIComponent('count_over_time(up[1m]) >= 3')}`);
      const json = (await res.json()) as { data: { result: unknown[] } };
      return json.data.result.length === 2;
    },
    60_000,
  );

  // Series label sets: Vigil's through the storage seam, Prometheus's through its API.
  const now = Date.now();
  const ours = await vigil.storage.series({
    matchers: [[newMatcher('=', 'job', 'node')], [newMatcher('=', 'job', 'node_relabel')]],
    minT: 0,
    maxT: now + 60_000,
  });
  const promRes = await fetch(
    `${promApi}/series?match[]=${encodeURIComponent('{job="node"}')}&match[]=${encodeURIComponent('{job="node_relabel"}')}`,
  );
  const theirs = ((await promRes.json()) as { data: Record<string, string>[] }).data;
  // The relabeled job must have produced something worth comparing.
  assert.ok(
    theirs.some(
      (l) =>
        l.job === 'node_relabel' &&
        l.cpu_mode &&
        l.shard &&
        l.meta_team === 'Infra' &&
        l.port === String(exporterPort),
    ),
  );
  assert.ok(theirs.some((l) => l.job === 'node_relabel' && l.area_upper === 'MEMORY'));
  const ourKeys = new Set(ours.map((l) => key(labelsToRecord(l))));
  const theirKeys = new Set(theirs.map((l) => key(normalizeBounds(l))));
  const onlyOurs = [...ourKeys].filter((k) => !theirKeys.has(k));
  const onlyTheirs = [...theirKeys].filter((k) => !ourKeys.has(k));
  assert.ok(ourKeys.size > 200, `Vigil stored only ${ourKeys.size} series`);
  t.diagnostic(`Vigil and Prometheus 2.42 each stored ${ourKeys.size} / ${theirKeys.size} series`);
  assert.deepEqual(
    { onlyVigil: onlyOurs, onlyPrometheus: onlyTheirs },
    { onlyVigil: [], onlyPrometheus: [] },
    `Vigil has ${ourKeys.size} series, Prometheus ${theirKeys.size}`,
  );

  // Against the exposition itself, read with a plain line regex rather than our parser.
  const exposition = (await httpOk(exporterUrl)) ?? '';
  const exposed = countByName(exposition);
  const stored = new Map<string, number>();
  for (const l of ours) {
    const r = labelsToRecord(l);
    if (r.job === 'node') stored.set(r.__name__, (stored.get(r.__name__) ?? 0) + 1);
  }
  for (const [name, n] of exposed) {
    assert.ok(stored.has(name), `exposed metric ${name} was not stored`);
    // Counts can differ only for series that come and go between scrapes; node_exporter's are stable.
    assert.equal(stored.get(name), n, `series of ${name}`);
  }
  const [scraped] = await selectSeries(vigil.storage, 'scrape_samples_scraped', { job: 'node' });
  const lines = [...exposed.values()].reduce((a, b) => a + b, 0);
  assert.equal(Number(valuesOf(scraped).at(-1)), lines);
  // Metadata came along.
  const meta = vigil.storage.metadata('node_cpu_seconds_total');
  assert.equal(meta.get('node_cpu_seconds_total')?.[0]?.type, 'counter');
});
