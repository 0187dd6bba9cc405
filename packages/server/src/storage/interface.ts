/**
 * The storage seams. Engines, ingest and APIs see storage only through these interfaces; the
 * backends (duckdb/, later clickhouse/) implement them. Every backend must pass the suite in
 * storagetest/.
 *
 * Times are Unix milliseconds as JS numbers (exact up to 2^53). Both ends of a time range are
 * inclusive here; PromQL's left-open windows are the engine's business.
 */

import type { SeriesExemplars } from '../model/exemplar.ts';
import type { Labels } from '../model/labels.ts';
import type { Matcher } from '../model/matcher.ts';
import type { SeriesSamples } from '../model/sample.ts';

/** Why a sample was not stored. Each reason is counted in self-metrics and reported to the sender. */
export type RejectReason =
  | 'out_of_order' // older than the newest sample of its series, outside the out-of-order window
  | 'duplicate_timestamp' // same timestamp as a stored sample, different value
  | 'too_old' // older than what the head accepts (before the last persisted block) or past retention
  | 'too_far_in_future' // more than the allowed clock skew ahead of now
  | 'invalid_labels' // empty/invalid metric or label name, duplicate label name, invalid UTF-8
  | 'too_many_labels'
  | 'label_too_long'
  | 'series_limit' // the per-metric or global series limit was reached
  | 'exemplar_invalid' // exemplar labels too long (128 characters) or invalid
  | 'exemplar_out_of_order'; // older than the newest exemplar of its series

export interface RejectedSamples {
  readonly reason: RejectReason;
  readonly count: number;
  /** One example, for the error message: the series and what was wrong with it. */
  readonly example: string;
}

export interface AppendResult {
  /** Samples stored (identical duplicates, which Prometheus also drops silently, count as stored). */
  readonly accepted: number;
  /** New series created by this append. */
  readonly seriesAdded: number;
  readonly rejected: readonly RejectedSamples[];
}

export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'info'
  | 'stateset'
  | 'unknown';

export interface MetricMetadata {
  readonly metric: string;
  readonly type: MetricType;
  readonly help: string;
  readonly unit: string;
}

export interface SelectHints {
  /** Inclusive time range of samples wanted. */
  readonly minT: number;
  readonly maxT: number;
  /** Stop after this many series (they are still sorted); 0 or absent means no limit. */
  readonly limit?: number;
  /** Aborts a long select; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

export interface LabelQuery {
  /** Series must match at least one of these matcher lists; empty means every series. */
  readonly matchers: readonly (readonly Matcher[])[];
  readonly minT: number;
  readonly maxT: number;
  /** 0 or absent means no limit. */
  readonly limit?: number;
}

export interface MetricsStats {
  readonly headSeries: number;
  readonly headSamples: number;
  readonly headMinTime: number;
  readonly headMaxTime: number;
  /** Bytes the backend occupies on disk (files, WAL, checkpoints). */
  readonly storageBytes: number;
  readonly totalSeries: number;
}

/** Cardinality statistics, the shape of Prometheus's /api/v1/status/tsdb. */
export interface CardinalityStats {
  readonly seriesCountByMetricName: readonly { name: string; value: number }[];
  readonly labelValueCountByLabelName: readonly { name: string; value: number }[];
  readonly memoryInBytesByLabelName: readonly { name: string; value: number }[];
  readonly seriesCountByLabelValuePair: readonly { name: string; value: number }[];
}

/** How an append is acknowledged. */
export interface AppendOptions {
  /**
   * false: resolve once the samples are visible to queries, without waiting for the WAL fsync.
   * For data Vigil computes itself and can compute again (recording rules, ALERTS), where a
   * rule group evaluating rule after rule must not wait for the disk between rules; Prometheus
   * gives rule results the same guarantee (written to the WAL, not fsynced per commit). Samples
   * from clients are always appended durably. Default true.
   */
  readonly durable?: boolean;
}

/**
 * Metrics storage, Prometheus's data model: a series is a sorted label set including `__name__`;
 * samples are float64 at millisecond timestamps; the staleness marker (STALE_NAN) is a sample
 * like any other, stored and returned bit for bit.
 *
 * Concurrency: every method may be called concurrently with any other. Appends are applied in
 * call order. A select sees every append whose promise has resolved before the select was called.
 */
export interface MetricsStorage {
  /**
   * Stores a batch. Samples of one series in the batch must be in time order. Label sets must be
   * sorted by name (as model/labels builds them). Invalid series or samples are rejected
   * individually with a reason; the rest of the batch is stored.
   *
   * The promise resolves only when every accepted sample is durable: after `kill -9` and a
   * restart, it is returned by select. The caller may reuse the batch's arrays once it resolves.
   * With `{ durable: false }` it resolves as soon as the samples are visible to select; they are
   * still written to the WAL in order, but without waiting for the fsync (see AppendOptions).
   */
  append(batch: readonly SeriesSamples[], options?: AppendOptions): Promise<AppendResult>;

  /**
   * Stores exemplars for series (created if new, like append). Exemplars live in a bounded
   * buffer (the newest N across all series, as Prometheus's exemplar storage) and are durable
   * like samples. Per series they must arrive in time order; an exact duplicate of the newest
   * is accepted silently.
   */
  appendExemplars(batch: readonly SeriesExemplars[]): Promise<AppendResult>;

  /**
   * Exemplars in [minT, maxT] of the series matching any of the matcher lists, as Prometheus's
   * /api/v1/query_exemplars answers: one entry per series (sorted by labels), exemplars in time order.
   */
  selectExemplars(
    matcherSets: readonly (readonly Matcher[])[],
    minT: number,
    maxT: number,
  ): Promise<SeriesExemplars[]>;

  /**
   * Series matching all matchers that have at least one sample in [minT, maxT], sorted by labels
   * (model/labels compareLabels), with their samples in that range in time order. The arrays
   * belong to the caller.
   */
  select(matchers: readonly Matcher[], hints: SelectHints): Promise<SeriesSamples[]>;

  /** Label sets of the series matching the query that have samples in its time range, sorted. */
  series(query: LabelQuery): Promise<Labels[]>;
  /** Sorted label names of series matching the query. */
  labelNames(query: LabelQuery): Promise<string[]>;
  /** Sorted values of one label over series matching the query; empty values are left out. */
  labelValues(name: string, query: LabelQuery): Promise<string[]>;

  /** Records metric metadata (TYPE/HELP/UNIT); the newest entry per metric and type wins. */
  setMetadata(entries: readonly MetricMetadata[]): void;
  /** Metadata per metric name, optionally for one metric; at most `limit` metrics when > 0. */
  metadata(metric?: string, limit?: number): Map<string, MetricMetadata[]>;

  stats(): MetricsStats;
  cardinality(limit: number): CardinalityStats;

  /** Persists everything acknowledged and releases files. No method may be called afterwards. */
  close(): Promise<void>;
}
