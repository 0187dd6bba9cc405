import { z } from 'zod';
import { isValidUtf8Name } from '../model/labels.ts';
import { parseExpr } from '../promql/parser/parser.ts';

/**
 * SLOs as Sloth `prometheus/v1` documents (https://sloth.dev), so existing Sloth specs work
 * unchanged: inline as the items of `slos:`, or in files matched by the `slo_files:` globs (one or
 * more `---`-separated documents per file). Owned by slo/.
 *
 * Two Vigil additions, both optional: `slo_period` on a document (`30d`, Sloth's default, or
 * `28d`; Sloth takes this from its --default-slo-period flag), and `sli.latency` (a threshold on
 * a histogram, whose `le` bucket counts the good events).
 *
 * ```yaml
 * slos:
 *   - version: prometheus/v1
 *     service: checkout
 *     slos:
 *       - name: requests-availability
 *         objective: 99.9
 *         sli:
 *           events:
 *             error_query: sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))
 *             total_query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
 *         alerting:
 *           name: CheckoutHighErrorRate
 * slo_files: ['slos/*.yml']
 * ```
 */

/** Sloth's name rule for services, SLO names and ids. */
const SLOTH_NAME = /^[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]$/;
const WINDOW_PLACEHOLDER = /\{\{\s*\.window\s*\}\}/g;

const slothName = (what: string) =>
  z
    .string({ error: `${what} is required` })
    .regex(SLOTH_NAME, `${what} must match ${SLOTH_NAME.source} (letters, digits, "-", "_", ".")`);

/** YAML scalars as strings: Sloth reads `tier: 2` or `generated: true` as the strings "2" and "true". */
const labelValue = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));
const labelMap = z
  .record(z.string(), labelValue)
  .default({})
  .superRefine((m, ctx) => {
    for (const k of Object.keys(m))
      if (!isValidUtf8Name(k) || k === '__name__' || k === '')
        ctx.addIssue({ code: 'custom', message: `invalid label name "${k}"`, path: [k] });
  });
const annotationMap = z.record(z.string(), labelValue).default({});

/** A PromQL query with `{{.window}}` placeholders that must parse once a window is filled in. */
const windowQuery = z.string().superRefine((q, ctx) => {
  if (!new RegExp(WINDOW_PLACEHOLDER.source).test(q)) {
    ctx.addIssue({
      code: 'custom',
      message: 'the query has no {{.window}} placeholder; write the range as [{{.window}}]',
    });
    return;
  }
  try {
    parseExpr(q.replace(WINDOW_PLACEHOLDER, '5m'));
  } catch (err) {
    ctx.addIssue({
      code: 'custom',
      message: `not valid PromQL (with {{.window}} set to 5m): ${(err as Error).message}`,
    });
  }
});

/** Sloth plugins are Go code Vigil cannot run; say so instead of "unknown key". */
const unsupportedPlugin = (what: string) =>
  z
    .unknown()
    .optional()
    .refine(
      (v) => v === undefined,
      `${what} are Sloth plugins, which Vigil does not run; use events, raw or latency SLIs`,
    );

const eventsSli = z.object({ error_query: windowQuery, total_query: windowQuery }).strict();
const rawSli = z.object({ error_ratio_query: windowQuery }).strict();

/** Vigil's latency SLI: requests slower than `threshold` are the bad events. */
const latencySli = z
  .object({
    /** A classic histogram's base name: `<histogram>_bucket` and `<histogram>_count` are read. */
    histogram: z.string().refine(isValidUtf8Name, 'must be a metric name'),
    /** Label matchers selecting the histogram's series, as inside `{...}`, e.g. `job="api",verb!="WATCH"`. */
    matchers: z.string().default(''),
    /** The latency objective in the histogram's unit; must be one of its bucket bounds (`le`). */
    threshold: z.number().positive(),
  })
  .strict()
  .superRefine((l, ctx) => {
    try {
      parseExpr(`${l.histogram}_count{${l.matchers}}`);
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        path: ['matchers'],
        message: `not valid label matchers: ${(err as Error).message}`,
      });
    }
  });

const sliSchema = z
  .object({
    events: eventsSli.optional(),
    raw: rawSli.optional(),
    latency: latencySli.optional(),
    plugin: unsupportedPlugin('SLI plugins'),
  })
  .strict()
  .superRefine((s, ctx) => {
    const set = [s.events, s.raw, s.latency].filter((x) => x !== undefined).length;
    if (set !== 1)
      ctx.addIssue({
        code: 'custom',
        message: `exactly one of events, raw or latency must be set (found ${set})`,
      });
    if (s.events && s.events.error_query.trim() === s.events.total_query.trim())
      ctx.addIssue({ code: 'custom', path: ['events'], message: 'error_query and total_query must differ' });
  });

const alertSchema = z
  .object({ disable: z.boolean().default(false), labels: labelMap, annotations: annotationMap })
  .strict();

const alertingSchema = z
  .object({
    name: z.string().default(''),
    labels: labelMap,
    annotations: annotationMap,
    page_alert: alertSchema.prefault({}),
    ticket_alert: alertSchema.prefault({}),
  })
  .strict();

const sloSchema = z
  .object({
    name: slothName('name'),
    description: z.string().default(''),
    objective: z
      .number({ error: 'objective is required (a percentage such as 99.9)' })
      .gt(0, 'objective must be above 0 (a percentage such as 99.9)')
      .lte(100, 'objective is a percentage and must be at most 100'),
    labels: labelMap,
    plugins: unsupportedPlugin('SLO plugins'),
    sli: sliSchema,
    alerting: alertingSchema.prefault({}),
  })
  .strict()
  .superRefine((s, ctx) => {
    const a = s.alerting;
    if (a.name === '' && (!a.page_alert.disable || !a.ticket_alert.disable))
      ctx.addIssue({
        code: 'custom',
        path: ['alerting', 'name'],
        message: 'alerting.name is required unless both page_alert and ticket_alert are disabled',
      });
  });

export const slothSpecSchema = z
  .object({
    version: z.literal('prometheus/v1', {
      error: 'version must be "prometheus/v1" (the Sloth spec format Vigil reads)',
    }),
    service: slothName('service'),
    labels: labelMap,
    /** Vigil extension: the SLO period (Sloth's --default-slo-period); 30d or 28d. */
    slo_plugins: unsupportedPlugin('SLO plugins'),
    slo_period: z.enum(['30d', '28d'], { error: 'slo_period must be 30d or 28d' }).default('30d'),
    slos: z.array(sloSchema).min(1, 'slos must list at least one SLO'),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.slos.forEach((s, i) => {
      const id = `${spec.service}-${s.name}`;
      if (seen.has(id))
        ctx.addIssue({ code: 'custom', path: ['slos', i, 'name'], message: `SLO "${s.name}" is repeated` });
      seen.add(id);
    });
  });

export type SlothSpec = z.infer<typeof slothSpecSchema>;
export type SlothSlo = SlothSpec['slos'][number];

/** Inline `slos:`; each item is one Sloth document. */
export const slosConfigSchema = z.array(slothSpecSchema);
/** `slo_files:` globs, relative to the config file. */
export const sloFilesSchema = z.array(z.string());
