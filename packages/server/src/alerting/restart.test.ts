/**
 * Restarts: alerts, silences and the notification log live in the data directory, so after a
 * restart nothing already notified is sent again within repeat_interval, and nothing that was
 * still due (a pending group, a resolved alert) is lost. Once on a manual clock with a graceful
 * restart (exact timing), once with `kill -9` of a real `vigil serve` process.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnVigil, type VigilProcess } from '../testutil/vigil.ts';
import { ManualClock } from './clock.ts';
import { postAlerts, startTestAlerting, testReceiver, type WebhookMessage } from './testutil.ts';

const T0 = Date.UTC(2024, 5, 3, 8, 0, 0);
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const iso = (ms: number) => new Date(ms).toISOString();

test('graceful restart: no repeat within repeat_interval, pending and resolved notifications still go out', async () => {
  const clock = new ManualClock(T0);
  const receiver = await testReceiver(() => clock.now());
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-alerting-restart-'));
  const config = `
alertmanager:
  route:
    receiver: hook
    group_by: [alertname]
    group_wait: 30s
    group_interval: 5m
    repeat_interval: 1h
  receivers:
    - name: hook
      webhook_configs: [{ url: '${receiver.url}/' }]
`;
  let am = await startTestAlerting(config, { clock, dataDir });
  try {
    await postAlerts(am.url, [
      { labels: { alertname: 'Firing' }, startsAt: iso(T0), endsAt: iso(T0 + 10 * H) },
    ]);
    await clock.advance(30 * S);
    assert.equal(receiver.requests.length, 1);

    // A second group is still waiting (group_wait) when the process goes down.
    await clock.advanceTo(T0 + M);
    await postAlerts(am.url, [
      { labels: { alertname: 'Pending' }, startsAt: iso(T0 + M), endsAt: iso(T0 + 10 * H) },
    ]);
    await clock.advance(10 * S);
    await am.stop();
    assert.equal(receiver.requests.length, 1);

    await clock.advanceTo(T0 + 2 * M);
    am = await startTestAlerting(config, { clock, dataDir });
    await clock.advance(0);
    // The pending group flushes at once (its alert is older than group_wait); the notified one does not repeat.
    assert.deepEqual(
      receiver.json<WebhookMessage>().map((m) => m.groupLabels.alertname),
      ['Firing', 'Pending'],
    );
    assert.equal(receiver.requests[1].at, T0 + 2 * M);

    // Ticks now run every 5m from the restart (T0+2m); the repeat is due at the first one more
    // than 1h after the last notification (T0+30s): T0+1h2m.
    await clock.advanceTo(T0 + H + 2 * M - 1);
    assert.equal(receiver.requests.length, 2, 'no repeat within repeat_interval');
    await clock.advanceTo(T0 + H + 2 * M);
    assert.deepEqual(
      receiver.json<WebhookMessage>().map((m) => m.groupLabels.alertname),
      ['Firing', 'Pending', 'Firing'],
    );

    // A resolution received just before a restart is notified after it.
    await postAlerts(am.url, [
      { labels: { alertname: 'Firing' }, startsAt: iso(T0), endsAt: iso(clock.now()) },
    ]);
    await am.stop();
    await clock.advance(M);
    am = await startTestAlerting(config, { clock, dataDir });
    await clock.advance(0);
    const last = receiver
      .json<WebhookMessage>()
      .filter((m) => m.groupLabels.alertname === 'Firing')
      .at(-1)!;
    assert.equal(last.status, 'resolved');
    await clock.advance(2 * H);
    assert.equal(
      receiver.json<WebhookMessage>().filter((m) => m.groupLabels.alertname === 'Firing').length,
      3,
    );
  } finally {
    await am.stop();
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('kill -9 of a vigil process: after restart nothing is lost and nothing repeated', async () => {
  const receiver = await testReceiver();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-alerting-kill-'));
  const dataDir = join(dir, 'data');
  const config = `
alertmanager:
  route:
    receiver: hook
    group_by: [alertname]
    group_wait: 500ms
    group_interval: 1s
    repeat_interval: 1h
    routes:
      - matchers: [slow="true"]
        receiver: hook
        group_wait: 2s
  receivers:
    - name: hook
      webhook_configs: [{ url: '${receiver.url}/' }]
`;
  let vigil: VigilProcess | undefined;
  const kill = async () => {
    vigil!.child.kill('SIGKILL');
    await vigil!.exited;
  };
  try {
    vigil = await spawnVigil(dataDir, config);
    await postAlerts(vigil.url, [{ labels: { alertname: 'Notified' } }]);
    await receiver.waitFor(1);
    // One group still in group_wait, one resolution not yet sent: then kill -9.
    await postAlerts(vigil.url, [{ labels: { alertname: 'Waiting', slow: 'true' } }]);
    await postAlerts(vigil.url, [{ labels: { alertname: 'Notified' }, endsAt: new Date().toISOString() }]);
    await kill();
    const before = receiver.json<WebhookMessage>().map((m) => `${m.groupLabels.alertname}:${m.status}`);

    vigil = await spawnVigil(dataDir, config);
    await receiver.waitFor(3, 15_000);
    // Give a repeat (if any were wrongly due) time to show up: several group intervals.
    await new Promise((r) => setTimeout(r, 3000));
    const all = receiver.json<WebhookMessage>().map((m) => `${m.groupLabels.alertname}:${m.status}`);
    assert.deepEqual(
      [...all].sort(),
      ['Notified:firing', 'Notified:resolved', 'Waiting:firing'],
      `before the kill: ${before.join(', ')}; in total: ${all.join(', ')}`,
    );
    vigil.child.kill('SIGTERM');
    await vigil.exited;
  } finally {
    if (vigil && vigil.child.exitCode === null && vigil.child.signalCode === null) await kill();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
