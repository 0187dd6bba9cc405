/**
 * The dashboard file format: what a JSON or YAML file in the dashboards folder holds, validated
 * with zod so a typo is an error naming its key (never a silently ignored field).
 *
 * @example
 * title: Checkout
 * time: { from: now-6h, to: now }
 * variables:
 *   - name: service
 *     query: label_values(traces_spanmetrics_calls_total, service)
 * panels:
 *   - title: Requests
 *     type: timeseries
 *     unit: reqps
 *     queries:
 *       - expr: sum by (span_name) (rate(traces_spanmetrics_calls_total{service="$service"}[$__rate_interval]))
 *         legend: '{{span_name}}'
 */
import { z } from 'zod';

/** Panel kinds the UI draws. */
export const PANEL_TYPES = [
  'timeseries',
  'stat',
  'gauge',
  'bargauge',
  'table',
  'heatmap',
  'logs',
  'traces',
  'text',
] as const;
export type PanelType = (typeof PANEL_TYPES)[number];

const metricQuerySchema = z
  .object({
    /** PromQL; `$name` and `${name}` expand to template variables, plus `$__interval`, `$__rate_interval`, `$__range`. */
    expr: z.string().min(1, 'a query needs an expression'),
    /** Series names from labels, e.g. '{{service}} {{code}}'; empty shows the full series name. */
    legend: z.string().optional(),
  })
  .strict();

const thresholdSchema = z
  .object({
    value: z.number(),
    /** A CSS colour or one of ok, warn, err. */
    color: z.string(),
  })
  .strict();

const panelSchema = z
  .object({
    title: z.string().default(''),
    type: z.enum(PANEL_TYPES),
    description: z.string().optional(),
    /** Width in columns of a 24-column grid. */
    width: z.number().int().min(1).max(24).default(12),
    /** Height in rows of 30 px. */
    height: z.number().int().min(2).max(40).default(8),
    /** Metric panels: one or more PromQL queries. */
    queries: z.array(metricQuerySchema).default([]),
    /** logs: a LogQL query; traces: a TraceQL query. */
    query: z.string().optional(),
    /** Most log lines or traces to show. */
    limit: z.number().int().positive().max(5000).optional(),
    unit: z.string().optional(),
    decimals: z.number().int().min(0).max(10).optional(),
    stacked: z.boolean().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    thresholds: z.array(thresholdSchema).optional(),
    /** How stat, gauge and bar gauge reduce a series to one number. */
    reduce: z.enum(['last', 'mean', 'max', 'min', 'sum']).optional(),
    /** text panels: Markdown-ish text (shown as paragraphs). */
    content: z.string().optional(),
  })
  .strict();

const variableSchema = z
  .object({
    /** Referenced as $name in queries. */
    name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a variable name must be a valid identifier'),
    label: z.string().optional(),
    /** `label_values(label)`, `label_values(selector, label)`, or a comma-separated list of fixed values. */
    query: z.string().min(1),
    /** Allow picking several values (joined as a regex alternation `a|b`). */
    multi: z.boolean().default(false),
    /** Offer "All" (`.*`). */
    includeAll: z.boolean().default(false),
    default: z.string().optional(),
  })
  .strict();

export const dashboardSchema = z
  .object({
    title: z.string().min(1, 'a dashboard needs a title'),
    description: z.string().optional(),
    tags: z.array(z.string()).default([]),
    time: z
      .object({ from: z.string().default('now-1h'), to: z.string().default('now') })
      .strict()
      .prefault({}),
    /** Auto-refresh interval ('30s'); empty for none. */
    refresh: z.string().default(''),
    variables: z.array(variableSchema).default([]),
    panels: z.array(panelSchema).default([]),
  })
  .strict()
  .superRefine((d, ctx) => {
    const seen = new Set<string>();
    d.variables.forEach((v, i) => {
      if (seen.has(v.name)) {
        ctx.addIssue({
          code: 'custom',
          message: `variable "${v.name}" is defined twice`,
          path: ['variables', i, 'name'],
        });
      }
      seen.add(v.name);
    });
    d.panels.forEach((p, i) => {
      const metric = ['timeseries', 'stat', 'gauge', 'bargauge', 'table', 'heatmap'].includes(p.type);
      if (metric && p.queries.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `a ${p.type} panel needs at least one query`,
          path: ['panels', i, 'queries'],
        });
      }
      if ((p.type === 'logs' || p.type === 'traces') && !p.query) {
        ctx.addIssue({
          code: 'custom',
          message: `a ${p.type} panel needs a query`,
          path: ['panels', i, 'query'],
        });
      }
    });
  });

/** A dashboard after validation (defaults filled in). */
export type Dashboard = z.infer<typeof dashboardSchema>;
export type Panel = Dashboard['panels'][number];

/** Dashboard ids are file names without extension: letters, digits, '-', '_'. */
export const DASHBOARD_ID = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,99}$/;

/** An id for a new dashboard from its title: 'Checkout — errors' → 'checkout-errors'. */
export function slugify(title: string): string {
  const slug = title
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
  return slug || 'dashboard';
}
