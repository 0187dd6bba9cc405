/**
 * End to end in real time: a running Vigil with short intervals notifies, repeats after
 * repeat_interval and sends the resolution; and, configured with `alerting.alertmanagers`,
 * forwards rules' alerts to a real Alertmanager the way Prometheus does (external labels,
 * alert relabeling) instead of using its own pipeline.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labelsFromRecord } from '../model/labels.ts';
import { startTestVigil } from '../testutil/vigil.ts';
import {
  postAlerts,
  startRealAlertmanager,
  startTestAlerting,
  testReceiver,
  type WebhookMessage,
} from './testutil.ts';

test('real time: first notification after group_wait, a repeat after repeat_interval, then the resolution', async () => {
  const receiver = await testReceiver();
  const vigil = await startTestVigil(`
alertmanager:
  route:
    receiver: hook
    group_wait: 1s
    group_interval: 1s
    repeat_interval: 2s
  receivers:
    - name: hook
      webhook_configs: [{ url: '${receiver.url}/hook' }]
`);
  try {
    const posted = Date.now();
    const endsAt = new Date(posted + 60_000).toISOString();
    await postAlerts(vigil.url, [{ labels: { alertname: 'E2E', job: 'x' }, endsAt }]);
    await receiver.waitFor(2, 15_000);
    const [first, repeat] = receiver.requests;
    assert.ok(first.at - posted >= 1000, 'not before group_wait');
    assert.ok(repeat.at - first.at >= 2000, 'not before repeat_interval');
    assert.deepEqual(
      receiver.json<WebhookMessage>().map((m) => m.status),
      ['firing', 'firing'],
    );
    await postAlerts(vigil.url, [
      { labels: { alertname: 'E2E', job: 'x' }, endsAt: new Date().toISOString() },
    ]);
    const n = receiver.requests.length;
    await receiver.waitFor(n + 1, 15_000);
    const last = receiver.json<WebhookMessage>().at(-1)!;
    assert.equal(last.status, 'resolved');
    assert.equal(last.alerts[0].status, 'resolved');
    // Alertmanager's self-metrics on Vigil's /metrics.
    const metrics = await (await fetch(`${vigil.url}/metrics`)).text();
    assert.match(metrics, /^alertmanager_notifications_total\{integration="webhook"\} [3-9]/m);
    assert.match(metrics, /^alertmanager_alerts_received_total\{version="v2",status="resolved"\} 1$/m);
    assert.match(metrics, /^alertmanager_silences\{state="active"\} 0$/m);
    assert.match(metrics, /^alertmanager_nflog_entries 1$/m);
  } finally {
    await vigil.stop();
    await receiver.close();
  }
});

test('alerting.alertmanagers: rules’ alerts go to an external Alertmanager, with external labels and relabeling', async () => {
  const am = await startRealAlertmanager('route: { receiver: default }\nreceivers: [{ name: default }]\n');
  const target = am.url.replace('http://', '');
  const alerting = await startTestAlerting(`
global:
  external_labels: { cluster: eu-1, replica: a }
alerting:
  alert_relabel_configs:
    - action: labeldrop
      regex: replica
  alertmanagers:
    - static_configs: [{ targets: ['${target}'] }]
      timeout: 5s
`);
  try {
    const now = Date.now();
    alerting.module.notify([
      {
        labels: labelsFromRecord({ alertname: 'Forwarded', severity: 'page' }),
        annotations: labelsFromRecord({ summary: 'from rules' }),
        startsAt: now,
        endsAt: now + 60_000,
        generatorURL: 'http://vigil/graph?g0.expr=up',
      },
    ]);
    let alerts: {
      labels: Record<string, string>;
      annotations: Record<string, string>;
      generatorURL: string;
    }[] = [];
    for (let i = 0; i < 100 && alerts.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      alerts = (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as typeof alerts;
    }
    assert.equal(alerts.length, 1);
    assert.deepEqual(alerts[0].labels, { alertname: 'Forwarded', cluster: 'eu-1', severity: 'page' });
    assert.deepEqual(alerts[0].annotations, { summary: 'from rules' });
    assert.equal(alerts[0].generatorURL, 'http://vigil/graph?g0.expr=up');
    // Forwarding replaces the built-in pipeline when there is no alertmanager section.
    assert.deepEqual(alerting.module.alertmanager.store.list(), []);
  } finally {
    await alerting.stop();
    await am.stop();
  }
});
