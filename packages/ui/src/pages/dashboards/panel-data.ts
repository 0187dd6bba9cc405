/**
 * What metric panels compute from range results: one number per series (stat, gauge, bar
 * gauge), the colour a threshold list gives a value, and heatmap cells from cumulative histogram
 * buckets. Pure functions (tested in panel-data.test.ts).
 */
import type { Threshold } from '../../lib/dashboards.ts';
import type { RangeSeries } from '../../lib/prom.ts';

export type Reducer = 'last' | 'mean' | 'max' | 'min' | 'sum';

/** A series reduced to one number; NaN when it has no finite value. */
export function reduceSeries(values: readonly number[], how: Reducer = 'last'): number {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return Number.NaN;
  switch (how) {
    case 'last':
      return finite[finite.length - 1];
    case 'mean':
      return finite.reduce((a, b) => a + b, 0) / finite.length;
    case 'max':
      return Math.max(...finite);
    case 'min':
      return Math.min(...finite);
    case 'sum':
      return finite.reduce((a, b) => a + b, 0);
  }
}

const NAMED: Record<string, string> = { ok: 'var(--ok)', warn: 'var(--warn)', err: 'var(--err)' };

/** The colour of the highest threshold at or below `v` (thresholds in any order). */
export function thresholdColor(v: number, thresholds: readonly Threshold[] | undefined): string | undefined {
  if (!thresholds?.length || !Number.isFinite(v)) return undefined;
  let best: Threshold | undefined;
  for (const t of thresholds) if (v >= t.value && (!best || t.value >= best.value)) best = t;
  const c = (best ?? [...thresholds].sort((a, b) => a.value - b.value)[0]).color;
  return NAMED[c] ?? c;
}

/** A heatmap: time columns × bucket rows, each cell the count in that bucket at that time. */
export interface Heatmap {
  readonly times: number[];
  /** Upper bounds of the buckets, ascending ('+Inf' last when present). */
  readonly bounds: string[];
  /** cells[row][col]. */
  readonly cells: number[][];
  readonly max: number;
}

/**
 * Heatmap cells from cumulative bucket series (each with an `le` label, as
 * `sum by (le) (rate(x_bucket[5m]))` returns): each row is its bucket minus the one below.
 * Series without `le` are ignored.
 */
export function bucketsToHeatmap(series: readonly RangeSeries[]): Heatmap {
  const withLe = series
    .filter((s) => s.metric.le !== undefined)
    .map((s) => ({ le: s.metric.le, bound: Number(s.metric.le === '+Inf' ? Infinity : s.metric.le), s }))
    .filter((b) => !Number.isNaN(b.bound))
    .sort((a, b) => a.bound - b.bound);
  const timeSet = new Set<number>();
  for (const b of withLe) for (const t of b.s.times) timeSet.add(t);
  const times = [...timeSet].sort((a, b) => a - b);
  const col = new Map(times.map((t, i) => [t, i]));
  const cumulative = withLe.map((b) => {
    const row = new Array<number>(times.length).fill(0);
    b.s.times.forEach((t, i) => {
      const v = b.s.values[i];
      row[col.get(t)!] = Number.isFinite(v) ? v : 0;
    });
    return row;
  });
  let max = 0;
  const cells = cumulative.map((row, r) =>
    row.map((v, c) => {
      // Counts are cumulative; a lower bucket can momentarily exceed a higher one (scrape
      // skew), which must not show as a negative cell.
      const cell = Math.max(0, r === 0 ? v : v - cumulative[r - 1][c]);
      if (cell > max) max = cell;
      return cell;
    }),
  );
  return { times, bounds: withLe.map((b) => b.le), cells, max };
}
