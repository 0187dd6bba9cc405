/**
 * End to end: a scraped metric feeds an anomaly rule, whose anomaly_score is what an ordinary
 * alerting rule (`anomaly_score > 3 for ...`) watches. Normal noise must not fire it; a spike must,
 * carrying the source series' labels. Everything is real: the scrape target is an HTTP server,
 * the rule file is read from disk, and the alert is read from /api/v1/alerts.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { startTestVigil, tempDir } from '../testutil/vigil.ts';

interface Alert {
  labels: Record<string, string>;
  state: string;
  value: string;
  activeAt: string;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('an alerting rule on anomaly_score > 3 stays quiet on noise and fires on a spike, with the source labels', async () => {
  // The target: a latency gauge around 0.2 s with ±0.02 s of deterministic noise, until `spike`.
  // The noise takes a new value on every scrape, so the window never holds mostly equal values
  // (whose near-zero spread would make ordinary noise look anomalous).
  let spike = false;
  let n = 0;
  const target = createServer((_req, res) => {
    n++;
    const v = spike ? 2 : 0.2 + 0.02 * Math.sin(n);
    res.setHeader('Content-Type', 'text/plain; version=0.0.4');
    res.end(`# TYPE checkout_latency_seconds gauge\ncheckout_latency_seconds{route="/pay"} ${v}\n`);
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const port = (target.address() as AddressInfo).port;

  const dir = tempDir('vigil-anomaly-alert-');
  const rules = join(dir.path, 'rules.yml');
  writeFileSync(
    rules,
    `groups:
- name: anomalies
  interval: 1s
  rules:
  - alert: CheckoutLatencyAnomaly
    expr: anomaly_score{anomaly_name="checkout_latency"} > 3
    for: 2s
    labels: {severity: ticket}
    annotations: {summary: 'latency of {{ $labels.route }} is {{ $value }} sigmas off'}
`,
  );
  const vigil = await startTestVigil(`
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: shop
    static_configs:
      - targets: ['127.0.0.1:${port}']
rule_files: [${JSON.stringify(rules)}]
anomaly_rules:
  - name: checkout_latency
    expr: checkout_latency_seconds
    interval: 1s
    model: { type: robust_zscore, window: 1m, min_samples: 10 }
`);
  const alerts = async () =>
    ((await (await fetch(`${vigil.url}/api/v1/alerts`)).json()) as { data: { alerts: Alert[] } }).data.alerts;
  const query = async (q: string) =>
    (
      (await (await fetch(`${vigil.url}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as {
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      }
    ).data.result;
  try {
    // Past warm-up, through several alert evaluations of ordinary noise: nothing pending or firing.
    await waitFor('eight scored samples of noise', async () =>
      (await query('count_over_time(anomaly_score[1m]) >= 8')).length > 0 ? true : undefined,
    );
    assert.deepEqual(await alerts(), [], 'noise around the median must not raise the alert');
    const calm = await query('max_over_time(anomaly_score[1m])');
    assert.ok(Number(calm[0].value[1]) < 3, `noise scored ${calm[0].value[1]}`);

    spike = true;
    const firing = await waitFor('the alert to fire', async () => {
      const a = (await alerts()).find((x) => x.state === 'firing');
      return a;
    });
    assert.deepEqual(firing.labels, {
      alertname: 'CheckoutLatencyAnomaly',
      anomaly_name: 'checkout_latency',
      instance: `127.0.0.1:${port}`,
      job: 'shop',
      route: '/pay',
      severity: 'ticket',
    });
    assert.ok(Number(firing.value) > 3, `alert value ${firing.value}`);
    // The bands the UI draws surround the old level, so the spike lies above the upper band.
    const above = await query('checkout_latency_seconds > on(route, job, instance) anomaly_upper_band');
    assert.equal(above.length, 1, 'the spiking series is above its upper band');
    // The alert is an ordinary ALERTS series too.
    const series = await query('ALERTS{alertname="CheckoutLatencyAnomaly", alertstate="firing"}');
    assert.equal(series.length, 1);
  } finally {
    await vigil.stop();
    await new Promise((r) => target.close(r));
    dir.remove();
  }
});
