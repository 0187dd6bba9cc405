/**
 * An alerting rule (Prometheus's rules.AlertingRule): turns its expression's result into alert
 * instances that go pending, fire after `for`, keep firing for `keep_firing_for` after they
 * clear, and are resolved; writes ALERTS and ALERTS_FOR_STATE; says which alerts need sending.
 *
 * Times are Unix ms. Go's zero time (the unset value) is `undefined` here, so an alert active at
 * the epoch itself (promtool tests start there) is not mistaken for an unset time.
 */
import {
  type Label,
  type Labels,
  labelsFromRecord,
  labelsKey,
  METRIC_NAME,
  withLabel,
} from '../model/labels.ts';
import type { RuleSample } from './query.ts';
import type { EvalContext, Rule, RuleHealth } from './rule.ts';
import { alertTemplateData, expandAlertTemplate } from './template.ts';

export type AlertState = 'inactive' | 'pending' | 'firing';

/** One alert instance of a rule. */
export interface ActiveAlert {
  state: AlertState;
  labels: Labels;
  annotations: Labels;
  /** Value of the expression at the last evaluation. */
  value: number;
  activeAt: number;
  firedAt: number | undefined;
  resolvedAt: number | undefined;
  lastSentAt: number | undefined;
  validUntil: number | undefined;
  keepFiringSince: number | undefined;
}

/** How long a resolved alert is kept (and re-sent as resolved). */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

const ALERT_METRIC = 'ALERTS';
const FOR_STATE_METRIC = 'ALERTS_FOR_STATE';
const ALERT_NAME = 'alertname';
const ALERT_STATE = 'alertstate';

/** a.After(b) with undefined as Go's zero time. */
function after(a: number | undefined, b: number | undefined): boolean {
  return (a ?? Number.NEGATIVE_INFINITY) > (b ?? Number.NEGATIVE_INFINITY);
}

export class AlertingRule implements Rule {
  readonly kind = 'alerting' as const;
  readonly labels: Labels;
  readonly annotations: Labels;
  health: RuleHealth = 'unknown';
  lastError: string | undefined;
  evaluationDuration = 0;
  evaluationTimestamp: number | undefined;
  /** Alert instances by label set. Pending, firing, and recently resolved. */
  readonly active = new Map<string, ActiveAlert>();
  /** ALERTS and ALERTS_FOR_STATE are written only once `for` state has been restored. */
  restored: boolean;

  constructor(
    readonly name: string,
    readonly query: string,
    /** `for` (ms). */
    readonly holdDuration: number,
    readonly keepFiringFor: number,
    labels: Readonly<Record<string, string>>,
    annotations: Readonly<Record<string, string>>,
    restored: boolean,
  ) {
    this.labels = labelsFromRecord(labels);
    this.annotations = labelsFromRecord(annotations);
    this.restored = restored;
  }

  async eval(ts: number, queryOffset: number, ctx: EvalContext): Promise<RuleSample[]> {
    const res = await ctx.query(this.query, ts - queryOffset, ctx.signal);
    const resultKeys = new Set<string>();
    const fresh = new Map<string, ActiveAlert>();
    const templateName = `__alert_${this.name}`;
    for (const smpl of res) {
      const data = alertTemplateData({
        labels: smpl.labels,
        externalLabels: ctx.externalLabels,
        externalURL: ctx.externalURL,
        value: smpl.value,
      });
      const expand = async (text: string): Promise<string> => {
        // Text without actions expands to itself.
        if (!text.includes('{{')) return text;
        const r = await expandAlertTemplate(text, {
          name: templateName,
          data,
          timestampMs: ts,
          query: ctx.templateQuery,
          externalURL: ctx.externalURL,
        });
        return r.text;
      };
      let lbs: Labels = smpl.labels.filter((l) => l.name !== METRIC_NAME);
      for (const l of this.labels) lbs = withLabel(lbs, l.name, await expand(l.value));
      lbs = withLabel(lbs, ALERT_NAME, this.name);
      const annotations: Label[] = [];
      for (const a of this.annotations) annotations.push({ name: a.name, value: await expand(a.value) });
      const key = labelsKey(lbs);
      resultKeys.add(key);
      if (fresh.has(key))
        throw new Error('vector contains metrics with the same labelset after applying alert labels');
      fresh.set(key, {
        state: 'pending',
        labels: lbs,
        annotations,
        value: smpl.value,
        activeAt: ts,
        firedAt: undefined,
        resolvedAt: undefined,
        lastSentAt: undefined,
        validUntil: undefined,
        keepFiringSince: undefined,
      });
    }

    for (const [key, a] of fresh) {
      // Known alerts keep their state; only value and annotations change.
      const existing = this.active.get(key);
      if (existing && existing.state !== 'inactive') {
        existing.value = a.value;
        existing.annotations = a.annotations;
        continue;
      }
      this.active.set(key, a);
    }

    const vec: RuleSample[] = [];
    let numActivePending = 0;
    for (const [key, a] of this.active) {
      if (!resultKeys.has(key)) {
        // Not in the result: keep firing for keep_firing_for, else resolve.
        let keepFiring = false;
        if (a.state === 'firing' && this.keepFiringFor > 0) {
          if (a.keepFiringSince === undefined) a.keepFiringSince = ts;
          if (ts - a.keepFiringSince < this.keepFiringFor) keepFiring = true;
        }
        if (
          a.state === 'pending' ||
          (a.resolvedAt !== undefined && ts - a.resolvedAt > RESOLVED_RETENTION_MS)
        )
          this.active.delete(key);
        if (a.state !== 'inactive' && !keepFiring) {
          a.state = 'inactive';
          a.resolvedAt = ts;
        }
        if (!keepFiring) continue;
      } else {
        a.keepFiringSince = undefined;
      }
      numActivePending++;
      if (a.state === 'pending' && ts - a.activeAt >= this.holdDuration) {
        a.state = 'firing';
        a.firedAt = ts;
      }
      // A shorter `for` after a reload can make a firing alert pending again.
      if (a.state === 'firing' && ts - a.activeAt < this.holdDuration) {
        a.state = 'pending';
        a.firedAt = undefined;
        a.lastSentAt = undefined;
        a.keepFiringSince = undefined;
      }
      if (this.restored) {
        vec.push(this.alertsSample(a, ts - queryOffset));
        vec.push(this.forStateSample(a, ts - queryOffset, Math.floor(a.activeAt / 1000)));
      }
    }
    if (ctx.limit > 0 && numActivePending > ctx.limit) {
      this.active.clear();
      throw new Error(`exceeded limit of ${ctx.limit} with ${numActivePending} alerts`);
    }
    return vec;
  }

  private alertsSample(a: ActiveAlert, t: number): RuleSample {
    let lbs = this.labels;
    for (const l of a.labels) lbs = withLabel(lbs, l.name, l.value);
    lbs = withLabel(lbs, METRIC_NAME, ALERT_METRIC);
    lbs = withLabel(lbs, ALERT_NAME, this.name);
    lbs = withLabel(lbs, ALERT_STATE, a.state);
    return { labels: lbs, t, value: 1 };
  }

  /** An ALERTS_FOR_STATE sample; without an alert, the labels every such series of this rule has. */
  forStateSample(a: ActiveAlert | undefined, t: number, v: number): RuleSample {
    let lbs = this.labels;
    if (a) for (const l of a.labels) lbs = withLabel(lbs, l.name, l.value);
    lbs = withLabel(lbs, METRIC_NAME, FOR_STATE_METRIC);
    lbs = withLabel(lbs, ALERT_NAME, this.name);
    return { labels: lbs, t, value: v };
  }

  /** The highest state of its alerts; 'inactive' when none, undefined before the first evaluation. */
  state(): AlertState | undefined {
    if (this.evaluationTimestamp === undefined) return undefined;
    let max: AlertState = 'inactive';
    for (const a of this.active.values()) {
      if (a.state === 'firing') return 'firing';
      if (a.state === 'pending') max = 'pending';
    }
    return max;
  }

  /** Pending and firing alerts (copies). */
  activeAlerts(): ActiveAlert[] {
    const out: ActiveAlert[] = [];
    for (const a of this.active.values()) if (a.resolvedAt === undefined) out.push({ ...a });
    return out;
  }

  /**
   * Alerts to (re-)send to alerting now, as Prometheus's sendAlerts: firing ones whose last send
   * is older than the resend delay, and resolved ones not sent since they resolved. Marks them
   * sent and valid for four times the larger of interval and resend delay.
   */
  alertsToSend(ts: number, resendDelay: number, interval: number): ActiveAlert[] {
    const out: ActiveAlert[] = [];
    for (const a of this.active.values()) {
      if (a.state === 'pending') continue;
      const needs =
        after(a.resolvedAt, a.lastSentAt) || (a.lastSentAt ?? Number.NEGATIVE_INFINITY) + resendDelay < ts;
      if (!needs) continue;
      a.lastSentAt = ts;
      a.validUntil = ts + 4 * Math.max(interval, resendDelay);
      out.push({ ...a });
    }
    return out;
  }

  definition(): string {
    return JSON.stringify({
      alert: this.name,
      expr: this.query,
      for: this.holdDuration,
      keep_firing_for: this.keepFiringFor,
      labels: this.labels,
      annotations: this.annotations,
    });
  }
}
