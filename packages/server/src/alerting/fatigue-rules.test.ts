/**
 * Flap detection in a real Vigil, in real time: an alerting rule that fires on every other
 * evaluation flaps; its alert is shown as flapping by Prometheus's /api/v1/alerts (Vigil's `vigil`
 * field) and by Alertmanager's /api/v2/alerts, and the webhook hears of it once as flapping
 * instead of at every change.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startTestVigil } from '../testutil/vigil.ts';
import { testReceiver } from './testutil.ts';

interface V1Alert {
  labels: Record<string, string>;
  state: string;
  vigil?: { flapping: boolean; stateChanges: number };
}

test('a rule that fires on every other evaluation is reported flapping by both alerts APIs, and notified once as such', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-flap-rules-'));
  const rules = join(dir, 'rules.yml');
  // time() advances 1s per evaluation, so the condition holds on every other one.
  writeFileSync(
    rules,
    `groups:
- name: flappy
  interval: 1s
  rules:
  - alert: Flappy
    expr: vector(1) and on() (floor(vector(time())) % 2 == 0)
`,
  );
  const receiver = await testReceiver();
  let vigil: Awaited<ReturnType<typeof startTestVigil>> | undefined;
  try {
    vigil = await startTestVigil(`
rule_files: [${JSON.stringify(rules)}]
alertmanager:
  route:
    receiver: hook
    group_by: [alertname]
    group_wait: 1s
    group_interval: 1s
    repeat_interval: 1h
  receivers:
    - name: hook
      webhook_configs: [{ url: '${receiver.url}/' }]
alerting:
  fatigue:
    flap_detection: { max_changes: 3, window: 1m }
`);
    let flapping: V1Alert | undefined;
    const deadline = Date.now() + 30_000;
    while (!flapping && Date.now() < deadline) {
      const body = (await (await fetch(`${vigil!.url}/api/v1/alerts`)).json()) as {
        data: { alerts: V1Alert[] };
      };
      flapping = body.data.alerts.find((a) => a.vigil?.flapping);
      if (!flapping) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(flapping, '/api/v1/alerts showed no flapping alert within 30s');
    assert.equal(flapping.labels.alertname, 'Flappy');
    assert.ok(flapping.vigil!.stateChanges > 3);

    // Alertmanager's API lists it (held firing) with the same state, whatever the rule does now.
    const v2 = (await (await fetch(`${vigil!.url}/api/v2/alerts`)).json()) as {
      labels: Record<string, string>;
      vigil?: { flapping: boolean };
    }[];
    assert.deepEqual(
      v2.map((a) => [a.labels.alertname, a.vigil?.flapping]),
      [['Flappy', true]],
    );

    // Once flapping, the webhook gets one notification saying so; then, for several more flaps,
    // nothing (the alert keeps changing state every second meanwhile).
    const marked = () =>
      receiver.json().filter((m) => m.alerts.some((a) => a.annotations.vigil_flapping === 'true')).length;
    const until = Date.now() + 20_000;
    while (marked() === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    assert.equal(marked(), 1);
    const count = receiver.requests.length;
    await new Promise((r) => setTimeout(r, 4_000));
    assert.equal(receiver.requests.length, count, 'no notifications while flapping');
    assert.equal(receiver.json().at(-1)!.alerts[0].annotations.vigil_flapping, 'true');
  } finally {
    await vigil?.stop();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
