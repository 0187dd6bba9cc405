/**
 * A rule group (Prometheus's rules.Group): rules evaluated in order at one interval, at
 * timestamps spread over the interval by a hash of the group, each rule's results appended
 * before the next rule runs (so later rules see them), staleness markers for series a rule
 * stopped producing, alerts handed to alerting, and `for` state restored from ALERTS_FOR_STATE
 * after a restart.
 */
import type { Logger } from 'pino';
import type { Alert, NotifyFunc } from '../model/alert.ts';
import { type Labels, labelsKey, METRIC_NAME } from '../model/labels.ts';
import { newMatcher } from '../model/matcher.ts';
import { isStaleNaN, type SeriesSamples, STALE_NAN } from '../model/sample.ts';
import { labelsHash } from '../promql/engine/xxhash.ts';
import type { Queryable } from '../promql/index.ts';
import type { AppendResult } from '../storage/interface.ts';
import { type ActiveAlert, AlertingRule } from './alerting-rule.ts';
import type { Clock } from './clock.ts';
import type { RulesMetrics } from './metrics.ts';
import type { QueryFunc, RuleSample } from './query.ts';
import type { EvalContext, Rule } from './rule.ts';
import { type TemplateQuery, tableLink } from './template.ts';

/** Where a group's results go and what it reads; shared by all groups of a module. */
export interface GroupDeps {
  readonly query: QueryFunc;
  readonly templateQuery: TemplateQuery;
  /** Appends samples (recorded series, ALERTS, staleness markers); resolves when queryable. */
  readonly append: (batch: readonly SeriesSamples[]) => Promise<AppendResult>;
  /** Reads ALERTS_FOR_STATE when restoring. */
  readonly queryable: Queryable;
  readonly notify: NotifyFunc;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: RulesMetrics | undefined;
  readonly externalURL: string;
  readonly externalLabels: Readonly<Record<string, string>>;
  /** Resend firing alerts this often (Prometheus's --rules.alert.resend-delay, 1m). */
  readonly resendDelay: number;
  /** How long Vigil may have been down for `for` state to be restored (--rules.alert.for-outage-tolerance, 1h). */
  readonly outageTolerance: number;
  /** Minimum time an alert stays pending after a restore (--rules.alert.for-grace-period, 10m). */
  readonly forGracePeriod: number;
  /** query_offset for groups that set none (global.rule_query_offset). */
  readonly defaultQueryOffset: number;
}

export interface GroupOptions {
  readonly name: string;
  readonly file: string;
  readonly interval: number;
  readonly queryOffset: number | undefined;
  readonly limit: number;
  readonly rules: readonly Rule[];
  /** Restore `for` state after the first evaluations (true on startup, false for reloaded groups). */
  readonly shouldRestore: boolean;
}

export class Group {
  readonly name: string;
  readonly file: string;
  readonly interval: number;
  readonly queryOffsetSetting: number | undefined;
  readonly limit: number;
  readonly rules: readonly Rule[];
  /** Per rule: the series it wrote last time, to mark stale when they disappear. */
  private seriesInPreviousEval: Map<string, Labels>[];
  /** Series of removed rules, marked stale at the next evaluation. */
  private staleSeries: Labels[] = [];
  private shouldRestore: boolean;
  /** How long the last evaluation of the whole group took (ms). */
  evaluationTime = 0;
  /** Wall-clock start of the last evaluation (ms); undefined before the first. */
  lastEvaluation: number | undefined;
  /** The timestamp (slot) of the last evaluation (ms). */
  lastEvalTimestamp: number | undefined;
  private timer: unknown;
  private stopped = false;
  private inflight: Promise<void> | undefined;
  private readonly offsetMs: number;

  constructor(
    opts: GroupOptions,
    private readonly deps: GroupDeps,
  ) {
    this.name = opts.name;
    this.file = opts.file;
    this.interval = opts.interval;
    this.queryOffsetSetting = opts.queryOffset;
    this.limit = opts.limit;
    this.rules = opts.rules;
    this.shouldRestore = opts.shouldRestore;
    this.seriesInPreviousEval = opts.rules.map(() => new Map());
    // Prometheus spreads groups over their interval by the hash of {file, name} (in ns).
    const h = labelsHash([
      { name: 'file', value: this.file },
      { name: 'name', value: this.name },
    ]);
    this.offsetMs = Math.floor(Number(h % BigInt(Math.max(1, this.interval) * 1_000_000)) / 1_000_000);
    deps.metrics?.groupRules.labels(this.key).set(opts.rules.length);
    deps.metrics?.groupInterval.labels(this.key).set(this.interval / 1000);
  }

  /** `file;name`, the group's identity (Prometheus's GroupKey). */
  get key(): string {
    return `${this.file};${this.name}`;
  }

  /** The query offset in force (ms). */
  get queryOffset(): number {
    return this.queryOffsetSetting ?? this.deps.defaultQueryOffset;
  }

  /** The latest evaluation slot at or before `now` (ms): multiples of the interval plus the group's offset. */
  evalTimestamp(now: number): number {
    const adj = now - this.offsetMs;
    const base = adj - (((adj % this.interval) + this.interval) % this.interval);
    return base + this.offsetMs;
  }

  /** Starts evaluating at the next slot; restores `for` state after the second evaluation if asked to. */
  start(): void {
    let evalTs = this.evalTimestamp(this.deps.clock.now()) + this.interval;
    let restorePending = this.shouldRestore;
    let first = true;
    const tick = async (): Promise<void> => {
      if (this.stopped) return;
      if (!first) {
        const missed = Math.floor((this.deps.clock.now() - evalTs) / this.interval) - 1;
        if (missed > 0) {
          this.deps.metrics?.iterationsMissed.labels(this.key).inc(missed);
          this.deps.metrics?.iterationsScheduled.labels(this.key).inc(missed);
        }
        evalTs += (Math.max(missed, 0) + 1) * this.interval;
      }
      const ts = evalTs;
      const wasFirst = first;
      first = false;
      const run = (async () => {
        await this.iterate(ts);
        // As Prometheus: restore after the evaluation that follows the first one, so the
        // active alerts are known and none of the new process's own series are read.
        if (restorePending && !wasFirst && !this.stopped) {
          restorePending = false;
          await this.restoreForState(this.deps.clock.now());
        }
      })();
      this.inflight = run;
      try {
        await run;
      } finally {
        this.inflight = undefined;
      }
      if (!this.stopped)
        this.timer = this.deps.clock.setTimeout(
          tick,
          Math.max(0, evalTs + this.interval - this.deps.clock.now()),
        );
    };
    this.timer = this.deps.clock.setTimeout(tick, Math.max(0, evalTs - this.deps.clock.now()));
  }

  /** Stops scheduling and waits for a running evaluation to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    await this.inflight;
  }

  /** One scheduled evaluation with its bookkeeping (Prometheus's DefaultEvalIterationFunc). */
  async iterate(ts: number): Promise<void> {
    this.deps.metrics?.iterationsScheduled.labels(this.key).inc();
    const start = this.deps.clock.now();
    const t0 = performance.now();
    await this.eval(ts);
    this.evaluationTime = performance.now() - t0;
    this.lastEvaluation = start;
    this.lastEvalTimestamp = ts;
    this.deps.metrics?.groupDuration.observe(this.evaluationTime / 1000);
    this.deps.metrics?.groupLastDuration.labels(this.key).set(this.evaluationTime / 1000);
    this.deps.metrics?.groupLastEvalTime.labels(this.key).set(start / 1000);
  }

  /** Evaluates every rule in order at `ts` (ms). */
  async eval(ts: number): Promise<void> {
    const offset = this.queryOffset;
    const ctx: EvalContext = {
      query: this.deps.query,
      templateQuery: this.deps.templateQuery,
      externalURL: this.deps.externalURL,
      externalLabels: this.deps.externalLabels,
      limit: this.limit,
    };
    for (let i = 0; i < this.rules.length; i++) {
      if (this.stopped) return;
      await this.evalRule(i, ts, offset, ctx);
    }
    await this.cleanupStaleSeries(ts);
  }

  private async evalRule(i: number, ts: number, offset: number, ctx: EvalContext): Promise<void> {
    const rule = this.rules[i];
    const m = this.deps.metrics;
    m?.evalTotal.labels(this.key).inc();
    const wallStart = this.deps.clock.now();
    const t0 = performance.now();
    try {
      let vector: RuleSample[];
      try {
        vector = await rule.eval(ts, offset, ctx);
      } catch (err) {
        rule.health = 'err';
        rule.lastError = (err as Error).message;
        m?.evalFailures.labels(this.key).inc();
        this.deps.logger.warn(
          { group: this.name, rule: rule.name, err: rule.lastError },
          'evaluating rule failed',
        );
        return;
      }
      rule.health = 'ok';
      rule.lastError = undefined;
      if (rule instanceof AlertingRule) this.sendAlerts(rule, ts);
      await this.appendResults(i, rule, vector, ts - offset);
    } finally {
      rule.evaluationDuration = performance.now() - t0;
      rule.evaluationTimestamp = wallStart;
      m?.evalDuration.observe(rule.evaluationDuration / 1000);
    }
  }

  private async appendResults(i: number, rule: Rule, vector: RuleSample[], staleTs: number): Promise<void> {
    const returned = new Map<string, Labels>();
    const batch: SeriesSamples[] = [];
    for (const s of vector) {
      returned.set(labelsKey(s.labels), s.labels);
      batch.push({ labels: s.labels, timestamps: Float64Array.of(s.t), values: Float64Array.of(s.value) });
    }
    const stale: SeriesSamples[] = [];
    for (const [key, labels] of this.seriesInPreviousEval[i]) {
      if (!returned.has(key))
        stale.push({ labels, timestamps: Float64Array.of(staleTs), values: Float64Array.of(STALE_NAN) });
    }
    try {
      if (batch.length > 0) {
        const result = await this.deps.append(batch);
        // Prometheus marks the rule unhealthy for any sample storage refuses (out of order, duplicate, ...).
        if (result.rejected.length > 0) {
          const r = result.rejected[0];
          rule.health = 'err';
          rule.lastError = `${REJECT_TEXT[r.reason] ?? r.reason}: ${r.example}`;
          this.deps.logger.warn(
            { group: this.name, rule: rule.name, rejected: result.rejected },
            'rule evaluation results discarded',
          );
        }
      }
      // Staleness markers storage refuses (out of order, too old) are expected and ignored.
      if (stale.length > 0) await this.deps.append(stale);
    } catch (err) {
      rule.health = 'err';
      rule.lastError = (err as Error).message;
      this.deps.metrics?.evalFailures.labels(this.key).inc();
      this.deps.logger.warn(
        { group: this.name, rule: rule.name, err: rule.lastError },
        'appending rule results failed',
      );
      return;
    }
    this.seriesInPreviousEval[i] = returned;
  }

  private sendAlerts(rule: AlertingRule, ts: number): void {
    const due = rule.alertsToSend(ts, this.deps.resendDelay, this.interval);
    if (due.length === 0) return;
    const generatorURL = this.deps.externalURL.replace(/\/$/, '') + tableLink(rule.query);
    const alerts: Alert[] = due.map((a: ActiveAlert) => ({
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.firedAt ?? 0,
      endsAt: a.resolvedAt ?? a.validUntil ?? 0,
      generatorURL,
    }));
    try {
      this.deps.notify(alerts);
    } catch (err) {
      this.deps.logger.error({ err: (err as Error).message }, 'notifying alerts failed');
    }
  }

  private async cleanupStaleSeries(ts: number): Promise<void> {
    if (this.staleSeries.length === 0) return;
    const t = ts - this.queryOffset;
    const batch = this.staleSeries.map((labels) => ({
      labels,
      timestamps: Float64Array.of(t),
      values: Float64Array.of(STALE_NAN),
    }));
    try {
      await this.deps.append(batch);
      this.staleSeries = [];
    } catch (err) {
      this.deps.logger.warn(
        { group: this.name, err: (err as Error).message },
        'writing staleness markers failed',
      );
    }
  }

  /** The alerting rules' series written last time, for when the group goes away. */
  allPreviousSeries(): Labels[] {
    const out: Labels[] = [...this.staleSeries];
    for (const m of this.seriesInPreviousEval) out.push(...m.values());
    return out;
  }

  /**
   * Takes over state from the group this one replaces on reload (Prometheus's CopyState): rules
   * with the same name and labels keep their alerts and written series; series of rules that
   * went away are marked stale.
   */
  copyState(from: Group): void {
    this.evaluationTime = from.evaluationTime;
    this.lastEvaluation = from.lastEvaluation;
    const byIdentity = new Map<string, number[]>();
    from.rules.forEach((r, fi) => {
      const id = ruleIdentity(r);
      byIdentity.set(id, [...(byIdentity.get(id) ?? []), fi]);
    });
    this.rules.forEach((rule, i) => {
      const id = ruleIdentity(rule);
      const indexes = byIdentity.get(id);
      if (!indexes || indexes.length === 0) return;
      const fi = indexes[0];
      byIdentity.set(id, indexes.slice(1));
      this.seriesInPreviousEval[i] = from.seriesInPreviousEval[fi];
      const old = from.rules[fi];
      if (rule instanceof AlertingRule && old instanceof AlertingRule) {
        for (const [k, a] of old.active) rule.active.set(k, a);
        rule.restored = rule.restored || old.restored;
      }
    });
    this.staleSeries = [...from.staleSeries];
    for (const indexes of byIdentity.values()) {
      for (const fi of indexes) this.staleSeries.push(...from.seriesInPreviousEval[fi].values());
    }
  }

  /** Same definition (name, file, interval, limit, offset, rules), so a reload can keep it running. */
  equals(other: Group): boolean {
    return (
      this.name === other.name &&
      this.file === other.file &&
      this.interval === other.interval &&
      this.limit === other.limit &&
      this.queryOffsetSetting === other.queryOffsetSetting &&
      this.rules.length === other.rules.length &&
      this.rules.every((r, i) => r.definition() === other.rules[i].definition())
    );
  }

  /**
   * Restores alerts' `for` state from ALERTS_FOR_STATE after a restart, as Prometheus does: the
   * time an alert had been pending before Vigil went down still counts, the downtime does not,
   * and an alert never fires sooner than `forGracePeriod` after the restore.
   */
  async restoreForState(ts: number): Promise<void> {
    const mint = ts - this.deps.outageTolerance;
    for (const rule of this.rules) {
      if (!(rule instanceof AlertingRule)) continue;
      const hold = rule.holdDuration;
      if (hold < this.deps.forGracePeriod) {
        rule.restored = true;
        continue;
      }
      const matchers = rule
        .forStateSample(undefined, 0, 0)
        .labels.filter((l) => !l.value.includes('{{'))
        .map((l) => newMatcher('=', l.name, l.value));
      let series: SeriesSamples[];
      try {
        series = await this.deps.queryable.select(matchers, { minT: mint, maxT: ts });
      } catch (err) {
        this.deps.logger.error(
          { alertname: rule.name, err: (err as Error).message },
          "failed to restore 'for' state",
        );
        rule.restored = true;
        continue;
      }
      const byLabels = new Map<string, SeriesSamples>();
      for (const s of series) byLabels.set(labelsKey(s.labels.filter((l) => l.name !== METRIC_NAME)), s);
      if (byLabels.size === 0) {
        rule.restored = true;
        continue;
      }
      for (const a of rule.active.values()) {
        const s = byLabels.get(labelsKey(a.labels));
        if (!s || s.timestamps.length === 0) continue;
        const n = s.timestamps.length - 1;
        const t = s.timestamps[n];
        const v = s.values[n];
        if (isStaleNaN(v)) continue; // the alert was not active
        const downAt = Math.floor(t / 1000) * 1000;
        let restoredActiveAt = Math.trunc(v) * 1000;
        const timeSpentPending = downAt - restoredActiveAt;
        const timeRemainingPending = hold - timeSpentPending;
        if (timeRemainingPending <= 0) {
          // It had been pending long enough; it fires as before.
        } else if (timeRemainingPending < this.deps.forGracePeriod) {
          restoredActiveAt = ts + this.deps.forGracePeriod - hold;
        } else {
          restoredActiveAt += ts - downAt;
        }
        a.activeAt = restoredActiveAt;
        this.deps.logger.debug({ alertname: rule.name, restoredActiveAt }, "'for' state restored");
      }
      rule.restored = true;
    }
    this.shouldRestore = false;
  }
}

function ruleIdentity(r: Rule): string {
  return `${r.name}${labelsKey(r.labels)}`;
}

/** Prometheus's storage error texts for rejected rule results. */
const REJECT_TEXT: Record<string, string> = {
  out_of_order: 'out of order sample',
  duplicate_timestamp: 'duplicate sample for timestamp',
  too_old: 'too old sample',
};
