/** Gauge: a value that goes up and down (queue length, temperature, in-flight requests). */
import { formatValue } from './format.ts';
import { Child, type LabelValues, Metric, type MetricOptions } from './metric.ts';
import type { SeriesSnapshot } from './snapshot.ts';

/** Options of a gauge. */
export type GaugeOptions<L extends string = string> = MetricOptions<L, Gauge<L>>;

/** One gauge series. */
export class GaugeChild extends Child {
  value = 0;

  /** Sets the value. */
  set(value: number): void {
    this.value = value;
  }
  /** Adds `amount` (default 1). */
  inc(amount = 1): void {
    this.value += amount;
  }
  /** Subtracts `amount` (default 1). */
  dec(amount = 1): void {
    this.value -= amount;
  }
  /** Sets the value to the current Unix time in seconds. */
  setToCurrentTime(): void {
    this.value = Date.now() / 1000;
  }
  /** Starts a timer; calling the returned function sets the gauge to the elapsed seconds. */
  startTimer(): () => number {
    const start = process.hrtime.bigint();
    return () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      this.value = seconds;
      return seconds;
    };
  }
  /** The current value. */
  get(): number {
    return this.value;
  }

  snapshot(): SeriesSnapshot {
    const s: SeriesSnapshot = { labels: [...this.values], value: this.value, created: this.created };
    if (this.overflow) s.overflow = true;
    return s;
  }

  /** Gauges are combined by the aggregator before they get here; absorbing sets the result. */
  absorb(s: SeriesSnapshot): void {
    this.value = s.value ?? 0;
  }
}

/**
 * A gauge: `set(labels?, v)`, `inc`, `dec`, `setToCurrentTime`, `startTimer`, or a `collect`
 * callback that sets it just before each scrape.
 */
export class Gauge<L extends string = string> extends Metric<GaugeChild, L> {
  readonly type = 'gauge' as const;

  constructor(options: GaugeOptions<L>) {
    super(options as MetricOptions<L, never>);
    this.init();
  }

  protected newChild(values: readonly string[], overflow: boolean): GaugeChild {
    return new GaugeChild(values, overflow);
  }

  private target(labels: LabelValues<L> | undefined): GaugeChild | undefined {
    return labels === undefined ? (this.single ?? this.noLabelsGiven()) : this.childFor(labels);
  }

  /** Sets a series: `set(v)` or `set(labels, v)`. */
  set(labelsOrValue: LabelValues<L> | number, value?: number): void {
    if (typeof labelsOrValue === 'number') this.target(undefined)?.set(labelsOrValue);
    else this.target(labelsOrValue)?.set(value ?? 0);
  }
  /** `inc()`, `inc(n)`, `inc(labels, n?)`. */
  inc(labelsOrAmount?: LabelValues<L> | number, amount?: number): void {
    if (labelsOrAmount === undefined || typeof labelsOrAmount === 'number') {
      this.target(undefined)?.inc(labelsOrAmount);
    } else this.target(labelsOrAmount)?.inc(amount);
  }
  /** `dec()`, `dec(n)`, `dec(labels, n?)`. */
  dec(labelsOrAmount?: LabelValues<L> | number, amount?: number): void {
    if (labelsOrAmount === undefined || typeof labelsOrAmount === 'number') {
      this.target(undefined)?.dec(labelsOrAmount);
    } else this.target(labelsOrAmount)?.dec(amount);
  }
  /** Sets a series to the current Unix time in seconds. */
  setToCurrentTime(labels?: LabelValues<L>): void {
    this.target(labels)?.setToCurrentTime();
  }
  /** Starts a timer that sets the series to the elapsed seconds when called. */
  startTimer(labels?: LabelValues<L>): () => number {
    return this.target(labels)?.startTimer() ?? (() => 0);
  }
  /** The series for these labels, for hot paths. */
  labels(...args: [LabelValues<L>] | string[]): GaugeChild {
    return this.bind(args);
  }
  /** The value of a series (0 if it does not exist). */
  get(labels?: LabelValues<L>): number {
    const child = labels === undefined ? this.single : this.childFor(labels);
    return child?.value ?? 0;
  }

  render(openMetrics: boolean): string {
    let s = this.header(this.name, 'gauge', openMetrics);
    for (const c of this.children())
      s += `${this.name}${c.labelBlock(this.labelNames)} ${formatValue(c.value)}\n`;
    return s;
  }
}
