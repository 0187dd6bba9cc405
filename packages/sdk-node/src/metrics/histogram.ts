/** Histogram: counts observations (latencies, sizes) into cumulative buckets, plus sum and count. */
import { VigilMetricError } from '../errors.ts';
import { captureExemplar, type Exemplar, formatExemplar } from './exemplar.ts';
import { appendLabel, formatGoFloat, formatOpenMetricsFloat, formatValue } from './format.ts';
import { Child, type LabelValues, Metric, type MetricOptions } from './metric.ts';
import type { SeriesSnapshot } from './snapshot.ts';
import { validateBuckets } from './validate.ts';

/** Prometheus's default buckets, tuned for request latencies in seconds. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Options of a histogram. */
export interface HistogramOptions<L extends string = string> extends MetricOptions<L, Histogram<L>> {
  /** Upper bounds, strictly increasing; +Inf is implied. Default DEFAULT_BUCKETS. */
  buckets?: readonly number[];
}

/** `count` upper bounds from `start`, each `width` more than the last. */
export function linearBuckets(start: number, width: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + i * width);
}

/** `count` upper bounds from `start`, each `factor` times the last. */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

/** One histogram series. */
export class HistogramChild extends Child {
  /** Per-bucket counts (not cumulative); the last one is the +Inf bucket. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  /** Latest exemplar per bucket, allocated on the first one. */
  exemplars: (Exemplar | undefined)[] | undefined = undefined;
  /** Rendered `_bucket` prefixes with the `le` label, per format, built on first exposition. */
  private prefixes: [string[] | undefined, string[] | undefined] = [undefined, undefined];

  constructor(
    private readonly metric: Histogram<string>,
    values: readonly string[],
    overflow: boolean,
  ) {
    super(values, overflow);
    this.counts = new Float64Array(metric.bounds.length + 1);
  }

  /** Records one observation. */
  observe(value: number): void {
    const bounds = this.metric.bounds;
    const n = bounds.length;
    let i = 0;
    if (n <= 16) {
      while (i < n && !(value <= bounds[i])) i++;
    } else {
      // First bound >= value; NaN compares false everywhere and lands in +Inf, as in Go's client.
      let hi = n;
      while (i < hi) {
        const mid = (i + hi) >>> 1;
        if (value <= bounds[mid]) hi = mid;
        else i = mid + 1;
      }
    }
    this.counts[i]++;
    this.sum += value;
    this.count++;
    if (this.metric.shared.exemplars) {
      if (this.exemplars === undefined) this.exemplars = new Array(n + 1);
      this.exemplars[i] = captureExemplar(this.exemplars[i], value);
    }
  }

  /** Starts a timer; the returned function observes the elapsed seconds and returns them. */
  startTimer(): () => number {
    const start = process.hrtime.bigint();
    return () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      this.observe(seconds);
      return seconds;
    };
  }

  /** `_bucket{…,le="…"} ` prefixes for each bucket, in the label spelling of each format. */
  bucketPrefixes(openMetrics: boolean): string[] {
    const k = openMetrics ? 1 : 0;
    let p = this.prefixes[k];
    if (p === undefined) {
      const block = this.labelBlock(this.metric.labelNames);
      const fmt = openMetrics ? formatOpenMetricsFloat : formatGoFloat;
      const bounds = [...this.metric.bounds, Number.POSITIVE_INFINITY];
      p = bounds.map((b) => `${this.metric.name}_bucket${appendLabel(block, 'le', fmt(b))} `);
      this.prefixes[k] = p;
    }
    return p;
  }

  snapshot(): SeriesSnapshot {
    const s: SeriesSnapshot = {
      labels: [...this.values],
      counts: Array.from(this.counts),
      sum: this.sum,
      count: this.count,
      created: this.created,
    };
    if (this.overflow) s.overflow = true;
    if (this.exemplars) s.exemplars = Array.from(this.exemplars, (e) => (e ? { ...e } : null));
    return s;
  }

  absorb(s: SeriesSnapshot): void {
    const counts = s.counts ?? [];
    for (let i = 0; i < this.counts.length && i < counts.length; i++) this.counts[i] += counts[i];
    this.sum += s.sum ?? 0;
    this.count += s.count ?? 0;
    if (s.exemplars) {
      if (this.exemplars === undefined) this.exemplars = new Array(this.counts.length);
      const ex = this.exemplars;
      s.exemplars.forEach((e, i) => {
        if (e && (!ex[i] || e.timestampMs >= ex[i]!.timestampMs)) ex[i] = { ...e };
      });
    }
  }
}

/**
 * A histogram: `observe(v)`, `observe(labels, v)`, `startTimer(labels?)`, or bound:
 * `const t = latency.labels({ route: '/pay' }); t.observe(0.12);`.
 */
export class Histogram<L extends string = string> extends Metric<HistogramChild, L> {
  readonly type = 'histogram' as const;
  /** Upper bounds without +Inf. */
  readonly bounds: Float64Array;

  constructor(options: HistogramOptions<L>) {
    super(options as MetricOptions<L, never>, ['le']);
    const buckets = options?.buckets ?? DEFAULT_BUCKETS;
    if (!Array.isArray(buckets)) {
      throw new VigilMetricError(`histogram ${this.name}: buckets must be an array of numbers`);
    }
    validateBuckets(this.name, buckets);
    const finite = buckets.at(-1) === Number.POSITIVE_INFINITY ? buckets.slice(0, -1) : buckets;
    this.bounds = Float64Array.from(finite);
    this.init();
  }

  protected newChild(values: readonly string[], overflow: boolean): HistogramChild {
    return new HistogramChild(this as Histogram<string>, values, overflow);
  }

  /** `observe(v)` or `observe(labels, v)`. */
  observe(labelsOrValue: LabelValues<L> | number, value?: number): void {
    if (typeof labelsOrValue === 'number') (this.single ?? this.noLabelsGiven())?.observe(labelsOrValue);
    else this.childFor(labelsOrValue)?.observe(value as number);
  }

  /** Starts a timer; the returned function observes elapsed seconds (with extra labels if given). */
  startTimer(labels?: LabelValues<L>): (moreLabels?: LabelValues<L>) => number {
    const start = process.hrtime.bigint();
    return (moreLabels) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const all = moreLabels ? { ...labels, ...moreLabels } : labels;
      if (all === undefined) this.observe(seconds);
      else this.observe(all, seconds);
      return seconds;
    };
  }

  /** The series for these labels, for hot paths. */
  labels(...args: [LabelValues<L>] | string[]): HistogramChild {
    return this.bind(args);
  }

  /** Count, sum and per-bucket counts of a series, for tests and diagnostics. */
  get(labels?: LabelValues<L>): { count: number; sum: number; counts: number[] } | undefined {
    const c = labels === undefined ? this.single : this.childFor(labels);
    return c && { count: c.count, sum: c.sum, counts: Array.from(c.counts) };
  }

  override snapshot() {
    return { ...super.snapshot(), buckets: Array.from(this.bounds) };
  }

  render(openMetrics: boolean): string {
    let s = this.header(this.name, 'histogram', openMetrics);
    const n = this.bounds.length;
    for (const c of this.children()) {
      const prefixes = c.bucketPrefixes(openMetrics);
      const ex = openMetrics ? c.exemplars : undefined;
      let cumulative = 0;
      for (let i = 0; i <= n; i++) {
        cumulative += c.counts[i];
        s += prefixes[i] + formatValue(cumulative);
        if (ex !== undefined && ex[i] !== undefined) s += formatExemplar(ex[i]!);
        s += '\n';
      }
      const block = c.labelBlock(this.labelNames);
      s += `${this.name}_sum${block} ${formatValue(c.sum)}\n${this.name}_count${block} ${formatValue(c.count)}\n`;
    }
    return s;
  }
}
