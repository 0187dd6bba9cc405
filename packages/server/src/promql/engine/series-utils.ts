/**
 * Helpers over time-ordered sample arrays: binary searches, boundary interpolation for anchored
 * and smoothed windows, and the label set that absent() reports.
 */
import { type Labels, METRIC_NAME } from '../../model/labels.ts';
import type { Expr, VectorSelector } from '../parser/ast.ts';

/** Labels for absent()/absent_over_time(): the equality matchers of a plain selector. */
export function absentLabels(arg: Expr): Labels {
  let matchers: VectorSelector['matchers'];
  if (arg.kind === 'VectorSelector') matchers = arg.matchers;
  else if (arg.kind === 'MatrixSelector') matchers = arg.vectorSelector.matchers;
  else return [];
  const set = new Map<string, string>();
  const has = new Set<string>();
  for (const m of matchers) {
    if (m.name === METRIC_NAME) continue;
    if (m.type === '=' && !has.has(m.name)) {
      set.set(m.name, m.value);
      has.add(m.name);
    } else {
      set.delete(m.name);
    }
  }
  const out = [...set].filter(([, v]) => v !== '').map(([name, value]) => ({ name, value }));
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** First index in ts[0..n) with ts[i] > t. */
export function upperBound(ts: Float64Array, n: number, t: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index in ts[0..n) with ts[i] > t (the start of a left-open window (t, ...]). */
export const lowerBoundExclusive = upperBound;

/**
 * Extends the samples of an anchored or smoothed window to exactly [mint, maxt] with boundary
 * points (Prometheus's extendFloats).
 */
export function extendFloats(
  ts: Float64Array,
  fs: Float64Array,
  mint: number,
  maxt: number,
  smoothed: boolean,
): { ts: Float64Array; fs: Float64Array } {
  let last = ts.length - 1;
  let first = Math.max(0, searchFirst(last, (i) => ts[i] > mint) - 1);
  if (smoothed) last = searchFirst(last, (i) => ts[i] >= maxt);
  if (ts[last] <= mint) return { ts: new Float64Array(0), fs: new Float64Array(0) };
  const left = pickOrInterpolateLeft(ts, fs, first, mint, smoothed);
  const right = pickOrInterpolateRight(ts, fs, last, maxt, smoothed);
  if (ts[first] <= mint) first++;
  if (ts[last] >= maxt) last--;
  const count = Math.max(last - first + 1, 0);
  const outTs = new Float64Array(count + 2);
  const outFs = new Float64Array(count + 2);
  outTs[0] = mint;
  outFs[0] = left;
  for (let i = 0; i < count; i++) {
    outTs[i + 1] = ts[first + i];
    outFs[i + 1] = fs[first + i];
  }
  outTs[count + 1] = maxt;
  outFs[count + 1] = right;
  return { ts: outTs, fs: outFs };
}

/** Go's sort.Search over [0, n). */
export function searchFirst(n: number, pred: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (!pred(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Linear interpolation at `t`; a counter that dropped is taken to restart from 0. */
export function interpolate(
  t1: number,
  y1In: number,
  t2: number,
  y2: number,
  t: number,
  isCounter: boolean,
): number {
  let y1 = y1In;
  if (isCounter && y2 < y1) y1 = 0;
  return y1 + ((y2 - y1) * (t - t1)) / (t2 - t1);
}

/** The value at the left edge of a smoothed or anchored window. */
export function pickOrInterpolateLeft(
  ts: ArrayLike<number>,
  fs: ArrayLike<number>,
  first: number,
  rangeStart: number,
  smoothed: boolean,
  isCounter = false,
): number {
  if (smoothed && ts[first] < rangeStart) {
    return interpolate(ts[first], fs[first], ts[first + 1], fs[first + 1], rangeStart, isCounter);
  }
  return fs[first];
}

/** The value at the right edge of a smoothed or anchored window. */
export function pickOrInterpolateRight(
  ts: ArrayLike<number>,
  fs: ArrayLike<number>,
  last: number,
  rangeEnd: number,
  smoothed: boolean,
  isCounter = false,
): number {
  if (smoothed && last > 0 && ts[last] > rangeEnd) {
    return interpolate(ts[last - 1], fs[last - 1], ts[last], fs[last], rangeEnd, isCounter);
  }
  return fs[last];
}
