/**
 * The traces seam: where ingest hands spans, and what query engines read. Backends (duckdb/ now)
 * implement SpanStore; nothing outside storage/traces names a backend. The contract every backend
 * passes is storetest/suite.ts.
 */
import type { Span } from '../../model/span.ts';

/** Bounds ingest protocols enforce (validate.ts `checkSpan`) before handing spans over. */
export interface SpanLimits {
  /** Attributes per span, event, link, resource or scope. */
  readonly maxAttributes: number;
  /** UTF-8 bytes of an attribute key. */
  readonly maxKeyBytes: number;
  /** UTF-8 bytes of a string (or bytes) attribute value. */
  readonly maxValueBytes: number;
  /** Spans starting further than this ahead of the server clock are refused (ms). */
  readonly maxFutureSkewMs: number;
}

/**
 * Where ingest hands decoded spans (OTLP, Zipkin).
 *
 * Callers check every span with `checkSpan(span, sink.limits, now)` first and append only the
 * valid ones. `append` resolves once the spans are accepted: for a store, once they are durable
 * (they survive kill -9); for the traces pipeline with tail sampling on, once they are buffered
 * for the sampling decision (docs/traces.md says what that means for durability). A rejection
 * means nothing of the batch was accepted and the sender should retry. Concurrent calls are fine;
 * the spans array is not kept after the promise settles, the span objects may be.
 */
export interface SpanSink {
  readonly limits: SpanLimits;
  append(spans: readonly Span[]): Promise<void>;
}

/** A time window in Unix nanoseconds, both ends inclusive. */
export interface TimeRangeNs {
  readonly startNs: bigint;
  readonly endNs: bigint;
}

/**
 * A trace's spans as one storage unit holds them. A trace whose spans arrived far apart may be
 * held by several units: its parts together are the whole trace, and `SpanStore.trace` always
 * returns the whole.
 */
export interface TracePart {
  readonly traceId: string;
  readonly spans: readonly Span[];
}

/**
 * What a scan looks for. The hints are necessary conditions a store may use to skip data; a store
 * may ignore any of them, so callers still evaluate their query on what comes back.
 */
export interface TraceScanRequest extends TimeRangeNs {
  /** Only traces with a span of one of these services (resource `service.name`) are needed. */
  readonly services?: readonly string[];
  /** Only traces with a span at least this long are needed. */
  readonly minSpanDurationNs?: number;
  /** Stops the scan early when aborted (the iterator then ends without an error). */
  readonly signal?: AbortSignal;
}

/** Where an attribute lives, as TraceQL scopes name it; `intrinsic` holds span/trace fields. */
export type TagScope = 'resource' | 'span' | 'event' | 'link' | 'instrumentation' | 'intrinsic';

/** An attribute value as tag-value APIs list it: its TraceQL type and its text. */
export interface TagValue {
  readonly type: 'string' | 'int' | 'float' | 'bool' | 'duration' | 'status' | 'kind' | 'keyword';
  readonly value: string;
}

export interface TraceStoreStats {
  readonly spans: number;
  readonly bytes: number;
}

/**
 * A span store. `append` is SpanSink's (durable on resolve). Reads see every span whose append
 * resolved. All methods may be called concurrently; none is valid after `close`.
 */
export interface SpanStore extends SpanSink {
  /**
   * Every stored span of a trace (empty when there is none), ordered by start time. `range`
   * limits the search to data overlapping it, as Tempo's start/end parameters do.
   */
  trace(traceId: string, range?: TimeRangeNs): Promise<Span[]>;

  /**
   * Traces with spans overlapping the window, roughly newest first, in batches. Every trace
   * meeting the request's hints is yielded at least once, possibly in parts (see TracePart).
   */
  scan(request: TraceScanRequest): AsyncIterable<readonly TracePart[]>;

  /** Attribute keys seen in the window, by scope (resource, span, event, link, instrumentation). */
  tagNames(range: TimeRangeNs): Promise<ReadonlyMap<TagScope, readonly string[]>>;

  /**
   * Distinct values of an attribute (or of the intrinsics `name`, `rootName`, `rootServiceName`)
   * seen in the window, at most `limit`. `scope` undefined looks in span and resource attributes.
   */
  tagValues(
    scope: TagScope | undefined,
    key: string,
    range: TimeRangeNs,
    limit: number,
  ): Promise<readonly TagValue[]>;

  stats(): TraceStoreStats;

  /** Persists what is buffered and closes files; appends after this are refused. */
  close(): Promise<void>;
}
