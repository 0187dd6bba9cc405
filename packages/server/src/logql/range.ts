/**
 * Range aggregations over extracted samples (Loki's range_vector.go): for each evaluation step t,
 * the samples of a series with timestamps in (t - range, t] reduce to one value.
 */
import type { RangeOp } from './ast.ts';

/** One series' samples: timestamps relative to a base (ns, as numbers) in time order, and values. */
export interface SampleRun {
  readonly ts: Float64Array;
  readonly vs: Float64Array;
  readonly n: number;
}

/** A reducer over the samples [i, j) of a run whose window ends at `endNs`. */
type Reducer = (run: SampleRun, i: number, j: number, endNs: number) => number;

/** The reducer for an operation; `rangeNs` is the selector's range, `param` quantile's φ. */
export function reducerFor(op: RangeOp, rangeNs: number, unwrapped: boolean, param?: number): Reducer {
  const seconds = rangeNs / 1e9;
  switch (op) {
    case 'count_over_time':
      return (_r, i, j) => j - i;
    case 'rate':
      return unwrapped ? (r, i, j) => sum(r, i, j) / seconds : (_r, i, j) => (j - i) / seconds;
    case 'rate_counter':
      return (r, i, j, end) => extrapolatedRate(r, i, j, end, rangeNs);
    case 'bytes_over_time':
    case 'sum_over_time':
      return sum;
    case 'bytes_rate':
      return (r, i, j) => sum(r, i, j) / seconds;
    case 'avg_over_time':
      return avg;
    case 'max_over_time':
      return (r, i, j) => {
        let m = r.vs[i];
        for (let k = i; k < j; k++) if (r.vs[k] > m || Number.isNaN(m)) m = r.vs[k];
        return m;
      };
    case 'min_over_time':
      return (r, i, j) => {
        let m = r.vs[i];
        for (let k = i; k < j; k++) if (r.vs[k] < m || Number.isNaN(m)) m = r.vs[k];
        return m;
      };
    case 'stdvar_over_time':
      return (r, i, j) => variance(r, i, j);
    case 'stddev_over_time':
      return (r, i, j) => Math.sqrt(variance(r, i, j));
    case 'quantile_over_time':
      return (r, i, j) => quantile(param ?? Number.NaN, Array.from(r.vs.subarray(i, j)));
    case 'first_over_time':
      return (r, i) => r.vs[i];
    case 'last_over_time':
      return (r, _i, j) => r.vs[j - 1];
    case 'absent_over_time':
      return () => 1;
  }
}

function sum(r: SampleRun, i: number, j: number): number {
  let s = 0;
  for (let k = i; k < j; k++) s += r.vs[k];
  return s;
}

/** Loki's avgOverTime: incremental mean that copes with infinities. */
function avg(r: SampleRun, i: number, j: number): number {
  let mean = 0;
  let count = 0;
  for (let k = i; k < j; k++) {
    const v = r.vs[k];
    count++;
    if (!Number.isFinite(mean) && !Number.isNaN(mean)) {
      if (!Number.isFinite(v) && !Number.isNaN(v) && mean > 0 === v > 0) continue;
      if (Number.isFinite(v)) continue;
    }
    mean += v / count - mean / count;
  }
  return mean;
}

/** Welford's online variance, as Loki. */
function variance(r: SampleRun, i: number, j: number): number {
  let aux = 0;
  let count = 0;
  let mean = 0;
  for (let k = i; k < j; k++) {
    const v = r.vs[k];
    count++;
    const delta = v - mean;
    mean += delta / count;
    aux += delta * (v - mean);
  }
  return aux / count;
}

/** Loki's Quantile: NaN for no values, ±Inf outside [0, 1], linear interpolation between ranks. */
export function quantile(q: number, values: number[]): number {
  if (values.length === 0) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  values.sort((a, b) => a - b);
  const n = values.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return values[lower] * (1 - weight) + values[upper] * weight;
}

/**
 * Prometheus's extrapolated rate for counters, with Loki's change: the window boundaries are the
 * query's (endNs - range, endNs], not estimated from the samples.
 */
function extrapolatedRate(r: SampleRun, i: number, j: number, endNs: number, rangeNs: number): number {
  const n = j - i;
  if (n < 2) return 0;
  const startNs = endNs - rangeNs;
  const first = r.vs[i];
  let result = r.vs[j - 1] - first;
  let last = 0;
  for (let k = i; k < j; k++) {
    if (r.vs[k] < last) result += last;
    last = r.vs[k];
  }
  let toStart = (r.ts[i] - startNs) / 1e9;
  let toEnd = (endNs - r.ts[j - 1]) / 1e9;
  const sampled = (r.ts[j - 1] - r.ts[i]) / 1e9;
  const avgGap = sampled / (n - 1);
  const threshold = avgGap * 1.1;
  if (toStart >= threshold) toStart = avgGap / 2;
  let toZero = toStart;
  if (result > 0 && first >= 0) toZero = sampled * (first / result);
  if (toZero < toStart) toStart = toZero;
  if (toEnd >= threshold) toEnd = avgGap / 2;
  const extrapolated = sampled + toStart + toEnd;
  return (result * (extrapolated / sampled)) / (rangeNs / 1e9);
}

/**
 * Evaluates a run at every step: `steps` are window ends relative to the same base as the run's
 * timestamps. Calls `emit(stepIndex, value)` for each step whose window holds samples.
 */
export function evaluateRun(
  run: SampleRun,
  steps: Float64Array,
  rangeNs: number,
  reduce: Reducer,
  emit: (step: number, value: number) => void,
): void {
  let i = 0;
  let j = 0;
  for (let s = 0; s < steps.length; s++) {
    const end = steps[s];
    const start = end - rangeNs;
    while (i < run.n && run.ts[i] <= start) i++;
    if (j < i) j = i;
    while (j < run.n && run.ts[j] <= end) j++;
    if (j > i) emit(s, reduce(run, i, j, end));
  }
}
