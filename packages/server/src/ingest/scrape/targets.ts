import { formatDuration, parseDuration } from '../../model/duration.ts';
import { getLabel, type Labels, labelsKey } from '../../model/labels.ts';
import { LabelsBuilder, processBuilder } from '../../relabel/index.ts';
import type { ScrapeJob } from './config.ts';

/** Labels with special meaning on targets, as in Prometheus. */
export const ADDRESS_LABEL = '__address__';
export const SCHEME_LABEL = '__scheme__';
export const METRICS_PATH_LABEL = '__metrics_path__';
export const SCRAPE_INTERVAL_LABEL = '__scrape_interval__';
export const SCRAPE_TIMEOUT_LABEL = '__scrape_timeout__';
export const PARAM_LABEL_PREFIX = '__param_';
export const META_LABEL_PREFIX = '__meta_';
export const RESERVED_LABEL_PREFIX = '__';

/** A target group from a discovery source: label sets of targets plus labels common to them all. */
export interface TargetGroup {
  /** Identifies the group within its discovery, e.g. `static/0` or `file:/etc/t.yml:2`. */
  readonly source: string;
  readonly targets: readonly Readonly<Record<string, string>>[];
  readonly labels: Readonly<Record<string, string>>;
}

/** A target to scrape: its final labels (internal `__` ones included) and what follows from them. */
export interface Target {
  /** All labels after relabeling, sorted; `__`-prefixed ones are internal. */
  readonly labels: Labels;
  /** The labels series of this target get (no `__` prefix), sorted. */
  readonly publicLabels: Labels;
  readonly url: URL;
  readonly interval: number;
  readonly timeout: number;
  /** Identity of the target within its job: label set and URL. */
  readonly key: string;
}

/** Why a discovered target was not turned into a Target. */
export type TargetResult =
  | { kind: 'target'; target: Target }
  | { kind: 'dropped' }
  | { kind: 'error'; error: string };

/**
 * Builds a target from discovered labels like Prometheus's PopulateLabels: group labels under
 * target labels, job/interval/timeout/path/scheme/params defaults, relabel_configs, then checks,
 * removal of `__meta_*` labels, and `instance` defaulting to `__address__`.
 */
export function populateTarget(
  job: ScrapeJob,
  targetLabels: Readonly<Record<string, string>>,
  groupLabels: Readonly<Record<string, string>>,
): TargetResult {
  const b = new LabelsBuilder();
  for (const [name, value] of Object.entries(groupLabels)) if (!(name in targetLabels)) b.set(name, value);
  for (const [name, value] of Object.entries(targetLabels)) b.set(name, value);
  const defaults: [string, string][] = [
    ['job', job.jobName],
    [SCRAPE_INTERVAL_LABEL, formatDuration(job.interval)],
    [SCRAPE_TIMEOUT_LABEL, formatDuration(job.timeout)],
    [METRICS_PATH_LABEL, job.metricsPath],
    [SCHEME_LABEL, job.scheme],
  ];
  for (const [name, value] of defaults) if (b.get(name) === '') b.set(name, value);
  for (const [name, values] of Object.entries(job.params)) {
    const label = PARAM_LABEL_PREFIX + name;
    if (values.length > 0 && b.get(label) === '') b.set(label, values[0]);
  }

  if (!processBuilder(b, job.relabel)) return { kind: 'dropped' };

  const address = b.get(ADDRESS_LABEL);
  if (address === '') return { kind: 'error', error: 'no __address__ label after relabeling' };
  if (address.includes('/')) {
    return { kind: 'error', error: `${JSON.stringify(address)} is not a valid host:port address` };
  }
  const intervalText = b.get(SCRAPE_INTERVAL_LABEL);
  const interval = parseDuration(intervalText);
  if (interval === undefined)
    return { kind: 'error', error: `invalid ${SCRAPE_INTERVAL_LABEL} ${JSON.stringify(intervalText)}` };
  if (interval === 0) return { kind: 'error', error: 'scrape interval cannot be 0' };
  const timeoutText = b.get(SCRAPE_TIMEOUT_LABEL);
  const timeout = parseDuration(timeoutText);
  if (timeout === undefined)
    return { kind: 'error', error: `invalid ${SCRAPE_TIMEOUT_LABEL} ${JSON.stringify(timeoutText)}` };
  if (timeout === 0) return { kind: 'error', error: 'scrape timeout cannot be 0' };
  if (timeout > interval) {
    return {
      kind: 'error',
      error: `scrape timeout cannot be greater than scrape interval (${JSON.stringify(timeoutText)} > ${JSON.stringify(intervalText)})`,
    };
  }
  const scheme = b.get(SCHEME_LABEL);
  if (scheme !== 'http' && scheme !== 'https') {
    return { kind: 'error', error: `unsupported scheme ${JSON.stringify(scheme)}; use http or https` };
  }

  b.range((l) => {
    if (l.name.startsWith(META_LABEL_PREFIX)) b.delete(l.name);
  });
  if (b.get('instance') === '') b.set('instance', address);

  const labels = b.labels();
  const url = targetUrl(job, labels);
  if (!url) return { kind: 'error', error: `cannot build a URL from address ${JSON.stringify(address)}` };
  const publicLabels = labels.filter((l) => !l.name.startsWith(RESERVED_LABEL_PREFIX));
  return {
    kind: 'target',
    target: { labels, publicLabels, url, interval, timeout, key: `${labelsKey(labels)}\u0000${url.href}` },
  };
}

/**
 * The URL to scrape: scheme, address and path from the labels; query parameters from `params`,
 * with each `__param_<name>` label replacing the first value of that parameter.
 */
export function targetUrl(job: ScrapeJob, labels: Labels): URL | undefined {
  const params = new Map<string, string[]>();
  for (const [name, values] of Object.entries(job.params)) params.set(name, [...values]);
  for (const l of labels) {
    if (!l.name.startsWith(PARAM_LABEL_PREFIX)) continue;
    const name = l.name.slice(PARAM_LABEL_PREFIX.length);
    const values = params.get(name);
    if (values && values.length > 0) values[0] = l.value;
    else params.set(name, [l.value]);
  }
  let url: URL;
  try {
    url = new URL(`${getLabel(labels, SCHEME_LABEL)}://${getLabel(labels, ADDRESS_LABEL)}`);
  } catch {
    return undefined;
  }
  const path = getLabel(labels, METRICS_PATH_LABEL);
  url.pathname = path.startsWith('/') ? path : `/${path}`;
  // Go's url.Values.Encode sorts by key.
  const query = new URLSearchParams();
  for (const name of [...params.keys()].sort()) for (const v of params.get(name)!) query.append(name, v);
  url.search = query.toString();
  return url;
}
