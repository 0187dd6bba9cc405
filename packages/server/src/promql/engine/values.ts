/**
 * Values the evaluator passes around. A series keeps its points in two Float64Arrays (times and
 * values) instead of one object per sample; an instant vector is a list of Sample objects, and
 * the evaluator reuses those objects from step to step.
 */
import { compareLabels, type Label, type Labels, METRIC_NAME } from '../../model/labels.ts';

/** One series: `n` points at times ts[0..n) with values fs[0..n), time-ordered. */
export interface Series {
  metric: Labels;
  ts: Float64Array;
  fs: Float64Array;
  n: number;
  /** The metric name (and __type__/__unit__) are to be dropped when the query finishes. */
  dropName: boolean;
}

/** A sample of an instant vector at one evaluation step. */
export interface Sample {
  metric: Labels;
  f: number;
  /** Sample time in milliseconds (the step time, or the data time for timestamp()). */
  t: number;
  dropName: boolean;
}

/** An instant vector: the samples of one step. */
export type Vector = Sample[];
/** Series with points at evaluation steps (or raw samples, for range selectors). */
export type Matrix = Series[];

/** A query result, in the shapes of Prometheus's API. */
export type QueryValue =
  | { readonly type: 'vector'; readonly samples: readonly ResultSample[] }
  | { readonly type: 'matrix'; readonly series: readonly ResultSeries[] }
  | { readonly type: 'scalar'; readonly t: number; readonly v: number }
  | { readonly type: 'string'; readonly t: number; readonly v: string };

/** One sample of an instant-vector result. */
export interface ResultSample {
  readonly metric: Labels;
  readonly t: number;
  readonly v: number;
}

/** One series of a matrix result. */
export interface ResultSeries {
  readonly metric: Labels;
  /** Point times (ms) and values; the arrays have exactly the series' length. */
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

const keyCache = new WeakMap<Labels, string>();

/**
 * A Map key for a label set, cached on the (immutable) array so that series seen at every step
 * are keyed once. Names and values are joined with lone surrogates, which cannot occur in label
 * text (model/labels.ts labelsKey).
 */
export function seriesKey(metric: Labels): string {
  let k = keyCache.get(metric);
  if (k === undefined) {
    k = '';
    for (const l of metric) k += l.name + '\ud800' + l.value + '\udbff';
    keyCache.set(metric, k);
  }
  return k;
}

const METADATA_LABELS = new Set([METRIC_NAME, '__type__', '__unit__']);
const droppedCache = new WeakMap<Labels, Labels>();

/** The label set without __name__, __type__ and __unit__ (Prometheus's DropReserved(IsMetadataLabel)). */
export function dropMetricName(metric: Labels): Labels {
  let d = droppedCache.get(metric);
  if (d === undefined) {
    d = metric.some((l) => METADATA_LABELS.has(l.name))
      ? metric.filter((l) => !METADATA_LABELS.has(l.name))
      : metric;
    droppedCache.set(metric, d);
  }
  return d;
}

/** A growable series for accumulating step results. */
export function newSeries(metric: Labels, dropName: boolean, capacity: number): Series {
  const c = Math.max(1, Math.min(capacity, 1024));
  return { metric, ts: new Float64Array(c), fs: new Float64Array(c), n: 0, dropName };
}

/** Appends a point, growing the arrays by doubling. */
export function pushPoint(s: Series, t: number, f: number): void {
  if (s.n === s.ts.length) {
    const ts = new Float64Array(s.n * 2);
    ts.set(s.ts);
    const fs = new Float64Array(s.n * 2);
    fs.set(s.fs);
    s.ts = ts;
    s.fs = fs;
  }
  s.ts[s.n] = t;
  s.fs[s.n] = f;
  s.n++;
}

/** True when two samples of the vector share a label set. */
export function containsSameLabelset(v: readonly { metric: Labels }[]): boolean {
  if (v.length < 2) return false;
  if (v.length === 2) return seriesKey(v[0].metric) === seriesKey(v[1].metric);
  const seen = new Set<string>();
  for (const s of v) {
    const k = seriesKey(s.metric);
    if (seen.has(k)) return true;
    seen.add(k);
  }
  return false;
}

/** Sorts in place by label set, as Prometheus orders series. */
export function sortByLabels<T extends { metric: Labels }>(items: T[]): T[] {
  return items.sort((a, b) => compareLabels(a.metric, b.metric));
}

/** Value of a label, '' when absent. */
export function labelValue(metric: Labels, name: string): string {
  for (const l of metric) if (l.name === name) return l.value;
  return '';
}

/** A copy with `name` set (removed when value is empty), keeping the set sorted. */
export function setLabel(metric: Labels, name: string, value: string): Labels {
  const out: Label[] = [];
  let placed = false;
  for (const l of metric) {
    if (l.name === name) continue;
    if (!placed && l.name > name) {
      if (value !== '') out.push({ name, value });
      placed = true;
    }
    out.push(l);
  }
  if (!placed && value !== '') out.push({ name, value });
  return out;
}

/** Prometheus's Labels.String(): `{__name__="x", a="b"}`. */
export { formatLabelsProm } from './format.ts';
