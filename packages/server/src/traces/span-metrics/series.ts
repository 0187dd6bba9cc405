/**
 * Cumulative counters and classic histograms keyed by label set, flushed as Prometheus samples:
 * the registry span metrics and the service graph write through, like Tempo's metrics-generator
 * registry. A series' first flush also writes a 0 at the end of the previous minute (as Tempo
 * does) so rate() and increase() see it start from zero; a series not updated for `staleAfterMs`
 * gets a staleness marker and is forgotten.
 */
import type { SeriesExemplars } from '../../model/exemplar.ts';
import { type Label, type Labels, labelsFromPairs, METRIC_NAME } from '../../model/labels.ts';
import { type SeriesSamples, STALE_NAN } from '../../model/sample.ts';

/** The span an observation came from, attached to its bucket as an exemplar. */
export interface ExemplarSource {
  readonly traceId: string;
  readonly spanId: string;
}

/**
 * Exemplar label names, as Tempo's metrics-generator writes them (`traceID`), plus the span id.
 * Grafana's Prometheus data source links an exemplar to a trace through the `traceID` label.
 */
export const EXEMPLAR_TRACE_ID_LABEL = 'traceID';
export const EXEMPLAR_SPAN_ID_LABEL = 'spanID';

interface PendingExemplar {
  readonly source: ExemplarSource;
  readonly value: number;
}

interface CounterSeries {
  readonly labels: Labels;
  value: number;
  fresh: boolean;
  updatedMs: number;
}

interface HistogramSeries {
  /** Labels of _bucket series per bound (+Inf last), _sum and _count. */
  readonly bucketLabels: readonly Labels[];
  readonly sumLabels: Labels;
  readonly countLabels: Labels;
  /** Non-cumulative counts per bound, +Inf last. */
  readonly counts: Float64Array;
  /** Per bucket, the latest observation with a source since the last collection (Tempo keeps one). */
  readonly exemplars: (PendingExemplar | undefined)[];
  sum: number;
  count: number;
  fresh: boolean;
  updatedMs: number;
}

/** A counter family: `name{labels}`. */
export class CounterFamily {
  private readonly series = new Map<string, CounterSeries>();

  constructor(readonly name: string) {}

  get size(): number {
    return this.series.size;
  }

  has(key: string): boolean {
    return this.series.has(key);
  }

  /** Adds `by` to the series `key` (created from `labels` the first time). */
  inc(key: string, labels: readonly Label[], by: number, nowMs: number): void {
    let s = this.series.get(key);
    if (!s) {
      s = {
        labels: labelsFromPairs([...labels, { name: METRIC_NAME, value: this.name }]),
        value: 0,
        fresh: true,
        updatedMs: nowMs,
      };
      this.series.set(key, s);
    }
    s.value += by;
    s.updatedMs = nowMs;
  }

  /** The current value of a series (for tests and introspection). */
  value(key: string): number | undefined {
    return this.series.get(key)?.value;
  }

  collect(out: SeriesSamples[], nowMs: number, staleAfterMs: number): void {
    for (const [key, s] of this.series) {
      if (nowMs - s.updatedMs > staleAfterMs) {
        out.push(staleSample(s.labels, nowMs));
        this.series.delete(key);
        continue;
      }
      if (s.fresh) {
        s.fresh = false;
        const start = endOfPreviousMinute(nowMs);
        out.push(sample(s.labels, [start, nowMs], [0, s.value]));
      } else out.push(sample(s.labels, [nowMs], [s.value]));
    }
  }
}

/** A classic histogram family: `name_bucket{le}`, `name_sum`, `name_count`. */
export class HistogramFamily {
  private readonly series = new Map<string, HistogramSeries>();
  private readonly leValues: string[];

  constructor(
    readonly name: string,
    readonly bounds: readonly number[],
  ) {
    this.leValues = [...bounds.map(formatLe), '+Inf'];
  }

  get size(): number {
    return this.series.size;
  }

  has(key: string): boolean {
    return this.series.has(key);
  }

  /** Adds an observation; `source` (the span it measures) becomes its bucket's next exemplar. */
  observe(
    key: string,
    labels: readonly Label[],
    value: number,
    nowMs: number,
    source?: ExemplarSource,
  ): void {
    let s = this.series.get(key);
    if (!s) {
      const named = (suffix: string, extra?: Label) =>
        labelsFromPairs([
          ...labels,
          { name: METRIC_NAME, value: `${this.name}${suffix}` },
          ...(extra ? [extra] : []),
        ]);
      s = {
        bucketLabels: this.leValues.map((le) => named('_bucket', { name: 'le', value: le })),
        sumLabels: named('_sum'),
        countLabels: named('_count'),
        counts: new Float64Array(this.bounds.length + 1),
        exemplars: new Array(this.bounds.length + 1),
        sum: 0,
        count: 0,
        fresh: true,
        updatedMs: nowMs,
      };
      this.series.set(key, s);
    }
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]) i++;
    s.counts[i]++;
    if (source) s.exemplars[i] = { source, value };
    s.sum += value;
    s.count++;
    s.updatedMs = nowMs;
  }

  /** Cumulative bucket counts (le order, +Inf last), sum and count of a series. */
  snapshot(key: string): { buckets: number[]; sum: number; count: number } | undefined {
    const s = this.series.get(key);
    if (!s) return undefined;
    let cumulative = 0;
    const buckets = Array.from(s.counts, (c) => (cumulative += c));
    return { buckets, sum: s.sum, count: s.count };
  }

  /**
   * Appends the series' samples to `out` and, when `exemplars` is given, each bucket's pending
   * exemplar stamped with the collection time (as Tempo does, which also keeps every series'
   * exemplars in time order for the exemplar store).
   */
  collect(out: SeriesSamples[], nowMs: number, staleAfterMs: number, exemplars?: SeriesExemplars[]): void {
    for (const [key, s] of this.series) {
      const all = [...s.bucketLabels, s.sumLabels, s.countLabels];
      if (nowMs - s.updatedMs > staleAfterMs) {
        for (const labels of all) out.push(staleSample(labels, nowMs));
        this.series.delete(key);
        continue;
      }
      let cumulative = 0;
      const values = Array.from(s.counts, (c) => (cumulative += c));
      values.push(s.sum, s.count);
      const fresh = s.fresh;
      s.fresh = false;
      const start = endOfPreviousMinute(nowMs);
      all.forEach((labels, i) => {
        out.push(
          fresh ? sample(labels, [start, nowMs], [0, values[i]]) : sample(labels, [nowMs], [values[i]]),
        );
      });
      for (let i = 0; i < s.exemplars.length; i++) {
        const e = s.exemplars[i];
        if (!e) continue;
        s.exemplars[i] = undefined;
        exemplars?.push({
          labels: s.bucketLabels[i],
          exemplars: [{ labels: exemplarLabels(e.source), value: e.value, timestamp: nowMs }],
        });
      }
    }
  }
}

function exemplarLabels(source: ExemplarSource): Labels {
  return labelsFromPairs([
    { name: EXEMPLAR_SPAN_ID_LABEL, value: source.spanId },
    { name: EXEMPLAR_TRACE_ID_LABEL, value: source.traceId },
  ]);
}

function sample(labels: Labels, timestamps: number[], values: number[]): SeriesSamples {
  // Element by element: V8 may canonicalise the staleness marker's NaN bits in array copies.
  const vs = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) vs[i] = values[i];
  return { labels, timestamps: Float64Array.from(timestamps), values: vs };
}

function staleSample(labels: Labels, nowMs: number): SeriesSamples {
  const values = new Float64Array(1);
  values[0] = STALE_NAN;
  return { labels, timestamps: Float64Array.of(nowMs), values };
}

/** The last millisecond of the minute before `ms` (Tempo's getEndOfLastMinuteMs). */
function endOfPreviousMinute(ms: number): number {
  return ms - (ms % 60_000) - 1;
}

/** A bucket bound as Prometheus client libraries write `le` (shortest float text). */
export function formatLe(bound: number): string {
  if (bound === Number.POSITIVE_INFINITY) return '+Inf';
  return String(bound);
}
