/**
 * Plain-data copies of metrics: what a cluster worker or worker thread sends to the process
 * that serves /metrics, and what the OTLP exporter encodes. Structured-clone and JSON safe.
 */
import type { Exemplar } from './exemplar.ts';

/** The metric types this SDK has. */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

/**
 * How values of one series from several processes or threads combine into one: counters,
 * histograms and summaries always add up; a gauge says what it means (a queue length adds up,
 * a lag is a maximum, a version is the first one seen). `omit` leaves the metric out of the
 * aggregate; `perWorker` keeps each source apart under a `worker` label.
 */
export type Aggregator = 'sum' | 'max' | 'min' | 'first' | 'average' | 'omit' | 'perWorker';

/** One series. Which value fields are set depends on the family's type. */
export interface SeriesSnapshot {
  /** Label values in the order of the family's `labelNames`. */
  labels: string[];
  /** Set on the series that collects observations beyond the cardinality limit. */
  overflow?: true;
  /** Counter or gauge value. */
  value?: number;
  /** Histogram: per-bucket (not cumulative) counts, one per bound plus the +Inf bucket. */
  counts?: number[];
  /** Histogram and summary: sum and count of observations. */
  sum?: number;
  count?: number;
  /** Summary: the observations in the current window (possibly a uniform sample of them). */
  samples?: number[];
  /** Counter: one exemplar; histogram: one per bucket (null where none). */
  exemplars?: (Exemplar | null)[];
  /** Unix milliseconds when the series started counting (OTLP start time). */
  created: number;
}

/** One metric family with all its series. */
export interface FamilySnapshot {
  name: string;
  help: string;
  type: MetricType;
  unit?: string;
  labelNames: string[];
  aggregate: Aggregator;
  /** Histogram bucket upper bounds (without +Inf). */
  buckets?: number[];
  /** Summary quantiles. */
  quantiles?: number[];
  series: SeriesSnapshot[];
}
