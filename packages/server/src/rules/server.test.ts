/**
 * Rules in a real Vigil: /api/v1/rules and /api/v1/alerts over HTTP in Prometheus's shapes and
 * with its filters, and a `vigil serve` process killed with SIGKILL while an alert is pending,
 * whose `for` timer continues after the restart (restored from ALERTS_FOR_STATE).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnVigil, startTestVigil } from '../testutil/vigil.ts';

const RULES = `groups:
- name: recording
  rules:
  - record: job:one
    expr: vector(1)
    labels: {team: core}
- name: alerts
  interval: 1s
  rules:
  - alert: AlwaysFiring
    expr: vector(42)
    labels: {severity: page}
    annotations: {summary: 'value is {{ $value }}'}
  - alert: Slow
    expr: vector(1)
    for: 1h
`;

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

test('/api/v1/rules and /api/v1/alerts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rules-api-'));
  const file = join(dir, 'rules.yml');
  writeFileSync(file, RULES);
  const vigil = await startTestVigil(
    `rule_files: [${JSON.stringify(file)}]\nglobal: {evaluation_interval: 1s}\n`,
  );
  try {
    // Wait for the third evaluation (the first two precede the 'for' restore, as in Prometheus).
    for (let i = 0; i < 50; i++) {
      const { body } = await getJson(`${vigil.url}/api/v1/alerts`);
      if ((body.data as { alerts: unknown[] }).alerts.length === 2) break;
      await sleep(200);
    }
    const { status, body } = await getJson(`${vigil.url}/api/v1/rules`);
    assert.equal(status, 200);
    const groups = (body.data as { groups: Record<string, unknown>[] }).groups;
    assert.deepEqual(
      groups.map((g) => [g.name, g.file, g.interval, g.limit]),
      [
        ['alerts', file, 1, 0],
        ['recording', file, 1, 0],
      ],
    );
    const [firing, slow] = groups[0].rules as Record<string, unknown>[];
    assert.deepEqual(Object.keys(firing), [
      'state',
      'name',
      'query',
      'duration',
      'keepFiringFor',
      'labels',
      'annotations',
      'alerts',
      'health',
      'evaluationTime',
      'lastEvaluation',
      'type',
    ]);
    assert.equal(firing.state, 'firing');
    assert.equal(firing.query, 'vector(42)');
    assert.equal(firing.health, 'ok');
    assert.equal(firing.type, 'alerting');
    assert.deepEqual(firing.labels, { severity: 'page' });
    const [alert] = firing.alerts as Record<string, unknown>[];
    assert.deepEqual(alert.labels, { alertname: 'AlwaysFiring', severity: 'page' });
    assert.deepEqual(alert.annotations, { summary: 'value is 42' });
    assert.equal(alert.value, '4.2e+01');
    assert.match(alert.activeAt as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(slow.state, 'pending');
    assert.equal(slow.duration, 3600);
    const rec = (groups[1].rules as Record<string, unknown>[])[0];
    assert.deepEqual(Object.keys(rec), [
      'name',
      'query',
      'labels',
      'health',
      'evaluationTime',
      'lastEvaluation',
      'type',
    ]);
    assert.equal(rec.type, 'recording');

    // Filters.
    const only = async (q: string) =>
      (
        (await getJson(`${vigil.url}/api/v1/rules?${q}`)).body.data as {
          groups: { name: string; rules: { name: string; alerts?: unknown }[] }[];
        }
      ).groups;
    assert.deepEqual(
      (await only('type=record')).map((g) => g.name),
      ['recording'],
    );
    assert.deepEqual(
      (await only('type=alert')).map((g) => g.name),
      ['alerts'],
    );
    assert.deepEqual(
      (await only('rule_name[]=Slow')).flatMap((g) => g.rules.map((r) => r.name)),
      ['Slow'],
    );
    assert.deepEqual(
      (await only('rule_group[]=recording')).map((g) => g.name),
      ['recording'],
    );
    assert.deepEqual(
      (await only('match[]={team="core"}')).flatMap((g) => g.rules.map((r) => r.name)),
      ['job:one'],
    );
    assert.equal((await only('exclude_alerts=true'))[0].rules[0].alerts, null);
    const page = (await getJson(`${vigil.url}/api/v1/rules?group_limit=1`)).body.data as {
      groups: unknown[];
      groupNextToken: string;
    };
    assert.equal(page.groups.length, 1);
    assert.match(page.groupNextToken, /^[0-9a-f]{64}$/);
    const next = (
      await getJson(`${vigil.url}/api/v1/rules?group_limit=1&group_next_token=${page.groupNextToken}`)
    ).body.data as { groups: { name: string }[]; groupNextToken?: string };
    assert.deepEqual(
      next.groups.map((g) => g.name),
      ['recording'],
    );
    assert.equal(next.groupNextToken, undefined);
    for (const [q, msg] of [
      ['type=bogus', 'invalid parameter "type": not supported value "bogus"'],
      [
        'exclude_alerts=maybe',
        'invalid parameter "exclude_alerts": error converting exclude_alerts: strconv.ParseBool: parsing "maybe": invalid syntax',
      ],
      ['group_limit=0', 'invalid parameter "group_limit": group_limit needs to be greater than 0'],
      [
        'group_next_token=abc',
        'invalid parameter "group_next_token": group_limit needs to be present in order to paginate over the groups',
      ],
      ['match[]={x=~".*"}', 'match[] must contain at least one non-empty matcher'],
    ]) {
      const r = await getJson(`${vigil.url}/api/v1/rules?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.errorType, 'bad_data');
      assert.equal(r.body.error, msg);
    }

    const alerts = (await getJson(`${vigil.url}/api/v1/alerts`)).body.data as {
      alerts: Record<string, unknown>[];
    };
    assert.deepEqual(
      alerts.alerts.map((a) => [(a.labels as Record<string, string>).alertname, a.state]).sort(),
      [
        ['AlwaysFiring', 'firing'],
        ['Slow', 'pending'],
      ],
    );
  } finally {
    await vigil.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a restart continues a pending alert's 'for' timer (kill -9, ALERTS_FOR_STATE)", {
  timeout: 180_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rules-restart-'));
  const dataDir = join(dir, 'data');
  const file = join(dir, 'rules.yml');
  writeFileSync(file, 'groups:\n- name: g\n  rules:\n  - alert: Slow\n    expr: vector(1)\n    for: 1h\n');
  const config = `rule_files: [${JSON.stringify(file)}]\nglobal: {evaluation_interval: 1s}\n`;
  let proc = await spawnVigil(dataDir, config);
  try {
    // Let the alert be pending a while, with ALERTS_FOR_STATE written (from the third evaluation).
    const first = await pollUntil(
      () => activeAt(proc.url),
      (v) => v !== undefined,
      'the alert never became pending',
    );
    await pollUntil(
      () => forState(proc.url, Date.now()),
      (s) => s !== undefined && s.t - (first as number) >= 5_000,
      'ALERTS_FOR_STATE was not written for 5s of pending',
    );
    const killedAt = Date.now();
    proc.child.kill('SIGKILL');
    await proc.exited;
    await sleep(3_000); // the outage

    const restartAt = Date.now();
    proc = await spawnVigil(dataDir, config);
    // Until the restore (after the second evaluation) the alert starts anew. The new process
    // writes ALERTS_FOR_STATE only once it has restored, so its first such sample says the
    // restore is done, whether or not the fresh activeAt was ever seen and however slowly the
    // process started.
    await pollUntil(
      () => forState(proc.url, Date.now()),
      (s) => s !== undefined && s.t > restartAt,
      'the restarted Vigil never wrote ALERTS_FOR_STATE (no restore)',
    );
    const restored = (await activeAt(proc.url)) as number;
    const seenAt = Date.now();
    // The last ALERTS_FOR_STATE sample the killed process wrote: its time is when Vigil went
    // down, its value when the alert became active (Unix seconds).
    const last = await forState(proc.url, killedAt);
    assert.ok(last, 'ALERTS_FOR_STATE written before the kill was lost');
    // Prometheus: restoredActiveAt = activeAt + (restore time - time of that sample), where the
    // restore ran somewhere between the restart and now. So the pending time before the crash
    // still counts and the outage does not.
    const downAt = Math.floor(last.t / 1000) * 1000;
    const shift = restored - last.v * 1000;
    assert.ok(
      shift >= restartAt - downAt && shift <= seenAt - downAt,
      `activeAt moved by ${shift} ms; the restore ran between ${restartAt - downAt} and ${seenAt - downAt} ms after the last ALERTS_FOR_STATE sample`,
    );
    assert.ok(shift >= restartAt - killedAt, 'the outage does not count as pending time');
  } finally {
    proc.child.kill('SIGKILL');
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a restart keeps a firing alert firing: it does not wait its `for` again (kill -9)', {
  timeout: 180_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rules-restart-firing-'));
  const dataDir = join(dir, 'data');
  const file = join(dir, 'rules.yml');
  writeFileSync(file, 'groups:\n- name: g\n  rules:\n  - alert: Firing\n    expr: vector(1)\n    for: 15s\n');
  // A 1s grace period (Prometheus's --rules.alert.for-grace-period) so that a `for` of 15s is
  // restored at all (alerts with a `for` shorter than the grace period are not).
  const config = `rule_files: [${JSON.stringify(file)}]\nglobal: {evaluation_interval: 1s}\nrules: {for_grace_period: 1s}\n`;
  let proc = await spawnVigil(dataDir, config);
  try {
    await pollUntil(
      () => alert(proc.url),
      (a) => a?.state === 'firing',
      'the alert never fired',
      90_000,
    );
    const before = (await alert(proc.url))!;
    proc.child.kill('SIGKILL');
    await proc.exited;

    const restartAt = Date.now();
    proc = await spawnVigil(dataDir, config);
    // The first ALERTS_FOR_STATE sample of the new process is written by the evaluation after
    // the restore; a fresh alert would be pending for 15s from then, a restored one fires.
    await pollUntil(
      () => forState(proc.url, Date.now()),
      (s) => s !== undefined && s.t > restartAt,
      'the restarted Vigil never wrote ALERTS_FOR_STATE (no restore)',
    );
    const after = (await alert(proc.url))!;
    assert.equal(after.state, 'firing', 'still firing right after the restore');
    assert.equal(
      after.activeAt,
      Math.floor(before.activeAt / 1000) * 1000,
      'activeAt restored (to the second)',
    );
  } finally {
    proc.child.kill('SIGKILL');
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGHUP and POST /-/reload apply changed rule files and keep alert state; an invalid file is refused', {
  timeout: 120_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rules-reload-'));
  const file = join(dir, 'rules.yml');
  const base = 'groups:\n- name: g\n  rules:\n  - alert: Slow\n    expr: vector(1)\n    for: 1h\n';
  writeFileSync(file, base);
  const proc = await spawnVigil(
    join(dir, 'data'),
    `rule_files: [${JSON.stringify(file)}]\nglobal: {evaluation_interval: 1s}\n`,
  );
  const ruleNames = async () =>
    (
      (await getJson(`${proc.url}/api/v1/rules`)).body.data as { groups: { rules: { name: string }[] }[] }
    ).groups.flatMap((g) => g.rules.map((r) => r.name));
  try {
    const before = await pollUntil(
      () => activeAt(proc.url),
      (v) => v !== undefined,
      'the alert never became pending',
    );
    writeFileSync(file, `${base}  - record: extra\n    expr: vector(2)\n`);
    const ok = await fetch(`${proc.url}/-/reload`, { method: 'POST' });
    assert.equal(ok.status, 200, await ok.text());
    assert.deepEqual(await ruleNames(), ['Slow', 'extra']);
    assert.equal(await activeAt(proc.url), before, "the pending alert's 'for' timer went on");

    writeFileSync(file, `${base}  - record: other\n    expr: vector(3)\n`);
    proc.child.kill('SIGHUP');
    await pollUntil(ruleNames, (n) => n.includes('other'), 'SIGHUP did not reload the rule files');
    assert.equal(await activeAt(proc.url), before);

    writeFileSync(file, 'groups:\n- name: g\n  rules:\n  - alert: Broken\n    expr: "sum("\n');
    const bad = await fetch(`${proc.url}/-/reload`, { method: 'POST' });
    assert.equal(bad.status, 500);
    assert.match(await bad.text(), /rules\.yml: .*could not parse expression/);
    assert.deepEqual(await ruleNames(), ['Slow', 'other'], 'the old rules keep running');
    assert.equal(await activeAt(proc.url), before);
  } finally {
    proc.child.kill('SIGTERM');
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

async function alert(url: string): Promise<{ state: string; activeAt: number } | undefined> {
  const { body } = await getJson(`${url}/api/v1/alerts`);
  const a = (body.data as { alerts: { state: string; activeAt: string }[] }).alerts[0];
  return a ? { state: a.state, activeAt: Date.parse(a.activeAt) } : undefined;
}

async function activeAt(url: string): Promise<number | undefined> {
  const { body } = await getJson(`${url}/api/v1/alerts`);
  const a = (body.data as { alerts: { activeAt: string }[] }).alerts[0];
  return a ? Date.parse(a.activeAt) : undefined;
}

/** The newest ALERTS_FOR_STATE sample at or before `at` (ms): its time (ms) and value. */
async function forState(url: string, at: number): Promise<{ t: number; v: number } | undefined> {
  const instant = async (q: string) => {
    const { body } = await getJson(`${url}/api/v1/query?query=${encodeURIComponent(q)}&time=${at / 1000}`);
    const [s] = (body.data as { result: { value: [number, string] }[] }).result;
    return s ? Number(s.value[1]) : undefined;
  };
  const t = await instant('timestamp(ALERTS_FOR_STATE)');
  const v = await instant('ALERTS_FOR_STATE');
  return t !== undefined && v !== undefined ? { t: t * 1000, v } : undefined;
}

/** Calls `get` until `done` holds for its result, for at most `ms` (a slow machine is no failure). */
async function pollUntil<T>(
  get: () => Promise<T>,
  done: (v: T) => boolean,
  failure: string,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (done(v)) return v;
    if (Date.now() > deadline) assert.fail(`${failure} (last: ${JSON.stringify(v)})`);
    await sleep(150);
  }
}
