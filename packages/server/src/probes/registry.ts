/**
 * The metrics of one probe run, like the per-probe registry of the blackbox exporter: gauges
 * registered by the prober as it goes, rendered as the exporter's Prometheus text exposition
 * (families sorted by name, series by label values, numbers formatted as Go formats them) and
 * convertible to samples for storage.
 */
import { type Label, type Labels, labelsFromPairs, METRIC_NAME } from '../model/labels.ts';

/** One gauge family; children are keyed by their label values. */
export class ProbeGauge {
  private readonly children = new Map<string, { values: readonly string[]; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {}

  /** The child for these label values, created at 0 (as client_golang's WithLabelValues does). */
  labels(...values: string[]): { set(v: number): void; add(v: number): void } {
    if (values.length !== this.labelNames.length)
      throw new Error(`${this.name}: expected ${this.labelNames.length} label values, got ${values.length}`);
    const key = values.join('\u0000');
    let child = this.children.get(key);
    if (!child) {
      child = { values, value: 0 };
      this.children.set(key, child);
    }
    const c = child;
    return {
      set: (v) => {
        c.value = v;
      },
      add: (v) => {
        c.value += v;
      },
    };
  }

  set(v: number): void {
    this.labels().set(v);
  }

  add(v: number): void {
    this.labels().add(v);
  }

  /** Children sorted by label values, as client_golang gathers them. */
  series(): { labels: Label[]; value: number }[] {
    return [...this.children.values()]
      .map((c) => ({
        labels: this.labelNames.map((name, i) => ({ name, value: c.values[i] })),
        value: c.value,
      }))
      .sort((a, b) => compareValues(a.labels, b.labels));
  }
}

function compareValues(a: Label[], b: Label[]): number {
  for (let i = 0; i < a.length; i++) if (a[i].value !== b[i].value) return a[i].value < b[i].value ? -1 : 1;
  return 0;
}

/** The gauges of one probe. Registering a name twice returns the first gauge. */
export class ProbeRegistry {
  private readonly gauges = new Map<string, ProbeGauge>();

  /** Registers a gauge; one without labels exists at 0 from now on, like a registered client_golang Gauge. */
  gauge(name: string, help: string, labelNames: readonly string[] = []): ProbeGauge {
    let g = this.gauges.get(name);
    if (!g) {
      g = new ProbeGauge(name, help, labelNames);
      if (labelNames.length === 0) g.labels();
      this.gauges.set(name, g);
    }
    return g;
  }

  has(name: string): boolean {
    return this.gauges.has(name);
  }

  /** The value of an unlabelled gauge, or of the child with these labels; undefined if absent. */
  value(name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
    const g = this.gauges.get(name);
    if (!g) return undefined;
    const want = Object.entries(labels);
    return g.series().find((s) => want.every(([n, v]) => s.labels.find((l) => l.name === n)?.value === v))
      ?.value;
  }

  /** Prometheus text format 0.0.4, as promhttp writes it. Families without series are left out. */
  render(): string {
    const out: string[] = [];
    for (const g of [...this.gauges.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    )) {
      const series = g.series();
      if (series.length === 0) continue;
      out.push(`# HELP ${g.name} ${g.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
      out.push(`# TYPE ${g.name} gauge`);
      for (const s of series) {
        const sorted = [...s.labels].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        const labels = sorted.map((l) => `${l.name}="${escapeLabelValue(l.value)}"`).join(',');
        out.push(`${g.name}${labels ? `{${labels}}` : ''} ${formatGoFloat(s.value)}`);
      }
    }
    return out.length ? `${out.join('\n')}\n` : '';
  }

  /** Every series with `extra` labels added (target labels override the probe's own, as honor_labels: false would rename). */
  samples(extra: Labels): { labels: Labels; value: number }[] {
    const out: { labels: Labels; value: number }[] = [];
    for (const g of this.gauges.values()) {
      for (const s of g.series()) {
        const pairs = new Map<string, string>();
        for (const l of s.labels) pairs.set(l.name, l.value);
        for (const l of extra) pairs.set(l.name, l.value);
        pairs.set(METRIC_NAME, g.name);
        out.push({
          labels: labelsFromPairs([...pairs].map(([name, value]) => ({ name, value }))),
          value: s.value,
        });
      }
    }
    return out;
  }
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/**
 * Formats a float the way Go's strconv.FormatFloat(v, 'g', -1, 64) does, as the exposition
 * writer uses it: the shortest digits that round-trip, in exponent form when the decimal exponent
 * is below -4 or at least 6 (Go's rule for shortest 'g'), e.g. 1.7e+09 and 0.25; +Inf, -Inf, NaN.
 */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mantissa, expText] = v.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    const digits = String(Math.abs(exp)).padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  return String(v);
}
