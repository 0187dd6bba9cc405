/**
 * The server's own metrics, exposed at /metrics in Prometheus text format 0.0.4.
 *
 * A deliberately small registry: counters, gauges (optionally computed at scrape time) and
 * histograms with fixed label names. Hot paths should keep the child returned by `labels()`
 * instead of looking it up per event.
 */

type LabelValues = readonly string[];

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  render(out: string[]): void;
}

function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

function labelText(names: readonly string[], values: LabelValues, extra?: string): string {
  const parts: string[] = [];
  for (let i = 0; i < names.length; i++) parts.push(`${names[i]}="${escapeValue(values[i] ?? '')}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(',')}}` : '';
}

abstract class Base<Child> implements Family {
  protected readonly children = new Map<string, { values: LabelValues; child: Child }>();
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}
  protected abstract newChild(): Child;
  abstract render(out: string[]): void;

  labels(...values: string[]): Child {
    if (values.length !== this.labelNames.length) {
      throw new Error(`${this.name}: expected ${this.labelNames.length} label values, got ${values.length}`);
    }
    const key = values.join('\xff');
    let entry = this.children.get(key);
    if (!entry) {
      entry = { values, child: this.newChild() };
      this.children.set(key, entry);
    }
    return entry.child;
  }
}

export class CounterChild {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class Counter extends Base<CounterChild> {
  readonly type = 'counter';
  protected newChild(): CounterChild {
    return new CounterChild();
  }
  inc(by = 1): void {
    this.labels().inc(by);
  }
  render(out: string[]): void {
    for (const { values, child } of this.children.values()) {
      out.push(`${this.name}${labelText(this.labelNames, values)} ${formatValue(child.value)}`);
    }
  }
}

export class GaugeChild {
  value = 0;
  set(v: number): void {
    this.value = v;
  }
  inc(by = 1): void {
    this.value += by;
  }
  dec(by = 1): void {
    this.value -= by;
  }
}

export class Gauge extends Base<GaugeChild> {
  readonly type = 'gauge';
  private collector: (() => void) | undefined;
  protected newChild(): GaugeChild {
    return new GaugeChild();
  }
  set(v: number): void {
    this.labels().set(v);
  }
  /** Runs `fn` before each render so the gauge can read its value from the source of truth. */
  collect(fn: () => void): this {
    this.collector = fn;
    return this;
  }
  render(out: string[]): void {
    this.collector?.();
    for (const { values, child } of this.children.values()) {
      out.push(`${this.name}${labelText(this.labelNames, values)} ${formatValue(child.value)}`);
    }
  }
}

export class HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) {
      if (v <= this.bounds[i]) {
        this.counts[i]++;
        return;
      }
    }
  }
  /** Observes the seconds elapsed since `startNs` (from process.hrtime.bigint()). */
  observeSince(startNs: bigint): void {
    this.observe(Number(process.hrtime.bigint() - startNs) / 1e9);
  }
}

export class Histogram extends Base<HistogramChild> {
  readonly type = 'histogram';
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly bounds: readonly number[],
  ) {
    super(name, help, labelNames);
  }
  protected newChild(): HistogramChild {
    return new HistogramChild(this.bounds);
  }
  observe(v: number): void {
    this.labels().observe(v);
  }
  render(out: string[]): void {
    for (const { values, child } of this.children.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += child.counts[i];
        const le = `le="${formatValue(this.bounds[i])}"`;
        out.push(`${this.name}_bucket${labelText(this.labelNames, values, le)} ${cumulative}`);
      }
      out.push(`${this.name}_bucket${labelText(this.labelNames, values, 'le="+Inf"')} ${child.count}`);
      out.push(`${this.name}_sum${labelText(this.labelNames, values)} ${formatValue(child.sum)}`);
      out.push(`${this.name}_count${labelText(this.labelNames, values)} ${child.count}`);
    }
  }
}

export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class SelfMetrics {
  private readonly families = new Map<string, Family>();

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }
  histogram(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    bounds: readonly number[] = DURATION_BUCKETS,
  ): Histogram {
    return this.add(new Histogram(name, help, labelNames, bounds));
  }

  private add<F extends Family>(family: F): F {
    const existing = this.families.get(family.name);
    if (existing) {
      if (existing.type !== family.type) throw new Error(`self-metric ${family.name} registered twice`);
      return existing as F;
    }
    this.families.set(family.name, family);
    return family;
  }

  /** Prometheus text format 0.0.4. */
  render(): string {
    const out: string[] = [];
    for (const f of this.families.values()) {
      out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
      out.push(`# TYPE ${f.name} ${f.type}`);
      f.render(out);
    }
    return `${out.join('\n')}\n`;
  }
}
