/**
 * A registry: the set of metrics one /metrics endpoint exposes. Declaring a metric that already
 * exists with the same shape returns the existing one, so modules (and two copies of this package)
 * can declare what they use without coordinating; a conflicting declaration throws.
 */
import { VigilMetricError } from '../errors.ts';
import { sharedState } from '../shared.ts';
import { Counter, type CounterOptions } from './counter.ts';
import { Gauge, type GaugeOptions } from './gauge.ts';
import { Histogram, type HistogramOptions } from './histogram.ts';
import { DEFAULT_MAX_SERIES } from './metric.ts';
import type { FamilySnapshot, MetricType } from './snapshot.ts';
import { Summary, type SummaryOptions } from './summary.ts';

/** What a registry needs from a metric; every metric type of this package (any copy) has it. */
export interface RegisteredMetric {
  readonly type: MetricType;
  readonly name: string;
  readonly labelNames: readonly string[];
  collect(): Promise<void>;
  render(openMetrics: boolean): string;
  snapshot(): FamilySnapshot;
  absorb(series: FamilySnapshot['series']): void;
  reset(): void;
}

/** Content type of the Prometheus text format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** Content type of OpenMetrics 1.0. */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** Registry options. */
export interface RegistryOptions {
  /** Series limit for metrics declared without their own `maxSeries` (default 2000). */
  maxSeries?: number;
}

/** A set of metrics that render together. */
export class Registry {
  private readonly byName = new Map<string, RegisteredMetric>();
  readonly maxSeries: number;

  constructor(options: RegistryOptions = {}) {
    this.maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
  }

  /** Declares (or returns the already declared) counter. */
  counter<L extends string = string>(options: CounterOptions<L>): Counter<L> {
    return this.getOrCreate('counter', options, () => new Counter(this.withLimit(options)));
  }
  /** Declares (or returns the already declared) gauge. */
  gauge<L extends string = string>(options: GaugeOptions<L>): Gauge<L> {
    return this.getOrCreate('gauge', options, () => new Gauge(this.withLimit(options)));
  }
  /** Declares (or returns the already declared) histogram. */
  histogram<L extends string = string>(options: HistogramOptions<L>): Histogram<L> {
    return this.getOrCreate('histogram', options, () => new Histogram(this.withLimit(options)));
  }
  /** Declares (or returns the already declared) summary. */
  summary<L extends string = string>(options: SummaryOptions<L>): Summary<L> {
    return this.getOrCreate('summary', options, () => new Summary(this.withLimit(options)));
  }

  private withLimit<O extends { maxSeries?: number }>(options: O): O {
    return options?.maxSeries === undefined ? { ...options, maxSeries: this.maxSeries } : options;
  }

  private getOrCreate<M>(
    type: MetricType,
    options: { name: string; labelNames?: readonly string[]; buckets?: readonly number[] },
    create: () => M,
  ): M {
    const existing = this.byName.get(options?.name);
    if (existing === undefined) {
      const metric = create();
      this.register(metric as RegisteredMetric);
      return metric;
    }
    const labels = options.labelNames ?? [];
    const sameLabels =
      labels.length === existing.labelNames.length && labels.every((l, i) => l === existing.labelNames[i]);
    const sameBuckets =
      type !== 'histogram' ||
      options.buckets === undefined ||
      String(options.buckets) === String((existing as unknown as Histogram).bounds);
    if (existing.type !== type || !sameLabels || !sameBuckets) {
      throw new VigilMetricError(
        `metric ${options.name} is already declared as a ${existing.type} with labels [${existing.labelNames.join(', ')}]; declare it the same way everywhere or choose another name`,
      );
    }
    return existing as M;
  }

  /** Adds a metric created elsewhere; throws if the name is taken. */
  register(metric: RegisteredMetric): void {
    const existing = this.byName.get(metric.name);
    if (existing !== undefined && existing !== metric) {
      throw new VigilMetricError(`metric ${metric.name} is already registered (as a ${existing.type})`);
    }
    this.byName.set(metric.name, metric);
  }

  /** The metric with this name, if declared. */
  get(name: string): RegisteredMetric | undefined {
    return this.byName.get(name);
  }

  /** Every metric, in declaration order. */
  all(): RegisteredMetric[] {
    return [...this.byName.values()];
  }

  /** Removes one metric. */
  remove(name: string): void {
    this.byName.delete(name);
  }

  /** Removes every metric. */
  clear(): void {
    this.byName.clear();
  }

  /** Runs every metric's collect callback (concurrently). */
  async collect(): Promise<void> {
    await Promise.all(this.all().map((m) => m.collect()));
  }

  /** Renders every metric as it is now (without running collect callbacks). */
  render(openMetrics = false): string {
    let s = '';
    for (const m of this.byName.values()) s += m.render(openMetrics);
    return openMetrics ? `${s}# EOF\n` : s;
  }

  /** Collects and renders this registry's own metrics (no other workers or threads). */
  async metrics(openMetrics = false): Promise<string> {
    await this.collect();
    return this.render(openMetrics);
  }

  /** Collects and returns every metric as plain data. */
  async snapshot(): Promise<FamilySnapshot[]> {
    await this.collect();
    return this.all().map((m) => m.snapshot());
  }

  /** A registry holding the given snapshots (e.g. the merged metrics of several workers). */
  static fromSnapshots(families: readonly FamilySnapshot[]): Registry {
    const r = new Registry();
    for (const f of families) {
      const common = {
        name: f.name,
        help: f.help,
        labelNames: f.labelNames,
        unit: f.unit,
        aggregate: f.aggregate,
        maxSeries: Number.MAX_SAFE_INTEGER,
      };
      let m: RegisteredMetric;
      if (f.type === 'counter') m = r.counter(common);
      else if (f.type === 'gauge') m = r.gauge(common);
      else if (f.type === 'histogram') m = r.histogram({ ...common, buckets: f.buckets });
      else m = r.summary({ ...common, percentiles: f.quantiles });
      m.absorb(f.series);
    }
    return r;
  }
}

/**
 * The process-wide default registry, shared by every copy of this package in the process, so
 * an app that ends up with two copies still exposes one set of metrics.
 */
export function defaultRegistry(): Registry {
  const shared = sharedState();
  if (shared.registry === undefined) shared.registry = new Registry();
  return shared.registry as Registry;
}

/**
 * Picks the exposition format from an HTTP Accept header: OpenMetrics when the client ranks it
 * at least as high as the text format (Prometheus asks for it first), else the text format.
 */
export function negotiateOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  let om = -1;
  let text = -1;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().split(';');
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k === 'q') q = Number(v);
    }
    if (!(q > 0)) continue;
    const t = type.trim().toLowerCase();
    if (t === 'application/openmetrics-text') om = Math.max(om, q);
    else if (t === 'text/plain' || t === '*/*' || t === 'text/*') text = Math.max(text, q);
  }
  return om >= 0 && om >= text;
}
