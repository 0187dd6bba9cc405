import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labelsToRecord } from '../../model/labels.ts';
import { resolveScrapeJob, ScrapeConfigError, type ScrapeJob } from './config.ts';
import { populateTarget, type TargetResult } from './targets.ts';
import { scrapeOptions } from './testutil.ts';

function job(yaml: string, global = ''): ScrapeJob {
  const opts = scrapeOptions(
    `${global}\nscrape_configs:\n  - job_name: node\n${yaml.replace(/^/gm, '    ')}\n`,
  );
  return resolveScrapeJob(opts.scrapeConfigs[0], opts.global, '/etc/vigil', 1 << 20);
}

function target(r: TargetResult) {
  assert.equal(r.kind, 'target', JSON.stringify(r));
  const t = (r as Extract<TargetResult, { kind: 'target' }>).target;
  return { labels: labelsToRecord(t.labels), public: labelsToRecord(t.publicLabels), url: t.url.href, t };
}

test('target labels get Prometheus defaults; instance defaults to the address', () => {
  const j = job('scrape_interval: 15s\nparams: {module: [http_2xx, ignored]}');
  const t = target(
    populateTarget(j, { __address__: 'host:9100' }, { env: 'prod', __meta_filepath: '/x.yml' }),
  );
  assert.deepEqual(t.labels, {
    __address__: 'host:9100',
    __metrics_path__: '/metrics',
    __param_module: 'http_2xx',
    __scheme__: 'http',
    __scrape_interval__: '15s',
    __scrape_timeout__: '10s',
    env: 'prod',
    instance: 'host:9100',
    job: 'node',
  });
  assert.deepEqual(t.public, { env: 'prod', instance: 'host:9100', job: 'node' });
  assert.equal(t.url, 'http://host:9100/metrics?module=http_2xx&module=ignored');
  assert.equal(t.t.interval, 15_000);
  assert.equal(t.t.timeout, 10_000);
});

test('scrape_timeout defaults to the global timeout, capped by the interval', () => {
  assert.equal(job('scrape_interval: 5s').timeout, 5_000);
  assert.equal(job('scrape_interval: 1m').timeout, 10_000);
  assert.equal(job('', 'global:\n  scrape_interval: 20s\n  scrape_timeout: 3s').timeout, 3_000);
  assert.throws(
    () => job('scrape_timeout: 2m'),
    (err) =>
      err instanceof ScrapeConfigError &&
      /scrape_timeout \(2m\) of job "node" is greater than its scrape_interval \(1m\)/.test(err.message),
  );
});

test('relabel_configs can rewrite address, scheme, path, params, interval; __meta_ labels go away', () => {
  const j = job(`relabel_configs:
  - source_labels: [__meta_port]
    target_label: __address__
    regex: '(.+)'
    replacement: 'example.org:$1'
  - target_label: __scheme__
    replacement: https
  - target_label: __metrics_path__
    replacement: /probe
  - target_label: __param_target
    replacement: 'a b'
  - target_label: __scrape_interval__
    replacement: 30s
  - source_labels: [__meta_team]
    target_label: team
  - target_label: instance
    replacement: nice-name`);
  const t = target(populateTarget(j, { __address__: 'x:1', __meta_port: '8443' }, { __meta_team: 'infra' }));
  assert.equal(t.url, 'https://example.org:8443/probe?target=a+b');
  assert.deepEqual(t.public, { instance: 'nice-name', job: 'node', team: 'infra' });
  assert.equal(t.t.interval, 30_000);
  assert.equal(t.labels.__meta_port, undefined);
});

test('keep/drop in relabel_configs drop targets; invalid results are errors', () => {
  const j = job(`relabel_configs:
  - source_labels: [env]
    regex: prod
    action: keep`);
  assert.equal(populateTarget(j, { __address__: 'a:1' }, { env: 'dev' }).kind, 'dropped');
  assert.equal(populateTarget(j, { __address__: 'a:1' }, { env: 'prod' }).kind, 'target');

  const bad = (relabel: string) =>
    populateTarget(job(`relabel_configs:\n${relabel}`), { __address__: 'a:1' }, {});
  const err = (r: TargetResult) => (r.kind === 'error' ? r.error : `not an error: ${r.kind}`);
  assert.match(
    err(
      bad(
        '  - target_label: __address__\n    replacement: ""\n    regex: "(.*)"\n    source_labels: [nothing]',
      ),
    ),
    /no __address__/,
  );
  assert.match(
    err(bad('  - target_label: __scrape_interval__\n    replacement: soon')),
    /invalid __scrape_interval__ "soon"/,
  );
  assert.match(
    err(bad('  - target_label: __scrape_timeout__\n    replacement: 2m')),
    /cannot be greater than scrape interval/,
  );
  assert.match(err(bad('  - target_label: __scheme__\n    replacement: ftp')), /unsupported scheme "ftp"/);
  assert.match(
    err(bad('  - target_label: __address__\n    replacement: "http://a:1/metrics"')),
    /not a valid host:port/,
  );
});

test('target identity includes labels and URL', () => {
  const j = job('');
  const a = target(populateTarget(j, { __address__: 'h:1' }, {}));
  const b = target(populateTarget(j, { __address__: 'h:1' }, {}));
  const c = target(populateTarget(j, { __address__: 'h:1' }, { x: 'y' }));
  assert.equal(a.t.key, b.t.key);
  assert.notEqual(a.t.key, c.t.key);
});
