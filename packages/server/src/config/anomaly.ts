import { z } from 'zod';
import { isValidUtf8Name } from '../model/labels.ts';
import { ParseError } from '../promql/parser/errors.ts';
import { parseExpr } from '../promql/parser/parser.ts';
import { durationMs } from './units.ts';

/**
 * The `anomaly_rules:` section: anomaly detection declared like Prometheus rules. Each rule runs
 * a PromQL expression every `interval`, feeds every resulting series to its own instance of the
 * rule's model, and writes `anomaly_score`, `anomaly_upper_band`, `anomaly_lower_band` and
 * `anomaly_baseline` series with the source series' labels plus `anomaly_name`. Owned by anomaly/.
 *
 * ```yaml
 * anomaly_rules:
 *   - name: checkout_latency
 *     expr: histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))
 *     interval: 1m
 *     model: { type: robust_zscore, window: 2h }
 *     labels: { team: checkout }
 * ```
 */

const direction = z.enum(['both', 'up', 'down']).default('both');
/** Band half-width in robust standard deviations (the same unit as anomaly_score). */
const band = z.number().positive().default(3);
const positiveDuration = (dflt: string) =>
  durationMs.prefault(dflt).refine((ms) => ms > 0, { message: 'must be longer than 0s' });

const robustZScoreSchema = z
  .object({
    type: z.literal('robust_zscore'),
    /** How far back the rolling median and MAD look. */
    window: positiveDuration('1h'),
    /** Scores start once the window holds this many samples. */
    min_samples: z.number().int().min(3).default(10),
    band,
    direction,
  })
  .strict();

const seasonalProfileSchema = z
  .object({
    type: z.literal('seasonal_profile'),
    /** `day`: hour-of-day profile (24 buckets); `week`: hour-of-week (168 buckets). */
    period: z.enum(['day', 'week']).default('week'),
    /** Periods each hour bucket remembers. */
    history: z.number().int().min(1).max(52).default(4),
    /** Scores start once the series has been seen for this many periods. */
    min_periods: z.number().int().min(1).default(1),
    /** Hours to add to UTC so that buckets follow the data's local day (e.g. -5 for New York winter). */
    utc_offset_hours: z.number().int().min(-14).max(14).default(0),
    /** Samples kept per hour bucket at most (oldest dropped first). */
    max_samples_per_bucket: z.number().int().min(3).max(10_000).default(128),
    band,
    direction,
  })
  .strict();

const holtWintersSchema = z
  .object({
    type: z.literal('holt_winters'),
    /** Length of the season; at most 10,080 steps of the rule's interval are kept. */
    season: positiveDuration('1d'),
    /** Smoothing of level, trend and seasonal components. */
    alpha: z.number().gt(0).lt(1).default(0.2),
    beta: z.number().gt(0).lt(1).default(0.01),
    gamma: z.number().gt(0).lt(1).default(0.3),
    /** Smoothing of the residual scale. */
    scale_smoothing: z.number().gt(0).lt(1).default(0.05),
    /** Residuals beyond this many scales are clipped before updating the model. */
    clip: z.number().positive().default(3),
    band,
    direction,
  })
  .strict();

const changePointSchema = z
  .object({
    type: z.literal('change_point'),
    /** The recent window whose level is compared with the reference. */
    recent: positiveDuration('15m'),
    /** The reference window just before it. */
    reference: positiveDuration('2h'),
    band,
    direction,
  })
  .strict();

const memberSchema = z.discriminatedUnion(
  'type',
  [robustZScoreSchema, seasonalProfileSchema, holtWintersSchema, changePointSchema],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? 'model type must be one of robust_zscore, seasonal_profile, holt_winters, change_point'
        : undefined,
  },
);

/** The ensemble's members when none are given: spikes, level shifts, daily and weekly seasonality. */
export const DEFAULT_ENSEMBLE_MEMBERS = [
  { type: 'robust_zscore', window: '1d' },
  { type: 'change_point', recent: '1h', reference: '1d' },
  { type: 'seasonal_profile', period: 'day', history: 7 },
  { type: 'holt_winters', season: '1d' },
  { type: 'seasonal_profile', period: 'week', history: 4 },
] as const;

const ensembleSchema = z
  .object({
    type: z.literal('ensemble'),
    /** The models combined; each one's score is calibrated against its own recent scores. */
    members: z
      .array(memberSchema)
      .min(1)
      .prefault(DEFAULT_ENSEMBLE_MEMBERS.map((m) => ({ ...m }))),
    /** How many recent scores (per member and series) calibration looks at. */
    calibration_samples: z.number().int().min(100).max(100_000).default(5000),
    /** The quantile of recent scores that counts as usual. */
    calibration_quantile: z.number().gt(0).lt(1).default(0.95),
  })
  .strict();

/** One model and its parameters. */
export const anomalyModelSchema = z.discriminatedUnion(
  'type',
  [robustZScoreSchema, seasonalProfileSchema, holtWintersSchema, changePointSchema, ensembleSchema],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? 'model.type must be one of ensemble, robust_zscore, seasonal_profile, holt_winters, change_point'
        : undefined,
  },
);
export type AnomalyModelConfig = z.infer<typeof anomalyModelSchema>;

const RESERVED_LABELS = new Set(['__name__', 'anomaly_name']);

const anomalyRuleSchema = z
  .object({
    /** Becomes the `anomaly_name` label of every output series; unique among anomaly rules. */
    name: z.string().min(1, 'name must not be empty'),
    /** PromQL returning an instant vector (or a scalar); each series gets its own model. */
    expr: z.string().superRefine((expr, ctx) => {
      try {
        parseExpr(expr);
      } catch (err) {
        if (!(err instanceof ParseError)) throw err;
        ctx.addIssue({ code: 'custom', message: `invalid PromQL: ${err.message}` });
      }
    }),
    /** Evaluation interval; default global.evaluation_interval. */
    interval: durationMs.optional(),
    /** The model; by default a robust z-score over the last hour. */
    model: anomalyModelSchema.prefault({ type: 'robust_zscore' }),
    /** Labels added to every output series (overriding the source's). */
    labels: z.record(z.string(), z.string()).default({}),
    /** Series tracked at most; more are ignored and counted in vigil_anomaly_series_dropped_total. */
    max_series: z.number().int().positive().default(1000),
  })
  .strict()
  .superRefine((rule, ctx) => {
    if (rule.interval !== undefined && rule.interval <= 0)
      ctx.addIssue({ code: 'custom', message: 'interval must be longer than 0s', path: ['interval'] });
    for (const name of Object.keys(rule.labels)) {
      if (!isValidUtf8Name(name) || RESERVED_LABELS.has(name))
        ctx.addIssue({
          code: 'custom',
          message: `label name ${JSON.stringify(name)} is reserved or invalid`,
          path: ['labels', name],
        });
    }
  });
export type AnomalyRuleConfig = z.infer<typeof anomalyRuleSchema>;

/** The `anomaly_rules:` section (anomaly detection declared like rules). Owned by anomaly/. */
export const anomalyRulesSchema = z.array(anomalyRuleSchema).superRefine((rules, ctx) => {
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    if (seen.has(r.name))
      ctx.addIssue({ code: 'custom', message: `duplicate anomaly rule name "${r.name}"`, path: [i, 'name'] });
    seen.add(r.name);
  });
});
export type AnomalyRulesConfig = z.infer<typeof anomalyRulesSchema>;
