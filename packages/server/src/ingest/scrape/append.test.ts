import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLabels } from '../../model/labels.ts';
import { isStaleNaN, type SeriesSamples } from '../../model/sample.ts';
import type { ExpositionFormat } from '../../textparse/index.ts';
import { processScrape, ScrapeCache, type ScrapeResult } from './append.ts';
import { resolveScrapeJob, type ScrapeJob } from './config.ts';
import { ScrapeError } from './http-client.ts';
import { populateTarget, type Target } from './targets.ts';
import { scrapeOptions } from './testutil.ts';

function setup(extraYaml = '', targetLabels = '{}'): { job: ScrapeJob; target: Target; cache: ScrapeCache } {
  const opts = scrapeOptions(`
scrape_configs:
  - job_name: app
    static_configs:
      - targets: ['host:9100']
        labels: ${targetLabels}
${extraYaml.replace(/^/gm, '    ')}
`);
  const job = resolveScrapeJob(opts.scrapeConfigs[0], opts.global, '/', 1 << 20);
  const r = populateTarget(job, { __address__: 'host:9100' }, job.staticConfigs[0].labels);
  assert.equal(r.kind, 'target');
  return { job, target: (r as { target: Target }).target, cache: new ScrapeCache() };
}

function scrape(
  s: { job: ScrapeJob; target: Target; cache: ScrapeCache },
  text: string | undefined,
  timestamp = 1000,
  format: ExpositionFormat = 'prometheus-text',
  error?: ScrapeError,
): ScrapeResult {
  return processScrape(
    {
      ...s,
      timestamp,
      body: text === undefined ? undefined : { text, format, invalidUtf8: false },
      error,
    },
    { duration: 0.5, bodySize: text?.length ?? 0 },
  );
}

/** `series{...} t=v` lines for the batch, report series left out unless asked for. */
function lines(batch: readonly SeriesSamples[], withReport = false): string[] {
  const report = /^(up|scrape_[a-z_]+)\{/;
  const out: string[] = [];
  for (const s of batch) {
    const name = formatLabels(s.labels);
    if (!withReport && report.test(name)) continue;
    for (let i = 0; i < s.timestamps.length; i++) {
      out.push(`${name} ${s.timestamps[i]}=${isStaleNaN(s.values[i]) ? 'stale' : s.values[i]}`);
    }
  }
  return out.sort();
}

function reportValue(r: ScrapeResult, name: string): number {
  const s = r.batch.find((b) => b.labels.some((l) => l.name === '__name__' && l.value === name));
  assert.ok(s, `report series ${name}`);
  return s.values[0];
}

test('samples get target labels and the scrape timestamp; report series follow Prometheus', () => {
  const s = setup();
  const r = scrape(s, '# TYPE a counter\na_total{x="1"} 5\nb 2 123\n', 1000);
  assert.equal(r.error, undefined);
  assert.deepEqual(lines(r.batch), [
    'a_total{instance="host:9100", job="app", x="1"} 1000=5',
    'b{instance="host:9100", job="app"} 123=2',
  ]);
  assert.deepEqual(
    lines(r.batch, true).filter((l) => !l.startsWith('a_total') && !l.startsWith('b{')),
    [
      'scrape_duration_seconds{instance="host:9100", job="app"} 1000=0.5',
      'scrape_samples_post_metric_relabeling{instance="host:9100", job="app"} 1000=2',
      'scrape_samples_scraped{instance="host:9100", job="app"} 1000=2',
      'scrape_series_added{instance="host:9100", job="app"} 1000=2',
      'up{instance="host:9100", job="app"} 1000=1',
    ],
  );
  assert.deepEqual(r.metadata, [{ metric: 'a', type: 'counter', help: '', unit: '' }]);
  // Second scrape: nothing new, metadata unchanged.
  const r2 = scrape(s, '# TYPE a counter\na_total{x="1"} 6\nb 2 124\n', 2000);
  assert.equal(reportValue(r2, 'scrape_series_added'), 0);
  assert.deepEqual(r2.metadata, []);
});

test('honor_timestamps: false uses the scrape time', () => {
  const s = setup('honor_timestamps: false');
  assert.deepEqual(lines(scrape(s, 'b 2 123\n', 1000).batch), ['b{instance="host:9100", job="app"} 1000=2']);
});

test('series that disappear, and all series of a failed scrape, get staleness markers', () => {
  const s = setup();
  scrape(s, 'a 1\nb 1\nc 1 500\n', 1000);
  const r = scrape(s, 'a 2\n', 2000);
  // b disappeared; c had its own timestamp, so it is not tracked (as in Prometheus).
  assert.deepEqual(lines(r.batch), [
    'a{instance="host:9100", job="app"} 2000=2',
    'b{instance="host:9100", job="app"} 2000=stale',
  ]);
  assert.equal(r.staleMarkers, 1);
  const failed = scrape(s, undefined, 3000, 'prometheus-text', new ScrapeError('connection refused', 'http'));
  assert.deepEqual(lines(failed.batch), ['a{instance="host:9100", job="app"} 3000=stale']);
  assert.equal(reportValue(failed, 'up'), 0);
  assert.equal(reportValue(failed, 'scrape_samples_scraped'), 0);
  // Still down: nothing left to mark.
  assert.deepEqual(
    lines(scrape(s, undefined, 4000, 'prometheus-text', new ScrapeError('x', 'http')).batch),
    [],
  );
  // Back up: the series is there again, not counted as added (the cache remembers it).
  const back = scrape(s, 'a 3\n', 5000);
  assert.deepEqual(lines(back.batch), ['a{instance="host:9100", job="app"} 5000=3']);
  assert.equal(reportValue(back, 'scrape_series_added'), 0);
});

test('track_timestamps_staleness marks series with exposed timestamps stale too', () => {
  const s = setup('track_timestamps_staleness: true');
  scrape(s, 'c 1 500\n', 1000);
  assert.deepEqual(lines(scrape(s, '', 2000).batch), ['c{instance="host:9100", job="app"} 2000=stale']);
});

test('an empty body is a successful scrape with no series', () => {
  const s = setup();
  scrape(s, 'a 1\n', 1000);
  const r = scrape(s, '', 2000);
  assert.equal(r.error, undefined);
  assert.equal(reportValue(r, 'up'), 1);
  assert.deepEqual(lines(r.batch), ['a{instance="host:9100", job="app"} 2000=stale']);
});

test('a parse error fails the scrape: nothing stored, everything stale, up = 0', () => {
  const s = setup();
  scrape(s, 'a 1\nb 1\n', 1000);
  const r = scrape(s, 'a 2\nb{oops 1\n', 2000);
  assert.ok(r.error instanceof ScrapeError);
  assert.equal(r.error.reason, 'parse');
  assert.match(r.error.message, /line 2/);
  assert.deepEqual(lines(r.batch), [
    'a{instance="host:9100", job="app"} 2000=stale',
    'b{instance="host:9100", job="app"} 2000=stale',
  ]);
  assert.equal(reportValue(r, 'up'), 0);
});

test('honor_labels: false moves clashing exposed labels to exported_*', () => {
  const s = setup('', '{env: prod}');
  const r = scrape(s, 'a{job="other",instance="i",env="dev",exported_env="x"} 1\n');
  assert.deepEqual(lines(r.batch), [
    'a{env="prod", exported_env="x", exported_exported_env="dev", exported_instance="i", exported_job="other", instance="host:9100", job="app"} 1000=1',
  ]);
});

test('honor_labels: true keeps exposed labels and fills in the rest', () => {
  const s = setup('honor_labels: true', '{env: prod}');
  const r = scrape(s, 'a{job="other",instance=""} 1\n');
  // An exposed empty label counts as present: instance stays unset, as in Prometheus.
  assert.deepEqual(lines(r.batch), ['a{env="prod", job="other"} 1000=1']);
});

test('metric_relabel_configs apply per series, and dropped series are counted', () => {
  const s = setup(`metric_relabel_configs:
  - source_labels: [__name__]
    regex: 'go_.*'
    action: drop
  - source_labels: [path]
    regex: '/api/(.*)'
    target_label: endpoint
  - regex: path
    action: labeldrop`);
  const body = 'go_goroutines 3\nhttp_requests{path="/api/users"} 7\nhttp_requests{path="/other"} 1\n';
  const r = scrape(s, body);
  assert.deepEqual(lines(r.batch), [
    'http_requests{endpoint="users", instance="host:9100", job="app"} 1000=7',
    'http_requests{instance="host:9100", job="app"} 1000=1',
  ]);
  assert.equal(reportValue(r, 'scrape_samples_scraped'), 3);
  assert.equal(reportValue(r, 'scrape_samples_post_metric_relabeling'), 2);
  // Cached: a second scrape gives the same result without relabeling again.
  assert.deepEqual(lines(scrape(s, body, 2000).batch).length, 2);
});

test('relabeling away __name__ fails the scrape', () => {
  const s = setup(`metric_relabel_configs:
  - regex: __name__
    action: labeldrop`);
  const r = scrape(s, 'a 1\n');
  assert.equal(r.error?.reason, 'invalid_series');
  assert.match(r.error?.message ?? '', /missing metric name/);
});

test('sample_limit fails the scrape but reports the counts', () => {
  const s = setup('sample_limit: 2');
  const r = scrape(s, 'a 1\nb 1\nc 1\n');
  assert.equal(r.error?.reason, 'sample_limit');
  assert.match(r.error?.message ?? '', /sample_limit exceeded: 3 samples after metric relabeling, limit 2/);
  assert.deepEqual(lines(r.batch), []);
  assert.equal(reportValue(r, 'up'), 0);
  assert.equal(reportValue(r, 'scrape_samples_scraped'), 3);
  assert.equal(reportValue(r, 'scrape_samples_post_metric_relabeling'), 3);
  assert.equal(scrape(s, 'a 1\nb 1\n', 2000).error, undefined);
});

test('label limits fail the scrape', () => {
  // __name__, x, y, instance and job: 5 labels.
  assert.equal(scrape(setup('label_limit: 4'), 'a{x="1",y="2"} 1\n').error?.reason, 'label_limit');
  assert.equal(scrape(setup('label_limit: 5'), 'a{x="1",y="2"} 1\n').error, undefined);
  const long = setup('label_value_length_limit: 3');
  assert.match(scrape(long, 'a{x="abcd"} 1\n').error?.message ?? '', /label_value_length_limit exceeded/);
  const name = setup('label_name_length_limit: 5');
  assert.match(scrape(name, 'a{abcdef="1"} 1\n').error?.message ?? '', /label_name_length_limit exceeded/);
});

test('a repeated series is dropped as a duplicate without failing the scrape', () => {
  const s = setup();
  const r = scrape(s, 'a 1\na 2\nb{x="1"} 1 5\nb{x="1"} 1\nc 1\nc 1 5\n');
  assert.equal(r.error, undefined);
  // As in Prometheus, a repeat without its own timestamp is a duplicate (a, and the second b) ...
  assert.equal(r.duplicates, 2);
  // ... and c at 5 after c at 1000 goes back in time.
  assert.equal(r.outOfOrder, 1);
  assert.deepEqual(lines(r.batch), [
    'a{instance="host:9100", job="app"} 1000=1',
    'b{instance="host:9100", job="app", x="1"} 5=1',
    'c{instance="host:9100", job="app"} 1000=1',
  ]);
});

test('a label given twice fails the scrape', () => {
  const r = scrape(setup(), 'a{x="1",x="2"} 1\n');
  assert.equal(r.error?.reason, 'invalid_series');
  assert.match(r.error?.message ?? '', /label x twice/);
});

test('legacy name validation rejects UTF-8 names', () => {
  const r = scrape(setup('metric_name_validation_scheme: legacy'), '{"my.metric"} 1\n');
  assert.equal(r.error?.reason, 'invalid_series');
  assert.equal(scrape(setup(), '{"my.metric"} 1\n').error, undefined);
});

test('extra_scrape_metrics adds timeout, sample limit and body size', () => {
  const s = setup('extra_scrape_metrics: true\nsample_limit: 10\nscrape_interval: 30s\nscrape_timeout: 7s');
  const r = scrape(s, 'a 1\n');
  assert.equal(reportValue(r, 'scrape_timeout_seconds'), 7);
  assert.equal(reportValue(r, 'scrape_sample_limit'), 10);
  assert.equal(reportValue(r, 'scrape_body_size_bytes'), 4);
});

test('OpenMetrics bodies keep _created series and convert second timestamps', () => {
  const s = setup();
  const body =
    '# TYPE c_seconds counter\n# UNIT c_seconds seconds\nc_seconds_total 1 1.5\nc_seconds_created 100\n# EOF\n';
  const r = scrape(s, body, 1000, 'openmetrics');
  assert.equal(r.error, undefined);
  assert.deepEqual(lines(r.batch), [
    'c_seconds_created{instance="host:9100", job="app"} 1000=100',
    'c_seconds_total{instance="host:9100", job="app"} 1500=1',
  ]);
  assert.deepEqual(r.metadata, [{ metric: 'c_seconds', type: 'counter', help: '', unit: 'seconds' }]);
});

test('staleness markers are the exact StaleNaN bit pattern', () => {
  const s = setup();
  scrape(s, 'a 1\n', 1000);
  const r = scrape(s, '', 2000);
  const a = r.batch.find((b) => b.labels.some((l) => l.value === 'a'));
  assert.ok(a && isStaleNaN(a.values[0]));
  // Ordinary NaN from the body is not a staleness marker.
  const n = scrape(s, 'a NaN\n', 3000).batch.find((b) => b.labels.some((l) => l.value === 'a'));
  assert.ok(n && Number.isNaN(n.values[0]) && !isStaleNaN(n.values[0]));
});
