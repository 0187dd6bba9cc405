/**
 * Alert-fatigue controls on a manual clock: flap detection (an alert changing state more than
 * max_changes times within the window is held firing, notified once, released after quiet_for)
 * and per-receiver rate limits with a digest. Alerts go in through the real HTTP API, out to a
 * real local webhook receiver; the state is read back from the alerts API.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, parseConfig } from '../config/load.ts';
import { labelsFromRecord } from '../model/labels.ts';
import { ManualClock } from './clock.ts';
import { loadAmConfig } from './config.ts';
import {
  postAlerts,
  startTestAlerting,
  type TestAlerting,
  type TestReceiver,
  testReceiver,
} from './testutil.ts';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const iso = (ms: number) => new Date(ms).toISOString();

interface Env {
  clock: ManualClock;
  receiver: TestReceiver;
  am: TestAlerting;
}

async function setup(config: (url: string) => string): Promise<Env> {
  const clock = new ManualClock(T0);
  const receiver = await testReceiver(() => clock.now());
  const am = await startTestAlerting(config(receiver.url), { clock });
  return { clock, receiver, am };
}

async function teardown(env: Env | undefined): Promise<void> {
  if (!env) return;
  await env.am.stop();
  await env.receiver.close();
}

interface ApiAlert {
  labels: Record<string, string>;
  vigil?: {
    flapping?: boolean;
    flappingSince?: string;
    stateChanges?: number;
    rateLimitedBy: { receiver: string; digestAt?: string }[];
  };
}

async function apiAlerts(env: Env): Promise<ApiAlert[]> {
  return (await (await fetch(`${env.am.url}/api/v2/alerts`)).json()) as ApiAlert[];
}

/** Fires (until T0+10h) or resolves (now) alert `name` at the clock's current time. */
async function set(env: Env, name: string, state: 'firing' | 'resolved', startsAt: number): Promise<void> {
  const now = env.clock.now();
  await postAlerts(env.am.url, [
    {
      labels: { alertname: name },
      startsAt: iso(startsAt),
      endsAt: iso(state === 'firing' ? T0 + 10 * H : now),
    },
  ]);
}

const FLAPPING = (url: string) => `
alertmanager:
  route:
    receiver: hook
    group_by: [alertname]
    group_wait: 30s
    group_interval: 1m
    repeat_interval: 4h
  receivers:
    - name: hook
      webhook_configs: [{ url: '${url}/hook' }]
alerting:
  fatigue:
    flap_detection: { max_changes: 4, window: 1h, quiet_for: 30m }
`;

describe('flap detection, changes seen by separate notifications', () => {
  let env: Env;
  before(async () => {
    env = await setup(FLAPPING);
  });
  after(() => teardown(env));

  test('each change is notified until the fifth within the window; that one is notified once as flapping', async () => {
    // Changes: fire 0m (1), resolve 2m (2), fire 4m (3), resolve 6m (4): all notified.
    await set(env, 'Flappy', 'firing', T0);
    for (const [minute, state] of [
      [2, 'resolved'],
      [4, 'firing'],
      [6, 'resolved'],
    ] as const) {
      await env.clock.advanceTo(T0 + minute * M);
      await set(env, 'Flappy', state, minute % 4 === 0 ? T0 + minute * M : T0 + (minute - 2) * M);
    }
    await env.clock.advanceTo(T0 + 7 * M);
    assert.deepEqual(
      env.receiver.json().map((m) => m.status),
      ['firing', 'resolved', 'firing', 'resolved'],
    );
    assert.deepEqual(await apiAlerts(env), [], 'resolved and not flapping: not listed');

    // The fifth change (fire at 8m) makes it flap: notified once, marked.
    await env.clock.advanceTo(T0 + 8 * M);
    await set(env, 'Flappy', 'firing', T0 + 8 * M);
    await env.clock.advanceTo(T0 + 9 * M);
    const msgs = env.receiver.json();
    assert.equal(msgs.length, 5);
    assert.equal(msgs[4].status, 'firing');
    assert.equal(msgs[4].alerts[0].annotations.vigil_flapping, 'true');
    const [alert] = await apiAlerts(env);
    assert.equal(alert.vigil?.flapping, true);
    assert.equal(alert.vigil?.flappingSince, iso(T0 + 8 * M));
    assert.equal(alert.vigil?.stateChanges, 5);
  });

  test('while flapping, further changes notify nothing; the groups API still holds the alert', async () => {
    for (const [minute, state] of [
      [10, 'resolved'],
      [12, 'firing'],
      [14, 'resolved'],
    ] as const) {
      await env.clock.advanceTo(T0 + minute * M);
      await set(env, 'Flappy', state, state === 'firing' ? T0 + minute * M : T0 + (minute - 2) * M);
    }
    await env.clock.advanceTo(T0 + 43 * M);
    assert.equal(env.receiver.requests.length, 5, 'no notifications while flapping');
    assert.match(env.am.self.render(), /^vigil_alerting_flapping_alerts 1$/m);
    const [listed] = await apiAlerts(env);
    assert.equal(listed.vigil?.flapping, true, 'resolved but flapping: listed, as it is held firing');
    const groups = (await (await fetch(`${env.am.url}/api/v2/alerts/groups`)).json()) as {
      alerts: ApiAlert[];
    }[];
    assert.equal(groups.length, 1);
    assert.equal(groups[0].alerts[0].vigil?.flapping, true);
    assert.equal(groups[0].alerts[0].vigil?.stateChanges, 8);
  });

  test('after quiet_for without a change it is released and its real state (resolved) is notified', async () => {
    // Last change at 14m; released at 44m; the next tick notifies the resolution.
    await env.clock.advanceTo(T0 + 44 * M + 30 * S);
    const msgs = env.receiver.json();
    assert.equal(msgs.length, 6);
    assert.equal(msgs[5].status, 'resolved');
    assert.equal(msgs[5].alerts[0].annotations.vigil_flapping, undefined);
    assert.deepEqual(await apiAlerts(env), [], 'released and resolved: no longer listed');
    await env.clock.advanceTo(T0 + 60 * M);
    assert.equal(env.receiver.requests.length, 6);
  });
});

describe('flap detection, changes between two notifications', () => {
  let env: Env;
  before(async () => {
    env = await setup((url) =>
      FLAPPING(url)
        .replace('group_interval: 1m', 'group_interval: 5m')
        .replace('repeat_interval: 4h', 'repeat_interval: 1h'),
    );
  });
  after(() => teardown(env));

  test('an alert that starts flapping while notified as firing gets one notification saying so', async () => {
    await set(env, 'Quick', 'firing', T0);
    await env.clock.advanceTo(T0 + 30 * S);
    assert.equal(env.receiver.requests.length, 1);
    // Four changes within one group_interval: resolve, fire, resolve, fire.
    for (const [sec, state] of [
      [60, 'resolved'],
      [80, 'firing'],
      [100, 'resolved'],
      [120, 'firing'],
    ] as const) {
      await env.clock.advanceTo(T0 + sec * S);
      await set(env, 'Quick', state, state === 'firing' ? T0 + sec * S : T0);
    }
    // The set of firing alerts is what it was at the last notification, yet flapping is news.
    await env.clock.advanceTo(T0 + 5 * M + 30 * S);
    const msgs = env.receiver.json();
    assert.equal(msgs.length, 2);
    assert.equal(msgs[1].status, 'firing');
    assert.equal(msgs[1].alerts[0].annotations.vigil_flapping, 'true');
    // Once only: further flaps and ticks send nothing (until released 30m after the last change).
    await env.clock.advanceTo(T0 + 6 * M);
    await set(env, 'Quick', 'resolved', T0 + 2 * M);
    await env.clock.advanceTo(T0 + 35 * M);
    assert.equal(env.receiver.requests.length, 2);
  });

  test('fatigueFor finds the state by the labels the rules engine has (for /api/v1/alerts)', () => {
    const state = env.am.module.fatigueFor(labelsFromRecord({ alertname: 'Quick' }));
    assert.equal(state?.flapping, true);
    assert.equal(env.am.module.fatigueFor(labelsFromRecord({ alertname: 'Other' }))?.flapping, false);
  });
});

describe('per-receiver rate limit with a digest', () => {
  let env: Env;
  before(async () => {
    env = await setup(
      (url) => `
alertmanager:
  route:
    receiver: limited
    group_by: [alertname]
    group_wait: 30s
    group_interval: 5m
    repeat_interval: 4h
    routes:
      - matchers: [team="ops"]
        receiver: free
  receivers:
    - name: limited
      webhook_configs: [{ url: '${url}/limited' }, { url: '${url}/limited-copy' }]
    - name: free
      webhook_configs: [{ url: '${url}/free' }]
alerting:
  fatigue:
    rate_limits:
      - receivers: [limited]
        max_notifications: 2
        interval: 1h
`,
    );
  });
  after(() => teardown(env));

  const to = (path: string) =>
    env.receiver.requests.filter((r) => r.url === path).map((r) => JSON.parse(r.body));

  test('beyond the limit, flushes are held; other receivers are not limited', async () => {
    await postAlerts(
      env.am.url,
      ['A', 'B', 'C', 'D'].map((n) => ({ labels: { alertname: n }, endsAt: iso(T0 + 10 * H) })),
    );
    await postAlerts(
      env.am.url,
      ['E', 'F', 'G'].map((n) => ({ labels: { alertname: n, team: 'ops' }, endsAt: iso(T0 + 10 * H) })),
    );
    await env.clock.advanceTo(T0 + 30 * S);
    // Two notifications (each to both integrations of the receiver: one slot each).
    assert.equal(to('/limited').length, 2);
    assert.equal(to('/limited-copy').length, 2);
    assert.equal(to('/free').length, 3);

    const notified = new Set(to('/limited').map((m) => m.groupLabels.alertname as string));
    const held = ['A', 'B', 'C', 'D'].filter((n) => !notified.has(n));
    assert.equal(held.length, 2);
    const alerts = await apiAlerts(env);
    for (const a of alerts) {
      const expected = held.includes(a.labels.alertname)
        ? [{ receiver: 'limited', digestAt: iso(T0 + H + 30 * S) }]
        : [];
      assert.deepEqual(a.vigil?.rateLimitedBy ?? [], expected, a.labels.alertname);
    }
    const limits = (await (await fetch(`${env.am.url}/api/v2/vigil/rate-limits`)).json()) as unknown[];
    assert.deepEqual(limits, [
      {
        receiver: 'limited',
        maxNotifications: 2,
        interval: '3600s',
        sent: 2,
        heldGroups: held.map((n) => `{}:{alertname="${n}"}`),
        digestAt: iso(T0 + H + 30 * S),
      },
    ]);
    // Their next ticks, still inside the window, stay held.
    await env.clock.advanceTo(T0 + H + 30 * S - 1);
    assert.equal(to('/limited').length, 2);
    // Held at 30s and at each 5m tick before 1h30s: 12 flushes × 2 groups.
    assert.match(env.am.self.render(), /^vigil_alerting_notifications_held_total\{receiver="limited"\} 24$/m);
  });

  test('when the window has room, one digest carries every held group, and they are not notified again', async () => {
    await env.clock.advanceTo(T0 + H + 30 * S);
    for (const path of ['/limited', '/limited-copy']) {
      const msgs = to(path);
      assert.equal(msgs.length, 3, path);
      const digest = msgs[2];
      assert.equal(digest.groupKey, 'vigil-digest/limited');
      assert.equal(digest.groupLabels.vigil_digest, '2 notifications held back by the rate limit');
      assert.equal(digest.receiver, 'limited');
      assert.equal(digest.status, 'firing');
      assert.deepEqual(
        digest.alerts.map((a: { labels: { alertname: string } }) => a.labels.alertname).sort(),
        ['C', 'D', 'A', 'B']
          .filter((n) => !new Set(msgs.slice(0, 2).map((m) => m.groupLabels.alertname)).has(n))
          .sort(),
      );
    }
    const alerts = await apiAlerts(env);
    assert.ok(alerts.every((a) => (a.vigil?.rateLimitedBy ?? []).length === 0));
    assert.match(env.am.self.render(), /^vigil_alerting_digests_total\{receiver="limited"\} 1$/m);
    // The digest recorded the groups as notified: nothing more until repeat_interval.
    await env.clock.advanceTo(T0 + 3 * H);
    assert.equal(to('/limited').length, 3);
  });

  test('a resolution held back goes out in the next digest', async () => {
    // At 3h the window is empty again. Three groups resolve: two are notified, one is held.
    await env.clock.advanceTo(T0 + 3 * H);
    await postAlerts(
      env.am.url,
      ['A', 'B', 'C'].map((n) => ({ labels: { alertname: n }, startsAt: iso(T0), endsAt: iso(T0 + 3 * H) })),
    );
    await env.clock.advanceTo(T0 + 3 * H + 30 * S);
    const direct = to('/limited').slice(3);
    assert.equal(direct.length, 2);
    assert.ok(direct.every((m) => m.status === 'resolved'));
    const [heldName] = ['A', 'B', 'C'].filter((n) => !direct.some((m) => m.groupLabels.alertname === n));
    await env.clock.advanceTo(T0 + 4 * H + 30 * S - 1);
    assert.equal(to('/limited').length, 5);
    await env.clock.advanceTo(T0 + 4 * H + 30 * S);
    const digest = to('/limited')[5];
    assert.equal(digest.groupKey, 'vigil-digest/limited');
    assert.equal(digest.status, 'resolved');
    assert.deepEqual(
      digest.alerts.map((a: { labels: { alertname: string } }) => a.labels.alertname),
      [heldName],
    );
  });
});

describe('alerting.fatigue configuration', () => {
  const am = `
alertmanager:
  route: { receiver: a }
  receivers: [{ name: a }]
`;
  const load = (yaml: string) => loadAmConfig(parseConfig(yaml, 'vigil.yml'), process.cwd());

  test('defaults: 4 changes in 1h, quiet for the window', () => {
    const loaded = load(`${am}alerting:\n  fatigue:\n    flap_detection: {}\n`);
    assert.deepEqual(loaded.fatigue.flapDetection, { maxChanges: 4, window: H, quietFor: H });
    assert.deepEqual(loaded.fatigue.rateLimits, []);
  });

  test('mistakes are refused with the key and what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['flap_detection: { max_changes: 0 }', /max_changes.*at least 1/s],
      ['flap_detection: { window: soon }', /window.*"soon" is not a duration/s],
      ['flap_detection: { window: 0s }', /window.*longer than 0s/s],
      ['flap_detection: { windw: 1h }', /unknown key "windw"/],
      ['rate_limits: [{ interval: 1h }]', /max_notifications/],
      [
        'rate_limits: [{ max_notifications: 1, interval: 1h, receivers: [nobody] }]',
        /alerting\.fatigue\.rate_limits\.0\.receivers: no receiver named "nobody"/,
      ],
    ];
    for (const [fatigue, message] of cases) {
      assert.throws(
        () => load(`${am}alerting:\n  fatigue:\n    ${fatigue}\n`),
        (err: unknown) => err instanceof ConfigError && message.test(err.message),
        fatigue,
      );
    }
  });
});

describe('reload', () => {
  let env: Env;
  const config = (url: string, fatigue: string) => `
alertmanager:
  route: { receiver: hook, group_by: [alertname], group_wait: 30s, group_interval: 5m, repeat_interval: 4h }
  receivers:
    - name: hook
      webhook_configs: [{ url: '${url}/' }]
${fatigue}`;
  before(async () => {
    env = await setup((url) => config(url, ''));
  });
  after(() => teardown(env));

  test('a reload turns the controls on; a reload naming an unknown receiver is refused and changes nothing', async () => {
    await postAlerts(
      env.am.url,
      ['A', 'B'].map((n) => ({ labels: { alertname: n }, endsAt: iso(T0 + 10 * H) })),
    );
    await env.clock.advanceTo(T0 + 30 * S);
    assert.equal(env.receiver.requests.length, 2, 'no limit yet');

    const limited = config(
      env.receiver.url,
      'alerting:\n  fatigue:\n    rate_limits: [{ max_notifications: 1, interval: 1h }]\n',
    );
    await env.am.module.reload(parseConfig(limited, 'vigil.yml'));
    await assert.rejects(
      env.am.module.reload(
        parseConfig(
          limited.replace('max_notifications: 1,', 'max_notifications: 1, receivers: [gone],'),
          'vigil.yml',
        ),
      ),
      /no receiver named "gone"/,
    );
    await postAlerts(
      env.am.url,
      ['C', 'D'].map((n) => ({ labels: { alertname: n }, endsAt: iso(T0 + 10 * H) })),
    );
    await env.clock.advanceTo(T0 + M + 30 * S);
    assert.equal(env.receiver.requests.length, 3, 'one of the two new groups is held');
    const limits = (await (await fetch(`${env.am.url}/api/v2/vigil/rate-limits`)).json()) as {
      receiver: string;
      sent: number;
      heldGroups: string[];
    }[];
    assert.deepEqual(
      limits.map((l) => [l.receiver, l.sent, l.heldGroups.length]),
      [['hook', 1, 1]],
    );
    await env.clock.advanceTo(T0 + H + M + 30 * S);
    assert.equal(env.receiver.requests.length, 4);
    assert.equal(env.receiver.json()[3].groupKey, 'vigil-digest/hook');
  });
});

describe('restart', () => {
  test('flap histories and rate-limit windows survive a restart', async () => {
    const clock = new ManualClock(T0);
    const receiver = await testReceiver(() => clock.now());
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-fatigue-restart-'));
    const config = `
alertmanager:
  route: { receiver: hook, group_by: [alertname], group_wait: 30s, group_interval: 5m, repeat_interval: 4h }
  receivers:
    - name: hook
      webhook_configs: [{ url: '${receiver.url}/' }]
alerting:
  fatigue:
    flap_detection: { max_changes: 2, window: 1h }
    rate_limits: [{ max_notifications: 2, interval: 1h }]
`;
    let am = await startTestAlerting(config, { clock, dataDir });
    const env = () => ({ clock, receiver, am });
    try {
      await set(env(), 'A', 'firing', T0);
      await clock.advanceTo(T0 + 30 * S);
      assert.equal(receiver.requests.length, 1);
      // Resolve and fire again: the third change makes it flap, between two flushes.
      await clock.advanceTo(T0 + 60 * S);
      await set(env(), 'A', 'resolved', T0);
      await clock.advanceTo(T0 + 80 * S);
      await set(env(), 'A', 'firing', T0 + 80 * S);
      await clock.advanceTo(T0 + 2 * M);

      await am.stop({ keepData: true });
      am = await startTestAlerting(config, { clock, dataDir });
      await clock.advance(0);
      // Still flapping after the restart: the group's first flush says so, once.
      assert.equal(receiver.requests.length, 2);
      assert.equal(receiver.json()[1].alerts[0].annotations.vigil_flapping, 'true');
      const [a] = await apiAlerts(env());
      assert.equal(a.vigil?.flapping, true);

      // The window still counts both notifications: a new group is held.
      await clock.advanceTo(T0 + 3 * M);
      await set(env(), 'B', 'firing', T0 + 3 * M);
      await clock.advanceTo(T0 + 3 * M + 30 * S);
      assert.equal(receiver.requests.length, 2);
      const limits = (await (await fetch(`${am.url}/api/v2/vigil/rate-limits`)).json()) as {
        sent: number;
        heldGroups: string[];
      }[];
      assert.deepEqual(
        limits.map((l) => [l.sent, l.heldGroups]),
        [[2, ['{}:{alertname="B"}']]],
      );
      // More flaps of A after the restart notify nothing.
      await clock.advanceTo(T0 + 4 * M);
      await set(env(), 'A', 'resolved', T0 + 80 * S);
      await clock.advanceTo(T0 + 5 * M);
      await set(env(), 'A', 'firing', T0 + 5 * M);
      await clock.advanceTo(T0 + 20 * M);
      assert.equal(receiver.requests.length, 2);
    } finally {
      await am.stop();
      await receiver.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
