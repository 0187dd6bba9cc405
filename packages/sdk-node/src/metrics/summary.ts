/**
 * Summary: quantiles of observations over a sliding time window, plus cumulative sum and count.
 *
 * The window is split into `ageBuckets` slots that rotate every maxAge/ageBuckets, as in the
 * Prometheus Go client. Each slot keeps its observations, up to `maxSamples`; beyond that it keeps
 * a uniform random sample of them (reservoir sampling), so memory is bounded and the quantiles
 * stay unbiased. Quantiles are exact (nearest rank) while the window holds fewer observations
 * than the cap. Keeping samples rather than a sketch makes summaries mergeable across cluster
 * workers: the merged quantiles are those of the union.
 */
import { VigilMetricError } from '../errors.ts';
import { appendLabel, formatGoFloat, formatOpenMetricsFloat, formatValue } from './format.ts';
import { Child, type LabelValues, Metric, type MetricOptions } from './metric.ts';
import type { SeriesSnapshot } from './snapshot.ts';
import { validateQuantiles } from './validate.ts';

/** The q-quantile of ascending `sorted` (non-empty) by the nearest-rank method. */
export function nearestRank(sorted: readonly number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
}

/** prom-client's default quantiles. */
export const DEFAULT_QUANTILES: readonly number[] = [0.01, 0.05, 0.5, 0.9, 0.95, 0.99, 0.999];

/** Options of a summary. */
export interface SummaryOptions<L extends string = string> extends MetricOptions<L, Summary<L>> {
  /** Quantiles to expose, each in [0, 1]. */
  percentiles?: readonly number[];
  /** Length of the sliding window in seconds (default 600). */
  maxAgeSeconds?: number;
  /** Slots the window is divided into (default 5). */
  ageBuckets?: number;
  /** Observations kept per slot before sampling starts (default 1000). */
  maxSamples?: number;
}

/** One summary series. */
export class SummaryChild extends Child {
  sum = 0;
  count = 0;
  private readonly slots: number[][];
  private readonly seen: number[];
  private current = 0;
  private rotatedAt = Date.now();

  constructor(
    private readonly metric: Summary<string>,
    values: readonly string[],
    overflow: boolean,
  ) {
    super(values, overflow);
    this.slots = Array.from({ length: metric.ageBuckets }, () => []);
    this.seen = new Array(metric.ageBuckets).fill(0);
  }

  /** Records one observation. */
  observe(value: number): void {
    this.rotate(Date.now());
    this.sum += value;
    this.count++;
    this.keep(value);
  }

  private keep(value: number): void {
    const slot = this.slots[this.current];
    const seen = ++this.seen[this.current];
    if (slot.length < this.metric.maxSamples) slot.push(value);
    else {
      const j = Math.floor(Math.random() * seen);
      if (j < slot.length) slot[j] = value;
    }
  }

  /** Drops slots older than the window; each slot covers maxAge/ageBuckets. */
  private rotate(now: number): void {
    const width = this.metric.slotMs;
    if (now - this.rotatedAt < width) return;
    const steps = Math.min(this.slots.length, Math.floor((now - this.rotatedAt) / width));
    for (let i = 0; i < steps; i++) {
      this.current = (this.current + 1) % this.slots.length;
      this.slots[this.current] = [];
      this.seen[this.current] = 0;
    }
    this.rotatedAt += Math.floor((now - this.rotatedAt) / width) * width;
  }

  /** Observations in the current window. */
  windowSamples(): number[] {
    this.rotate(Date.now());
    return this.slots.flat();
  }

  /** The configured quantiles over the window (NaN when it is empty), nearest rank. */
  quantileValues(): number[] {
    const samples = this.windowSamples().sort((a, b) => a - b);
    return this.metric.quantiles.map((q) => (samples.length === 0 ? Number.NaN : nearestRank(samples, q)));
  }

  /** Starts a timer; the returned function observes elapsed seconds. */
  startTimer(): () => number {
    const start = process.hrtime.bigint();
    return () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      this.observe(seconds);
      return seconds;
    };
  }

  snapshot(): SeriesSnapshot {
    const s: SeriesSnapshot = {
      labels: [...this.values],
      sum: this.sum,
      count: this.count,
      samples: this.windowSamples(),
      created: this.created,
    };
    if (this.overflow) s.overflow = true;
    return s;
  }

  absorb(s: SeriesSnapshot): void {
    this.sum += s.sum ?? 0;
    this.count += s.count ?? 0;
    // Merged samples go straight into the current slot, uncapped: the union is what the
    // aggregated quantiles describe, and the merged metric lives only for one exposition.
    for (const v of s.samples ?? []) this.slots[this.current].push(v);
  }
}

/** A summary: `observe(v)`, `observe(labels, v)`, `startTimer(labels?)`, `labels(...)`. */
export class Summary<L extends string = string> extends Metric<SummaryChild, L> {
  readonly type = 'summary' as const;
  readonly quantiles: readonly number[];
  readonly ageBuckets: number;
  readonly maxSamples: number;
  /** Milliseconds covered by one slot. */
  readonly slotMs: number;

  constructor(options: SummaryOptions<L>) {
    super(options as MetricOptions<L, never>, ['quantile']);
    const quantiles = options.percentiles ?? DEFAULT_QUANTILES;
    if (!Array.isArray(quantiles)) {
      throw new VigilMetricError(`summary ${this.name}: percentiles must be an array of numbers in [0, 1]`);
    }
    validateQuantiles(this.name, quantiles);
    const maxAge = options.maxAgeSeconds ?? 600;
    const ageBuckets = options.ageBuckets ?? 5;
    const maxSamples = options.maxSamples ?? 1000;
    for (const [key, v] of [
      ['maxAgeSeconds', maxAge],
      ['ageBuckets', ageBuckets],
      ['maxSamples', maxSamples],
    ] as const) {
      if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) {
        throw new VigilMetricError(`summary ${this.name}: ${key} must be a positive number, got ${v}`);
      }
    }
    this.quantiles = [...quantiles].sort((a, b) => a - b);
    this.ageBuckets = Math.ceil(ageBuckets);
    this.maxSamples = Math.ceil(maxSamples);
    this.slotMs = (maxAge * 1000) / this.ageBuckets;
    this.init();
  }

  protected newChild(values: readonly string[], overflow: boolean): SummaryChild {
    return new SummaryChild(this as Summary<string>, values, overflow);
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
  labels(...args: [LabelValues<L>] | string[]): SummaryChild {
    return this.bind(args);
  }

  /** Count, sum and quantiles of a series, for tests and diagnostics. */
  get(labels?: LabelValues<L>): { count: number; sum: number; quantiles: number[] } | undefined {
    const c = labels === undefined ? this.single : this.childFor(labels);
    return c && { count: c.count, sum: c.sum, quantiles: c.quantileValues() };
  }

  override snapshot() {
    return { ...super.snapshot(), quantiles: [...this.quantiles] };
  }

  render(openMetrics: boolean): string {
    let s = this.header(this.name, 'summary', openMetrics);
    const fmt = openMetrics ? formatOpenMetricsFloat : formatGoFloat;
    for (const c of this.children()) {
      const block = c.labelBlock(this.labelNames);
      const values = c.quantileValues();
      for (let i = 0; i < this.quantiles.length; i++) {
        s += `${this.name}${appendLabel(block, 'quantile', fmt(this.quantiles[i]))} ${formatValue(values[i])}\n`;
      }
      s += `${this.name}_sum${block} ${formatValue(c.sum)}\n${this.name}_count${block} ${formatValue(c.count)}\n`;
    }
    return s;
  }
}
