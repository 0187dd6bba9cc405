import { isAbsolute, resolve } from 'node:path';
import type { GlobalConfig } from '../../config/schema.ts';
import type { ScrapeConfigInput, ScrapeGlobalConfig, TargetGroupConfig } from '../../config/scrape.ts';
import { formatDuration } from '../../model/duration.ts';
import { compileRelabelRules, type RelabelRule } from '../../relabel/index.ts';
import { DEFAULT_SCRAPE_PROTOCOLS, type EscapingScheme, type ScrapeProtocol } from '../../textparse/index.ts';

/** A scrape config problem that only shows once `global` is applied; names the job. */
export class ScrapeConfigError extends Error {}

/** How to authenticate and secure the HTTP requests of one job; file paths are absolute. */
export interface HttpClientSettings {
  readonly basicAuth?: {
    readonly username?: string;
    readonly usernameFile?: string;
    readonly password?: string;
    readonly passwordFile?: string;
  };
  /** `Authorization: <type> <credentials>`; bearer_token(_file) becomes type Bearer. */
  readonly authorization?: {
    readonly type: string;
    readonly credentials?: string;
    readonly credentialsFile?: string;
  };
  readonly tls?: {
    readonly ca?: string;
    readonly caFile?: string;
    readonly cert?: string;
    readonly certFile?: string;
    readonly key?: string;
    readonly keyFile?: string;
    readonly serverName?: string;
    readonly insecureSkipVerify: boolean;
    readonly minVersion?: string;
    readonly maxVersion?: string;
  };
  readonly followRedirects: boolean;
}

/** One file_sd_configs entry, resolved. */
export interface FileSdSettings {
  /** Absolute glob patterns; only the last path element may have wildcards. */
  readonly files: readonly string[];
  readonly refreshInterval: number;
}

/** One `scrape_configs` entry with `global` applied and everything the scrape loops need. */
export interface ScrapeJob {
  readonly jobName: string;
  /** Milliseconds. */
  readonly interval: number;
  readonly timeout: number;
  readonly metricsPath: string;
  readonly scheme: 'http' | 'https';
  readonly params: Readonly<Record<string, readonly string[]>>;
  readonly honorLabels: boolean;
  readonly honorTimestamps: boolean;
  readonly trackTimestampsStaleness: boolean;
  readonly protocols: readonly ScrapeProtocol[];
  readonly fallbackProtocol: ScrapeProtocol | undefined;
  readonly escaping: EscapingScheme;
  /** Legacy (pre-UTF-8) metric and label name validation. */
  readonly legacyNames: boolean;
  readonly enableCompression: boolean;
  /** Largest accepted uncompressed body in bytes (never unlimited). */
  readonly bodySizeLimit: number;
  readonly sampleLimit: number;
  readonly targetLimit: number;
  readonly labelLimit: number;
  readonly labelNameLengthLimit: number;
  readonly labelValueLengthLimit: number;
  readonly extraScrapeMetrics: boolean;
  readonly staticConfigs: readonly TargetGroupConfig[];
  readonly fileSd: readonly FileSdSettings[];
  readonly relabel: readonly RelabelRule[];
  readonly metricRelabel: readonly RelabelRule[];
  readonly http: HttpClientSettings;
  /** The config as written (after schema defaults), for deciding what a reload changed. */
  readonly source: ScrapeConfigInput;
}

/** Global settings the scrape jobs default from: the global section plus its optional scrape keys. */
export type ScrapeGlobals = GlobalConfig & Partial<ScrapeGlobalConfig>;

/**
 * Applies `global` to a scrape config as Prometheus's ScrapeConfig.Validate does and resolves
 * relative file paths against `baseDir`. `maxBodyBytes` caps bodies when no body_size_limit is
 * set: Prometheus would read without limit, which one hostile target could abuse.
 */
export function resolveScrapeJob(
  c: ScrapeConfigInput,
  global: ScrapeGlobals,
  baseDir: string,
  maxBodyBytes: number,
): ScrapeJob {
  const job = JSON.stringify(c.job_name);
  const interval = c.scrape_interval ?? global.scrape_interval;
  if (interval <= 0) throw new ScrapeConfigError(`scrape_interval of job ${job} must be greater than 0`);
  if (c.scrape_timeout !== undefined && c.scrape_timeout > interval) {
    throw new ScrapeConfigError(
      `scrape_timeout (${formatDuration(c.scrape_timeout)}) of job ${job} is greater than its scrape_interval (${formatDuration(interval)})`,
    );
  }
  const timeout = c.scrape_timeout ?? Math.min(global.scrape_timeout, interval);
  const path = (p: string | undefined) =>
    p === undefined ? undefined : isAbsolute(p) ? p : resolve(baseDir, p);
  const bodyLimit = c.body_size_limit || global.body_size_limit || 0;

  let authorization: HttpClientSettings['authorization'];
  if (c.authorization) {
    authorization = {
      type: c.authorization.type,
      credentials: c.authorization.credentials,
      credentialsFile: path(c.authorization.credentials_file),
    };
  } else if (c.bearer_token !== undefined || c.bearer_token_file !== undefined) {
    authorization = {
      type: 'Bearer',
      credentials: c.bearer_token,
      credentialsFile: path(c.bearer_token_file),
    };
  }
  const tls = c.tls_config;
  const escaping = c.metric_name_escaping_scheme ?? global.metric_name_escaping_scheme;
  const legacyNames = (c.metric_name_validation_scheme ?? global.metric_name_validation_scheme) === 'legacy';

  return {
    jobName: c.job_name,
    interval,
    timeout,
    metricsPath: c.metrics_path,
    scheme: c.scheme,
    params: c.params,
    honorLabels: c.honor_labels,
    honorTimestamps: c.honor_timestamps,
    trackTimestampsStaleness: c.track_timestamps_staleness,
    protocols: c.scrape_protocols ?? global.scrape_protocols ?? DEFAULT_SCRAPE_PROTOCOLS,
    fallbackProtocol: c.fallback_scrape_protocol,
    escaping: escaping ?? (legacyNames ? 'underscores' : 'allow-utf-8'),
    legacyNames,
    enableCompression: c.enable_compression,
    bodySizeLimit: bodyLimit > 0 ? bodyLimit : maxBodyBytes,
    sampleLimit: c.sample_limit || global.sample_limit || 0,
    targetLimit: c.target_limit || global.target_limit || 0,
    labelLimit: c.label_limit || global.label_limit || 0,
    labelNameLengthLimit: c.label_name_length_limit || global.label_name_length_limit || 0,
    labelValueLengthLimit: c.label_value_length_limit || global.label_value_length_limit || 0,
    extraScrapeMetrics: c.extra_scrape_metrics ?? global.extra_scrape_metrics ?? false,
    staticConfigs: c.static_configs,
    fileSd: c.file_sd_configs.map((f) => ({
      files: f.files.map((p) => path(p)!),
      refreshInterval: f.refresh_interval,
    })),
    relabel: compileRelabelRules(c.relabel_configs),
    metricRelabel: compileRelabelRules(c.metric_relabel_configs),
    http: {
      basicAuth: c.basic_auth && {
        username: c.basic_auth.username,
        usernameFile: path(c.basic_auth.username_file),
        password: c.basic_auth.password,
        passwordFile: path(c.basic_auth.password_file),
      },
      authorization,
      tls: tls && {
        ca: tls.ca,
        caFile: path(tls.ca_file),
        cert: tls.cert,
        certFile: path(tls.cert_file),
        key: tls.key,
        keyFile: path(tls.key_file),
        serverName: tls.server_name,
        insecureSkipVerify: tls.insecure_skip_verify,
        minVersion: tls.min_version,
        maxVersion: tls.max_version,
      },
      followRedirects: c.follow_redirects,
    },
    source: c,
  };
}

/** Throws ScrapeConfigError when two configs share a job name (Prometheus refuses that too). */
export function checkUniqueJobNames(configs: readonly ScrapeConfigInput[]): void {
  const seen = new Set<string>();
  for (const c of configs) {
    if (seen.has(c.job_name)) {
      throw new ScrapeConfigError(
        `job_name ${JSON.stringify(c.job_name)} is used by more than one scrape config`,
      );
    }
    seen.add(c.job_name);
  }
}
