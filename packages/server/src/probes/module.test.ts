import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { parseConfig } from '../config/load.ts';
import { probeModuleSchema } from '../config/probes.ts';
import { createMetricsSink } from '../ingest/metrics-sink.ts';
import { formatLabels, labelsFromRecord } from '../model/labels.ts';
import { newMatcher } from '../model/matcher.ts';
import { isStaleNaN } from '../model/sample.ts';
import { SelfMetrics } from '../self/metrics.ts';
import { MemoryStorage } from '../storage/memory/memory-storage.ts';
import { startTestVigil } from '../testutil/vigil.ts';
import { probeTimeout } from './handler.ts';
import { startProbes } from './index.ts';
import { formatGoFloat, ProbeRegistry } from './registry.ts';
import { effectiveTimeout } from './scheduler.ts';
import { startHttpServer, type TestServer } from './testutil.ts';

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

test('floats are written as Go writes them', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [1, '1'],
    [-1, '-1'],
    [0.25, '0.25'],
    [200, '200'],
    [123456, '123456'],
    [1e6, '1e+06'],
    [1700000000, '1.7e+09'],
    [3668918509, '3.668918509e+09'],
    [1.1627e-5, '1.1627e-05'],
    [0.0001, '0.0001'],
    [-62135596800, '-6.21355968e+10'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, '+Inf'],
  ];
  for (const [v, want] of cases) assert.equal(formatGoFloat(v), want, String(v));
});

test('the registry renders families sorted by name and series by label values, like promhttp', () => {
  const r = new ProbeRegistry();
  r.gauge('probe_b', 'B help').set(2);
  const vec = r.gauge('probe_a', 'A "help"\nline', ['phase']);
  vec.labels('z').set(1);
  vec.labels('a').set(0.5);
  r.gauge('probe_empty_vec', 'never set', ['x']);
  assert.equal(
    r.render(),
    [
      '# HELP probe_a A "help"\\nline',
      '# TYPE probe_a gauge',
      'probe_a{phase="a"} 0.5',
      'probe_a{phase="z"} 1',
      '# HELP probe_b B help',
      '# TYPE probe_b gauge',
      'probe_b 2',
      '',
    ].join('\n'),
  );
  const samples = r.samples(labelsFromRecord({ job: 'j', instance: 'i' }));
  assert.deepEqual(samples.map((s) => formatLabels(s.labels)).sort(), [
    'probe_a{instance="i", job="j", phase="a"}',
    'probe_a{instance="i", job="j", phase="z"}',
    'probe_b{instance="i", job="j"}',
  ]);
});

test('timeouts: Prometheus header minus the offset, or the module timeout when shorter', () => {
  const m = (timeout: string) => probeModuleSchema.parse({ prober: 'http', timeout });
  assert.equal(probeTimeout(undefined, m('0s')), 119.5);
  assert.equal(probeTimeout('10', m('0s')), 9.5);
  assert.equal(probeTimeout('10', m('5s')), 5);
  assert.equal(probeTimeout('10', m('30s')), 9.5);
  assert.equal(probeTimeout('0.2', m('3s')), 3, 'a header below the offset falls back to the module timeout');
  assert.deepEqual(probeTimeout('ten', m('0s')), {
    error: 'strconv.ParseFloat: parsing "ten": invalid syntax',
  });
  assert.equal(effectiveTimeout({ timeoutMs: 10_000, module: m('0s') }), 9.5);
  assert.equal(effectiveTimeout({ timeoutMs: 10_000, module: m('2s') }), 2);
});

test('/probe: debug output, hostname parameter and the timeout header, as the exporter handles them', async () => {
  let host = '';
  const s = await startHttpServer((req, res) => {
    host = req.headers.host ?? '';
    res.end('ok');
  });
  servers.push(s);
  const vigil = await startTestVigil(`
probes:
  modules:
    with_host:
      prober: http
      http: { headers: { Host: fixed.example } }
`);
  try {
    const get = (q: string, headers: Record<string, string> = {}) =>
      fetch(`${vigil.url}/probe?${q}`, { headers });
    const debug = await (await get(`target=${s.address}&debug=true`)).text();
    assert.match(debug, /^Logs for the probe:\n/);
    assert.match(debug, /Metrics that would have been returned:\n# HELP/);
    assert.match(debug, /Module configuration:\nprober: http\n/);

    const res = await get(`target=${s.address}&hostname=api.example`);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(await res.text(), /probe_success 1/);
    assert.equal(host, 'api.example');
    const clash = await get(`target=${s.address}&module=with_host&hostname=other.example`);
    assert.equal(clash.status, 400);
    assert.match(await clash.text(), /host header defined both in module configuration \(fixed.example\)/);

    const timed = await (
      await get(`target=${s.address}`, { 'X-Prometheus-Scrape-Timeout-Seconds': '3' })
    ).text();
    assert.match(timed, /probe_timeout_seconds 2.5/);
    const bad = await get(`target=${s.address}`, { 'X-Prometheus-Scrape-Timeout-Seconds': 'soon' });
    assert.equal(bad.status, 500);
    assert.match(await bad.text(), /Failed to parse timeout from Prometheus header/);
    const icmp = await get('target=127.0.0.1&module=icmp');
    assert.equal(icmp.status, 400, 'modules Vigil cannot run are unknown to /probe');
  } finally {
    await vigil.stop();
  }
});

test('scheduled probes store their series with job, instance and labels, and go stale when removed', async () => {
  const s = await startHttpServer((_req, res) => res.end('ok'));
  servers.push(s);
  const storage = new MemoryStorage();
  const self = new SelfMetrics();
  const yaml = (targets: string) => `
global: { scrape_interval: 1s, scrape_timeout: 1s }
probes:
  targets:
${targets}`;
  const config = parseConfig(
    yaml(`    - job: web
      targets: ['http://${s.address}/', 'http://127.0.0.1:1/']
      labels: { team: core }
`),
    'p.yml',
  );
  const probes = await startProbes({
    config,
    baseDir: '/',
    sink: createMetricsSink(storage, config.limits, self),
    logger: pino({ level: 'silent' }),
    self,
    now: Date.now,
  });
  const successOf = async (instance: string) => {
    const series = await storage.select(
      [newMatcher('=', '__name__', 'probe_success'), newMatcher('=', 'instance', instance)],
      { minT: 0, maxT: Date.now() + 60_000 },
    );
    return series[0];
  };
  try {
    const deadline = Date.now() + 10_000;
    while (!(await successOf('http://127.0.0.1:1/')) || !(await successOf(`http://${s.address}/`))) {
      if (Date.now() > deadline) throw new Error('no probe results stored within 10s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const up = await successOf(`http://${s.address}/`);
    assert.equal(
      formatLabels(up.labels),
      `probe_success{instance="http://${s.address}/", job="web", team="core"}`,
    );
    assert.equal(up.values[0], 1);
    assert.equal((await successOf('http://127.0.0.1:1/')).values[0], 0);
    const statuses = probes.statuses();
    assert.equal(statuses.length, 2);
    assert.match(statuses.find((x) => x.instance === 'http://127.0.0.1:1/')!.lastError, /ECONNREFUSED/);

    // Remove the failing target: its series get staleness markers; the other keeps running.
    await probes.reload(
      parseConfig(
        yaml(`    - job: web
      targets: ['http://${s.address}/']
      labels: { team: core }
`),
        'p.yml',
      ),
    );
    const gone = await successOf('http://127.0.0.1:1/');
    assert.ok(isStaleNaN(gone.values[gone.values.length - 1]), 'removed target is marked stale');
    assert.equal(probes.statuses().length, 1);
  } finally {
    await probes.stop();
  }
  assert.match(self.render(), /vigil_probes_total\{job="web",result="success"\} [1-9]/);
});

test('config errors name the key and say what to do', () => {
  const bad: [string, RegExp][] = [
    [
      'probes:\n  targets:\n    - job: a\n      module: nope\n      targets: [x]\n',
      /probes\.targets\.0\.module: unknown module "nope"/,
    ],
    [
      'probes:\n  modules:\n    ping: { prober: icmp }\n  targets:\n    - job: a\n      module: ping\n      targets: [x]\n',
      /prober 'icmp', which Vigil cannot run: ICMP needs raw sockets/,
    ],
    [
      'probes:\n  modules:\n    m: { prober: http, http: { fail_if_body_matches_regexp: ["(("] } }\n',
      /invalid regular expression/,
    ],
    [
      'probes:\n  modules:\n    m: { prober: dns }\n',
      /probes\.modules\.m\.dns\.query_name: query name must be set for DNS module/,
    ],
    [
      'probes:\n  modules:\n    m: { prober: dns, dns: { query_name: x, query_type: AAA } }\n',
      /unknown query_type "AAA"/,
    ],
    ['probes:\n  modules:\n    m: { prober: ftp }\n', /prober 'ftp' is not valid/],
    [
      'probes:\n  modules:\n    m: { prober: http, http: { proxy_url: "http://p" } }\n',
      /proxy_url is not supported/,
    ],
    ['probes:\n  targets:\n    - job: a\n      targets: [x, x]\n', /appears twice in job "a"/],
    [
      'probes:\n  targets:\n    - job: a\n      targets: [x]\n      labels: { instance: y }\n',
      /label "instance" is set by Vigil/,
    ],
  ];
  for (const [yaml, want] of bad) assert.throws(() => parseConfig(yaml, 'c.yml'), want);
  // A whole blackbox.yml with modules Vigil cannot run still loads.
  const ok = parseConfig('probes:\n  modules:\n    icmp: { prober: icmp, icmp: { ttl: 5 } }\n', 'c.yml');
  assert.equal(ok.probes?.modules.icmp.prober, 'icmp');
});
