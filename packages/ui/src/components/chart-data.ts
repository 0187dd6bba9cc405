/**
 * Turns series with their own timestamps into the column layout uPlot draws: one shared x array
 * (seconds) and one y array per series, null where a series has no sample (drawn as a gap).
 * Pure functions, tested in chart-data.test.ts.
 */

/** One series to draw: timestamps in ms (ascending) and values. */
export interface ChartSeries {
  readonly name: string;
  readonly times: readonly number[];
  readonly values: readonly number[];
  readonly color?: string;
}

/** Columns for uPlot: x in seconds, y per series (null = no sample). */
export interface AlignedData {
  readonly xs: number[];
  readonly ys: (number | null)[][];
}

/** Aligns series on the union of their timestamps. Non-finite values become gaps. */
export function alignSeries(series: readonly ChartSeries[]): AlignedData {
  if (series.length === 0) return { xs: [], ys: [] };
  const first = series[0].times;
  const shared = series.every((s) => sameTimes(s.times, first));
  const times = shared ? first : unionTimes(series);
  const index = shared ? undefined : new Map(times.map((t, i) => [t, i]));
  const ys = series.map((s) => {
    const out = new Array<number | null>(times.length).fill(null);
    for (let i = 0; i < s.times.length; i++) {
      const v = s.values[i];
      const at = index ? index.get(s.times[i])! : i;
      out[at] = Number.isFinite(v) ? v : null;
    }
    return out;
  });
  return { xs: times.map((t) => t / 1000), ys };
}

function sameTimes(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function unionTimes(series: readonly ChartSeries[]): number[] {
  const all = new Set<number>();
  for (const s of series) for (const t of s.times) all.add(t);
  return [...all].sort((a, b) => a - b);
}

/**
 * Cumulative sums for a stacked chart: each visible series is drawn at the sum of itself and the
 * visible series before it. A missing sample counts as 0 for the ones above it but stays a gap
 * in its own line. Hidden series are left as they are (not drawn).
 */
export function stackColumns(
  ys: readonly (number | null)[][],
  visible: readonly boolean[],
): (number | null)[][] {
  const n = ys[0]?.length ?? 0;
  const acc = new Array<number>(n).fill(0);
  return ys.map((col, si) => {
    if (!visible[si]) return col;
    const out = new Array<number | null>(n);
    for (let i = 0; i < n; i++) {
      const v = col[i];
      if (v !== null) acc[i] += v;
      out[i] = v === null ? null : acc[i];
    }
    return out;
  });
}

/** The index of the nearest x to `x` (seconds) in ascending xs, or -1 when empty. */
export function nearestIndex(xs: readonly number[], x: number): number {
  if (xs.length === 0) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(xs[lo - 1] - x) <= Math.abs(xs[lo] - x)) return lo - 1;
  return lo;
}
