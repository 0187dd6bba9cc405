/**
 * Targets coming and going: staleness markers in storage, file_sd changes, config reloads and
 * removed jobs, scrape_config_files, and the scraper inside a real Vigil.
 */
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isStaleNaN } from '../../model/sample.ts';
import { startTestVigil, tempDir } from '../../testutil/vigil.ts';
import { type ScrapeManager, startScraping } from './index.ts';
import {
  type FixtureServer,
  fixtureServer,
  scrapeOptions,
  selectSeries,
  sendText,
  testDeps,
  valuesOf,
  waitFor,
} from './testutil.ts';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function server(handler: Parameters<typeof fixtureServer>[0]): Promise<FixtureServer> {
  const s = await fixtureServer(handler);
  cleanups.push(() => s.close());
  return s;
}

function dir(): string {
  const d = tempDir('vigil-scrape-');
  cleanups.push(() => d.remove());
  return d.path;
}

/** Writes a file atomically (as config management tools should), so file_sd never sees half a file. */
function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

const lastIsStale = (values: Float64Array) => values.length > 0 && isStaleNaN(values[values.length - 1]);

test('a series that disappears from the exposition gets a staleness marker in storage', async () => {
  let exposeB = true;
  const s = await server((_req, res) => sendText(res, `a 1\n${exposeB ? 'b 2\n' : ''}`));
  const { deps, storage } = testDeps();
  const m = await startScraping(
    deps,
    scrapeOptions(`scrape_configs:
  - job_name: s
    scrape_interval: 100ms
    static_configs: [{targets: ['${s.address}']}]`),
  );
  cleanups.push(() => m.stop());
  await waitFor('b scraped', async () => (await selectSeries(storage, 'b')).length > 0);
  exposeB = false;
  const [b] = await waitFor('b stale', async () => {
    const r = await selectSeries(storage, 'b');
    return lastIsStale(r[0].values) && r;
  });
  assert.ok(
    valuesOf(b)
      .slice(0, -1)
      .every((v) => v === '2'),
  );
  // a keeps going, unmarked.
  const [a] = await selectSeries(storage, 'a');
  assert.ok(!valuesOf(a).includes('stale'));
});

test('file_sd: targets follow the files; a broken file keeps its targets; removed targets go stale', async () => {
  const s1 = await server((_req, res) => sendText(res, 'fsd_metric{from="one"} 1\n'));
  const s2 = await server((_req, res) => sendText(res, 'fsd_metric{from="two"} 1\n'));
  const d = dir();
  const file = join(d, 'targets.json');
  writeAtomic(file, JSON.stringify([{ targets: [s1.address], labels: { team: 'a' } }]));
  const { deps, storage, self } = testDeps();
  const m = await startScraping(
    deps,
    scrapeOptions(`scrape_configs:
  - job_name: fsd
    scrape_interval: 100ms
    file_sd_configs:
      - files: ['${join(d, '*.json')}']
        refresh_interval: 1h`),
  );
  cleanups.push(() => m.stop());
  await waitFor('first target up', () => m.targets().some((t) => t.health === 'up'));
  const [first] = await waitFor('one series', async () => {
    const r = await selectSeries(storage, 'fsd_metric', { from: 'one' });
    return r.length === 1 && r;
  });
  // __meta_filepath is gone after relabeling; group labels stay.
  assert.deepEqual(
    first.labels.map((l) => l.name),
    ['__name__', 'from', 'instance', 'job', 'team'],
  );

  // A second target appears (file watched, no refresh_interval needed).
  writeAtomic(file, JSON.stringify([{ targets: [s1.address, s2.address], labels: { team: 'a' } }]));
  await waitFor(
    'second target',
    async () => (await selectSeries(storage, 'fsd_metric', { from: 'two' })).length > 0,
  );

  // A broken file keeps the previous targets.
  writeAtomic(file, '[{"targets": [');
  await waitFor('read error counted', () =>
    /vigil_scrape_file_sd_read_errors_total [1-9]/.test(self.render()),
  );
  assert.equal(m.targets().length, 2);

  // The first target is removed: after about two intervals its series are marked stale.
  writeAtomic(file, JSON.stringify([{ targets: [s2.address], labels: { team: 'a' } }]));
  await waitFor('one target left', () => m.targets().length === 1);
  await waitFor('series of the removed target stale', async () => {
    const [one] = await selectSeries(storage, 'fsd_metric', { from: 'one' });
    const [up] = await selectSeries(storage, 'up', { instance: s1.address });
    return lastIsStale(one.values) && lastIsStale(up.values);
  });
  const [two] = await selectSeries(storage, 'fsd_metric', { from: 'two' });
  assert.ok(!lastIsStale(two.values));
});

test('reload: unchanged targets continue without staleness; changed relabeling marks old series stale; removed jobs go stale', async () => {
  const s = await server((_req, res) => sendText(res, 'r_metric{path="/x"} 1\n'));
  const { deps, storage } = testDeps();
  const base = (extra: string) =>
    scrapeOptions(`scrape_configs:
  - job_name: keep
    scrape_interval: 100ms
    static_configs: [{targets: ['${s.address}']}]
${extra}
  - job_name: other
    scrape_interval: 100ms
    static_configs: [{targets: ['${s.address}']}]`);
  const m: ScrapeManager = await startScraping(deps, base(''));
  cleanups.push(() => m.stop());
  await waitFor('both jobs scraped', async () => (await selectSeries(storage, 'r_metric')).length === 2);

  // Same targets, a harmless change (scrape_timeout): no staleness marker anywhere.
  await m.reload(base('    scrape_timeout: 90ms'));
  await new Promise((r) => setTimeout(r, 400));
  for (const series of await selectSeries(storage, 'r_metric'))
    assert.ok(!valuesOf(series).includes('stale'));

  // Metric relabeling changes the series: the old one is marked stale at the next scrape.
  await m.reload(
    base(`    metric_relabel_configs:
      - source_labels: [path]
        target_label: endpoint
      - regex: path
        action: labeldrop`),
  );
  await waitFor('old series stale, new one present', async () => {
    const [old] = await selectSeries(storage, 'r_metric', { job: 'keep', path: '/x' });
    const renamed = await selectSeries(storage, 'r_metric', { job: 'keep', endpoint: '/x' });
    return lastIsStale(old.values) && renamed.length === 1;
  });

  // The job "other" disappears from the config: its series go stale after about two intervals.
  await m.reload(
    scrapeOptions(`scrape_configs:
  - job_name: keep
    scrape_interval: 100ms
    static_configs: [{targets: ['${s.address}']}]`),
  );
  await waitFor('removed job stale', async () => {
    const [series] = await selectSeries(storage, 'r_metric', { job: 'other' });
    const [up] = await selectSeries(storage, 'up', { job: 'other' });
    return lastIsStale(series.values) && lastIsStale(up.values);
  });
  assert.deepEqual(
    m.targets().map((t) => t.job),
    ['keep'],
  );

  // A config that is only invalid once global is applied is refused, and the running one stays.
  await assert.rejects(
    m.reload(
      scrapeOptions(
        'global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: keep\n    scrape_timeout: 2s',
      ),
    ),
    /scrape_timeout \(2s\) of job "keep" is greater than its scrape_interval \(1s\)/,
  );
  assert.deepEqual(
    m.targets().map((t) => [t.job, t.interval]),
    [['keep', 100]],
  );
});

test('scrape_config_files add jobs; their relative paths are relative to the file', async () => {
  const s = await server((_req, res) => sendText(res, 'from_file 1\n'));
  const d = dir();
  writeFileSync(join(d, 'targets.yml'), `- targets: ['${s.address}']\n`);
  writeFileSync(
    join(d, 'scrape-extra.yml'),
    'scrape_configs:\n  - job_name: extra\n    scrape_interval: 100ms\n    file_sd_configs: [{files: [targets.yml]}]\n',
  );
  const { deps, storage } = testDeps();
  const m = await startScraping(deps, {
    ...scrapeOptions(''),
    baseDir: '/',
    scrapeConfigFiles: [join(d, 'scrape-*.yml')],
  });
  cleanups.push(() => m.stop());
  await waitFor(
    'scraped via scrape_config_files',
    async () => (await selectSeries(storage, 'from_file', { job: 'extra' })).length > 0,
  );
});

test('scrape_config_files report problems with file, line and key', async () => {
  const d = dir();
  writeFileSync(join(d, 'bad.yml'), 'scrape_configs:\n  - job_name: x\n    scrape_intervall: 1s\n');
  const { deps } = testDeps();
  await assert.rejects(
    startScraping(deps, { ...scrapeOptions(''), baseDir: d, scrapeConfigFiles: ['*.yml'] }),
    new RegExp(
      `${join(d, 'bad.yml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: scrape_configs\\.0: unknown key "scrape_intervall"`,
    ),
  );
  writeFileSync(join(d, 'bad.yml'), 'scrape_configs:\n  - job_name: x\n');
  writeFileSync(join(d, 'dup.yml'), 'scrape_configs:\n  - job_name: x\n');
  await assert.rejects(
    startScraping(deps, { ...scrapeOptions(''), baseDir: d, scrapeConfigFiles: ['*.yml'] }),
    /job_name "x" is used by more than one scrape config/,
  );
});

test('a real Vigil scrapes a fixture target configured in its YAML and serves the series', async () => {
  const s = await server((_req, res) =>
    sendText(res, '# HELP e2e_metric An end-to-end metric.\n# TYPE e2e_metric gauge\ne2e_metric{k="v"} 42\n'),
  );
  const vigil = await startTestVigil(`
scrape_configs:
  - job_name: e2e
    scrape_interval: 100ms
    static_configs: [{targets: ['${s.address}'], labels: {env: test}}]
`);
  cleanups.push(() => vigil.stop());
  const body = await waitFor('series via the HTTP API', async () => {
    const res = await fetch(`${vigil.url}/api/v1/series?match[]=e2e_metric`);
    const json = (await res.json()) as { data: Record<string, string>[] };
    return json.data.length > 0 && json.data;
  });
  assert.deepEqual(body, [{ __name__: 'e2e_metric', env: 'test', instance: s.address, job: 'e2e', k: 'v' }]);
  const meta = vigil.storage.metadata('e2e_metric');
  assert.deepEqual(meta.get('e2e_metric'), [
    { metric: 'e2e_metric', type: 'gauge', help: 'An end-to-end metric.', unit: '' },
  ]);
  assert.match(
    await (await fetch(`${vigil.url}/metrics`)).text(),
    /vigil_scrape_scrapes_total\{job="e2e"\} [1-9]/,
  );
});
