/**
 * Reloading the alertmanager configuration: new routes and receivers take over, the alerts stay,
 * and a configuration that cannot be loaded is refused with the old one kept running.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../config/load.ts';
import { ManualClock } from './clock.ts';
import { postAlerts, startTestAlerting, testReceiver, type WebhookMessage } from './testutil.ts';

const T0 = Date.UTC(2024, 3, 1, 9, 0, 0);
const config = (url: string, receiver: string) => `
alertmanager:
  route:
    receiver: ${receiver}
    group_by: [alertname]
    group_wait: 10s
    group_interval: 1m
    repeat_interval: 1h
  receivers:
    - name: first
      webhook_configs: [{ url: '${url}/first' }]
    - name: second
      webhook_configs: [{ url: '${url}/second' }]
`;

test('reload switches receivers, keeps the alerts, and refuses a config it cannot load', async () => {
  const clock = new ManualClock(T0);
  const receiver = await testReceiver(() => clock.now());
  const am = await startTestAlerting(config(receiver.url, 'first'), { clock });
  try {
    await postAlerts(am.url, [
      {
        labels: { alertname: 'Kept' },
        startsAt: new Date(T0).toISOString(),
        endsAt: new Date(T0 + 36e5 * 10).toISOString(),
      },
    ]);
    await clock.advance(10_000);
    assert.deepEqual(
      receiver.requests.map((r) => r.url),
      ['/first'],
    );

    await am.module.reload(parseConfig(config(receiver.url, 'second'), 'vigil.yml'));
    // The alert is still there, in a group of the new route, which waits group_wait afresh.
    await clock.advance(9_999);
    assert.equal(receiver.requests.length, 1);
    await clock.advance(1);
    assert.deepEqual(
      receiver.requests.map((r) => r.url),
      ['/first', '/second'],
    );
    assert.equal(receiver.json<WebhookMessage>()[1].receiver, 'second');

    // An invalid inline section never gets here (Vigil's config parsing refuses it); a
    // config_file is read by alerting itself, and a bad one is refused with the old config kept.
    await assert.rejects(
      am.module.reload(
        parseConfig('alertmanager:\n  config_file: /nonexistent/alertmanager.yml\n', 'vigil.yml'),
      ),
      /cannot read alertmanager.config_file/,
    );
    const status = (await (await fetch(`${am.url}/api/v2/status`)).json()) as {
      config: { original: string };
    };
    assert.match(status.config.original, /receiver: second/);
    const receivers = (await (await fetch(`${am.url}/api/v2/receivers`)).json()) as { name: string }[];
    assert.deepEqual(
      receivers.map((r) => r.name),
      ['first', 'second'],
    );
    const alerts = (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as {
      receivers: { name: string }[];
    }[];
    assert.deepEqual(alerts[0].receivers, [{ name: 'second' }]);
  } finally {
    await am.stop();
    await receiver.close();
  }
});
