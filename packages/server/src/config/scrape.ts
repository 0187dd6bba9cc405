import { z } from 'zod';
import { isValidUtf8Name } from '../model/labels.ts';
import { relabelConfigSchema } from '../relabel/config.ts';
import { SCRAPE_PROTOCOLS } from '../textparse/media-type.ts';
import { tlsConfigSchema } from './tls.ts';
import { byteSize, durationMs } from './units.ts';

/**
 * Prometheus `scrape_configs` entries, in Prometheus's own YAML shape so existing files can be
 * pasted. Unknown keys are errors; keys Prometheus knows but Vigil does not implement (other
 * service discoveries, OAuth2, proxies, native histograms) are errors that say so.
 *
 * Values that fall back to `global` (scrape_interval, scrape_timeout, scrape_protocols, limits)
 * stay undefined here; ingest/scrape resolves them.
 */

/** YAML scalars Go's YAML decoder accepts for string fields (`port: 9100`). */
const scalarString = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

const labelSetSchema = z.record(z.string(), scalarString).superRefine((labels, ctx) => {
  for (const [name, value] of Object.entries(labels)) {
    if (!isValidUtf8Name(name))
      ctx.addIssue({ code: 'custom', message: `invalid label name ${JSON.stringify(name)}` });
    if (!isValidUtf8Name(value) && value !== '') {
      ctx.addIssue({ code: 'custom', message: `value of label ${name} is not valid UTF-8`, path: [name] });
    }
  }
});

/** One target group, as in static_configs and file_sd files. */
export const targetGroupSchema = z
  .object({
    targets: z
      .array(scalarString)
      .nullish()
      .transform((t) => t ?? []),
    labels: labelSetSchema.nullish().transform((l) => l ?? {}),
  })
  .strict();
/** A parsed target group. */
export type TargetGroupConfig = z.infer<typeof targetGroupSchema>;

// Only the last path element may hold a wildcard, and files must be JSON or YAML (Prometheus's rule).
const FILE_SD_PATTERN = /^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$/;

const fileSdConfigSchema = z
  .object({
    files: z
      .array(
        z.string().refine((f) => FILE_SD_PATTERN.test(f), {
          message:
            'file_sd path must end in .json, .yml or .yaml and may have a "*" only in its last element, e.g. targets/*.yml',
        }),
      )
      .min(1, 'file_sd_configs needs at least one entry in files'),
    refresh_interval: durationMs.prefault('5m'),
  })
  .strict();

const scrapeProtocolSchema = z.enum(SCRAPE_PROTOCOLS, {
  error: (issue) =>
    issue.input === 'PrometheusProto'
      ? 'PrometheusProto (protobuf exposition) is not supported by Vigil; use the text formats'
      : `unknown scrape protocol ${JSON.stringify(issue.input)}; use ${SCRAPE_PROTOCOLS.join(', ')}`,
});

const basicAuthSchema = z
  .object({
    username: z.string().optional(),
    username_file: z.string().optional(),
    password: z.string().optional(),
    password_file: z.string().optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.username !== undefined && b.username_file !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'at most one of username and username_file can be set' });
    }
    if (b.password !== undefined && b.password_file !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'at most one of password and password_file can be set' });
    }
  });

const authorizationSchema = z
  .object({
    type: z.string().default('Bearer'),
    credentials: z.string().optional(),
    credentials_file: z.string().optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.type.toLowerCase() === 'basic') {
      ctx.addIssue({
        code: 'custom',
        message: 'authorization type cannot be "Basic"; use basic_auth instead',
        path: ['type'],
      });
    }
    if (a.credentials !== undefined && a.credentials_file !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'at most one of credentials and credentials_file can be set' });
    }
  });

const count = z.number().int().nonnegative();

/**
 * Keys of Prometheus's scrape config that Vigil does not implement. They are accepted by the
 * schema only to be rejected with a message that says what is going on, rather than "unknown key".
 */
const UNSUPPORTED_KEYS: Readonly<Record<string, string>> = Object.fromEntries([
  ...[
    'azure',
    'consul',
    'digitalocean',
    'docker',
    'dockerswarm',
    'dns',
    'ec2',
    'eureka',
    'gce',
    'hetzner',
    'http',
    'ionos',
    'kubernetes',
    'kuma',
    'lightsail',
    'linode',
    'marathon',
    'nerve',
    'nomad',
    'openstack',
    'ovhcloud',
    'puppetdb',
    'scaleway',
    'serverset',
    'stackit',
    'triton',
    'uyuni',
    'vultr',
  ].map((sd) => [
    `${sd}_sd_configs`,
    'this service discovery is not supported by Vigil; use static_configs or file_sd_configs (a sidecar can write target files)',
  ]),
  ['oauth2', 'OAuth2 is not supported by Vigil; use authorization or basic_auth'],
  ['sigv4', 'SigV4 is not supported by Vigil'],
  ['proxy_url', 'scraping through a proxy is not supported by Vigil'],
  ['no_proxy', 'scraping through a proxy is not supported by Vigil'],
  ['proxy_from_environment', 'scraping through a proxy is not supported by Vigil'],
  ['proxy_connect_header', 'scraping through a proxy is not supported by Vigil'],
  ['http_headers', 'custom scrape request headers are not supported by Vigil yet'],
  ['scrape_failure_log_file', 'scrape failures are logged to Vigil’s log; a separate file is not supported'],
  ['native_histogram_bucket_limit', 'native histograms are not supported by Vigil yet'],
  ['native_histogram_min_bucket_factor', 'native histograms are not supported by Vigil yet'],
]);

/** Boolean toggles for features Vigil lacks: `false` (the default) is fine, `true` is an error. */
const FALSE_ONLY_KEYS: Readonly<Record<string, string>> = {
  scrape_native_histograms: 'native histograms are not supported by Vigil yet',
  always_scrape_classic_histograms:
    'native histograms are not supported by Vigil yet; classic ones are always scraped',
  convert_classic_histograms_to_nhcb: 'native histograms are not supported by Vigil yet',
};

/** Drops the `[key: string]` part the placeholder fields add to the parsed type. */
type WithoutIndexSignature<T> = { [K in keyof T as string extends K ? never : K]: T[K] };

const unsupportedFields = Object.fromEntries(
  [...Object.keys(UNSUPPORTED_KEYS), ...Object.keys(FALSE_ONLY_KEYS)].map((k) => [k, z.unknown().optional()]),
);

/** One `scrape_configs` entry (see the file comment for what is accepted). */
export const scrapeConfigSchema = z
  .object({
    job_name: z.string().min(1, 'job_name is empty'),
    honor_labels: z.boolean().default(false),
    honor_timestamps: z.boolean().default(true),
    track_timestamps_staleness: z.boolean().default(false),
    params: z.record(z.string(), z.array(scalarString)).default({}),
    scrape_interval: durationMs.optional(),
    scrape_timeout: durationMs.optional(),
    scrape_protocols: z.array(scrapeProtocolSchema).min(1).optional(),
    fallback_scrape_protocol: scrapeProtocolSchema.optional(),
    metrics_path: z.string().default('/metrics'),
    scheme: z.enum(['http', 'https']).default('http'),
    enable_compression: z.boolean().default(true),
    /** 0 = the server's limit (server.max_body_bytes). */
    body_size_limit: byteSize.optional(),
    sample_limit: count.optional(),
    target_limit: count.optional(),
    label_limit: count.optional(),
    label_name_length_limit: count.optional(),
    label_value_length_limit: count.optional(),
    keep_dropped_targets: count.optional(),
    extra_scrape_metrics: z.boolean().optional(),
    metric_name_validation_scheme: z.enum(['utf8', 'legacy']).optional(),
    metric_name_escaping_scheme: z.enum(['allow-utf-8', 'underscores', 'dots', 'values']).optional(),
    static_configs: z.array(targetGroupSchema).default([]),
    file_sd_configs: z.array(fileSdConfigSchema).default([]),
    relabel_configs: z.array(relabelConfigSchema).default([]),
    metric_relabel_configs: z.array(relabelConfigSchema).default([]),
    basic_auth: basicAuthSchema.optional(),
    authorization: authorizationSchema.optional(),
    bearer_token: z.string().optional(),
    bearer_token_file: z.string().optional(),
    tls_config: tlsConfigSchema.optional(),
    follow_redirects: z.boolean().default(true),
    /** Accepted for compatibility; scrapes use HTTP/1.1. */
    enable_http2: z.boolean().optional(),
    ...unsupportedFields,
  })
  .strict()
  .superRefine((c, ctx) => {
    const raw = c as Record<string, unknown>;
    for (const [key, why] of Object.entries(UNSUPPORTED_KEYS)) {
      if (raw[key] !== undefined) ctx.addIssue({ code: 'custom', message: why, path: [key] });
    }
    for (const [key, why] of Object.entries(FALSE_ONLY_KEYS)) {
      const v = raw[key];
      if (v !== undefined && v !== false) {
        ctx.addIssue({ code: 'custom', message: `${why} (only ${key}: false is accepted)`, path: [key] });
      }
    }
    if (c.scrape_interval !== undefined && c.scrape_interval <= 0) {
      ctx.addIssue({
        code: 'custom',
        message: 'scrape_interval must be greater than 0',
        path: ['scrape_interval'],
      });
    }
    if (c.scrape_timeout !== undefined && c.scrape_timeout <= 0) {
      ctx.addIssue({
        code: 'custom',
        message: 'scrape_timeout must be greater than 0',
        path: ['scrape_timeout'],
      });
    }
    if (
      c.scrape_interval !== undefined &&
      c.scrape_timeout !== undefined &&
      c.scrape_timeout > c.scrape_interval
    ) {
      ctx.addIssue({
        code: 'custom',
        message: `scrape_timeout is greater than scrape_interval for job ${JSON.stringify(c.job_name)}`,
        path: ['scrape_timeout'],
      });
    }
    if (c.bearer_token !== undefined && c.bearer_token_file !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'at most one of bearer_token and bearer_token_file can be set',
        path: ['bearer_token_file'],
      });
    }
    const bearer = c.bearer_token !== undefined || c.bearer_token_file !== undefined;
    if (c.basic_auth && (bearer || c.authorization)) {
      ctx.addIssue({
        code: 'custom',
        message: 'at most one of basic_auth, authorization, bearer_token and bearer_token_file can be set',
        path: ['basic_auth'],
      });
    }
    if (c.authorization && bearer) {
      ctx.addIssue({
        code: 'custom',
        message: 'authorization cannot be combined with bearer_token or bearer_token_file',
        path: ['authorization'],
      });
    }
    if (c.scrape_protocols) {
      const seen = new Set<string>();
      for (const p of c.scrape_protocols) {
        if (seen.has(p)) {
          ctx.addIssue({
            code: 'custom',
            message: `duplicated protocol ${p} in scrape_protocols`,
            path: ['scrape_protocols'],
          });
        }
        seen.add(p);
      }
    }
    // A URL in static targets is a common mistake; Prometheus rejects it unless relabeling may fix it.
    if (c.relabel_configs.length === 0) {
      c.static_configs.forEach((group, g) => {
        group.targets.forEach((target, t) => {
          if (target.includes('/')) {
            ctx.addIssue({
              code: 'custom',
              message: `${JSON.stringify(target)} is not a valid target address: write host:port and set scheme and metrics_path instead`,
              path: ['static_configs', g, 'targets', t],
            });
          }
        });
      });
    }
  })
  .transform((c) => {
    // Drop the placeholders of unsupported keys; they were either absent or rejected above.
    const out = { ...c } as Record<string, unknown>;
    for (const key of [...Object.keys(UNSUPPORTED_KEYS), ...Object.keys(FALSE_ONLY_KEYS)]) delete out[key];
    return out as WithoutIndexSignature<typeof c>;
  });
/** A parsed scrape config; values that default from `global` are still undefined. */
export type ScrapeConfigInput = z.infer<typeof scrapeConfigSchema>;

/**
 * A whole `scrape_configs` list: also checks that job names are unique, as Prometheus does.
 * Suggested for config/schema.ts in place of `z.array(scrapeConfigSchema)`.
 */
export const scrapeConfigListSchema = z.array(scrapeConfigSchema).superRefine((list, ctx) => {
  const seen = new Map<string, number>();
  list.forEach((c, i) => {
    const first = seen.get(c.job_name);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `job_name ${JSON.stringify(c.job_name)} is used by more than one scrape config (also entry ${first})`,
        path: [i, 'job_name'],
      });
    } else seen.set(c.job_name, i);
  });
});

/**
 * Scrape settings Prometheus allows in `global` that default every scrape config. Suggested for
 * config/schema.ts: spread into the global schema (`z.object({ ...existing, ...scrapeGlobalFields })`).
 */
export const scrapeGlobalFields = {
  scrape_protocols: z.array(scrapeProtocolSchema).min(1).optional(),
  body_size_limit: byteSize.optional(),
  sample_limit: count.optional(),
  target_limit: count.optional(),
  label_limit: count.optional(),
  label_name_length_limit: count.optional(),
  label_value_length_limit: count.optional(),
  keep_dropped_targets: count.optional(),
  extra_scrape_metrics: z.boolean().optional(),
  metric_name_validation_scheme: z.enum(['utf8', 'legacy']).optional(),
  metric_name_escaping_scheme: z.enum(['allow-utf-8', 'underscores', 'dots', 'values']).optional(),
};
const scrapeGlobalSchema = z.object(scrapeGlobalFields);
/** The optional scrape defaults of `global` (see scrapeGlobalFields). */
export type ScrapeGlobalConfig = z.infer<typeof scrapeGlobalSchema>;

/** A scrape config file listed in `scrape_config_files`: only `scrape_configs`, as in Prometheus. */
export const scrapeConfigFileSchema = z
  .object({ scrape_configs: scrapeConfigListSchema.nullish().transform((l) => l ?? []) })
  .strict();
