/**
 * PromQL function implementations (Prometheus's promql/functions.go), float samples only.
 *
 * Instant-vector functions receive each argument's vector at one step and append to the
 * helper's output. Range-vector functions receive a window over one series' raw samples
 * (indexes lo..hi of its time and value arrays, no copies) and return the value for that step, or
 * undefined for no output.
 */
import type { Labels } from '../../model/labels.ts';
import { METRIC_NAME } from '../../model/labels.ts';
import type { Expr } from '../parser/ast.ts';
import { type Annotations, annotations } from './annotations.ts';
import { EvaluationError } from './errors.ts';
import { formatGoF } from './format.ts';
import type { EvalNodeHelper } from './helper.ts';
import { type Bucket, bucketFraction, bucketQuantile, kahanInc, quantile } from './math.ts';
import { absentLabels, pickOrInterpolateLeft, pickOrInterpolateRight, searchFirst } from './series-utils.ts';
import { dropMetricName, labelValue, type Sample, type Vector } from './values.ts';

/** A window of one series' samples: indexes [lo, hi) of ts/fs. */
export interface RangeWindow {
  metric: Labels;
  ts: Float64Array;
  fs: Float64Array;
  lo: number;
  hi: number;
}

/** What a range function may need besides its window. */
export interface RangeContext {
  /** Evaluation time of the step (ms). */
  ts: number;
  /** The selector's range and effective offset (ms). */
  range: number;
  offset: number;
  anchored: boolean;
  smoothed: boolean;
  args: readonly Expr[];
  annos: Annotations;
  window: RangeWindow;
}

/** A function over a range vector: one value per window, or undefined for none. */
export type RangeFunction = (
  w: RangeWindow,
  scalars: readonly number[],
  c: RangeContext,
) => number | undefined;
/** A function over instant vectors: appends its output to the helper. */
export type InstantFunction = (vals: Vector[], args: readonly Expr[], enh: EvalNodeHelper) => Vector;

/** Functions that accept `anchored` range selectors. */
export const ANCHORED_SAFE_FUNCTIONS: ReadonlySet<string> = new Set([
  'resets',
  'changes',
  'rate',
  'increase',
  'delta',
]);
/** Functions that accept `smoothed` range selectors. */
export const SMOOTHED_SAFE_FUNCTIONS: ReadonlySet<string> = new Set(['rate', 'increase', 'delta']);

// ---------------------------------------------------------------------------------------------
// Range-vector functions

/** rate/increase/delta with Prometheus's extrapolation to the window boundaries. */
function extrapolatedRate(
  w: RangeWindow,
  c: RangeContext,
  isCounter: boolean,
  isRate: boolean,
): number | undefined {
  if (c.anchored || c.smoothed) return extendedRate(w, c, isCounter, isRate);
  const { ts, fs, lo, hi } = w;
  const n = hi - lo;
  if (n < 2) return undefined;
  const rangeStart = c.ts - (c.range + c.offset);
  const rangeEnd = c.ts - c.offset;
  const firstT = ts[lo];
  const lastT = ts[hi - 1];
  let result = fs[hi - 1] - fs[lo];
  if (isCounter) {
    for (let i = lo + 1; i < hi; i++) if (fs[i] < fs[i - 1]) result += fs[i - 1];
  }
  let durationToStart = (firstT - rangeStart) / 1000;
  let durationToEnd = (rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (n - 1);
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  if (durationToStart >= extrapolationThreshold) durationToStart = averageDurationBetweenSamples / 2;
  if (isCounter) {
    // Counters cannot be negative: do not extrapolate below zero.
    let durationToZero = durationToStart;
    if (result > 0 && fs[lo] >= 0) durationToZero = sampledInterval * (fs[lo] / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= extrapolationThreshold) durationToEnd = averageDurationBetweenSamples / 2;
  let factor = 1;
  if (sampledInterval !== 0) factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= c.range / 1000;
  return result * factor;
}

/** rate/increase/delta over anchored or smoothed windows (Prometheus's extendedRate). */
function extendedRate(
  w: RangeWindow,
  c: RangeContext,
  isCounter: boolean,
  isRate: boolean,
): number | undefined {
  const n = w.hi - w.lo;
  if (n === 0) return undefined;
  const t = w.ts.subarray(w.lo, w.hi);
  const f = w.fs.subarray(w.lo, w.hi);
  const rangeStart = c.ts - (c.range + c.offset);
  const rangeEnd = c.ts - c.offset;
  let last = n - 1;
  let first = Math.max(0, searchFirst(last, (i) => t[i] > rangeStart) - 1);
  if (c.smoothed) last = searchFirst(last, (i) => t[i] >= rangeEnd);
  if (t[last] <= rangeStart) return undefined;
  if (c.smoothed && t[first] > rangeEnd) return undefined;
  const left = pickOrInterpolateLeft(t, f, first, rangeStart, c.smoothed, isCounter);
  const right = pickOrInterpolateRight(t, f, last, rangeEnd, c.smoothed, isCounter);
  let result = right - left;
  if (isCounter) {
    if (t[first] <= rangeStart) first++;
    if (t[last] >= rangeEnd) last--;
    let correction = 0;
    let prev = left;
    for (let i = first; i <= last; i++) {
      if (f[i] < prev) correction += prev;
      prev = f[i];
    }
    if (right < prev) correction += prev;
    result += correction;
  }
  if (isRate) result /= c.range / 1000;
  return result;
}

/** irate/idelta: the last two samples. */
function instantValue(w: RangeWindow, isRate: boolean): number | undefined {
  if (w.hi - w.lo < 2) return undefined;
  const t0 = w.ts[w.hi - 2];
  const t1 = w.ts[w.hi - 1];
  const f0 = w.fs[w.hi - 2];
  const f1 = w.fs[w.hi - 1];
  const sampledInterval = t1 - t0;
  if (sampledInterval === 0) return undefined;
  let result = f1;
  if (!isRate || !(f1 < f0)) result = f1 - f0;
  if (isRate) result /= sampledInterval / 1000;
  return result;
}

/** For anchored windows: the index of the sample at or before the range start (pickFirstSampleIndices). */
function firstSampleIndex(w: RangeWindow, c: RangeContext): number | undefined {
  if (!c.anchored) return w.lo;
  const rangeStart = c.ts - (c.range + c.offset);
  const n = w.hi - w.lo;
  const lastLE = searchFirst(n, (i) => w.ts[w.lo + i] > rangeStart) - 1;
  if (lastLE + 1 >= n) return undefined;
  return lastLE < 0 ? w.lo : w.lo + lastLE;
}

function linearRegression(
  ts: Float64Array,
  fs: Float64Array,
  lo: number,
  hi: number,
  interceptTime: number,
): [number, number] {
  let n = 0;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  const initY = fs[lo];
  let constY = true;
  for (let i = lo; i < hi; i++) {
    const y = fs[i];
    if (constY && i > lo && y !== initY) constY = false;
    n += 1;
    const x = (ts[i] - interceptTime) / 1e3;
    [sumX, cX] = kahanInc(x, sumX, cX);
    [sumY, cY] = kahanInc(y, sumY, cY);
    [sumXY, cXY] = kahanInc(x * y, sumXY, cXY);
    [sumX2, cX2] = kahanInc(x * x, sumX2, cX2);
  }
  if (constY) {
    if (initY === Number.POSITIVE_INFINITY || initY === Number.NEGATIVE_INFINITY)
      return [Number.NaN, Number.NaN];
    return [0, initY];
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return [slope, intercept];
}

function avgOverTime(w: RangeWindow): number {
  const { fs, lo, hi } = w;
  let sum = fs[lo];
  let count = 1;
  let mean = 0;
  let kahanC = 0;
  let incremental = false;
  for (let i = lo + 1; i < hi; i++) {
    const f = fs[i];
    count = i - lo + 1;
    if (!incremental) {
      const [newSum, newC] = kahanInc(f, sum, kahanC);
      if (newSum !== Number.POSITIVE_INFINITY && newSum !== Number.NEGATIVE_INFINITY) {
        sum = newSum;
        kahanC = newC;
        continue;
      }
      incremental = true;
      mean = sum / (count - 1);
      kahanC /= count - 1;
    }
    const q = (count - 1) / count;
    [mean, kahanC] = kahanInc(f / count, q * mean, q * kahanC);
  }
  if (incremental) return mean + kahanC;
  return sum / count + kahanC / count;
}

function sumOverTime(w: RangeWindow): number {
  let sum = 0;
  let c = 0;
  for (let i = w.lo; i < w.hi; i++) [sum, c] = kahanInc(w.fs[i], sum, c);
  if (sum === Number.POSITIVE_INFINITY || sum === Number.NEGATIVE_INFINITY) return sum;
  return sum + c;
}

function varianceOverTime(w: RangeWindow): number {
  let count = 0;
  let mean = 0;
  let cMean = 0;
  let aux = 0;
  let cAux = 0;
  for (let i = w.lo; i < w.hi; i++) {
    const f = w.fs[i];
    count++;
    const delta = f - (mean + cMean);
    [mean, cMean] = kahanInc(delta / count, mean, cMean);
    [aux, cAux] = kahanInc(delta * (f - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

/** max/min_over_time and ts_of_max/min_over_time: the winning sample by `better`. */
function compareOverTime(
  w: RangeWindow,
  better: (cur: number, best: number) => boolean,
  returnTimestamp: boolean,
): number {
  let best = w.fs[w.lo];
  let bestT = w.ts[w.lo];
  for (let i = w.lo; i < w.hi; i++) {
    if (better(w.fs[i], best)) {
      best = w.fs[i];
      bestT = w.ts[i];
    }
  }
  return returnTimestamp ? bestT / 1000 : best;
}

function windowValues(w: RangeWindow): number[] {
  const out = new Array<number>(w.hi - w.lo);
  for (let i = w.lo; i < w.hi; i++) out[i - w.lo] = w.fs[i];
  return out;
}

function doubleExponentialSmoothing(w: RangeWindow, sf: number, tf: number): number | undefined {
  if (!(sf > 0 && sf < 1))
    throw new EvaluationError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${goFloatF(sf)}`);
  if (!(tf > 0 && tf < 1))
    throw new EvaluationError(`invalid trend factor. Expected: 0 < tf < 1, got: ${goFloatF(tf)}`);
  const l = w.hi - w.lo;
  if (l < 2) return undefined;
  const f = (i: number) => w.fs[w.lo + i];
  let s0 = 0;
  let s1 = f(0);
  let b = f(1) - f(0);
  for (let i = 1; i < l; i++) {
    const x = sf * f(i);
    // Trend value at i-1: for i-1 == 0 it is the initial trend b.
    if (i - 1 !== 0) b = tf * (s1 - s0) + (1 - tf) * b;
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

function goFloatF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return v.toFixed(6);
}

/** Implementations of functions taking a range vector. */
export const RANGE_FUNCTIONS: ReadonlyMap<string, RangeFunction> = new Map<string, RangeFunction>([
  ['rate', (w, _s, c) => extrapolatedRate(w, c, true, true)],
  ['increase', (w, _s, c) => extrapolatedRate(w, c, true, false)],
  ['delta', (w, _s, c) => extrapolatedRate(w, c, false, false)],
  ['irate', (w) => instantValue(w, true)],
  ['idelta', (w) => instantValue(w, false)],
  ['avg_over_time', (w) => avgOverTime(w)],
  ['count_over_time', (w) => w.hi - w.lo],
  ['sum_over_time', (w) => sumOverTime(w)],
  ['min_over_time', (w) => compareOverTime(w, (cur, best) => cur < best || Number.isNaN(best), false)],
  ['max_over_time', (w) => compareOverTime(w, (cur, best) => cur > best || Number.isNaN(best), false)],
  ['ts_of_min_over_time', (w) => compareOverTime(w, (cur, best) => cur <= best || Number.isNaN(best), true)],
  ['ts_of_max_over_time', (w) => compareOverTime(w, (cur, best) => cur >= best || Number.isNaN(best), true)],
  ['ts_of_first_over_time', (w) => w.ts[w.lo] / 1000],
  ['ts_of_last_over_time', (w) => w.ts[w.hi - 1] / 1000],
  ['first_over_time', (w) => w.fs[w.lo]],
  ['last_over_time', (w) => w.fs[w.hi - 1]],
  ['present_over_time', () => 1],
  ['absent_over_time', () => 1],
  ['stddev_over_time', (w) => Math.sqrt(varianceOverTime(w))],
  ['stdvar_over_time', (w) => varianceOverTime(w)],
  [
    'quantile_over_time',
    (w, s, c) => {
      const q = s[0];
      if (Number.isNaN(q) || q < 0 || q > 1) c.annos.add(annotations.invalidQuantile(q, c.args[0].pos));
      return quantile(q, windowValues(w));
    },
  ],
  [
    'mad_over_time',
    (w) => {
      const values = windowValues(w);
      if (values.some((v) => Number.isNaN(v))) return Number.NaN;
      const median = quantile(0.5, values);
      for (let i = 0; i < values.length; i++) values[i] = Math.abs(values[i] - median);
      return quantile(0.5, values);
    },
  ],
  [
    'changes',
    (w, _s, c) => {
      const first = firstSampleIndex(w, c);
      if (first === undefined) return undefined;
      let changes = 0;
      for (let i = first + 1; i < w.hi; i++) {
        const cur = w.fs[i];
        const prev = w.fs[i - 1];
        if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) changes++;
      }
      return changes;
    },
  ],
  [
    'resets',
    (w, _s, c) => {
      const first = firstSampleIndex(w, c);
      if (first === undefined) return undefined;
      let resets = 0;
      for (let i = first + 1; i < w.hi; i++) if (w.fs[i] < w.fs[i - 1]) resets++;
      return resets;
    },
  ],
  [
    'deriv',
    (w) => {
      if (w.hi - w.lo < 2) return undefined;
      return linearRegression(w.ts, w.fs, w.lo, w.hi, w.ts[w.lo])[0];
    },
  ],
  [
    'predict_linear',
    (w, s, c) => {
      if (w.hi - w.lo < 2) return undefined;
      const [slope, intercept] = linearRegression(w.ts, w.fs, w.lo, w.hi, c.ts);
      return slope * s[0] + intercept;
    },
  ],
  ['double_exponential_smoothing', (w, s) => doubleExponentialSmoothing(w, s[0], s[1])],
]);

// ---------------------------------------------------------------------------------------------
// Instant-vector functions

/** Applies `f` to every sample, dropping the metric name (simpleFloatFunc). */
function simple(f: (v: number) => number): InstantFunction {
  return (vals, _args, enh) => {
    for (const s of vals[0])
      enh.push(enh.delayedNameRemoval ? s.metric : dropMetricName(s.metric), f(s.f), true);
    return enh.out;
  };
}

function clamp(vec: Vector, min: number, max: number, enh: EvalNodeHelper): Vector {
  if (max < min) return enh.out;
  // Math.max/min treat NaN and signed zeros as Go's math.Max/Min do.
  for (const s of vec)
    enh.push(
      enh.delayedNameRemoval ? s.metric : dropMetricName(s.metric),
      Math.max(min, Math.min(max, s.f)),
      true,
    );
  return enh.out;
}

/** Date functions: of the step time without arguments, else of each sample's value (seconds). */
function dateFunc(f: (d: Date) => number): InstantFunction {
  return (vals, _args, enh) => {
    if (vals.length === 0) {
      enh.push([], f(new Date(Math.trunc(enh.ts / 1000) * 1000)), false);
      return enh.out;
    }
    for (const s of vals[0]) {
      const secs = Number.isNaN(s.f) ? -(2 ** 63) : Math.trunc(s.f);
      enh.push(enh.delayedNameRemoval ? s.metric : dropMetricName(s.metric), f(new Date(secs * 1000)), true);
    }
    return enh.out;
  };
}

function daysInMonth(d: Date): number {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
}

function dayOfYear(d: Date): number {
  const start = Date.UTC(d.getUTCFullYear(), 0, 1);
  return Math.floor((d.getTime() - start) / 86400000) + 1;
}

/** Go's strconv.ParseFloat for label values such as `le`. */
export function parseGoFloat(s: string): number | undefined {
  if (/^[+-]?(inf|infinity)$/i.test(s))
    return s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^[+-]?nan$/i.test(s)) return Number.NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  if (/^[+-]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+$/.test(s)) {
    const m = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)$/.exec(s)!;
    const mant = Number.parseInt(m[2] + m[3] || '0', 16) / 16 ** m[3].length;
    return (m[1] === '-' ? -1 : 1) * mant * 2 ** Number(m[4]);
  }
  return undefined;
}

interface MetricWithBuckets {
  metric: Labels;
  buckets: Bucket[];
}

/** Groups classic histogram buckets by their labels without `le` (resetHistograms). */
function classicBuckets(vec: Vector, arg: Expr, enh: EvalNodeHelper): Map<string, MetricWithBuckets> {
  let bySig = enh.cache.get('buckets') as Map<string, MetricWithBuckets> | undefined;
  if (!bySig) {
    bySig = new Map();
    enh.cache.set('buckets', bySig);
  } else for (const mb of bySig.values()) mb.buckets = [];
  for (const s of vec) {
    const le = labelValue(s.metric, 'le');
    const upper = parseGoFloat(le);
    if (upper === undefined) {
      const name = enh.delayedNameRemoval ? labelValue(s.metric, METRIC_NAME) : '';
      enh.annos.add(annotations.badBucketLabel(name, le, arg.pos));
      continue;
    }
    let key = '';
    for (const l of s.metric) if (l.name !== 'le') key += l.name + '\ud800' + l.value + '\udbff';
    let mb = bySig.get(key);
    if (!mb) {
      mb = { metric: s.metric.filter((l) => l.name !== 'le'), buckets: [] };
      bySig.set(key, mb);
    }
    mb.buckets.push({ upperBound: upper, count: s.f });
  }
  return bySig;
}

function histogramQuantile(vals: Vector[], args: readonly Expr[], enh: EvalNodeHelper): Vector {
  if (vals.length < 2 || vals[0].length === 0) return enh.out;
  const q = vals[0][0].f;
  if (Number.isNaN(q) || q < 0 || q > 1) enh.annos.add(annotations.invalidQuantile(q, args[0].pos));
  const bySig = classicBuckets(vals[1], args[1], enh);
  for (const mb of bySig.values()) {
    if (mb.buckets.length === 0) continue;
    const { value, fix } = bucketQuantile(q, mb.buckets);
    if (fix?.forced) {
      const name = enh.delayedNameRemoval ? labelValue(mb.metric, METRIC_NAME) : '';
      enh.annos.add(
        annotations.histogramQuantileForcedMonotonicity(
          name,
          args[1].pos,
          enh.ts,
          fix.minBucket,
          fix.maxBucket,
          fix.maxDiff,
        ),
      );
    }
    if (!enh.delayedNameRemoval) mb.metric = dropMetricName(mb.metric);
    enh.push(mb.metric, value, true);
  }
  return enh.out;
}

function histogramQuantiles(vals: Vector[], args: readonly Expr[], enh: EvalNodeHelper): Vector {
  const quantileLabel = args[1].kind === 'StringLiteral' ? args[1].value : '';
  const qs: number[] = [];
  for (let i = 2; i < vals.length; i++) {
    const q = vals[i][0].f;
    if (Number.isNaN(q) || q < 0 || q > 1) enh.annos.add(annotations.invalidQuantile(q, args[i].pos));
    qs.push(q);
  }
  const bySig = classicBuckets(vals[0], args[0], enh);
  for (const q of qs) {
    for (const mb of bySig.values()) {
      if (mb.buckets.length === 0) continue;
      const { value, fix } = bucketQuantile(
        q,
        mb.buckets.map((b) => ({ ...b })),
      );
      if (fix?.forced) {
        const name = enh.delayedNameRemoval ? labelValue(mb.metric, METRIC_NAME) : '';
        enh.annos.add(
          annotations.histogramQuantileForcedMonotonicity(
            name,
            args[0].pos,
            enh.ts,
            fix.minBucket,
            fix.maxBucket,
            fix.maxDiff,
          ),
        );
      }
      if (!enh.delayedNameRemoval) mb.metric = dropMetricName(mb.metric);
      const metric = withLabel(mb.metric, quantileLabel, Number.isNaN(q) ? 'NaN' : formatOpenMetricsFloat(q));
      enh.push(metric, value, true);
    }
  }
  return enh.out;
}

/** labels.FormatOpenMetricsFloat: like %g but integers keep a ".0". */
function formatOpenMetricsFloat(f: number): string {
  if (f === Number.POSITIVE_INFINITY) return '+Inf';
  if (f === Number.NEGATIVE_INFINITY) return '-Inf';
  const s = formatGoF(f);
  return Number.isInteger(f) && !s.includes('e') && !s.includes('.') ? `${s}.0` : s;
}

function withLabel(metric: Labels, name: string, value: string): Labels {
  const out = metric.filter((l) => l.name !== name);
  out.push({ name, value });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function histogramFraction(vals: Vector[], args: readonly Expr[], enh: EvalNodeHelper): Vector {
  if (vals.length < 3 || vals[0].length === 0 || vals[1].length === 0) return enh.out;
  const lower = vals[0][0].f;
  const upper = vals[1][0].f;
  const bySig = classicBuckets(vals[2], args[2], enh);
  for (const mb of bySig.values()) {
    if (mb.buckets.length === 0) continue;
    if (!enh.delayedNameRemoval) mb.metric = dropMetricName(mb.metric);
    enh.push(mb.metric, bucketFraction(lower, upper, mb.buckets), true);
  }
  return enh.out;
}

/** NaN sorts last in sort(); sort_desc() puts NaN last as well. */
function sortAsc(a: Sample, b: Sample): number {
  const an = Number.isNaN(a.f);
  const bn = Number.isNaN(b.f);
  if (an || bn) return an && bn ? 0 : an ? 1 : -1;
  return a.f - b.f;
}

function sortDesc(a: Sample, b: Sample): number {
  const an = Number.isNaN(a.f);
  const bn = Number.isNaN(b.f);
  if (an || bn) return an && bn ? 0 : an ? 1 : -1;
  return b.f - a.f;
}

function sortByLabel(desc: boolean): InstantFunction {
  return (vals, args) => {
    const names = args.slice(1).map((a) => (a.kind === 'StringLiteral' ? a.value : ''));
    const vec = vals[0];
    vec.sort((a, b) => {
      for (const name of names) {
        const va = labelValue(a.metric, name);
        const vb = labelValue(b.metric, name);
        if (va === vb) continue;
        const less = natsortLess(va, vb);
        return desc ? (less ? 1 : -1) : less ? -1 : 1;
      }
      const c = compareMetrics(a.metric, b.metric);
      return desc ? -c : c;
    });
    return vec;
  };
}

function compareMetrics(a: Labels, b: Labels): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i].name !== b[i].name) return a[i].name < b[i].name ? -1 : 1;
    if (a[i].value !== b[i].value) return a[i].value < b[i].value ? -1 : 1;
  }
  return a.length - b.length;
}

/** facette/natsort's Compare: true when a sorts before b, comparing digit runs numerically. */
export function natsortLess(a: string, b: string): boolean {
  const chunk = (s: string) => s.match(/(\d+|\D+)/g) ?? [];
  const ca = chunk(a);
  const cb = chunk(b);
  for (let i = 0; i < ca.length && i < cb.length; i++) {
    if (ca[i] === cb[i]) continue;
    const da = /^\d/.test(ca[i]);
    const db = /^\d/.test(cb[i]);
    if (da && db) {
      const na = Number(ca[i]);
      const nb = Number(cb[i]);
      if (na !== nb) return na < nb;
      return ca[i] < cb[i];
    }
    return ca[i] < cb[i];
  }
  return ca.length < cb.length;
}

/** Implementations of functions taking instant vectors and scalars. */
export const INSTANT_FUNCTIONS: ReadonlyMap<string, InstantFunction> = new Map<string, InstantFunction>([
  ['abs', simple(Math.abs)],
  ['ceil', simple(Math.ceil)],
  ['floor', simple(Math.floor)],
  ['exp', simple(Math.exp)],
  ['sqrt', simple(Math.sqrt)],
  ['ln', simple(Math.log)],
  ['log2', simple(Math.log2)],
  ['log10', simple(Math.log10)],
  ['sin', simple(Math.sin)],
  ['cos', simple(Math.cos)],
  ['tan', simple(Math.tan)],
  ['asin', simple(Math.asin)],
  ['acos', simple(Math.acos)],
  ['atan', simple(Math.atan)],
  ['sinh', simple(Math.sinh)],
  ['cosh', simple(Math.cosh)],
  ['tanh', simple(Math.tanh)],
  ['asinh', simple(Math.asinh)],
  ['acosh', simple(Math.acosh)],
  ['atanh', simple(Math.atanh)],
  ['rad', simple((v) => (v * Math.PI) / 180)],
  ['deg', simple((v) => (v * 180) / Math.PI)],
  ['sgn', simple((v) => (v < 0 ? -1 : v > 0 ? 1 : v))],
  [
    'pi',
    (_v, _a, enh) => {
      enh.push([], Math.PI, false);
      return enh.out;
    },
  ],
  [
    'time',
    (_v, _a, enh) => {
      enh.push([], enh.ts / 1000, false);
      return enh.out;
    },
  ],
  [
    'vector',
    (v, _a, enh) => {
      enh.push([], v[0][0].f, false);
      return enh.out;
    },
  ],
  [
    'scalar',
    (v, _a, enh) => {
      const vec = v[0];
      enh.push([], vec.length === 1 ? vec[0].f : Number.NaN, false);
      return enh.out;
    },
  ],
  [
    'max_of',
    (v, _a, enh) => {
      enh.push([], Math.max(v[0][0].f, v[1][0].f), false);
      return enh.out;
    },
  ],
  [
    'min_of',
    (v, _a, enh) => {
      enh.push([], Math.min(v[0][0].f, v[1][0].f), false);
      return enh.out;
    },
  ],
  [
    'round',
    (v, args, enh) => {
      const toNearest = args.length >= 2 ? v[1][0].f : 1;
      const inv = 1 / toNearest;
      for (const s of v[0]) {
        enh.push(
          enh.delayedNameRemoval ? s.metric : dropMetricName(s.metric),
          Math.floor(s.f * inv + 0.5) / inv,
          true,
        );
      }
      return enh.out;
    },
  ],
  ['clamp', (v, _a, enh) => clamp(v[0], v[1][0].f, v[2][0].f, enh)],
  ['clamp_max', (v, _a, enh) => clamp(v[0], Number.NEGATIVE_INFINITY, v[1][0].f, enh)],
  ['clamp_min', (v, _a, enh) => clamp(v[0], v[1][0].f, Number.POSITIVE_INFINITY, enh)],
  ['sort', (v) => v[0].sort(sortAsc)],
  ['sort_desc', (v) => v[0].sort(sortDesc)],
  ['sort_by_label', sortByLabel(false)],
  ['sort_by_label_desc', sortByLabel(true)],
  [
    'timestamp',
    (v, _a, enh) => {
      for (const s of v[0])
        enh.push(enh.delayedNameRemoval ? s.metric : dropMetricName(s.metric), s.t / 1000, true);
      return enh.out;
    },
  ],
  // Start timestamps are not stored, so there is nothing to return.
  ['start_timestamp', (_v, _a, enh) => enh.out],
  [
    'absent',
    (v, args, enh) => {
      if (v[0].length > 0) return enh.out;
      enh.push(absentLabels(args[0]), 1, false);
      return enh.out;
    },
  ],
  ['histogram_quantile', histogramQuantile],
  ['histogram_quantiles', histogramQuantiles],
  ['histogram_fraction', histogramFraction],
  // Native-histogram functions: float samples pass through without output.
  ['histogram_count', (_v, _a, enh) => enh.out],
  ['histogram_sum', (_v, _a, enh) => enh.out],
  ['histogram_avg', (_v, _a, enh) => enh.out],
  ['histogram_stddev', (_v, _a, enh) => enh.out],
  ['histogram_stdvar', (_v, _a, enh) => enh.out],
  ['days_in_month', dateFunc(daysInMonth)],
  ['day_of_month', dateFunc((d) => d.getUTCDate())],
  ['day_of_week', dateFunc((d) => d.getUTCDay())],
  ['day_of_year', dateFunc(dayOfYear)],
  ['hour', dateFunc((d) => d.getUTCHours())],
  ['minute', dateFunc((d) => d.getUTCMinutes())],
  ['month', dateFunc((d) => d.getUTCMonth() + 1)],
  ['year', dateFunc((d) => d.getUTCFullYear())],
]);
