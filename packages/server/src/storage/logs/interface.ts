/**
 * The logs seam. Ingest hands records to a LogSink; LogQL, the Loki API and trace correlation read
 * through a LogStore. Backends (duckdb/ now) implement LogStore and pass the suite in
 * storagetest.ts.
 *
 * Times are Unix nanoseconds as bigint. Ranges are [startNs, endNs): start inclusive, end
 * exclusive, as in Loki's query API.
 */
import type { Labels } from '../../model/labels.ts';
import type { LogRecord } from '../../model/log.ts';
import type { Matcher } from '../../model/matcher.ts';

/** Why a record was not stored. Each reason is counted in self-metrics and reported to the sender. */
export type LogRejectReason =
  | 'line_too_long' // limits: max_line_size
  | 'too_many_labels' // limits: max_labels_per_stream
  | 'invalid_labels' // empty, invalid or duplicate label names, no labels at all, invalid UTF-8
  | 'label_too_long'
  | 'stream_limit' // limits: max_active_streams
  | 'too_far_in_future'
  | 'too_old'; // older than retention: it would be deleted at once

export interface LogRejection {
  readonly reason: LogRejectReason;
  readonly count: number;
  /** One example for the error message: the stream and what was wrong. */
  readonly example: string;
}

export interface LogAppendResult {
  readonly accepted: number;
  readonly rejected: readonly LogRejection[];
}

/**
 * Where ingest hands decoded log records (OTLP, Loki push, NDJSON). Validates them against the
 * configured limits, stores the rest and reports what was refused. The promise resolves only
 * once every accepted record is durable: after `kill -9` and a restart, queries return it.
 * Throws only when storing failed as a whole (the sender should retry).
 */
export interface LogSink {
  append(records: readonly LogRecord[]): Promise<LogAppendResult>;
}

/**
 * A line filter the store applies while it scans, so lines that cannot match never leave it. Only
 * filters on the original line are pushed down (before any line_format or decolorize).
 * `contains` is a byte-exact substring test; `regex` is an unanchored RE2 match (Go's regexp
 * syntax, `.` not matching newlines unless `(?s)`), the semantics of LogQL's `|=` and `|~`.
 */
export type LineFilterPushdown =
  | { readonly kind: 'contains'; readonly text: string; readonly negate: boolean }
  | { readonly kind: 'regex'; readonly pattern: string; readonly negate: boolean }
  /** Matches when any part matches. */
  | { readonly kind: 'or'; readonly any: readonly LineFilterPushdown[] };

export interface LogSelect {
  /** Streams matching all matchers (a stream lacking a label has it as ""). */
  readonly matchers: readonly Matcher[];
  readonly startNs: bigint;
  readonly endNs: bigint;
  /** forward: oldest first; backward: newest first. */
  readonly direction: 'forward' | 'backward';
  /** Every filter must match (AND). */
  readonly lineFilters?: readonly LineFilterPushdown[];
  /**
   * 'full' returns bodies; 'length' returns "" as body and the body's UTF-8 length in
   * `bodyBytes`, for queries that only count lines or bytes.
   */
  readonly body?: 'full' | 'length';
  /** Skip structured metadata (returned as []) when the query does not look at it. */
  readonly withoutMetadata?: boolean;
  readonly signal?: AbortSignal;
}

/** A stored record as a select returns it. */
export interface LogRow extends LogRecord {
  /** UTF-8 length of the body; always set. */
  readonly bodyBytes: number;
}

/**
 * Line counts and bytes per stream in fixed time buckets, for count-like metric queries whose
 * lines need no processing: bucket j of a stream holds the lines with
 * originNs + j*bucketNs < ts <= originNs + (j+1)*bucketNs (left-open, as LogQL's windows).
 */
export interface BucketQuery {
  readonly matchers: readonly Matcher[];
  /** Only lines with startNs <= ts < endNs are counted. */
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly originNs: bigint;
  readonly bucketNs: bigint;
  readonly lineFilters?: readonly LineFilterPushdown[];
  readonly signal?: AbortSignal;
}

export interface StreamBuckets {
  readonly labels: Labels;
  /** Bucket indexes with lines, ascending, and the lines and bytes in each. */
  readonly buckets: readonly number[];
  readonly counts: readonly number[];
  readonly bytes: readonly number[];
}

export interface StreamQuery {
  /** Streams must match at least one of these matcher lists; empty means every stream. */
  readonly matchers: readonly (readonly Matcher[])[];
  readonly startNs: bigint;
  readonly endNs: bigint;
}

/** What a select or stats call covered, for Loki's index/stats and query statistics. */
export interface LogStats {
  readonly streams: number;
  readonly chunks: number;
  readonly entries: number;
  readonly bytes: number;
}

/** Lines and bytes of one stream in a time range (Loki's index/volume source). */
export interface StreamVolume {
  readonly labels: Labels;
  readonly entries: number;
  readonly bytes: number;
}

export interface LogStoreStats {
  readonly streams: number;
  readonly partitions: number;
  /** Bytes on disk (database file and its write-ahead log). */
  readonly storageBytes: number;
  readonly oldestNs: bigint | undefined;
  readonly newestNs: bigint | undefined;
}

/**
 * Log storage. Concurrency: every method may be called concurrently with any other; appends are
 * applied in call order and a select sees every append whose promise resolved before it began.
 */
export interface LogStore {
  /**
   * Stores records that already passed the sink's validation. Resolves once they are durable.
   * Records of one stream need not be in time order.
   */
  append(records: readonly LogRecord[]): Promise<void>;

  /**
   * Records of matching streams in [startNs, endNs) that pass every pushed-down line filter, in
   * batches, ordered by time in `direction` (ties in an unspecified but stable order). Stopping
   * the iteration early (break) releases everything the scan holds.
   */
  select(query: LogSelect): AsyncIterable<readonly LogRow[]>;

  /** Line counts per stream and time bucket, computed where the data is (see BucketQuery). */
  countBuckets(query: BucketQuery): Promise<StreamBuckets[]>;

  /** Label sets of the streams matching the query that have records in its range, sorted. */
  series(query: StreamQuery): Promise<Labels[]>;
  /** Sorted label names of those streams. */
  labelNames(query: StreamQuery): Promise<string[]>;
  /** Sorted values of one label over those streams. */
  labelValues(name: string, query: StreamQuery): Promise<string[]>;
  /** Streams, entries and bytes in the range (Loki's index/stats). */
  stats(query: StreamQuery): Promise<LogStats>;
  /** Entries and bytes per matching stream in the range (Loki's index/volume). */
  volume(query: StreamQuery): Promise<StreamVolume[]>;

  /**
   * Records carrying `traceId` (lowercase hex) in [startNs, endNs), oldest first, at most
   * `limit`; served from the trace-id index.
   */
  traceRecords(traceId: string, startNs: bigint, endNs: bigint, limit: number): Promise<LogRow[]>;

  /** Deletes whole time partitions older than `beforeNs`, then the oldest while over `maxBytes` (0 = no limit). */
  applyRetention(beforeNs: bigint, maxBytes: number): Promise<{ deletedPartitions: number }>;

  storeStats(): LogStoreStats;

  /** Makes everything durable and releases files. No method may be called afterwards. */
  close(): Promise<void>;
}
