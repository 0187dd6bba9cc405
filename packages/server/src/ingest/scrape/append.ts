/**
 * Turns one scrape's body into the batch appended to storage, with Prometheus's scrape-loop
 * semantics: target labels and honor_labels, metric_relabel_configs, limits, duplicate handling,
 * the synthetic report series, and staleness markers for series that disappeared.
 *
 * Nothing here does I/O, so it can be tested with plain strings.
 */

import type { SeriesExemplars } from '../../model/exemplar.ts';
import {
  isLegacyLabelName,
  isLegacyMetricName,
  isValidUtf8Name,
  type Label,
  type Labels,
  labelsFromPairs,
  labelsKey,
  METRIC_NAME,
} from '../../model/labels.ts';
import { type SeriesSamples, STALE_NAN } from '../../model/sample.ts';
import { LabelsBuilder, processBuilder } from '../../relabel/index.ts';
import type { MetricMetadata, MetricType } from '../../storage/interface.ts';
import {
  type ExpositionFormat,
  newParser,
  type ParsedExemplar,
  TextParseError,
} from '../../textparse/index.ts';
import type { ScrapeJob } from './config.ts';
import { ScrapeError } from './http-client.ts';
import type { Target } from './targets.ts';

interface CacheEntry {
  /** Final labels (target labels and metric relabeling applied). */
  readonly labels: Labels;
  readonly key: string;
  lastIter: number;
}

interface MetaEntry {
  type: MetricType;
  help: string;
  unit: string;
  lastIter: number;
}

/**
 * What a scrape loop remembers between scrapes (Prometheus's scrapeCache): final labels per
 * exposed series text, so relabeling runs once per series; which series were dropped; which
 * series the previous scrape produced (for staleness); and metadata.
 */
export class ScrapeCache {
  iter = 0;
  readonly series = new Map<string, CacheEntry>();
  readonly dropped = new Map<string, number>();
  /** Series appended without an explicit timestamp in the current / previous scrape, by key. */
  cur = new Map<string, Labels>();
  prev = new Map<string, Labels>();
  readonly metadata = new Map<string, MetaEntry>();
  private successfulCount = 0;

  /** Ends a scrape: forgets what was not seen (after a successful one), shifts current to previous. */
  iterDone(flushAfterSuccess: boolean): void {
    const count = this.series.size + this.dropped.size + this.metadata.size;
    let flush = flushAfterSuccess;
    if (flush) this.successfulCount = count;
    // Failing scrapes with churning series would otherwise grow the cache without bound.
    else if (count > this.successfulCount * 2 + 1000) flush = true;
    if (flush) {
      for (const [raw, e] of this.series) if (e.lastIter !== this.iter) this.series.delete(raw);
      for (const [raw, iter] of this.dropped) if (iter !== this.iter) this.dropped.delete(raw);
      for (const [name, m] of this.metadata) if (this.iter - m.lastIter > 10) this.metadata.delete(name);
    }
    const swap = this.prev;
    this.prev = this.cur;
    this.cur = swap;
    this.cur.clear();
    this.iter++;
  }
}

/** Values of the synthetic series that are not derived from the body. */
export interface ReportValues {
  /** Seconds the scrape took. */
  readonly duration: number;
  /** Uncompressed body size; -1 when body_size_limit was exceeded, 0 for other failures. */
  readonly bodySize: number;
}

/** The outcome of appending one scrape. */
export interface ScrapeResult {
  /** Samples, report series and staleness markers, ready for MetricsSink.append. */
  readonly batch: SeriesSamples[];
  /** Exemplars of the scraped samples (OpenMetrics), ready for MetricsSink.appendExemplars. */
  readonly exemplars: SeriesExemplars[];
  /** Samples in the body (scrape_samples_scraped). */
  readonly scraped: number;
  /** Samples left after metric relabeling (scrape_samples_post_metric_relabeling). */
  readonly postRelabel: number;
  /** Series not seen in the previous scrapes (scrape_series_added). */
  readonly seriesAdded: number;
  /** Series marked stale in this batch. */
  readonly staleMarkers: number;
  /** Samples dropped because the body repeated a series at one timestamp / went back in time. */
  readonly duplicates: number;
  readonly outOfOrder: number;
  /** Metadata that is new or changed since this loop last reported it. */
  readonly metadata: MetricMetadata[];
  /** Why the scrape failed (up = 0), if it did. */
  readonly error: ScrapeError | undefined;
}

/** Input of one scrape. */
export interface ScrapeInput {
  readonly job: ScrapeJob;
  readonly target: Target;
  readonly cache: ScrapeCache;
  /** Scrape timestamp, Unix ms. */
  readonly timestamp: number;
  /** The decoded body; undefined when the scrape failed before one was read. */
  readonly body?: { readonly text: string; readonly format: ExpositionFormat; readonly invalidUtf8: boolean };
  /** Set when the scrape already failed (HTTP, timeout, content type, target_limit). */
  readonly error?: ScrapeError;
}

/** The synthetic series, in the order Prometheus appends them; the last three are extra metrics. */
export const REPORT_SERIES = [
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
  'scrape_timeout_seconds',
  'scrape_sample_limit',
  'scrape_body_size_bytes',
] as const;

/** Metadata of the synthetic series, as Prometheus reports it. */
export const REPORT_METADATA: readonly MetricMetadata[] = [
  ['up', 'Health of the scrape target. 1 means the target is healthy, 0 if the scrape failed.', 'targets'],
  ['scrape_duration_seconds', 'Duration of the last scrape in seconds.', 'seconds'],
  ['scrape_samples_scraped', 'Number of samples last scraped.', 'samples'],
  [
    'scrape_samples_post_metric_relabeling',
    'Number of samples remaining after metric relabeling was applied.',
    'samples',
  ],
  ['scrape_series_added', 'Number of series in the last scrape.', 'series'],
  ['scrape_timeout_seconds', 'The configured scrape timeout for a target.', 'seconds'],
  [
    'scrape_sample_limit',
    'The configured sample limit for a target. Returns zero if there is no limit configured.',
    'samples',
  ],
  [
    'scrape_body_size_bytes',
    'The uncompressed size of the last scrape response, if successful. Scrapes failing because body_size_limit is exceeded report -1, other scrape failures report 0.',
    'bytes',
  ],
].map(([metric, help, unit]) => ({ metric, type: 'gauge', help, unit }));

/** Accumulates samples per series so each series is one time-ordered entry of the batch. */
class BatchBuilder {
  private readonly byKey = new Map<string, { labels: Labels; t: number[]; v: number[]; stale: number[] }>();
  readonly exemplars: SeriesExemplars[] = [];
  duplicates = 0;
  outOfOrder = 0;

  /** Adds a sample; returns false when it repeats a timestamp or goes back in time for its series. */
  add(key: string, labels: Labels, t: number, v: number, stale = false): boolean {
    const s = this.byKey.get(key);
    if (!s) {
      this.byKey.set(key, { labels, t: [t], v: [v], stale: stale ? [0] : [] });
      return true;
    }
    const last = s.t[s.t.length - 1];
    if (t > last) {
      if (stale) s.stale.push(s.t.length);
      s.t.push(t);
      s.v.push(v);
      return true;
    }
    if (t === last) {
      if (!Object.is(s.v[s.v.length - 1], v)) this.duplicates++;
      return false;
    }
    this.outOfOrder++;
    return false;
  }

  /** An exemplar of a sample just added; without its own timestamp it takes the sample's, as in Prometheus. */
  addExemplar(labels: Labels, e: ParsedExemplar, sampleTime: number): void {
    this.exemplars.push({
      labels,
      exemplars: [
        { labels: labelsFromPairs(e.labels), value: e.value, timestamp: e.timestamp ?? sampleTime },
      ],
    });
  }

  clear(): void {
    this.byKey.clear();
    this.exemplars.length = 0;
    this.duplicates = 0;
    this.outOfOrder = 0;
  }

  build(): SeriesSamples[] {
    let total = 0;
    for (const s of this.byKey.values()) total += s.t.length;
    // One backing buffer for the whole batch, viewed per series: far fewer allocations than
    // two small typed arrays per series.
    const timestamps = new Float64Array(total);
    const values = new Float64Array(total);
    const out: SeriesSamples[] = [];
    let at = 0;
    for (const s of this.byKey.values()) {
      const n = s.t.length;
      for (let i = 0; i < n; i++) {
        timestamps[at + i] = s.t[i];
        values[at + i] = s.v[i];
      }
      // Written into the typed array: plain JS arrays may not keep the stale NaN's bits.
      for (const i of s.stale) values[at + i] = STALE_NAN;
      out.push({
        labels: s.labels,
        timestamps: timestamps.subarray(at, at + n),
        values: values.subarray(at, at + n),
      });
      at += n;
    }
    return out;
  }
}

interface Counts {
  scraped: number;
  postRelabel: number;
  seriesAdded: number;
}

/**
 * Processes one scrape into a batch. On any failure (given, or found while parsing: bad syntax,
 * invalid series, limits) no scraped sample is kept, every series of the previous scrape gets a
 * staleness marker, and `up` is 0, as in Prometheus.
 */
export function processScrape(input: ScrapeInput, report: ReportValues): ScrapeResult {
  const { job, target, cache, timestamp } = input;
  let error = input.error;
  const counts: Counts = { scraped: 0, postRelabel: 0, seriesAdded: 0 };
  const batch = new BatchBuilder();
  const families = new Map<string, { type?: MetricType; help?: string; unit?: string }>();
  const newEntries = new Map<string, CacheEntry>();
  const nonEmpty = !error && input.body !== undefined && input.body.text.length > 0;

  if (nonEmpty) {
    try {
      parseInto(input, batch, families, newEntries, counts);
    } catch (err) {
      if (err instanceof ScrapeError) error = err;
      else if (err instanceof TextParseError)
        error = new ScrapeError(`invalid exposition: ${err.message}`, 'parse');
      else throw err;
    }
  }
  const success = error === undefined;
  let duplicates = batch.duplicates;
  let outOfOrder = batch.outOfOrder;
  if (success) {
    for (const [raw, e] of newEntries) cache.series.set(raw, e);
  } else {
    // Nothing of a failed scrape is stored; everything it would have kept fresh goes stale.
    batch.clear();
    cache.cur.clear();
    counts.seriesAdded = 0;
    duplicates = 0;
    outOfOrder = 0;
  }

  let staleMarkers = 0;
  for (const [key, labels] of cache.prev) {
    if (!cache.cur.has(key)) {
      batch.add(key, labels, timestamp, Number.NaN, true);
      staleMarkers++;
    }
  }

  const values = [
    success ? 1 : 0,
    report.duration,
    counts.scraped,
    counts.postRelabel,
    counts.seriesAdded,
    job.timeout / 1000,
    job.sampleLimit,
    report.bodySize,
  ];
  const reportCount = job.extraScrapeMetrics ? REPORT_SERIES.length : 5;
  for (let i = 0; i < reportCount; i++) {
    const labels = reportLabels(target, REPORT_SERIES[i]);
    batch.add(labelsKey(labels), labels, timestamp, values[i]);
  }

  const metadata = success ? updateMetadata(cache, families) : [];
  cache.iterDone(success && nonEmpty);
  return {
    batch: batch.build(),
    exemplars: batch.exemplars,
    ...counts,
    staleMarkers,
    duplicates,
    outOfOrder,
    metadata,
    error,
  };
}

/**
 * Staleness markers for everything a target's loop last produced, plus its report series: written
 * when a target goes away (Prometheus's end-of-run staleness).
 */
export function endOfRunStaleness(
  job: ScrapeJob,
  target: Target,
  cache: ScrapeCache,
  timestamp: number,
): SeriesSamples[] {
  const batch = new BatchBuilder();
  for (const [key, labels] of cache.prev) batch.add(key, labels, timestamp, Number.NaN, true);
  const reportCount = job.extraScrapeMetrics ? REPORT_SERIES.length : 5;
  for (let i = 0; i < reportCount; i++) {
    const labels = reportLabels(target, REPORT_SERIES[i]);
    batch.add(labelsKey(labels), labels, timestamp, Number.NaN, true);
  }
  return batch.build();
}

/** Labels of a synthetic series: its name plus the target's public labels. */
export function reportLabels(target: Target, name: string): Labels {
  return labelsFromPairs([{ name: METRIC_NAME, value: name }, ...target.publicLabels]);
}

function parseInto(
  input: ScrapeInput,
  batch: BatchBuilder,
  families: Map<string, { type?: MetricType; help?: string; unit?: string }>,
  newEntries: Map<string, CacheEntry>,
  counts: Counts,
): void {
  const { job, target, cache, timestamp } = input;
  const body = input.body!;
  const p = newParser(body.format, body.text, { invalidUtf8: body.invalidUtf8 });
  const iter = cache.iter;
  let appended = 0;
  let sampleLimitHit = false;

  for (let kind = p.next(); kind !== undefined; kind = p.next()) {
    switch (kind) {
      case 'type':
        family(families, p.metric).type = p.type;
        continue;
      case 'help':
        family(families, p.metric).help = p.help;
        continue;
      case 'unit':
        family(families, p.metric).unit = p.unit;
        continue;
      case 'comment':
        continue;
    }
    counts.scraped++;
    const exposedTs = job.honorTimestamps ? p.timestamp : undefined;
    const t = exposedTs ?? timestamp;
    const raw = p.series;
    if (cache.dropped.has(raw)) {
      cache.dropped.set(raw, iter);
      continue;
    }
    let entry = cache.series.get(raw) ?? newEntries.get(raw);
    const cached = entry !== undefined;
    const alreadyScraped = entry !== undefined && entry.lastIter === iter;
    if (entry) entry.lastIter = iter;
    else {
      const labels = sampleLabels(job, target, p.metricName(), p.labelPairs());
      if (!labels) {
        cache.dropped.set(raw, iter);
        continue;
      }
      entry = { labels, key: labelsKey(labels), lastIter: iter };
    }

    let added = false;
    if (alreadyScraped && exposedTs === undefined) {
      batch.duplicates++;
    } else if (job.sampleLimit > 0 && appended >= job.sampleLimit) {
      // Keep counting so scrape_samples_* report the whole body, as Prometheus does.
      sampleLimitHit = true;
    } else if (batch.add(entry.key, entry.labels, t, p.value)) {
      added = true;
      appended++;
      const exemplar = p.exemplar();
      if (exemplar) batch.addExemplar(entry.labels, exemplar, t);
      if (exposedTs === undefined || job.trackTimestampsStaleness) cache.cur.set(entry.key, entry.labels);
    }
    if (!cached && added) {
      newEntries.set(raw, entry);
      if (!sampleLimitHit) counts.seriesAdded++;
    }
    counts.postRelabel++;
  }
  if (sampleLimitHit) {
    throw new ScrapeError(
      `sample_limit exceeded: ${counts.postRelabel} samples after metric relabeling, limit ${job.sampleLimit}`,
      'sample_limit',
    );
  }
}

function family(
  families: Map<string, { type?: MetricType; help?: string; unit?: string }>,
  name: string,
): { type?: MetricType; help?: string; unit?: string } {
  let f = families.get(name);
  if (!f) {
    f = {};
    families.set(name, f);
  }
  return f;
}

/**
 * The final labels of an exposed series (Prometheus's mutateSampleLabels plus validation), or
 * undefined when metric relabeling drops it. Throws ScrapeError for series Prometheus refuses,
 * which fails the whole scrape.
 */
export function sampleLabels(
  job: ScrapeJob,
  target: Target,
  name: string,
  pairs: readonly Label[],
): Labels | undefined {
  const exposed: Label[] = [{ name: METRIC_NAME, value: name }, ...pairs];
  const base = labelsFromPairs(exposed);
  for (let i = 1; i < base.length; i++) {
    if (base[i].name === base[i - 1].name) {
      throw new ScrapeError(
        `series ${describe(name, pairs)} has label ${base[i].name} twice`,
        'invalid_series',
      );
    }
  }
  const b = new LabelsBuilder(base);
  if (job.honorLabels) {
    // Exposed labels win; an exposed label with an empty value still counts as present.
    for (const l of target.publicLabels) if (!exposed.some((e) => e.name === l.name)) b.set(l.name, l.value);
  } else {
    const conflicts: Label[] = [];
    for (const l of target.publicLabels) {
      const existing = b.get(l.name);
      if (existing !== '') conflicts.push({ name: l.name, value: existing });
      b.set(l.name, l.value);
    }
    // Exposed values that clash with target labels move to exported_<name> (shortest names first).
    conflicts.sort((x, y) => x.name.length - y.name.length);
    for (const c of conflicts) {
      let newName = c.name;
      for (;;) {
        newName = `exported_${newName}`;
        if (b.get(newName) === '') {
          b.set(newName, c.value);
          break;
        }
      }
    }
  }
  if (!processBuilder(b, job.metricRelabel)) return undefined;
  const labels = b.labels();
  checkSeries(job, labels, name, pairs);
  return labels;
}

function checkSeries(job: ScrapeJob, labels: Labels, name: string, pairs: readonly Label[]): void {
  const what = () => describe(name, pairs);
  let metric = '';
  for (const l of labels) {
    if (l.name === METRIC_NAME) {
      metric = l.value;
      const ok = job.legacyNames ? isLegacyMetricName(l.value) : isValidUtf8Name(l.value);
      if (!ok)
        throw new ScrapeError(
          `invalid metric name ${JSON.stringify(l.value)} in ${what()}`,
          'invalid_series',
        );
    } else {
      const ok = job.legacyNames ? isLegacyLabelName(l.name) : isValidUtf8Name(l.name);
      if (!ok)
        throw new ScrapeError(`invalid label name ${JSON.stringify(l.name)} in ${what()}`, 'invalid_series');
    }
  }
  if (metric === '') {
    throw new ScrapeError(
      `missing metric name (__name__ label) after metric_relabel_configs in ${what()}`,
      'invalid_series',
    );
  }
  if (job.labelLimit > 0 && labels.length > job.labelLimit) {
    throw new ScrapeError(
      `label_limit exceeded (metric: ${metric.slice(0, 50)}, number of labels: ${labels.length}, limit: ${job.labelLimit})`,
      'label_limit',
    );
  }
  if (job.labelNameLengthLimit > 0 || job.labelValueLengthLimit > 0) {
    for (const l of labels) {
      const nameLen = Buffer.byteLength(l.name);
      if (job.labelNameLengthLimit > 0 && nameLen > job.labelNameLengthLimit) {
        throw new ScrapeError(
          `label_name_length_limit exceeded (metric: ${metric.slice(0, 50)}, label name: ${l.name.slice(0, 50)}, length: ${nameLen}, limit: ${job.labelNameLengthLimit})`,
          'label_limit',
        );
      }
      const valueLen = Buffer.byteLength(l.value);
      if (job.labelValueLengthLimit > 0 && valueLen > job.labelValueLengthLimit) {
        throw new ScrapeError(
          `label_value_length_limit exceeded (metric: ${metric.slice(0, 50)}, label name: ${l.name.slice(0, 50)}, length: ${valueLen}, limit: ${job.labelValueLengthLimit})`,
          'label_limit',
        );
      }
    }
  }
}

function describe(name: string, pairs: readonly Label[]): string {
  const text = `${name}{${pairs.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(',')}}`;
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Folds this scrape's metadata into the cache; returns entries that are new or changed. */
function updateMetadata(
  cache: ScrapeCache,
  families: Map<string, { type?: MetricType; help?: string; unit?: string }>,
): MetricMetadata[] {
  const changed: MetricMetadata[] = [];
  for (const [metric, f] of families) {
    const prev = cache.metadata.get(metric);
    const next: MetaEntry = {
      type: f.type ?? 'unknown',
      help: f.help ?? '',
      unit: f.unit ?? '',
      lastIter: cache.iter,
    };
    if (!prev || prev.type !== next.type || prev.help !== next.help || prev.unit !== next.unit) {
      changed.push({ metric, type: next.type, help: next.help, unit: next.unit });
    }
    cache.metadata.set(metric, next);
  }
  return changed;
}
