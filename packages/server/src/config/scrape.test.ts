import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseConfig } from './load.ts';
import { scrapeConfigListSchema } from './scrape.ts';

const parse = (yaml: string) => parseConfig(yaml, 'vigil.yml');

function problems(yaml: string): string[] {
  try {
    parse(yaml);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return [...err.problems];
  }
  assert.fail('expected the config to be rejected');
}

test('a Prometheus scrape config is accepted with Prometheus defaults', () => {
  const c = parse(`
global:
  scrape_interval: 15s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['localhost:9100', 'db:9100']
        labels: {env: prod, port: 9100}
    file_sd_configs:
      - files: ['targets/*.yml']
    basic_auth: {username: u, password_file: secret.txt}
    tls_config: {ca_file: ca.pem, insecure_skip_verify: false}
    relabel_configs:
      - source_labels: [__address__]
        target_label: instance
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: go_.*
        action: drop
    scrape_native_histograms: false
    enable_http2: true
`).scrape_configs[0];
  assert.equal(c.job_name, 'node');
  assert.equal(c.metrics_path, '/metrics');
  assert.equal(c.scheme, 'http');
  assert.equal(c.honor_timestamps, true);
  assert.equal(c.honor_labels, false);
  assert.equal(c.enable_compression, true);
  assert.equal(c.follow_redirects, true);
  assert.equal(c.scrape_interval, undefined); // resolved against global by the scraper
  assert.deepEqual(c.static_configs[0].labels, { env: 'prod', port: '9100' });
  assert.equal(c.file_sd_configs[0].refresh_interval, 300_000);
  assert.equal(c.relabel_configs[0].action, 'replace');
  assert.equal(c.metric_relabel_configs[0].action, 'drop');
});

test('scrape config errors name the file, line and key', () => {
  const cases: [string, RegExp][] = [
    [
      'scrape_configs:\n  - job_name: a\n    scrape_intervall: 15s\n',
      /^vigil\.yml:3: scrape_configs\.0: unknown key "scrape_intervall"$/,
    ],
    ['scrape_configs:\n  - job_name: ""\n', /scrape_configs\.0\.job_name: job_name is empty/],
    ['scrape_configs:\n  - job_name: a\n    scheme: ftp\n', /vigil\.yml:3: scrape_configs\.0\.scheme/],
    [
      'scrape_configs:\n  - job_name: a\n    scrape_interval: 10s\n    scrape_timeout: 20s\n',
      /vigil\.yml:4: scrape_configs\.0\.scrape_timeout: scrape_timeout is greater than scrape_interval/,
    ],
    ['scrape_configs:\n  - job_name: a\n    scrape_interval: 10 s\n', /"10 s" is not a duration/],
    [
      'scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: ["http://h:1/metrics"]\n',
      /vigil\.yml:4: scrape_configs\.0\.static_configs\.0\.targets\.0: "http:\/\/h:1\/metrics" is not a valid target address/,
    ],
    [
      'scrape_configs:\n  - job_name: a\n    kubernetes_sd_configs:\n      - role: pod\n',
      /scrape_configs\.0\.kubernetes_sd_configs: this service discovery is not supported by Vigil/,
    ],
    [
      'scrape_configs:\n  - job_name: a\n    scrape_native_histograms: true\n',
      /native histograms are not supported/,
    ],
    [
      'scrape_configs:\n  - job_name: a\n    scrape_protocols: [PrometheusProto]\n',
      /PrometheusProto \(protobuf exposition\) is not supported/,
    ],
    [
      'scrape_configs:\n  - job_name: a\n    fallback_scrape_protocol: Text\n',
      /unknown scrape protocol "Text"/,
    ],
    [
      'scrape_configs:\n  - job_name: a\n    bearer_token: x\n    bearer_token_file: y\n',
      /at most one of bearer_token and bearer_token_file/,
    ],
    [
      'scrape_configs:\n  - job_name: a\n    bearer_token: x\n    basic_auth: {username: u}\n',
      /at most one of basic_auth, authorization, bearer_token and bearer_token_file/,
    ],
    ['scrape_configs:\n  - job_name: a\n    authorization: {type: Basic}\n', /use basic_auth instead/],
    ['scrape_configs:\n  - job_name: a\n    tls_config: {cert_file: c.pem}\n', /needs both cert .* and key/],
    [
      'scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: ["dir/*/targets.yml"]\n',
      /may have a "\*" only in its last element/,
    ],
    [
      'scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: ["targets.txt"]\n',
      /must end in \.json, \.yml or \.yaml/,
    ],
    [
      'scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - action: hashmod\n        target_label: x\n',
      /vigil\.yml:4: scrape_configs\.0\.relabel_configs\.0\.modulus: the hashmod action requires a non-zero modulus/,
    ],
    ['scrape_configs:\n  - job_name: a\n    sample_limit: -1\n', /scrape_configs\.0\.sample_limit/],
    [
      'scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: [a]\n        extra: 1\n',
      /unknown key "extra"/,
    ],
  ];
  for (const [yaml, want] of cases) {
    const got = problems(yaml);
    assert.ok(
      got.some((p) => want.test(p)),
      `${JSON.stringify(yaml)}\n  wanted ${want}\n  got ${got.join('\n      ')}`,
    );
  }
});

test('scrapeConfigListSchema rejects duplicate job names', () => {
  assert.throws(
    () => parseConfig('- job_name: a\n- job_name: b\n- job_name: a\n', 'list.yml', scrapeConfigListSchema),
    /list\.yml:3: 2\.job_name: job_name "a" is used by more than one scrape config \(also entry 0\)/,
  );
});
