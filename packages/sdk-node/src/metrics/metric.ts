/**
 * What every metric type shares: declaration checks, label sets to children, the cardinality
 * guard and rendering helpers. A child is one series; `labels()` hands one out so hot paths skip
 * the label lookup entirely.
 *
 * Children are found through a trie of Maps, one level per label, keyed by the label value: no
 * key string is built per call, and any value (even one containing separators) is unambiguous.
 */
import { reportError, VigilMetricError } from '../errors.ts';
import { sharedState } from '../shared.ts';
import { escapeHelp, labelBlock } from './format.ts';
import type { Aggregator, FamilySnapshot, MetricType, SeriesSnapshot } from './snapshot.ts';
import { validateLabelNames, validateMetricName } from './validate.ts';

/** Label values by label name. Numbers and booleans are turned into strings. */
export type LabelValues<L extends string = string> = Partial<Record<L, string | number | boolean>>;

/** The series limit per metric unless a metric or registry says otherwise (OpenTelemetry's default). */
export const DEFAULT_MAX_SERIES = 2000;

/** The label that marks the series collecting observations beyond the limit (OpenTelemetry's name). */
export const OVERFLOW_LABEL = 'otel_metric_overflow';

/** Options every metric type accepts. */
export interface MetricOptions<L extends string = string, M = unknown> {
  /** Prometheus metric name, e.g. `orders_total`. */
  name: string;
  /** What the metric measures; shown in `# HELP`. */
  help: string;
  /** Names of the labels, in the order positional `labels(...)` calls use. */
  labelNames?: readonly L[];
  /** Unit for OpenMetrics/OTLP (`seconds`, `bytes`); used only when the name ends with it. */
  unit?: string;
  /**
   * Cardinality guard: at most this many label sets. Observations for new label sets beyond it
   * go to one series labelled `otel_metric_overflow="true"` (so totals stay right) and the
   * first overflow is reported. Default 2000.
   */
  maxSeries?: number;
  /** How series from several workers combine (gauges only; the others always add up). */
  aggregate?: Aggregator;
  /** Called (with the metric as `this`) before each collection, to set values from elsewhere. */
  collect?: (this: M) => void | Promise<void>;
}

/** One series of a metric: its label values and the text that renders them. */
export abstract class Child {
  /** Label values in labelNames order (empty strings for the overflow series). */
  readonly values: readonly string[];
  /** Unix ms when the series was created (start time of cumulative OTLP points). */
  created: number;
  /** `{a="x"}` rendered once on first exposition. */
  private block: string | undefined;

  constructor(
    values: readonly string[],
    readonly overflow = false,
  ) {
    this.values = values;
    this.created = Date.now();
  }

  /** The rendered label block of this series (same escaping in both formats). */
  labelBlock(labelNames: readonly string[]): string {
    if (this.block === undefined) {
      this.block = this.overflow ? `{${OVERFLOW_LABEL}="true"}` : labelBlock(labelNames, this.values);
    }
    return this.block;
  }

  /** The series as plain data. */
  abstract snapshot(): SeriesSnapshot;
  /** Adds the state of a snapshot of the same series (used when aggregating). */
  abstract absorb(s: SeriesSnapshot): void;
}

type Trie<C> = Map<string, Trie<C> | C>;

/** Turns a label value into the string stored; undefined when it is missing or unusable. */
function labelValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return undefined;
}

/** Base of Counter, Gauge, Histogram and Summary. */
export abstract class Metric<C extends Child, L extends string = string> {
  abstract readonly type: MetricType;
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly unit: string | undefined;
  readonly maxSeries: number;
  readonly aggregate: Aggregator;
  readonly collectCallback: (() => void | Promise<void>) | undefined;
  /** State shared with every copy of the package; children read it to decide on exemplars. */
  readonly shared = sharedState();

  /** The only child when the metric has no labels. */
  protected single: C | undefined;
  private trie: Trie<C> = new Map();
  private all: C[] = [];
  private overflowChild: C | undefined;

  constructor(options: MetricOptions<L, never>, reservedLabels: readonly string[] = []) {
    if (options === null || typeof options !== 'object') {
      throw new VigilMetricError('metric options must be an object with at least name and help');
    }
    validateMetricName(options.name);
    if (typeof options.help !== 'string' || options.help === '') {
      throw new VigilMetricError(`metric ${options.name}: help must be a non-empty string describing it`);
    }
    const labelNames = options.labelNames ?? [];
    if (!Array.isArray(labelNames)) {
      throw new VigilMetricError(`metric ${options.name}: labelNames must be an array of label names`);
    }
    validateLabelNames(options.name, labelNames, reservedLabels);
    const maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
    if (!Number.isInteger(maxSeries) || maxSeries < 1) {
      throw new VigilMetricError(
        `metric ${options.name}: maxSeries must be a positive integer, got ${maxSeries}`,
      );
    }
    this.name = options.name;
    this.help = options.help;
    this.labelNames = Object.freeze([...labelNames]);
    this.unit = options.unit;
    this.maxSeries = maxSeries;
    this.aggregate = options.aggregate ?? 'sum';
    const collect = options.collect;
    this.collectCallback = collect
      ? () => (collect as (this: unknown) => void | Promise<void>).call(this)
      : undefined;
  }

  /** Creates the only series of a metric without labels; subclasses call it last in their constructor. */
  protected init(): void {
    if (this.labelNames.length === 0) this.single = this.newChildRecorded([]);
  }

  /** Creates a child for the given label values (subclasses know their child type). */
  protected abstract newChild(values: readonly string[], overflow: boolean): C;

  /**
   * The child for `labels` (a label-value object), created on first use. Reports and returns
   * undefined when a label is missing or unknown, so the caller drops the observation.
   */
  protected childFor(labels: LabelValues<L>): C | undefined {
    const names = this.labelNames;
    const n = names.length;
    if (n === 0) return this.single;
    let node = this.trie;
    for (let i = 0; i < n - 1; i++) {
      const key = labelValue(labels[names[i]]);
      if (key === undefined) return this.create(labels);
      const next = node.get(key) as Trie<C> | undefined;
      if (next === undefined) return this.create(labels);
      node = next;
    }
    const key = labelValue(labels[names[n - 1]]);
    if (key === undefined) return this.create(labels);
    const child = node.get(key) as C | undefined;
    return child === undefined ? this.create(labels) : child;
  }

  /** The child for positional label values (in labelNames order). */
  protected childForValues(values: readonly unknown[]): C | undefined {
    if (values.length !== this.labelNames.length) {
      reportError(
        new VigilMetricError(
          `metric ${this.name}: expected ${this.labelNames.length} label values (${this.labelNames.join(', ')}), got ${values.length}`,
        ),
      );
      return undefined;
    }
    const labels: Record<string, unknown> = {};
    for (let i = 0; i < values.length; i++) labels[this.labelNames[i]] = values[i];
    return this.childFor(labels as LabelValues<L>);
  }

  /**
   * The child for the arguments of `labels(...)`: one label object or positional values. Invalid
   * labels are reported and give a detached child, so code holding it keeps running and its
   * observations go nowhere.
   */
  protected bind(args: readonly unknown[]): C {
    const first = args[0];
    const child =
      args.length === 1 && typeof first === 'object' && first !== null
        ? this.childFor(first as LabelValues<L>)
        : this.childForValues(args);
    return (
      child ??
      this.newChild(
        this.labelNames.map(() => ''),
        false,
      )
    );
  }

  /** Reports a call without labels on a metric that has them. */
  protected noLabelsGiven(): undefined {
    reportError(
      new VigilMetricError(
        `metric ${this.name} has labels [${this.labelNames.join(', ')}]; pass their values, e.g. ${this.name}.inc({ ${this.labelNames[0]}: '…' })`,
      ),
    );
    return undefined;
  }

  /** Slow path of childFor: checks the label set fully, applies the limit, inserts. */
  private create(labels: LabelValues<L>): C | undefined {
    if (labels === null || typeof labels !== 'object') {
      reportError(
        new VigilMetricError(`metric ${this.name}: labels must be an object, got ${String(labels)}`),
      );
      return undefined;
    }
    const values: string[] = [];
    for (const name of this.labelNames) {
      const v = labelValue(labels[name]);
      if (v === undefined) {
        reportError(
          new VigilMetricError(
            `metric ${this.name}: label ${JSON.stringify(name)} is missing or not a string/number (labels given: ${JSON.stringify(labels)}); the observation was dropped`,
          ),
        );
        return undefined;
      }
      values.push(v);
    }
    for (const key of Object.keys(labels)) {
      if (!(this.labelNames as readonly string[]).includes(key)) {
        reportError(
          new VigilMetricError(
            `metric ${this.name}: unknown label ${JSON.stringify(key)}; declared labels are [${this.labelNames.join(', ')}]; the observation was dropped`,
          ),
        );
        return undefined;
      }
    }
    // Another spelling of the same values (numbers vs strings) may already exist.
    const existing = this.lookup(values);
    if (existing !== undefined) return existing;
    if (this.all.length - (this.overflowChild ? 1 : 0) >= this.maxSeries) return this.overflowSeries();
    const child = this.newChildRecorded(values);
    this.insert(values, child);
    return child;
  }

  private lookup(values: readonly string[]): C | undefined {
    let node: Trie<C> | C | undefined = this.trie;
    for (const v of values) {
      if (!(node instanceof Map)) return undefined;
      node = node.get(v);
      if (node === undefined) return undefined;
    }
    return node as C;
  }

  private insert(values: readonly string[], child: C): void {
    let node = this.trie;
    for (let i = 0; i < values.length - 1; i++) {
      let next = node.get(values[i]) as Trie<C> | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(values[i], next);
      }
      node = next;
    }
    node.set(values[values.length - 1], child);
  }

  private overflowSeries(): C {
    if (this.overflowChild === undefined) {
      reportError(
        new VigilMetricError(
          `metric ${this.name} reached its limit of ${this.maxSeries} label sets; further label sets are counted in the series {${OVERFLOW_LABEL}="true"}. Remove high-cardinality labels (ids, URLs) or raise maxSeries`,
        ),
      );
      this.overflowChild = this.newChildRecorded(
        this.labelNames.map(() => ''),
        true,
      );
    }
    return this.overflowChild;
  }

  private newChildRecorded(values: readonly string[], overflow = false): C {
    const child = this.newChild(values, overflow);
    this.all.push(child);
    return child;
  }

  /** Every series, in creation order. */
  children(): readonly C[] {
    return this.all;
  }

  /** Removes the series with these labels (e.g. when a pool or tenant goes away). */
  remove(labels: LabelValues<L>): void {
    if (this.labelNames.length === 0) {
      this.reset();
      return;
    }
    const values = this.labelNames.map((n) => labelValue(labels[n]) ?? '');
    const child = this.lookup(values);
    if (child === undefined) return;
    let node = this.trie;
    for (let i = 0; i < values.length - 1; i++) node = node.get(values[i]) as Trie<C>;
    node.delete(values[values.length - 1]);
    this.all.splice(this.all.indexOf(child), 1);
  }

  /** Forgets every series (a metric without labels starts again from zero). */
  reset(): void {
    this.trie = new Map();
    this.all = [];
    this.overflowChild = undefined;
    this.single = this.labelNames.length === 0 ? this.newChildRecorded([]) : undefined;
  }

  /** Runs the collect callback, if any. */
  async collect(): Promise<void> {
    if (this.collectCallback) await this.collectCallback();
  }

  /** The metric as plain data. */
  snapshot(): FamilySnapshot {
    const s: FamilySnapshot = {
      name: this.name,
      help: this.help,
      type: this.type,
      labelNames: [...this.labelNames],
      aggregate: this.aggregate,
      series: this.all.map((c) => c.snapshot()),
    };
    if (this.unit !== undefined) s.unit = this.unit;
    return s;
  }

  /** Adds snapshot series into this metric (cluster aggregation builds metrics this way). */
  absorb(series: readonly SeriesSnapshot[]): void {
    for (const s of series) {
      const child = s.overflow ? this.overflowSeries() : this.childForValues(s.labels);
      if (child === undefined) continue;
      child.absorb(s);
      // A merged series started when its earliest part did.
      if (s.created < child.created) child.created = s.created;
    }
  }

  /** The metric in the Prometheus text format (0.0.4) or OpenMetrics 1.0. */
  abstract render(openMetrics: boolean): string;

  /** `# HELP`, `# TYPE` (and `# UNIT`) lines for `family`. */
  protected header(family: string, type: string, openMetrics: boolean): string {
    let s = `# HELP ${family} ${escapeHelp(this.help, openMetrics)}\n# TYPE ${family} ${type}\n`;
    if (openMetrics && this.unit && family.endsWith(`_${this.unit}`)) s += `# UNIT ${family} ${this.unit}\n`;
    return s;
  }
}
