import { z } from 'zod';
import { byteSize, durationMs } from './units.ts';

/**
 * The `traces:` section: span storage and its limits, search, span metrics and the service graph
 * (named and shaped like Tempo's metrics-generator), and tail sampling (shaped like the
 * OpenTelemetry Collector's tail_sampling processor, so its `policies` can be pasted). Every field
 * has a default; docs/traces.md documents them.
 */

/** Tempo's span-metrics latency buckets: prometheus.ExponentialBuckets(0.002, 2, 14), in seconds. */
export const DEFAULT_SPAN_METRICS_BUCKETS: readonly number[] = Array.from(
  { length: 14 },
  (_, i) => 0.002 * 2 ** i,
);

/** Tempo's service-graph buckets: prometheus.ExponentialBuckets(0.1, 2, 8), in seconds. */
export const DEFAULT_SERVICE_GRAPH_BUCKETS: readonly number[] = Array.from(
  { length: 8 },
  (_, i) => 0.1 * 2 ** i,
);

const buckets = z
  .array(z.number())
  .min(1, 'give at least one bucket upper bound in seconds (+Inf is always added)')
  .superRefine((bounds, ctx) => {
    for (let i = 0; i < bounds.length; i++) {
      if (!Number.isFinite(bounds[i])) {
        ctx.addIssue({ code: 'custom', message: 'bucket bounds must be finite numbers (+Inf is implied)' });
        return;
      }
      if (i > 0 && bounds[i] <= bounds[i - 1]) {
        ctx.addIssue({
          code: 'custom',
          message: `bucket bounds must be strictly increasing; ${bounds[i]} follows ${bounds[i - 1]}`,
        });
        return;
      }
    }
  });

const positiveDuration = (fallback: string, what: string) =>
  durationMs.prefault(fallback).refine((ms) => ms > 0, `${what} must be longer than 0s`);

const limitsSchema = z
  .object({
    /** Attributes per span, event, link, resource or scope; spans with more are rejected. */
    max_attributes: z.number().int().positive().default(128),
    /** Longest attribute key (UTF-8 bytes). */
    max_attribute_key_bytes: z.number().int().positive().default(256),
    /** Longest string or bytes attribute value (UTF-8 bytes). */
    max_attribute_value_bytes: byteSize.default(64 * 1024),
    /** Spans starting further ahead of the server clock are rejected. */
    max_future_skew: durationMs.prefault('10m'),
  })
  .strict();

const storageSchema = z
  .object({
    /** Spans in memory before they are written as a block. */
    max_head_spans: z.number().int().positive().default(200_000),
    /** Span bytes in memory before they are written as a block. */
    max_head_bytes: byteSize.default(128 * 1024 * 1024),
    /** A block is also cut when the oldest trace in memory arrived this long ago. */
    max_head_age: positiveDuration('30s', 'max_head_age'),
    /** A timed cut takes the traces that got no new span for this long (so traces land whole). */
    trace_idle: positiveDuration('5s', 'trace_idle'),
  })
  .strict();

const searchSchema = z
  .object({
    /** Traces returned when a search gives no `limit`. Tempo's default is 20. */
    default_limit: z.number().int().positive().default(20),
    /** Largest `limit` accepted. */
    max_limit: z.number().int().positive().default(1000),
    /** Spans per spanset when a search gives no `spss`. Tempo's default is 3. */
    default_spans_per_spanset: z.number().int().positive().default(3),
    /** A search (or tag lookup) stops after this long and returns what it found. */
    timeout: positiveDuration('30s', 'search.timeout'),
    /** Window searched when a request gives no start/end. */
    default_window: positiveDuration('1h', 'search.default_window'),
  })
  .strict();

const intrinsicDimensions = z
  .object({
    service: z.boolean().default(true),
    span_name: z.boolean().default(true),
    span_kind: z.boolean().default(true),
    status_code: z.boolean().default(true),
    status_message: z.boolean().default(false),
  })
  .strict();

const spanMetricsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Latency histogram bucket bounds in seconds. */
    histogram_buckets: buckets.default([...DEFAULT_SPAN_METRICS_BUCKETS]),
    intrinsic_dimensions: intrinsicDimensions.prefault({}),
    /** Span or resource attributes added as labels (dots become underscores, as in Tempo). */
    dimensions: z.array(z.string().min(1)).default([]),
    /** How often the cumulative series are written to the metrics store (Tempo: collection_interval). */
    flush_interval: positiveDuration('15s', 'span_metrics.flush_interval'),
    /** Most label sets kept; spans that would add more are counted but not turned into series. */
    max_series: z.number().int().positive().default(10_000),
  })
  .strict();

const serviceGraphSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** How long a client (or server) span waits for its other half before it is counted as unpaired. */
    wait: positiveDuration('10s', 'service_graph.wait'),
    /** Most half-edges waiting at once; spans beyond this are dropped from the graph and counted. */
    max_items: z.number().int().positive().default(10_000),
    histogram_buckets: buckets.default([...DEFAULT_SERVICE_GRAPH_BUCKETS]),
    /** Span or resource attributes added as labels. */
    dimensions: z.array(z.string().min(1)).default([]),
    /** Attributes naming an uninstrumented peer (a database, a queue), first match wins. */
    peer_attributes: z
      .array(z.string().min(1))
      .default(['peer.service', 'db.name', 'db.system', 'db.system.name']),
    /** Attributes that make a client span a database call, first match wins. */
    database_name_attributes: z
      .array(z.string().min(1))
      .default(['db.namespace', 'db.name', 'db.system', 'db.system.name']),
    flush_interval: positiveDuration('15s', 'service_graph.flush_interval'),
  })
  .strict();

// ---------------------------------------------------------------------------------------------
// Tail sampling, as the OpenTelemetry Collector's tail_sampling processor configures it.

const POLICY_TYPES = [
  'always_sample',
  'latency',
  'status_code',
  'probabilistic',
  'string_attribute',
  'numeric_attribute',
  'rate_limiting',
  'and',
  'composite',
] as const;

const latencyCfg = z
  .object({
    threshold_ms: z.number().int().nonnegative(),
    upper_threshold_ms: z.number().int().nonnegative().default(0),
  })
  .strict();
const statusCodeCfg = z
  .object({
    status_codes: z.array(z.enum(['OK', 'ERROR', 'UNSET'])).min(1, 'list at least one of OK, ERROR, UNSET'),
  })
  .strict();
const probabilisticCfg = z
  .object({
    hash_salt: z.string().default(''),
    sampling_percentage: z.number().min(0).max(100),
  })
  .strict();
const stringAttributeCfg = z
  .object({
    key: z.string().min(1),
    values: z.array(z.string()).min(1, 'list at least one value'),
    enabled_regex_matching: z.boolean().default(false),
    cache_max_size: z.number().int().nonnegative().default(0),
    invert_match: z.boolean().default(false),
  })
  .strict();
const numericAttributeCfg = z
  .object({
    key: z.string().min(1),
    min_value: z.number().optional(),
    max_value: z.number().optional(),
    invert_match: z.boolean().default(false),
  })
  .strict()
  .refine((c) => c.min_value !== undefined || c.max_value !== undefined, 'give min_value, max_value or both');
const rateLimitingCfg = z.object({ spans_per_second: z.number().int().positive() }).strict();

/** Fields every policy kind shares. */
const leafPolicyFields = {
  name: z.string().min(1, 'every policy needs a name'),
  latency: latencyCfg.optional(),
  status_code: statusCodeCfg.optional(),
  probabilistic: probabilisticCfg.optional(),
  string_attribute: stringAttributeCfg.optional(),
  numeric_attribute: numericAttributeCfg.optional(),
  rate_limiting: rateLimitingCfg.optional(),
};

/** The sub-policy types `and` and `composite` accept (no nesting of and/composite inside and). */
const leafTypes = POLICY_TYPES.filter((t) => t !== 'and' && t !== 'composite');

function requireOwnConfig(p: { type: string } & Record<string, unknown>, ctx: z.RefinementCtx): void {
  if (p.type === 'always_sample') return;
  if (p[p.type] === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: [p.type],
      message: `a policy of type ${p.type} needs a "${p.type}:" block with its settings`,
    });
  }
}

const leafPolicy = z
  .object({ ...leafPolicyFields, type: z.enum(leafTypes as [string, ...string[]]) })
  .strict()
  .superRefine(requireOwnConfig);

const andCfg = z
  .object({ and_sub_policy: z.array(leafPolicy).min(1, 'list at least one sub-policy') })
  .strict();

const andPolicy = z
  .object({
    ...leafPolicyFields,
    type: z.enum([...leafTypes, 'and'] as unknown as [string, ...string[]]),
    and: andCfg.optional(),
  })
  .strict()
  .superRefine(requireOwnConfig);

const compositeCfg = z
  .object({
    max_total_spans_per_second: z.number().int().positive(),
    policy_order: z.array(z.string()).min(1),
    composite_sub_policy: z.array(andPolicy).min(1),
    rate_allocation: z
      .array(z.object({ policy: z.string(), percent: z.number().min(0).max(100) }).strict())
      .default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    const names = new Set(c.composite_sub_policy.map((p) => p.name));
    for (const n of c.policy_order) {
      if (!names.has(n)) {
        ctx.addIssue({
          code: 'custom',
          path: ['policy_order'],
          message: `policy_order names "${n}", which is not in composite_sub_policy`,
        });
      }
    }
  });

const policy = z
  .object({
    ...leafPolicyFields,
    type: z.enum(POLICY_TYPES),
    and: andCfg.optional(),
    composite: compositeCfg.optional(),
  })
  .strict()
  .superRefine(requireOwnConfig);

export type TailSamplingPolicyConfig = z.infer<typeof policy>;
export type LeafPolicyConfig = z.infer<typeof andPolicy>;

const tailSamplingSchema = z
  .object({
    /** Time from a trace's first span to its sampling decision (the Collector's default is 30s). */
    decision_wait: positiveDuration('30s', 'tail_sampling.decision_wait'),
    /** Traces awaiting a decision held at once. */
    num_traces: z.number().int().positive().default(50_000),
    /** Spans awaiting a decision held at once (Vigil's bound on memory; the Collector has none). */
    max_spans: z.number().int().positive().default(1_000_000),
    /** The Collector's expected_new_traces_per_sec is accepted and not needed. */
    expected_new_traces_per_sec: z.number().int().nonnegative().default(0),
    /** How many decisions are remembered after a trace is released, for spans that arrive late. */
    decision_cache: z
      .object({
        sampled_cache_size: z.number().int().nonnegative().default(10_000),
        non_sampled_cache_size: z.number().int().nonnegative().default(10_000),
      })
      .strict()
      .prefault({}),
    /** No policies (the default) keeps every trace and bypasses the buffer entirely. */
    policies: z.array(policy).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.policies.forEach((p, i) => {
      if (seen.has(p.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['policies', i, 'name'],
          message: `duplicate policy name "${p.name}"`,
        });
      }
      seen.add(p.name);
    });
  });

export const tracesConfigSchema = z
  .object({
    /** Spans whose trace ended longer ago than this are deleted; 0s keeps them forever. Tempo: 14d. */
    retention: durationMs.prefault('14d'),
    /** Oldest blocks are deleted while span storage is bigger than this; 0 = no size limit. */
    retention_size: byteSize.default(0),
    limits: limitsSchema.prefault({}),
    storage: storageSchema.prefault({}),
    search: searchSchema.prefault({}),
    span_metrics: spanMetricsSchema.prefault({}),
    service_graph: serviceGraphSchema.prefault({}),
    tail_sampling: tailSamplingSchema.prefault({}),
  })
  .strict();

export type TracesConfig = z.infer<typeof tracesConfigSchema>;
export type TailSamplingConfig = TracesConfig['tail_sampling'];
export type SpanMetricsConfig = TracesConfig['span_metrics'];
export type ServiceGraphConfig = TracesConfig['service_graph'];
