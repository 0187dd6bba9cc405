import { z } from 'zod';
import { alertingConfigSchema, alertmanagerConfigSchema } from './alerting.ts';
import { anomalyRulesSchema } from './anomaly.ts';
import { dashboardsConfigSchema } from './dashboards.ts';
import { logsConfigSchema } from './logs.ts';
import { probesConfigSchema } from './probes.ts';
import { ruleFilesSchema, rulesSettingsSchema } from './rules.ts';
import { scrapeConfigListSchema, scrapeGlobalFields } from './scrape.ts';
import { sloFilesSchema, slosConfigSchema } from './slo.ts';
import { statsdConfigSchema } from './statsd.ts';
import { tracesConfigSchema } from './traces.ts';
import { byteSize, durationMs, listenAddress } from './units.ts';

/**
 * The one configuration file. Sections reuse the formats users already have (Prometheus
 * `global` and `scrape_configs`, ...). Unknown keys are errors, as in Prometheus, so a typo
 * never silently does nothing.
 */

const authSchema = z
  .object({
    /** Tokens accepted as `Authorization: Bearer <token>`. */
    bearer_tokens: z.array(z.string().min(16, 'bearer tokens must be at least 16 characters')).default([]),
    /** Files each holding one token (trailing newline ignored). */
    bearer_token_files: z.array(z.string()).default([]),
    /** Serve without auth even when listening beyond loopback. */
    disabled: z.boolean().default(false),
  })
  .strict();

const serverSchema = z
  .object({
    listen: listenAddress.default('127.0.0.1:7070'),
    /** OTLP/HTTP on its standard port; empty string turns it off. */
    otlp_http_listen: z.union([listenAddress, z.literal('')]).default('127.0.0.1:4318'),
    /** OTLP/gRPC on its standard port; empty string turns it off. */
    otlp_grpc_listen: z.union([listenAddress, z.literal('')]).default('127.0.0.1:4317'),
    auth: authSchema.prefault({}),
    log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    /** The URL users reach Vigil at (for links in alerts and notifications); default http://<listen>. */
    external_url: z.string().default(''),
    /** Largest accepted request body (after decompression for compressed bodies). */
    max_body_bytes: byteSize.default(32 * 1024 * 1024),
  })
  .strict();

const storageSchema = z
  .object({
    /** Samples older than this are deleted. Prometheus's default is 15d. */
    retention: durationMs.prefault('15d'),
    /** Oldest blocks are deleted while storage exceeds this; 0 = no size limit. */
    retention_size: byteSize.default(0),
    /**
     * Samples up to this far behind their series' newest sample are still accepted (Prometheus's
     * out_of_order_time_window). 0 = strict time order per series, Prometheus's default.
     */
    out_of_order_time_window: durationMs.prefault('0s'),
    /** The time span of data moved from the in-memory head to long-term storage at once. */
    block_duration: durationMs.prefault('2h'),
  })
  .strict();

const limitsSchema = z
  .object({
    max_labels_per_series: z.number().int().positive().default(64),
    max_label_name_length: z.number().int().positive().default(1024),
    max_label_value_length: z.number().int().positive().default(4096),
    /** 0 = unlimited. */
    max_series: z.number().int().nonnegative().default(0),
    /** 0 = unlimited. */
    max_series_per_metric: z.number().int().nonnegative().default(0),
    /** Samples more than this far in the future (by the server clock) are rejected. */
    max_future_skew: durationMs.prefault('10m'),
  })
  .strict();

/** PromQL engine settings, as Prometheus's --query.* flags. */
const querySchema = z
  .object({
    /** How far back an instant selector looks for a sample (--query.lookback-delta). */
    lookback_delta: durationMs.prefault('5m'),
    /** Maximum time a query may run (--query.timeout). */
    timeout: durationMs.prefault('2m'),
    /** Maximum samples a query may hold in memory at once (--query.max-samples). */
    max_samples: z.number().int().positive().default(50_000_000),
    /** Maximum series a query may select; 0 = unlimited. */
    max_series: z.number().int().nonnegative().default(0),
    /** Queries running at once; more wait (--query.max-concurrency). */
    max_concurrency: z.number().int().positive().default(20),
  })
  .strict();

const globalSchema = z
  .object({
    scrape_interval: durationMs.prefault('1m'),
    scrape_timeout: durationMs.prefault('10s'),
    evaluation_interval: durationMs.prefault('1m'),
    /** query_offset of rule groups that set none (Prometheus's global.rule_query_offset). */
    rule_query_offset: durationMs.prefault('0s'),
    external_labels: z.record(z.string(), z.string()).default({}),
    ...scrapeGlobalFields,
  })
  .strict();

export const configSchema = z
  .object({
    server: serverSchema.prefault({}),
    storage: storageSchema.prefault({}),
    limits: limitsSchema.prefault({}),
    query: querySchema.prefault({}),
    global: globalSchema.prefault({}),
    scrape_configs: scrapeConfigListSchema.default([]),
    scrape_config_files: z.array(z.string()).default([]),
    statsd: statsdConfigSchema.optional(),
    traces: tracesConfigSchema.prefault({}),
    logs: logsConfigSchema.prefault({}),
    rule_files: ruleFilesSchema.default([]),
    rules: rulesSettingsSchema.prefault({}),
    alertmanager: alertmanagerConfigSchema.optional(),
    alerting: alertingConfigSchema.optional(),
    probes: probesConfigSchema.optional(),
    anomaly_rules: anomalyRulesSchema.default([]),
    /** Sloth `prometheus/v1` SLO documents, inline; see config/slo.ts. */
    slos: slosConfigSchema.default([]),
    /** Globs of Sloth SLO files, relative to the config file. */
    slo_files: sloFilesSchema.default([]),
    dashboards: dashboardsConfigSchema.prefault({}),
  })
  .strict();

export type VigilConfig = z.infer<typeof configSchema>;
export type ServerConfig = VigilConfig['server'];
export type StorageConfig = VigilConfig['storage'];
export type LimitsConfig = VigilConfig['limits'];
export type GlobalConfig = VigilConfig['global'];
export type QueryConfig = VigilConfig['query'];
