/**
 * Alertmanager's timing, step by step on a manual clock: group_wait before the first
 * notification, group_interval between updates, repeat_interval for unchanged groups, resolved
 * notifications, retries with backoff, inhibition, silences and mute time intervals. Alerts go in
 * through the real HTTP API and notifications out to a real local webhook receiver.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ManualClock } from './clock.ts';
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

async function setup(amConfig: (url: string) => string): Promise<Env> {
  const clock = new ManualClock(T0);
  const receiver = await testReceiver(() => clock.now());
  const am = await startTestAlerting(`alertmanager:\n${indent(amConfig(receiver.url), 2)}`, { clock });
  return { clock, receiver, am };
}

async function teardown(env: Env | undefined): Promise<void> {
  if (!env) return;
  await env.am.stop();
  await env.receiver.close();
}

function indent(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => (l ? ' '.repeat(n) + l : l))
    .join('\n');
}

const BASIC = (url: string) => `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: ${url}/hook
`;

/** Alerts that stay firing for 10 hours unless a test resolves them. */
function firing(name: string, extra: Record<string, string> = {}, startsAt = T0) {
  return { labels: { alertname: name, ...extra }, startsAt: iso(startsAt), endsAt: iso(T0 + 10 * H) };
}

describe('group_wait, group_interval and repeat_interval', () => {
  let env: Env;
  before(async () => {
    env = await setup(BASIC);
  });
  after(() => teardown(env));

  test('the first notification waits group_wait', async () => {
    await postAlerts(env.am.url, [firing('A', { instance: 'a' })]);
    await env.clock.advance(29 * S);
    assert.equal(env.receiver.requests.length, 0, 'nothing before group_wait');
    await env.clock.advance(1 * S);
    assert.equal(env.receiver.requests.length, 1);
    assert.equal(env.receiver.requests[0].at, T0 + 30 * S);
    const [msg] = env.receiver.json();
    assert.equal(msg.status, 'firing');
    assert.deepEqual(
      msg.alerts.map((a) => a.labels.instance),
      ['a'],
    );
    assert.equal(msg.groupKey, '{}:{alertname="A"}');
  });

  test('a new alert in the group is notified at the next group_interval, not before', async () => {
    await env.clock.advance(30 * S); // T0+60s
    await postAlerts(env.am.url, [firing('A', { instance: 'b' }, T0 + 60 * S)]);
    await env.clock.advanceTo(T0 + 30 * S + 5 * M - 1);
    assert.equal(env.receiver.requests.length, 1);
    await env.clock.advanceTo(T0 + 30 * S + 5 * M);
    assert.equal(env.receiver.requests.length, 2);
    assert.deepEqual(
      env.receiver.json()[1].alerts.map((a) => a.labels.instance),
      ['a', 'b'],
    );
  });

  test('an unchanged group is notified again once repeat_interval has passed, at a group_interval tick', async () => {
    // Last notification at T0+5m30s; ticks every 5m; the first tick more than 1h later is T0+1h10m30s.
    await env.clock.advanceTo(T0 + H + 10 * M + 30 * S - 1);
    assert.equal(env.receiver.requests.length, 2, 'no repeats within repeat_interval');
    await env.clock.advanceTo(T0 + H + 10 * M + 30 * S);
    assert.equal(env.receiver.requests.length, 3);
    assert.equal(env.receiver.requests[2].at, T0 + H + 10 * M + 30 * S);
  });

  test('resolving an alert sends a resolved notification at the next tick (send_resolved defaults to true)', async () => {
    const now = env.clock.now();
    await postAlerts(env.am.url, [
      { labels: { alertname: 'A', instance: 'a' }, startsAt: iso(T0), endsAt: iso(now) },
    ]);
    await env.clock.advance(5 * M);
    assert.equal(env.receiver.requests.length, 4);
    const msg = env.receiver.json()[3];
    assert.equal(msg.status, 'firing', 'one alert still fires');
    const byInstance = Object.fromEntries(msg.alerts.map((a) => [a.labels.instance, a]));
    assert.equal(byInstance.a.status, 'resolved');
    assert.equal(byInstance.a.endsAt, iso(now).replace('.000Z', 'Z'));
    assert.equal(byInstance.b.status, 'firing');
    assert.equal(byInstance.b.endsAt, '0001-01-01T00:00:00Z');
    // The resolved alert left the group after it was notified.
    await postAlerts(env.am.url, [
      { labels: { alertname: 'A', instance: 'b' }, startsAt: iso(T0), endsAt: iso(env.clock.now()) },
    ]);
    await env.clock.advance(5 * M);
    const last = env.receiver.json()[4];
    assert.equal(last.status, 'resolved');
    assert.deepEqual(
      last.alerts.map((a) => a.labels.instance),
      ['b'],
    );
    await env.clock.advance(H);
    assert.equal(env.receiver.requests.length, 5, 'an empty group sends nothing more');
  });
});

describe('an alert older than group_wait', () => {
  let env: Env;
  before(async () => {
    env = await setup(BASIC);
  });
  after(() => teardown(env));

  test('is notified at once, as after a restart', async () => {
    await postAlerts(env.am.url, [firing('Old', {}, T0 - 10 * M)]);
    await env.clock.advance(0);
    assert.equal(env.receiver.requests.length, 1);
    assert.equal(env.receiver.requests[0].at, T0);
  });
});

describe('send_resolved: false', () => {
  let env: Env;
  before(async () => {
    env = await setup(
      (url) => `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: ${url}/hook
        send_resolved: false
`,
    );
  });
  after(() => teardown(env));

  test('resolved alerts are not sent, and do not trigger a notification of the firing ones', async () => {
    await postAlerts(env.am.url, [firing('R', { i: '1' }), firing('R', { i: '2' })]);
    await env.clock.advance(10 * S);
    assert.equal(env.receiver.requests.length, 1);
    await postAlerts(env.am.url, [
      { labels: { alertname: 'R', i: '1' }, startsAt: iso(T0), endsAt: iso(env.clock.now()) },
    ]);
    await env.clock.advance(M);
    assert.equal(env.receiver.requests.length, 1, 'a resolved alert alone changes nothing for this receiver');
    await postAlerts(env.am.url, [
      { labels: { alertname: 'R', i: '2' }, startsAt: iso(T0), endsAt: iso(env.clock.now()) },
    ]);
    await env.clock.advance(2 * H);
    assert.equal(env.receiver.requests.length, 1);
  });
});

describe('retries', () => {
  let env: Env;
  before(async () => {
    env = await setup(
      (url) => `
route:
  receiver: hook
  group_wait: 10s
  group_interval: 1m
receivers:
  - name: hook
    webhook_configs:
      - url: ${url}/hook
`,
    );
  });
  after(() => teardown(env));

  test('a 5xx answer is retried with exponential backoff until it succeeds, then logged once', async () => {
    env.receiver.respondWith(503, 'try later');
    await postAlerts(env.am.url, [firing('Flaky')]);
    await env.clock.advance(10 * S); // first attempt at T0+10s
    await env.clock.advance(500); // +0.5s
    await env.clock.advance(750); // +0.75s
    env.receiver.respondWith(200);
    await env.clock.advance(1125); // +1.125s: succeeds
    const times = env.receiver.requests.map((r) => r.at - T0);
    assert.deepEqual(times, [10_000, 10_500, 11_250, 12_375]);
    await env.clock.advance(59 * S);
    assert.equal(env.receiver.requests.length, 4, 'the success was recorded: no resend at the next tick');
  });

  test('a 4xx answer is not retried', async () => {
    env.receiver.respondWith(400, 'bad payload');
    await postAlerts(env.am.url, [firing('Flaky', { other: 'x' })]);
    await env.clock.advance(M);
    const n = env.receiver.requests.length;
    await env.clock.advance(30 * S);
    assert.equal(env.receiver.requests.length, n, 'no retry after 4xx');
    // The next tick tries again: nothing was logged as sent.
    env.receiver.respondWith(200);
    await env.clock.advance(30 * S);
    assert.equal(env.receiver.requests.length, n + 1);
  });
});

describe('inhibition, silences and mute time intervals', () => {
  let env: Env;
  beforeEach(async () => {
    await teardown(env);
    env = await setup(
      (url) => `
route:
  receiver: hook
  group_by: ['...']
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 12h
  routes:
    - matchers: [team="night"]
      receiver: hook
      mute_time_intervals: [office-hours]
    - matchers: [team="day"]
      receiver: hook
      active_time_intervals: [office-hours]
receivers:
  - name: hook
    webhook_configs:
      - url: ${url}/hook
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [cluster]
time_intervals:
  - name: office-hours
    time_intervals:
      - times: [{ start_time: '09:00', end_time: '17:00' }]
        weekdays: ['monday:friday']
`,
    );
  });
  after(() => teardown(env));

  test('a firing source alert inhibits targets with equal labels only', async () => {
    await postAlerts(env.am.url, [
      firing('Down', { severity: 'critical', cluster: 'eu' }),
      firing('Slow', { severity: 'warning', cluster: 'eu' }),
      firing('Slow', { severity: 'warning', cluster: 'us' }),
    ]);
    await env.clock.advance(10 * S);
    const notified = env.receiver
      .json()
      .flatMap((m) => m.alerts.map((a) => `${a.labels.alertname}/${a.labels.cluster}`))
      .sort();
    assert.deepEqual(notified, ['Down/eu', 'Slow/us']);
    const alerts = (await (await fetch(`${env.am.url}/api/v2/alerts`)).json()) as {
      labels: Record<string, string>;
      status: { state: string; inhibitedBy: string[] };
    }[];
    const inhibited = alerts.find((a) => a.labels.cluster === 'eu' && a.labels.severity === 'warning')!;
    assert.equal(inhibited.status.state, 'suppressed');
    assert.equal(inhibited.status.inhibitedBy.length, 1);
  });

  test('a silence mutes matching alerts while active; expiring it lets the next flush notify', async () => {
    const res = await fetch(`${env.am.url}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [{ name: 'alertname', value: 'Noisy|Loud', isRegex: true }],
        startsAt: iso(T0),
        endsAt: iso(T0 + H),
        createdBy: 'test',
        comment: 'maintenance',
      }),
    });
    assert.equal(res.status, 200);
    const { silenceID } = (await res.json()) as { silenceID: string };
    await postAlerts(env.am.url, [firing('Noisy'), firing('Quiet')]);
    await env.clock.advance(10 * S);
    assert.deepEqual(
      env.receiver.json().map((m) => m.commonLabels.alertname),
      ['Quiet'],
    );
    assert.equal(
      (await fetch(`${env.am.url}/api/v2/silence/${silenceID}`, { method: 'DELETE' })).status,
      200,
    );
    await env.clock.advance(M);
    assert.deepEqual(
      env.receiver
        .json()
        .map((m) => m.commonLabels.alertname)
        .sort(),
      ['Noisy', 'Quiet'],
    );
  });

  test('mute_time_intervals hold notifications inside the interval; active_time_intervals outside it', async () => {
    // T0 is Monday 2024-01-01 12:00 UTC: inside office hours.
    await postAlerts(env.am.url, [firing('Batch', { team: 'night' }), firing('Deploy', { team: 'day' })]);
    await env.clock.advance(10 * S);
    assert.deepEqual(
      env.receiver.json().map((m) => m.commonLabels.alertname),
      ['Deploy'],
    );
    // 17:00 leaves office hours: the night team's route sends at its next tick; the day team's
    // route stays quiet (already notified, and now outside its active interval).
    await env.clock.advanceTo(Date.UTC(2024, 0, 1, 17, 0, 30));
    assert.deepEqual(
      env.receiver.json().map((m) => m.commonLabels.alertname),
      ['Deploy', 'Batch'],
    );
    assert.ok(env.receiver.requests[1].at >= Date.UTC(2024, 0, 1, 17, 0, 0));
  });
});
