/**
 * Warnings and infos a query returns next to its result, worded exactly as Prometheus's
 * util/annotations. Each is rendered as `PromQL warning: <text> (<line>:<col>)`, where the
 * position is the start of the sub-expression it concerns. Annotations with the same text are
 * reported once (the last one added wins, as in Prometheus's map keyed by text).
 */
import type { PosRange } from '../parser/ast.ts';
import { positionLineCol, quote } from '../parser/go-strings.ts';
import { formatGoG } from './format.ts';

/** Warnings mean a result may be wrong; infos are hints. */
export type AnnotationKind = 'warning' | 'info';

/** One warning or info, before it is rendered against the query text. */
export interface Annotation {
  readonly kind: AnnotationKind;
  /** The message without the position suffix; also the de-duplication key. */
  readonly text: string;
  readonly pos: PosRange;
  /** Extra rendering for the histogram_quantile monotonicity info, which merges over steps. */
  readonly monotonicity?: MonotonicityDetail;
}

interface MonotonicityDetail {
  minTs: number;
  maxTs: number;
  minBucket: number;
  maxBucket: number;
  maxDiff: number;
  count: number;
}

/** A de-duplicating set of annotations. */
export class Annotations {
  private readonly byText = new Map<string, Annotation>();

  add(a: Annotation): void {
    const prev = this.byText.get(a.text);
    if (prev?.monotonicity && a.monotonicity) {
      const p = prev.monotonicity;
      const n = a.monotonicity;
      const merged: MonotonicityDetail = {
        minTs: Math.min(p.minTs, n.minTs),
        maxTs: Math.max(p.maxTs, n.maxTs),
        minBucket: Math.min(p.minBucket, n.minBucket),
        maxBucket: Math.max(p.maxBucket, n.maxBucket),
        maxDiff: Math.max(p.maxDiff, n.maxDiff),
        count: p.count + n.count + 1,
      };
      this.byText.set(a.text, { ...a, monotonicity: merged });
      return;
    }
    this.byText.set(a.text, a);
  }

  merge(other: Annotations): void {
    for (const a of other.byText.values()) this.add(a);
  }

  get size(): number {
    return this.byText.size;
  }

  /** Rendered strings, split by kind, positions resolved against the query text. */
  render(query: string): { warnings: string[]; infos: string[] } {
    const warnings: string[] = [];
    const infos: string[] = [];
    for (const a of this.byText.values()) {
      const text = renderAnnotation(a, query);
      if (a.kind === 'info') infos.push(text);
      else warnings.push(text);
    }
    return { warnings, infos };
  }
}

function renderAnnotation(a: Annotation, query: string): string {
  const where = query === '' ? '' : ` (${positionLineCol(query, a.pos.start)})`;
  if (a.monotonicity && query !== '') {
    const m = a.monotonicity;
    return `${a.text}, from buckets ${formatGoG(m.minBucket)} to ${formatGoG(m.maxBucket)}, with a max diff of ${formatPercent2g(m.maxDiff)}, over ${m.count + 1} samples from ${rfc3339(m.minTs)} to ${rfc3339(m.maxTs)}${where}`;
  }
  return a.text + where;
}

function rfc3339(ms: number): string {
  const d = new Date(Math.trunc(ms / 1000) * 1000);
  return d.toISOString().replace('.000Z', 'Z');
}

/** Go's %.2g. */
function formatPercent2g(v: number): string {
  if (!Number.isFinite(v)) return formatGoG(v);
  if (v === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(v.toPrecision(2)))));
  if (exp < -4 || exp >= 2)
    return v
      .toExponential(1)
      .replace(/\.?0+e/, 'e')
      .replace(/e([+-])(\d)$/, 'e$10$2');
  return String(Number(v.toPrecision(2)));
}

const W = 'PromQL warning: ';
const I = 'PromQL info: ';

function warning(text: string, pos: PosRange): Annotation {
  return { kind: 'warning', text: W + text, pos };
}
function info(text: string, pos: PosRange): Annotation {
  return { kind: 'info', text: I + text, pos };
}
function withMetricName(text: string, metricName: string): string {
  return metricName === '' ? text : `${text} for metric name ${quote(metricName)}`;
}

/** Constructors for every annotation the engine emits, worded as in Prometheus. */
export const annotations = {
  invalidQuantile: (q: number, pos: PosRange) =>
    warning(`quantile value should be between 0 and 1, got ${formatGoG(q)}`, pos),
  invalidRatio: (q: number, to: number, pos: PosRange) =>
    warning(`ratio value should be between -1 and 1, got ${formatGoG(q)}, capping to ${formatGoG(to)}`, pos),
  badBucketLabel: (metricName: string, label: string, pos: PosRange) =>
    warning(
      withMetricName(`bucket label "le" is missing or has a malformed value of ${quote(label)}`, metricName),
      pos,
    ),
  mixedFloatsHistograms: (metricName: string, pos: PosRange) =>
    warning(`encountered a mix of histograms and floats for metric name ${quote(metricName)}`, pos),
  mixedFloatsHistogramsAgg: (pos: PosRange) =>
    warning('encountered a mix of histograms and floats for aggregation', pos),
  sortInRangeQuery: (pos: PosRange) =>
    warning('sort is ineffective for range queries since results are always ordered by labels', pos),
  possibleNonCounter: (metricName: string, pos: PosRange) =>
    info(
      `metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${quote(metricName)}`,
      pos,
    ),
  possibleNonCounterLabel: (metricName: string, typeLabel: string, pos: PosRange) =>
    info(
      `metric might not be a counter, __type__ label is not set to "counter" or "histogram", got ${quote(typeLabel)}: ${quote(metricName)}`,
      pos,
    ),
  histogramQuantileForcedMonotonicity: (
    metricName: string,
    pos: PosRange,
    ts: number,
    minBucket: number,
    maxBucket: number,
    maxDiff: number,
  ): Annotation => ({
    kind: 'info',
    text:
      I +
      withMetricName(
        'input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)',
        metricName,
      ),
    pos,
    monotonicity: { minTs: ts, maxTs: ts, minBucket, maxBucket, maxDiff, count: 0 },
  }),
  incompatibleTypesInBinOp: (lhsType: string, op: string, rhsType: string, pos: PosRange) =>
    info(
      `incompatible sample types encountered for binary operator ${quote(op)}: ${lhsType} ${op} ${rhsType}`,
      pos,
    ),
  histogramIgnoredInAggregation: (aggregation: string, pos: PosRange) =>
    info(`ignored histogram in ${aggregation} aggregation`, pos),
  histogramIgnoredInMixedRange: (metricName: string, pos: PosRange) =>
    info(
      `ignored histograms in a range containing both floats and histograms for metric name ${quote(metricName)}`,
      pos,
    ),
};
