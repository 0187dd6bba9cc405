/**
 * SLOs against a real Prometheus 2.42 (Debian's /usr/bin/prometheus; the test fails when it is
 * missing): Vigil runs Sloth specs from its config, Prometheus runs the rule file generated from
 * the same specs (what `sloth generate` writes), both get the same traffic by remote write, and
 * every recorded `slo:*` series and every firing alert must agree.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { parseConfig } from '../config/load.ts';
import { encodeDataset, sendDataset } from '../promql/differential/remote-write.ts';
import { callApi, freePort, PROMETHEUS_BIN } from '../promql/differential/systems.ts';
import { VIGIL_VERSION } from '../self/version.ts';
import { startTestVigil } from '../testutil/vigil.ts';
import { generateSpec } from './generate.ts';
import { SLOTH_MODE } from './index.ts';

const SLOS = `
slos:
  - version: prometheus/v1
    service: checkout
    labels: {team: payments}
    slos:
      - name: availability
        objective: 99.9
        sli:
          events:
            error_query: sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))
            total_query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
        alerting:
          name: CheckoutBurn
          labels: {category: availability}
          page_alert: {labels: {severity: critical}}
      - name: latency
        objective: 95
        sli:
          latency: {histogram: http_request_duration_seconds, matchers: 'job="checkout"', threshold: 0.5}
        alerting: {name: CheckoutSlow}
  - version: prometheus/v1
    service: search
    slos:
      - name: availability
        objective: 99
        sli:
          raw:
            error_ratio_query: sum(rate(http_requests_total{job="search",code=~"5.."}[{{.window}}])) / sum(rate(http_requests_total{job="search"}[{{.window}}]))
        alerting: {name: SearchBurn}
`;

const STEP = 15_000;

/**
 * 45 minutes of counters at 15 s ending 2 minutes ahead (fresh while the rules run, and within
 * the hour Prometheus accepts behind its newest sample): checkout fails 5% of requests (a page at
 * 99.9%), 3% of its requests are slower than 0.5 s (under budget at 95%), search fails 0.5% (under
 * budget at 99%).
 */
function dataset(end: number) {
  const steps = 180;
  const start = end - (steps - 1) * STEP;
  const series = new Map<string, { labels: [string, string][]; timestamps: number[]; values: number[] }>();
  const add = (labels: [string, string][], t: number, v: number) => {
    const key = JSON.stringify(labels);
    const s = series.get(key) ?? { labels, timestamps: [], values: [] };
    s.timestamps.push(t);
    s.values.push(v);
    series.set(key, s);
  };
  for (let i = 0; i < steps; i++) {
    const t = start + i * STEP;
    const n = (i + 1) * 1000;
    add(
      [
        ['__name__', 'http_requests_total'],
        ['code', '200'],
        ['job', 'checkout'],
      ],
      t,
      n * 0.95,
    );
    add(
      [
        ['__name__', 'http_requests_total'],
        ['code', '500'],
        ['job', 'checkout'],
      ],
      t,
      n * 0.05,
    );
    add(
      [
        ['__name__', 'http_requests_total'],
        ['code', '200'],
        ['job', 'search'],
      ],
      t,
      n * 0.995,
    );
    add(
      [
        ['__name__', 'http_requests_total'],
        ['code', '500'],
        ['job', 'search'],
      ],
      t,
      n * 0.005,
    );
    for (const [le, share] of [
      ['0.1', 0.5],
      ['0.5', 0.97],
      ['+Inf', 1],
    ] as const)
      add(
        [
          ['__name__', 'http_request_duration_seconds_bucket'],
          ['job', 'checkout'],
          ['le', le],
        ],
        t,
        n * share,
      );
    add(
      [
        ['__name__', 'http_request_duration_seconds_count'],
        ['job', 'checkout'],
      ],
      t,
      n,
    );
  }
  return [...series.values()].map((s) => ({ ...s, values: Float64Array.from(s.values) }));
}

async function startPrometheusWithRules(rulesYaml: string) {
  if (!existsSync(PROMETHEUS_BIN))
    throw new Error(
      `${PROMETHEUS_BIN} not found: install Debian's prometheus package (CI does this in .ci/run)`,
    );
  const dir = mkdtempSync(join(tmpdir(), 'vigil-slo-prom-'));
  writeFileSync(join(dir, 'rules.yml'), rulesYaml);
  writeFileSync(join(dir, 'prometheus.yml'), 'global: {evaluation_interval: 1s}\nrule_files: [rules.yml]\n');
  const port = await freePort();
  const child = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (d) => {
    err = (err + d).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  await pollUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited:\n${err}`);
      return fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
    },
    (ok) => ok,
    () => `prometheus was not ready:\n${err}`,
  );
  return { url, stop };
}

async function pollUntil<T>(
  get: () => Promise<T>,
  done: (v: T) => boolean,
  failure: () => string,
): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const v = await get();
    if (done(v)) return v;
    if (Date.now() > deadline) assert.fail(failure());
    await new Promise((r) => setTimeout(r, 250));
  }
}

type Vector = { metric: Record<string, string>; value: [number, string] }[];

async function instant(url: string, query: string): Promise<Vector> {
  const answer = await callApi(url, '/api/v1/query', { query });
  assert.equal(answer.body?.status, 'success', JSON.stringify(answer.body));
  return answer.body.data.result as Vector;
}

const key = (m: Record<string, string>) =>
  JSON.stringify(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

test('SLO rules give the same series and alerts in Vigil and Prometheus 2.42', {
  timeout: 180_000,
}, async () => {
  const config = parseConfig(SLOS, 'slos.yml');
  const groups = config.slos.flatMap((spec) =>
    generateSpec(spec, { version: VIGIL_VERSION, mode: SLOTH_MODE }),
  );
  const prometheus = await startPrometheusWithRules(stringify({ groups }));
  const vigil = await startTestVigil(`global: {evaluation_interval: 1s}\n${SLOS}`);
  try {
    const bodies = encodeDataset(dataset(Math.floor(Date.now() / STEP) * STEP + 2 * 60_000), 10 * 60_000);
    await sendDataset('prometheus', `${prometheus.url}/api/v1/write`, bodies);
    await sendDataset('vigil', `${vigil.url}/api/v1/write`, bodies);

    // Both have evaluated every group over the data: every SLO has its remaining budget.
    const budget = 'slo:period_error_budget_remaining:ratio';
    for (const url of [prometheus.url, vigil.url])
      await pollUntil(
        () => instant(url, budget),
        (v) => v.length === 3 && v.every((s) => Number.isFinite(Number(s.value[1]))),
        () => `${url} did not record ${budget} for the 3 SLOs`,
      );
    // A few more evaluations so every rule has seen the full data.
    await new Promise((r) => setTimeout(r, 3_000));

    const query = '{__name__=~"slo:.+|sloth_slo_info"}';
    const [want, got] = await Promise.all([instant(prometheus.url, query), instant(vigil.url, query)]);
    assert.equal(want.length, 3 * (8 + 7), 'Prometheus recorded 8 SLI windows and 7 metadata series per SLO');
    const byKey = new Map(got.map((s) => [key(s.metric), Number(s.value[1])]));
    for (const s of want) {
      const name = `${s.metric.__name__}{sloth_id="${s.metric.sloth_id}"${s.metric.sloth_window ? `, sloth_window="${s.metric.sloth_window}"` : ''}}`;
      const v = byKey.get(key(s.metric));
      assert.ok(v !== undefined, `Vigil has no ${name} with Prometheus's labels`);
      const w = Number(s.value[1]);
      assert.ok(Math.abs(v - w) <= 1e-9 * Math.max(1, Math.abs(w)), `${name}: Vigil ${v}, Prometheus ${w}`);
    }
    assert.equal(got.length, want.length, 'Vigil recorded no extra series');
    // The traffic's arithmetic, as a sanity check of the data both received.
    const ratio = (id: string) =>
      Number(
        want.find((s) => s.metric.__name__ === 'slo:sli_error:ratio_rate1h' && s.metric.sloth_id === id)!
          .value[1],
      );
    assert.ok(Math.abs(ratio('checkout-availability') - 0.05) < 1e-9);
    assert.ok(Math.abs(ratio('checkout-latency') - 0.03) < 1e-9);
    assert.ok(Math.abs(ratio('search-availability') - 0.005) < 1e-9);

    // Alerts: the same firing set, by labels.
    const alerts = async (url: string) => {
      const answer = await callApi(url, '/api/v1/alerts');
      return (answer.body.data.alerts as { labels: Record<string, string>; state: string }[])
        .filter((a) => a.state === 'firing')
        .map((a) => key(a.labels))
        .sort();
    };
    const [wantAlerts, gotAlerts] = await Promise.all([alerts(prometheus.url), alerts(vigil.url)]);
    // checkout availability burns 50x (page and ticket); latency 0.6x and search 0.5x stay quiet.
    assert.equal(wantAlerts.length, 2, wantAlerts.join('\n'));
    assert.deepEqual(gotAlerts, wantAlerts);
  } finally {
    await vigil.stop();
    await prometheus.stop();
  }
});
