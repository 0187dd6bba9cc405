/**
 * Sloth's rule generator (its core sli_rules, metadata_rules and alert_rules plugins), written
 * from Sloth's documented output so that specs produce the same rule names, labels and
 * expressions byte for byte: per SLO a group of SLI error-ratio recordings (one per window and
 * the period), a group of metadata recordings (objective, budget, burn rates, remaining budget,
 * info), and a group with the multiwindow, multi-burn-rate page and ticket alerts.
 */
import type { SlothSlo, SlothSpec } from '../config/slo.ts';
import { formatFloatPlain } from '../ingest/otlp/metrics/naming.ts';
import { formatDuration } from '../model/duration.ts';
import { formatGoFloat, formatOpenMetricsFloat } from '../textparse/values.ts';
import { specFormat } from './spec-files.ts';
import { type AlertWindow, burnRateFactor, CATALOGS, sliWindows, type WindowCatalog } from './windows.ts';

/** A generated rule, in the shape of a Prometheus rule file entry. */
export interface GeneratedRule {
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface GeneratedGroup {
  readonly name: string;
  readonly rules: readonly GeneratedRule[];
}

export interface GenerateOptions {
  /** `sloth_version` on sloth_slo_info. */
  readonly version: string;
  /** `sloth_mode` on sloth_slo_info (Sloth's CLI writes `cli-gen-prom`). */
  readonly mode: string;
  /** Labels added to every rule (Sloth's --extra-labels), winning over the spec's. */
  readonly extraLabels?: Readonly<Record<string, string>>;
}

/** The SLI as PromQL templates with `{{.window}}`: bad/total events, or a ratio directly. */
export type SliQueries =
  | { readonly kind: 'events'; readonly error: string; readonly total: string }
  | { readonly kind: 'raw'; readonly ratio: string };

const WINDOW_PLACEHOLDER = /\{\{\s*\.window\s*\}\}/g;

/** The id labels of an SLO, in Sloth's order. */
export function idLabels(service: string, slo: string): Record<string, string> {
  return { sloth_id: `${service}-${slo}`, sloth_service: service, sloth_slo: slo };
}

/** Sloth's selector text for an SLO's series: `{sloth_id="…", sloth_service="…", sloth_slo="…"}`. */
export function idFilter(service: string, slo: string): string {
  const parts = Object.entries(idLabels(service, slo)).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `{${parts.join(', ')}}`;
}

/** The name of the recorded error ratio for a window, e.g. `slo:sli_error:ratio_rate5m`. */
export function sliRecordName(window: number): string {
  return `slo:sli_error:ratio_rate${formatDuration(window)}`;
}

/** The SLI queries of an SLO; a latency SLI becomes events (all requests minus the fast ones are bad). */
export function sliQueries(slo: SlothSlo): SliQueries {
  const { sli } = slo;
  if (sli.events) return { kind: 'events', error: sli.events.error_query, total: sli.events.total_query };
  if (sli.raw) return { kind: 'raw', ratio: sli.raw.error_ratio_query };
  const l = sli.latency!;
  const m = l.matchers.trim();
  const bucket = m === '' ? leMatcher(l.threshold) : `${m},${leMatcher(l.threshold)}`;
  const total = `sum(rate(${l.histogram}_count${m === '' ? '' : `{${m}}`}[{{.window}}]))`;
  return {
    kind: 'events',
    error: `${total} - sum(rate(${l.histogram}_bucket{${bucket}}[{{.window}}]))`,
    total,
  };
}

/**
 * Matches the bucket bound however it was ingested: scraped text in Prometheus 3 spells `le` as
 * OpenMetrics floats (`1.0`, `1e+06`), OTLP as plain decimals (`1`, `1000000`), other paths as Go
 * floats (`1`, `1e+06`); a threshold matches every spelling.
 */
function leMatcher(threshold: number): string {
  const spellings = [
    ...new Set([formatGoFloat(threshold), formatOpenMetricsFloat(threshold), formatFloatPlain(threshold)]),
  ];
  if (spellings.length === 1) return `le="${spellings[0]}"`;
  // Escaped for the regexp, then for the PromQL string.
  const re = spellings.map((x) => x.replace(/[.+]/g, (c) => `\\\\${c}`)).join('|');
  return `le=~"${re}"`;
}

/** Every group for one Sloth document, in Sloth's order (per SLO: SLI, metadata, alerts). */
export function generateSpec(spec: SlothSpec, opts: GenerateOptions): GeneratedGroup[] {
  const catalog = CATALOGS[spec.slo_period];
  const out: GeneratedGroup[] = [];
  for (const slo of spec.slos) {
    const sloLabels = { ...spec.labels, ...slo.labels, ...opts.extraLabels };
    const id = `${spec.service}-${slo.name}`;
    const groups: GeneratedGroup[] = [
      { name: `sloth-slo-sli-recordings-${id}`, rules: sliRules(spec.service, slo, sloLabels, catalog) },
      {
        name: `sloth-slo-meta-recordings-${id}`,
        rules: metaRules(spec, slo, sloLabels, catalog, opts),
      },
      { name: `sloth-slo-alerts-${id}`, rules: alertRules(spec.service, slo, catalog) },
    ];
    for (const g of groups) if (g.rules.length > 0) out.push(g);
  }
  return out;
}

function sliRules(
  service: string,
  slo: SlothSlo,
  sloLabels: Record<string, string>,
  catalog: WindowCatalog,
): GeneratedRule[] {
  const q = sliQueries(slo);
  const filter = idFilter(service, slo.name);
  const shortest = sliRecordName(catalog.page.quick.shortWindow);
  return sliWindows(catalog).map((window) => {
    const w = formatDuration(window);
    const fill = (t: string) => t.replace(WINDOW_PLACEHOLDER, w);
    let expr: string;
    if (window === catalog.period) {
      // The period ratio averages the shortest window's ratio instead of querying 30 days of raw data.
      expr =
        `sum_over_time(${shortest}${filter}[${w}])\n/ ignoring (sloth_window)\n` +
        `count_over_time(${shortest}${filter}[${w}])\n`;
    } else if (q.kind === 'events') {
      expr = `(${fill(q.error)})\n/\n(${fill(q.total)})\n`;
    } else {
      expr = `(${fill(q.ratio)})`;
    }
    return {
      record: sliRecordName(window),
      expr,
      labels: { ...idLabels(service, slo.name), sloth_window: w, ...sloLabels },
    };
  });
}

function metaRules(
  spec: SlothSpec,
  slo: SlothSlo,
  sloLabels: Record<string, string>,
  catalog: WindowCatalog,
  opts: GenerateOptions,
): GeneratedRule[] {
  const labels = { ...idLabels(spec.service, slo.name), ...sloLabels };
  const filter = idFilter(spec.service, slo.name);
  const objective = formatGoFloat(slo.objective / 100);
  const burnRate = (window: number) =>
    `${sliRecordName(window)}${filter}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\n` +
    `slo:error_budget:ratio${filter}\n`;
  return [
    { record: 'slo:objective:ratio', expr: `vector(${objective})`, labels },
    { record: 'slo:error_budget:ratio', expr: `vector(1-${objective})`, labels },
    {
      record: 'slo:time_period:days',
      expr: `vector(${formatGoFloat(catalog.period / 3_600_000 / 24)})`,
      labels,
    },
    { record: 'slo:current_burn_rate:ratio', expr: burnRate(catalog.page.quick.shortWindow), labels },
    { record: 'slo:period_burn_rate:ratio', expr: burnRate(catalog.period), labels },
    {
      record: 'slo:period_error_budget_remaining:ratio',
      expr: `1 - slo:period_burn_rate:ratio${filter}`,
      labels,
    },
    {
      record: 'sloth_slo_info',
      expr: 'vector(1)',
      labels: {
        ...labels,
        sloth_version: opts.version,
        sloth_mode: opts.mode,
        sloth_spec: specFormat(spec),
        sloth_objective: plainDecimal(slo.objective),
      },
    },
  ];
}

function alertRules(service: string, slo: SlothSlo, catalog: WindowCatalog): GeneratedRule[] {
  const a = slo.alerting;
  const filter = idFilter(service, slo.name);
  // Not 1 - objective/100: Sloth computes the budget this way, and the digits show in the expression.
  const budget = formatGoFloat((100 - slo.objective) / 100);
  const condition = (w: AlertWindow) => {
    const factor = formatGoFloat(burnRateFactor(w, catalog.period));
    const side = (window: number) =>
      `    max(${sliRecordName(window)}${filter} > (${factor} * ${budget})) without (sloth_window)\n`;
    return `(\n${side(w.shortWindow)}    and\n${side(w.longWindow)})\n`;
  };
  const rules: GeneratedRule[] = [];
  for (const severity of ['page', 'ticket'] as const) {
    const alert = severity === 'page' ? a.page_alert : a.ticket_alert;
    if (alert.disable) continue;
    const windows = catalog[severity];
    rules.push({
      alert: a.name,
      expr: `${condition(windows.quick)}or\n${condition(windows.slow)}`,
      labels: { sloth_severity: severity, ...a.labels, ...alert.labels },
      annotations: {
        title: `(${severity}) {{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is too fast.`,
        summary:
          '{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is over expected.',
        ...a.annotations,
        ...alert.annotations,
      },
    });
  }
  return rules;
}

/** Go's strconv.FormatFloat(f, 'f', -1, 64): shortest digits, never an exponent. */
function plainDecimal(f: number): string {
  const s = String(f);
  if (!/e/i.test(s)) return s;
  const [m, e] = s.split('e');
  const exp = Number(e);
  const digits = m.replace('.', '').replace('-', '');
  const point = (m.split('.')[0].replace('-', '').length || 1) + exp;
  const body =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : digits.padEnd(point, '0').slice(0, point) + (digits.length > point ? `.${digits.slice(point)}` : '');
  return (f < 0 ? '-' : '') + body;
}
