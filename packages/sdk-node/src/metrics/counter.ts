/** Counter: a value that only goes up (requests served, bytes sent). */
import { reportError, VigilMetricError } from '../errors.ts';
import { captureExemplar, type Exemplar, formatExemplar } from './exemplar.ts';
import { formatValue } from './format.ts';
import { Child, type LabelValues, Metric, type MetricOptions } from './metric.ts';
import type { SeriesSnapshot } from './snapshot.ts';

/** Options of a counter. */
export type CounterOptions<L extends string = string> = MetricOptions<L, Counter<L>>;

/** One counter series; `counter.labels(...)` returns it for hot paths. */
export class CounterChild extends Child {
  value = 0;
  exemplar: Exemplar | undefined = undefined;

  constructor(
    private readonly metric: Counter<string>,
    values: readonly string[],
    overflow: boolean,
  ) {
    super(values, overflow);
  }

  /** Adds `amount` (default 1; must not be negative). */
  inc(amount = 1): void {
    if (!(amount >= 0)) {
      reportError(
        new VigilMetricError(
          `counter ${this.metric.name}: cannot increase by ${amount}; counters only go up`,
        ),
      );
      return;
    }
    this.value += amount;
    if (this.metric.shared.exemplars) this.exemplar = captureExemplar(this.exemplar, amount);
  }

  /** The current value. */
  get(): number {
    return this.value;
  }

  snapshot(): SeriesSnapshot {
    const s: SeriesSnapshot = { labels: [...this.values], value: this.value, created: this.created };
    if (this.overflow) s.overflow = true;
    if (this.exemplar) s.exemplars = [{ ...this.exemplar }];
    return s;
  }

  absorb(s: SeriesSnapshot): void {
    this.value += s.value ?? 0;
    const e = s.exemplars?.[0];
    if (e && (!this.exemplar || e.timestampMs >= this.exemplar.timestampMs)) this.exemplar = { ...e };
  }
}

/**
 * A counter. Increment with `inc()`, `inc(5)`, `inc({ status: '200' })`, `inc({ status: '200' }, 5)`,
 * or bind the labels once: `const ok = orders.labels({ status: 'ok' }); ok.inc();`.
 */
export class Counter<L extends string = string> extends Metric<CounterChild, L> {
  readonly type = 'counter' as const;

  constructor(options: CounterOptions<L>) {
    super(options as MetricOptions<L, never>);
    this.init();
  }

  protected newChild(values: readonly string[], overflow: boolean): CounterChild {
    return new CounterChild(this as Counter<string>, values, overflow);
  }

  /** Adds to the series of `labels` (or the only series): `inc()`, `inc(n)`, `inc(labels, n?)`. */
  inc(labelsOrAmount?: LabelValues<L> | number, amount?: number): void {
    let child: CounterChild | undefined;
    if (labelsOrAmount === undefined || typeof labelsOrAmount === 'number') {
      child = this.single ?? this.noLabelsGiven();
      amount = labelsOrAmount;
    } else {
      child = this.childFor(labelsOrAmount);
    }
    child?.inc(amount);
  }

  /** The series for these labels, to increment without a lookup: `labels({ status: 'ok' })` or `labels('ok')`. */
  labels(...args: [LabelValues<L>] | string[]): CounterChild {
    return this.bind(args);
  }

  /** The current value of a series (0 if it does not exist yet). */
  get(labels?: LabelValues<L>): number {
    const child = labels === undefined ? this.single : this.childFor(labels);
    return child?.value ?? 0;
  }

  render(openMetrics: boolean): string {
    const family = openMetrics && this.name.endsWith('_total') ? this.name.slice(0, -6) : this.name;
    const sample = openMetrics ? `${family}_total` : this.name;
    let s = this.header(family, 'counter', openMetrics);
    for (const c of this.children()) {
      s += `${sample}${c.labelBlock(this.labelNames)} ${formatValue(c.value)}`;
      if (openMetrics && c.exemplar !== undefined) s += formatExemplar(c.exemplar);
      s += '\n';
    }
    return s;
  }
}
