/**
 * Rule evaluation over time with a manual clock: Prometheus's group alignment, pending → firing
 * after `for`, keep_firing_for, resends every resend delay, resolved notifications, ALERTS and
 * ALERTS_FOR_STATE, staleness markers, limits, query_offset, reload keeping alert state, and
 * `for` state restored after a restart. Real storage, sink and PromQL engine.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { parseConfig } from '../config/load.ts';
import type { VigilConfig } from '../config/schema.ts';
import { createMetricsSink } from '../ingest/metrics-sink.ts';
import type { Alert } from '../model/alert.ts';
import { formatLabels, labelsFromRecord, labelsToRecord } from '../model/labels.ts';
import { newMatcher } from '../model/matcher.ts';
import { isStaleNaN } from '../model/sample.ts';
import { labelsHash as promqlLabelsHash } from '../promql/engine/xxhash.ts';
import { Engine } from '../promql/index.ts';
import { SelfMetrics } from '../self/metrics.ts';
import { MemoryStorage } from '../storage/memory/memory-storage.ts';
import { AlertingRule } from './alerting-rule.ts';
import { ManualClock } from './clock.ts';
import { type RulesModule, startRules } from './index.ts';

const START = 1_700_000_000_000;

interface Harness {
  clock: ManualClock;
  storage: MemoryStorage;
  rules: RulesModule;
  notified: Alert[][];
  dir: string;
  rulesFile: string;
  config(interval?: string): VigilConfig;
  /** Appends one sample per series at the clock's current time. */
  push(series: Record<string, number>): Promise<void>;
  samples(name: string): Promise<{ labels: string; points: [number, number][] }[]>;
  close(): Promise<void>;
}

async function harness(
  rulesYaml: string,
  opts: {
    interval?: string;
    start?: number;
    storage?: MemoryStorage;
    forGracePeriod?: number;
    /** An empty directory for the rule file (default: a new temporary one). */
    dir?: string;
    /** More `global:` settings, as YAML flow mapping entries (`rule_query_offset: 1m`). */
    global?: string;
  } = {},
): Promise<Harness> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'vigil-rules-'));
  const rulesFile = join(dir, 'rules.yml');
  writeFileSync(rulesFile, rulesYaml);
  const interval = opts.interval ?? '10s';
  const config = (iv = interval) =>
    parseConfig(
      `rule_files: [${JSON.stringify(rulesFile)}]\nglobal: {evaluation_interval: ${iv}, external_labels: {region: eu}${opts.global ? `, ${opts.global}` : ''}}\n`,
      'test.yml',
    );
  const storage = opts.storage ?? new MemoryStorage();
  const self = new SelfMetrics();
  const sink = createMetricsSink(storage, config().limits, self);
  const clock = new ManualClock(opts.start ?? START);
  const notified: Alert[][] = [];
  const rules = await startRules({
    config: config(),
    baseDir: dir,
    engine: new Engine(),
    queryable: storage,
    sink,
    notify: (a) => notified.push([...a]),
    logger: pino({ level: 'silent' }),
    self,
    now: () => clock.now(),
    externalURL: 'http://vigil.test',
    clock,
    forGracePeriod: opts.forGracePeriod,
  });
  return {
    clock,
    storage,
    rules,
    notified,
    dir,
    rulesFile,
    config,
    async push(series) {
      await storage.append(
        Object.entries(series).map(([s, v]) => {
          const m = /^(\w+)(?:\{(.*)\})?$/.exec(s)!;
          const rec: Record<string, string> = { __name__: m[1] };
          for (const kv of (m[2] ?? '').split(',').filter(Boolean)) {
            const [k, val] = kv.split('=');
            rec[k] = val.replace(/"/g, '');
          }
          return {
            labels: labelsFromRecord(rec),
            timestamps: Float64Array.of(clock.now()),
            values: Float64Array.of(v),
          };
        }),
      );
    },
    async samples(name) {
      const res = await storage.select([newMatcher('=', '__name__', name)], {
        minT: 0,
        maxT: Number.MAX_SAFE_INTEGER,
      });
      return res.map((s) => ({
        labels: formatLabels(s.labels),
        points: [...s.timestamps].map((t, i): [number, number] => [
          t,
          isStaleNaN(s.values[i]) ? Number.NaN : s.values[i],
        ]),
      }));
    },
    async close() {
      await rules.stop();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function alertingRule(h: Harness, name: string): AlertingRule {
  for (const g of h.rules.manager.ruleGroups())
    for (const r of g.rules) if (r instanceof AlertingRule && r.name === name) return r;
  throw new Error(`no rule ${name}`);
}

describe('group schedule', () => {
  test("evaluations fall on multiples of the interval plus the group's hash offset, as Prometheus", async () => {
    const h = await harness('groups:\n- name: rec\n  rules:\n  - record: one\n    expr: vector(1)\n');
    try {
      const g = h.rules.manager.ruleGroups()[0];
      const offset = groupOffset(g.file, 'rec', 10_000);
      await h.clock.advance(45_000);
      const [series] = await h.samples('one');
      assert.ok(series.points.length >= 4);
      for (const [t] of series.points)
        assert.equal((((t - offset) % 10_000) + 10_000) % 10_000, 0, `${t} is not on the group's slots`);
      // The first evaluation is at the first slot after the start, not at the start.
      assert.ok(series.points[0][0] > START && series.points[0][0] <= START + 10_000);
    } finally {
      await h.close();
    }
  });

  test('rules in a group run in order: a later rule sees what an earlier one recorded this round', async () => {
    const h = await harness(
      'groups:\n- name: chain\n  rules:\n  - record: a\n    expr: vector(time())\n  - record: b\n    expr: a\n',
    );
    try {
      await h.clock.advance(25_000);
      const [a] = await h.samples('a');
      const [b] = await h.samples('b');
      assert.deepEqual(b.points, a.points);
    } finally {
      await h.close();
    }
  });
});

describe('alert lifecycle', () => {
  const RULES = `groups:
- name: alerts
  rules:
  - alert: Down
    expr: up == 0
    for: 30s
    keep_firing_for: 20s
    labels: {severity: page, instance: '{{ $labels.instance }}'}
    annotations: {summary: '{{ $labels.job }} down, value {{ $value }}'}
`;
  test('pending, firing after for, kept firing, resolved; ALERTS and notifications as Prometheus', async () => {
    const h = await harness(RULES);
    try {
      const rule = alertingRule(h, 'Down');
      const feed = async (v: number, untilMs: number) => {
        while (h.clock.now() < untilMs) {
          await h.push({ 'up{job="api",instance="h:1"}': v });
          await h.clock.advance(5_000);
        }
      };
      // Times relative to the group's first slot, half an interval away from slot boundaries.
      const g = h.rules.manager.ruleGroups()[0];
      const t0 = g.evalTimestamp(h.clock.now()) + g.interval;
      await feed(0, t0 + 25_000);
      assert.equal(rule.state(), 'pending');
      assert.equal(h.notified.length, 0, 'pending alerts are not sent');
      await feed(0, t0 + 35_000);
      assert.equal(rule.state(), 'firing', 'fires at the evaluation 30s after it became active');
      assert.equal(h.notified.length, 1);
      const [sent] = h.notified[0];
      assert.equal(sent.startsAt, t0 + 30_000);
      assert.deepEqual(labelsToRecord(sent.labels), {
        alertname: 'Down',
        instance: 'h:1',
        job: 'api',
        severity: 'page',
      });
      assert.deepEqual(labelsToRecord(sent.annotations), { summary: 'api down, value 0' });
      assert.equal(sent.endsAt, sent.startsAt + 4 * 60_000, 'valid for 4 × max(interval, resend delay)');
      assert.equal(sent.generatorURL, 'http://vigil.test/graph?g0.expr=up+%3D%3D+0&g0.tab=1');
      // Firing alerts are re-sent once the resend delay (1m) has passed since the last send.
      await feed(0, t0 + 95_000);
      assert.equal(h.notified.length, 1);
      await feed(0, t0 + 105_000);
      assert.equal(h.notified.length, 2);
      // The condition clears at the +110s evaluation: keep_firing_for holds it 20s, then it resolves.
      await feed(1, t0 + 125_000);
      assert.equal(rule.state(), 'firing');
      await feed(1, t0 + 145_000);
      assert.equal(rule.state(), 'inactive');
      const resolved = h.notified.at(-1)![0];
      assert.equal(resolved.endsAt, t0 + 130_000, 'resolved when keep_firing_for ran out');
      // ALERTS: pending then firing series, then stale once resolved.
      const alerts = await h.samples('ALERTS');
      const pending = alerts.find((s) => s.labels.includes('alertstate="pending"'))!;
      const firing = alerts.find((s) => s.labels.includes('alertstate="firing"'))!;
      // (ALERTS is written from the third evaluation on: the first two precede the 'for' restore.)
      assert.ok(
        pending.points.length >= 1 && Number.isNaN(pending.points.at(-1)![1]),
        'pending series goes stale',
      );
      assert.ok(Number.isNaN(firing.points.at(-1)![1]), 'firing series goes stale after resolving');
      assert.match(firing.labels, /alertname="Down".*instance="h:1".*severity="page"/);
      const forState = await h.samples('ALERTS_FOR_STATE');
      assert.equal(forState.length, 1);
      const activeAtSec = forState[0].points.find(([, v]) => !Number.isNaN(v))![1];
      assert.equal(activeAtSec, Math.floor(t0 / 1000));
    } finally {
      await h.close();
    }
  });

  test('a group limit turns too many alerts into a rule error', async () => {
    const h = await harness(
      'groups:\n- name: lim\n  limit: 1\n  rules:\n  - alert: Many\n    expr: up == 0\n',
    );
    try {
      await h.push({ 'up{i="1"}': 0, 'up{i="2"}': 0 });
      await h.clock.advance(11_000);
      const rule = alertingRule(h, 'Many');
      assert.equal(rule.health, 'err');
      assert.equal(rule.lastError, 'exceeded limit of 1 with 2 alerts');
      assert.equal(rule.active.size, 0);
    } finally {
      await h.close();
    }
  });

  test('query_offset evaluates and writes at ts - offset', async () => {
    const h = await harness(
      'groups:\n- name: off\n  query_offset: 1m\n  rules:\n  - record: t\n    expr: vector(time())\n',
    );
    try {
      await h.clock.advance(12_000);
      const [s] = await h.samples('t');
      const [t, v] = s.points[0];
      assert.equal(v * 1000, t);
      assert.ok(t <= h.clock.now() - 60_000 && t > h.clock.now() - 72_000);
    } finally {
      await h.close();
    }
  });

  test('global.rule_query_offset applies to groups without their own query_offset', async () => {
    const h = await harness(
      'groups:\n- name: inherits\n  rules:\n  - record: t1\n    expr: vector(time())\n' +
        '- name: own\n  query_offset: 0s\n  rules:\n  - record: t2\n    expr: vector(time())\n',
      { global: 'rule_query_offset: 2m' },
    );
    try {
      await h.clock.advance(12_000);
      const [inherits, own] = h.rules.manager.ruleGroups();
      assert.deepEqual(
        [inherits.name, inherits.queryOffset, own.name, own.queryOffset],
        ['inherits', 120_000, 'own', 0],
      );
      const [[t1]] = (await h.samples('t1')).map((s) => s.points[0]);
      const [[t2]] = (await h.samples('t2')).map((s) => s.points[0]);
      assert.ok(t1 <= h.clock.now() - 120_000 && t1 > h.clock.now() - 132_000, `t1 at ${t1 - h.clock.now()}`);
      assert.ok(t2 <= h.clock.now() && t2 > h.clock.now() - 12_000, `t2 at ${t2 - h.clock.now()}`);
    } finally {
      await h.close();
    }
  });

  test('recorded series go stale when the expression stops returning them', async () => {
    const h = await harness('groups:\n- name: st\n  rules:\n  - record: doubled\n    expr: src * 2\n');
    try {
      await h.push({ 'src{a="x"}': 1 });
      await h.clock.advance(10_000);
      await h.push({ 'src{a="x"}': Number.NaN });
      await h.clock.advance(400_000); // past the lookback delta
      const [s] = await h.samples('doubled');
      assert.equal(s.points[0][1], 2);
      assert.ok(Number.isNaN(s.points.at(-1)![1]));
    } finally {
      await h.close();
    }
  });
});

describe('reload', () => {
  test('keeps the state of alerts whose rule did not change, and marks removed rules stale', async () => {
    const base = 'groups:\n- name: g\n  rules:\n  - alert: Always\n    expr: vector(1)\n    for: 1m\n';
    const h = await harness(base);
    try {
      await h.clock.advance(35_000);
      const before = alertingRule(h, 'Always').activeAlerts()[0];
      assert.equal(before.state, 'pending');
      writeFileSync(h.rulesFile, `${base}  - record: extra\n    expr: vector(2)\n`);
      await h.rules.reload(h.config());
      await h.clock.advance(40_000);
      const after = alertingRule(h, 'Always').activeAlerts()[0];
      assert.equal(after.activeAt, before.activeAt, 'the for timer went on');
      assert.equal(after.state, 'firing');
      // An invalid file is refused; the running rules stay.
      writeFileSync(h.rulesFile, 'groups:\n- name: g\n  rules:\n  - alert: Broken\n    expr: "sum("\n');
      await assert.rejects(h.rules.reload(h.config()), /could not parse expression/);
      assert.equal(alertingRule(h, 'Always').activeAlerts()[0].activeAt, before.activeAt);
    } finally {
      await h.close();
    }
  });
});

describe("restoring 'for' state after a restart", () => {
  const INTERVAL = 10_000;
  // Where the restore falls within the group's evaluation slot depends on the group's hash
  // offset, which depends on the rule file's path (a random temporary directory). Each case
  // therefore runs at several phases chosen explicitly (start on a slot, just after one, half
  // way, just before the next), so the outcome never depends on the path the run happened to get.
  const PHASES = [0, 1, INTERVAL / 2, INTERVAL - 1];

  /**
   * Starts a group with ALERTS_FOR_STATE as the previous process left it (the alert active since
   * `activeAt`, last written at `downAt`), with the clock `phase` ms after a slot of the group
   * and at least at START; returns the alert's activeAt right after the restore and the
   * restore's time.
   */
  async function restored(holdMs: number, activeAt: number, downAt: number, phase: number) {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-rules-'));
    const offset = groupOffset(join(dir, 'rules.yml'), 'g', INTERVAL);
    const now = START + ((((phase + offset - START) % INTERVAL) + INTERVAL) % INTERVAL);
    const storage = new MemoryStorage();
    await storage.append([
      {
        labels: labelsFromRecord({ __name__: 'ALERTS_FOR_STATE', alertname: 'Long' }),
        timestamps: Float64Array.of(downAt),
        values: Float64Array.of(activeAt / 1000),
      },
    ]);
    const h = await harness(
      `groups:\n- name: g\n  rules:\n  - alert: Long\n    expr: vector(1)\n    for: ${holdMs / 1000}s\n`,
      { start: now, storage, dir },
    );
    try {
      const g = h.rules.manager.ruleGroups()[0];
      assert.equal(g.evalTimestamp(now), now - phase, 'the clock starts at the chosen phase');
      // The first evaluation is at the next slot; the restore runs right after the second one,
      // at that evaluation's time (the clock's now, as Prometheus's time.Now()).
      const restoreAt = now - phase + 2 * INTERVAL;
      await h.clock.advanceTo(restoreAt - 1);
      const rule = alertingRule(h, 'Long');
      assert.equal(rule.restored, false, 'not restored before the second evaluation');
      await h.clock.advanceTo(restoreAt);
      assert.equal(rule.restored, true, 'restored right after the second evaluation');
      return { activeAt: rule.activeAlerts()[0].activeAt, restoreAt };
    } finally {
      await h.close();
    }
  }

  for (const phase of PHASES) {
    test(`time spent pending before the outage counts, the outage does not (phase ${phase} ms)`, async () => {
      const activeAt = START - 600_000;
      const downAt = START - 300_000; // pending for 5m of a 1h `for` when it went down
      const r = await restored(3_600_000, activeAt, downAt, phase);
      assert.equal(r.activeAt - activeAt, r.restoreAt - downAt, 'activeAt moves by the downtime');
    });

    test(`an alert about to fire waits at least the grace period (10m) (phase ${phase} ms)`, async () => {
      const activeAt = START - 3_500_000; // 58m20s of 1h done
      const r = await restored(3_600_000, activeAt, START - 60_000, phase);
      assert.equal(r.activeAt, r.restoreAt + 600_000 - 3_600_000);
    });

    test(`an alert that was already firing keeps its activeAt (phase ${phase} ms)`, async () => {
      const activeAt = START - 7_200_000;
      const r = await restored(3_600_000, activeAt, START - 60_000, phase);
      assert.equal(r.activeAt, activeAt);
    });
  }
});

/** Prometheus's per-group evaluation offset (ms): hash of {file, name} modulo the interval. */
function groupOffset(file: string, name: string, interval: number): number {
  const hash = promqlLabelsHash(labelsFromRecord({ file, name }));
  return Math.floor(Number(hash % BigInt(interval * 1_000_000)) / 1_000_000);
}
