/**
 * What /api/vigil/v1/slos shows of an SLO: its current SLI and error ratio per window, burn rates,
 * the error budget left, the state of its page and ticket alerts, and a budget burn-down series.
 * Everything is read back from the series the generated rules record (so it agrees with what
 * dashboards and alerts see), at one evaluation time.
 */

import { formatDuration } from '../model/duration.ts';
import { labelsToRecord } from '../model/labels.ts';
import type { Engine, Queryable } from '../promql/index.ts';
import { AlertingRule } from '../rules/alerting-rule.ts';
import type { RuleManager } from '../rules/manager.ts';
import type { SloEntry } from './compile.ts';
import { sliRecordName } from './generate.ts';
import { type AlertWindow, burnRateFactor } from './windows.ts';

export interface WindowStatus {
  readonly window: string;
  /** Share of bad events over the window; null before the window has data. */
  readonly errorRatio: number | null;
  /** 1 - errorRatio. */
  readonly sli: number | null;
  /** errorRatio / error budget: 1 spends exactly the budget over the period. */
  readonly burnRate: number | null;
}

export interface AlertCondition {
  readonly shortWindow: string;
  readonly longWindow: string;
  /** Both windows' burn rates must exceed this. */
  readonly burnRate: number;
  readonly budgetPercent: number;
}

export interface AlertStatus {
  readonly name: string;
  readonly enabled: boolean;
  readonly state: 'inactive' | 'pending' | 'firing' | 'unknown';
  /** When the current pending/firing alert became active (RFC 3339), else null. */
  readonly activeAt: string | null;
  readonly conditions: readonly AlertCondition[];
}

export interface SloStatus {
  readonly id: string;
  readonly service: string;
  readonly name: string;
  readonly description: string;
  readonly file: string;
  readonly sliType: SloEntry['sliKind'];
  readonly labels: Readonly<Record<string, string>>;
  /** Percent, as declared (99.9). */
  readonly objective: number;
  readonly period: string;
  /** The error budget as a ratio of events (0.001 for 99.9%). */
  readonly errorBudget: number;
  /** SLI over the whole period; null until recorded. */
  readonly sli: number | null;
  /** Share of the period's error budget left (1 = untouched, negative = overspent); null until recorded. */
  readonly budgetRemaining: number | null;
  /** Burn rate over the shortest window (Sloth's slo:current_burn_rate:ratio). */
  readonly currentBurnRate: number | null;
  readonly windows: readonly WindowStatus[];
  readonly alerts: { readonly page: AlertStatus; readonly ticket: AlertStatus };
  /** budgetRemaining over time (rolling period), for burn-down charts: [unix seconds, value]. */
  readonly burndown: {
    readonly start: number;
    readonly end: number;
    readonly step: number;
    readonly points: readonly [number, number][];
  };
}

export interface BurndownRange {
  readonly start: number;
  readonly end: number;
  readonly step: number;
}

/**
 * The burn-down range: by default the last period up to `now`; without a step, about 240 points
 * (whole minutes, at least one).
 */
export function burndownRange(
  slo: SloEntry,
  now: number,
  given: { start?: number; end?: number; step?: number },
): BurndownRange {
  const end = given.end ?? now;
  const start = given.start ?? end - slo.catalog.period;
  const step = given.step ?? Math.max(60_000, Math.ceil((end - start) / 240 / 60_000) * 60_000);
  return { start, end, step };
}

export async function sloStatus(
  slo: SloEntry,
  at: number,
  burndown: BurndownRange,
  engine: Engine,
  queryable: Queryable,
  manager: Pick<RuleManager, 'ruleGroups'>,
): Promise<SloStatus> {
  const errorBudget = (100 - slo.objective) / 100;
  const id = JSON.stringify(slo.id);
  // Several series per window happen when the SLI keeps labels; take the worst, as the alerts do.
  const ratios = new Map<string, number>();
  let remaining: number | null = null;
  const now = await engine.instantQuery(
    queryable,
    `{__name__=~"slo:sli_error:ratio_rate.+|slo:period_error_budget_remaining:ratio", sloth_id=${id}}`,
    at,
  );
  if (now.result.type === 'vector')
    for (const s of now.result.samples) {
      const l = labelsToRecord(s.metric);
      if (Number.isNaN(s.v)) continue;
      if (l.__name__ === 'slo:period_error_budget_remaining:ratio')
        remaining = remaining === null ? s.v : Math.min(remaining, s.v);
      else {
        const prev = ratios.get(l.__name__);
        ratios.set(l.__name__, prev === undefined ? s.v : Math.max(prev, s.v));
      }
    }
  const windows = slo.windows.map((w): WindowStatus => {
    const r = ratios.get(sliRecordName(w));
    return {
      window: formatDuration(w),
      errorRatio: r ?? null,
      sli: r === undefined ? null : 1 - r,
      burnRate: r === undefined ? null : r / errorBudget,
    };
  });
  const periodWindow = windows[windows.length - 1];

  const range = await engine.rangeQuery(
    queryable,
    `min(slo:period_error_budget_remaining:ratio{sloth_id=${id}})`,
    burndown.start,
    burndown.end,
    burndown.step,
  );
  const points: [number, number][] = [];
  if (range.result.type === 'matrix')
    for (const s of range.result.series)
      s.timestamps.forEach((t, i) => {
        // No traffic makes 0/0: a gap in the chart rather than a point.
        if (Number.isFinite(s.values[i])) points.push([t / 1000, s.values[i]]);
      });

  return {
    id: slo.id,
    service: slo.service,
    name: slo.name,
    description: slo.description,
    file: slo.file,
    sliType: slo.sliKind,
    labels: slo.labels,
    objective: slo.objective,
    period: formatDuration(slo.catalog.period),
    errorBudget,
    sli: periodWindow.sli,
    budgetRemaining: remaining,
    currentBurnRate: windows[0].burnRate,
    windows,
    alerts: {
      page: alertStatus(slo, 'page', manager),
      ticket: alertStatus(slo, 'ticket', manager),
    },
    burndown: {
      start: burndown.start / 1000,
      end: burndown.end / 1000,
      step: burndown.step / 1000,
      points,
    },
  };
}

function alertStatus(
  slo: SloEntry,
  severity: 'page' | 'ticket',
  manager: Pick<RuleManager, 'ruleGroups'>,
): AlertStatus {
  const windows = slo.catalog[severity];
  const condition = (w: AlertWindow): AlertCondition => ({
    shortWindow: formatDuration(w.shortWindow),
    longWindow: formatDuration(w.longWindow),
    burnRate: burnRateFactor(w, slo.catalog.period),
    budgetPercent: w.errorBudgetPercent,
  });
  const enabled = severity === 'page' ? slo.pageAlert : slo.ticketAlert;
  const base = {
    name: slo.alertName,
    enabled,
    conditions: [condition(windows.quick), condition(windows.slow)],
  };
  if (!enabled) return { ...base, state: 'inactive', activeAt: null };
  const rule = findAlertRule(slo, severity, manager);
  const state = rule?.state();
  if (!rule || state === undefined) return { ...base, state: 'unknown', activeAt: null };
  const active = rule.activeAlerts().filter((a) => a.state === state);
  const activeAt = active.length > 0 ? Math.min(...active.map((a) => a.activeAt)) : undefined;
  return { ...base, state, activeAt: activeAt === undefined ? null : new Date(activeAt).toISOString() };
}

function findAlertRule(
  slo: SloEntry,
  severity: string,
  manager: Pick<RuleManager, 'ruleGroups'>,
): AlertingRule | undefined {
  const groupName = `sloth-slo-alerts-${slo.id}`;
  for (const g of manager.ruleGroups()) {
    if (g.name !== groupName || g.file !== slo.file) continue;
    // Generated in a fixed order (page, then ticket; disabled ones left out). Order, not the
    // sloth_severity label, identifies them: user labels may override that label.
    const alerts = g.rules.filter((r) => r instanceof AlertingRule);
    return severity === 'page' ? alerts[0] : alerts[slo.pageAlert ? 1 : 0];
  }
  return undefined;
}
