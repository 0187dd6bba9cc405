/**
 * Aggregation operators (Prometheus's rangeEvalAgg, aggregation, aggregationK,
 * aggregationCountValues). Groups are fixed once per query from the input series; each step
 * then folds the series' values at that step into their group.
 */
import { isValidUtf8Name, type Labels, METRIC_NAME } from '../../model/labels.ts';
import type { AggregateExpr, Expr } from '../parser/ast.ts';
import { quote } from '../parser/go-strings.ts';
import { annotations } from './annotations.ts';
import { EvaluationError } from './errors.ts';
import type { Evaluator } from './evaluator.ts';
import { formatGoF, formatGoG } from './format.ts';
import { kahanInc, quantile } from './math.ts';
import { type Matrix, newSeries, pushPoint, type Series, setLabel } from './values.ts';
import { labelsHash } from './xxhash.ts';

/** float64(math.MinInt64) and float64(math.MaxInt64), as Go compares them. */
const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

/** A parameter (k, q, ratio): a constant or one value per step (Prometheus's fParams). */
class FParams {
  private i = 0;
  constructor(
    private readonly values: Float64Array,
    private readonly n: number,
    private readonly constant: number | undefined,
    readonly min: number,
    readonly max: number,
    readonly hasNaN: boolean,
  ) {}

  next(): number {
    if (this.constant !== undefined) return this.constant;
    if (this.i < this.n) return this.values[this.i++];
    return 0;
  }
}

async function newFParams(ev: Evaluator, expr: Expr | undefined): Promise<FParams> {
  const empty = new FParams(new Float64Array(0), 0, undefined, 0, 0, false);
  if (!expr) return empty;
  const mat = await ev.evalMatrix(expr);
  if (mat.length === 0) return empty;
  const s = mat[0];
  if (expr.kind === 'NumberLiteral') {
    const c = s.fs[0];
    return new FParams(s.fs, s.n, c, c, c, Number.isNaN(c));
  }
  let min = Number.MAX_VALUE;
  let max = -Number.MAX_VALUE;
  let hasNaN = false;
  for (let i = 0; i < s.n; i++) {
    const v = s.fs[i];
    // Go's math.Max/Min propagate NaN.
    max = Number.isNaN(v) || Number.isNaN(max) ? Number.NaN : Math.max(max, v);
    min = Number.isNaN(v) || Number.isNaN(min) ? Number.NaN : Math.min(min, v);
    if (Number.isNaN(v)) hasNaN = true;
  }
  return new FParams(s.fs, s.n, undefined, min, max, hasNaN);
}

interface Group {
  seen: boolean;
  floatValue: number;
  floatMean: number;
  kahanC: number;
  groupCount: number;
  incrementalMean: boolean;
  dropName: boolean;
  heap: number[];
}

/** Grouping key of a series: the by() labels, or all but without() labels and __name__. */
function groupingKey(metric: Labels, grouping: readonly string[], without: boolean): string {
  let k = '';
  if (without) {
    for (const l of metric) {
      if (l.name === METRIC_NAME || grouping.includes(l.name)) continue;
      k += l.name + '\ud800' + l.value + '\udbff';
    }
  } else {
    for (const l of metric) if (grouping.includes(l.name)) k += l.name + '\ud800' + l.value + '\udbff';
  }
  return k;
}

function groupingLabels(metric: Labels, grouping: readonly string[], without: boolean): Labels {
  if (without) return metric.filter((l) => l.name !== METRIC_NAME && !grouping.includes(l.name));
  if (grouping.length === 0) return [];
  return metric.filter((l) => grouping.includes(l.name));
}

/** Every aggregation except count_values. */
export async function evalAggregation(
  ev: Evaluator,
  e: AggregateExpr,
  grouping: readonly string[],
): Promise<Matrix> {
  const originalNumSamples = ev.currentSamples;
  const params = await newFParams(ev, e.param);
  const input = await ev.evalMatrix(e.expr);
  const result = await rangeEvalAgg(ev, e, grouping, input, params);
  let total = 0;
  for (const s of result) total += s.n;
  ev.currentSamples = originalNumSamples + total;
  return result;
}

const K_OPS = new Set(['topk', 'bottomk', 'limitk', 'limit_ratio']);

async function rangeEvalAgg(
  ev: Evaluator,
  e: AggregateExpr,
  grouping: readonly string[],
  input: Matrix,
  params: FParams,
): Promise<Matrix> {
  const numSteps = ev.numSteps();
  const op = e.op;
  const isK = K_OPS.has(op);
  const groupIndex = new Map<string, number>();
  const seriesToGroup = new Int32Array(input.length);
  const result: Series[] = [];
  for (let si = 0; si < input.length; si++) {
    const key = groupingKey(input[si].metric, grouping, e.without);
    let idx = groupIndex.get(key);
    if (idx === undefined) {
      idx = groupIndex.size;
      groupIndex.set(key, idx);
      if (!isK)
        result.push(newSeries(groupingLabels(input[si].metric, grouping, e.without), false, numSteps));
    }
    seriesToGroup[si] = idx;
  }
  const groups: Group[] = [];
  for (let i = 0; i < groupIndex.size; i++) {
    groups.push({
      seen: false,
      floatValue: 0,
      floatMean: 0,
      kahanC: 0,
      groupCount: 0,
      incrementalMean: false,
      dropName: false,
      heap: [],
    });
  }
  const paramPos = e.param?.pos ?? e.pos;
  switch (op) {
    case 'topk':
    case 'bottomk':
    case 'limitk':
      if (params.max < 1) return [];
      if (params.hasNaN) throw new EvaluationError('Parameter value is NaN');
      if (params.min <= MIN_INT64)
        throw new EvaluationError(`Scalar value ${formatGoG(params.min)} underflows int64`);
      if (params.max >= MAX_INT64)
        throw new EvaluationError(`Scalar value ${formatGoG(params.max)} overflows int64`);
      break;
    case 'limit_ratio':
      if (params.max === 0 && params.min === 0) return [];
      if (params.hasNaN) throw new EvaluationError('Ratio value is NaN');
      if (params.max > 1) ev.q.annos.add(annotations.invalidRatio(params.max, 1, paramPos));
      if (params.min < -1) ev.q.annos.add(annotations.invalidRatio(params.min, -1, paramPos));
      break;
    case 'quantile':
      if (params.hasNaN) ev.q.annos.add(annotations.invalidQuantile(Number.NaN, paramPos));
      if (params.max > 1) ev.q.annos.add(annotations.invalidQuantile(params.max, paramPos));
      if (params.min < 0) ev.q.annos.add(annotations.invalidQuantile(params.min, paramPos));
      break;
  }

  // Values of every input series at the current step.
  const cursors = new Int32Array(input.length);
  const has = new Uint8Array(input.length);
  const vals = new Float64Array(input.length);
  const kOut = new Map<string, Series>();
  const tempNumSamples = ev.currentSamples;

  for (let ts = ev.start; ts <= ev.end; ts += ev.interval) {
    const fParam = params.next();
    if (ev.tick()) await ev.checkpoint();
    ev.currentSamples = tempNumSamples;
    for (let si = 0; si < input.length; si++) {
      const s = input[si];
      const p = cursors[si];
      if (p < s.n && s.ts[p] === ts) {
        has[si] = 1;
        vals[si] = s.fs[p];
        cursors[si] = p + 1;
      } else has[si] = 0;
    }
    if (isK) {
      const mat = aggregationK(ev, e, fParam, input, has, vals, seriesToGroup, groups, ts, numSteps, kOut);
      if (ev.start === ev.end) return mat;
    } else {
      aggregation(e, fParam, input, has, vals, seriesToGroup, groups, result, ts);
    }
    ev.checkSamples();
  }
  if (isK) return [...kOut.values()];
  return result.filter((s) => s.n > 0);
}

function aggregation(
  e: AggregateExpr,
  q: number,
  input: Matrix,
  has: Uint8Array,
  vals: Float64Array,
  seriesToGroup: Int32Array,
  groups: Group[],
  out: Series[],
  ts: number,
): void {
  const op = e.op;
  for (const g of groups) g.seen = false;
  for (let si = 0; si < input.length; si++) {
    if (!has[si]) continue;
    const f = vals[si];
    const g = groups[seriesToGroup[si]];
    if (!g.seen) {
      g.seen = true;
      g.floatValue = f;
      g.floatMean = f;
      g.kahanC = 0;
      g.groupCount = 1;
      g.incrementalMean = false;
      g.dropName = input[si].dropName;
      switch (op) {
        case 'stdvar':
        case 'stddev':
          g.floatValue = Number.isFinite(f) ? 0 : Number.NaN;
          break;
        case 'quantile':
          g.heap.length = 0;
          g.heap.push(f);
          break;
        case 'group':
          g.floatValue = 1;
          break;
      }
      continue;
    }
    if (input[si].dropName) g.dropName = true;
    switch (op) {
      case 'sum':
        [g.floatValue, g.kahanC] = kahanInc(f, g.floatValue, g.kahanC);
        break;
      case 'avg':
        g.groupCount++;
        if (!g.incrementalMean) {
          const [newV, newC] = kahanInc(f, g.floatValue, g.kahanC);
          if (Number.isFinite(newV) || Number.isNaN(newV)) {
            g.floatValue = newV;
            g.kahanC = newC;
            break;
          }
          // The running sum would overflow: switch to an incremental mean.
          g.incrementalMean = true;
          g.floatMean = g.floatValue / (g.groupCount - 1);
          g.kahanC /= g.groupCount - 1;
        }
        {
          const qq = (g.groupCount - 1) / g.groupCount;
          [g.floatMean, g.kahanC] = kahanInc(f / g.groupCount, qq * g.floatMean, qq * g.kahanC);
        }
        break;
      case 'group':
        break;
      case 'max':
        if (g.floatValue < f || Number.isNaN(g.floatValue)) g.floatValue = f;
        break;
      case 'min':
        if (g.floatValue > f || Number.isNaN(g.floatValue)) g.floatValue = f;
        break;
      case 'count':
        g.groupCount++;
        break;
      case 'stdvar':
      case 'stddev': {
        g.groupCount++;
        const delta = f - g.floatMean;
        g.floatMean += delta / g.groupCount;
        g.floatValue += delta * (f - g.floatMean);
        break;
      }
      case 'quantile':
        g.heap.push(f);
        break;
      default:
        throw new EvaluationError(`expected aggregation operator but got ${JSON.stringify(op)}`);
    }
  }
  for (let ri = 0; ri < groups.length; ri++) {
    const g = groups[ri];
    if (!g.seen) continue;
    let v = g.floatValue;
    switch (op) {
      case 'avg':
        v = g.incrementalMean
          ? g.floatMean + g.kahanC
          : g.floatValue / g.groupCount + g.kahanC / g.groupCount;
        break;
      case 'count':
        v = g.groupCount;
        break;
      case 'stdvar':
        v = g.floatValue / g.groupCount;
        break;
      case 'stddev':
        v = Math.sqrt(g.floatValue / g.groupCount);
        break;
      case 'quantile':
        v = quantile(q, g.heap);
        break;
      case 'sum':
        v = g.floatValue + g.kahanC;
        break;
    }
    const s = out[ri];
    pushPoint(s, ts, v);
    s.dropName = g.dropName;
  }
}

interface KItem {
  metric: Labels;
  f: number;
  dropName: boolean;
}

/** Go's container/heap over KItem with a "less" function. */
function heapUp(h: KItem[], j0: number, less: (a: KItem, b: KItem) => boolean): void {
  let j = j0;
  for (;;) {
    const i = Math.trunc((j - 1) / 2);
    if (i === j || !less(h[j], h[i])) break;
    [h[i], h[j]] = [h[j], h[i]];
    j = i;
  }
}

function heapDown(h: KItem[], i0: number, n: number, less: (a: KItem, b: KItem) => boolean): boolean {
  let i = i0;
  for (;;) {
    const j1 = 2 * i + 1;
    if (j1 >= n || j1 < 0) break;
    let j = j1;
    const j2 = j1 + 1;
    if (j2 < n && less(h[j2], h[j1])) j = j2;
    if (!less(h[j], h[i])) break;
    [h[i], h[j]] = [h[j], h[i]];
    i = j;
  }
  return i > i0;
}

function heapPush(h: KItem[], x: KItem, less: (a: KItem, b: KItem) => boolean): void {
  h.push(x);
  heapUp(h, h.length - 1, less);
}

function heapFix(h: KItem[], i: number, less: (a: KItem, b: KItem) => boolean): void {
  if (!heapDown(h, i, h.length, less)) heapUp(h, i, less);
}

/** vectorByValueHeap.Less: NaN sorts first. */
const byValue = (a: KItem, b: KItem) => Number.isNaN(a.f) || a.f < b.f;
/** vectorByReverseValueHeap.Less. */
const byReverseValue = (a: KItem, b: KItem) => Number.isNaN(a.f) || a.f > b.f;

/** float64(math.MaxUint64). */
const MAX_UINT64 = 2 ** 64;

function ratioSampleOffset(metric: Labels): number {
  return Number(labelsHash(metric)) / MAX_UINT64;
}

function addRatioSample(ratio: number, metric: Labels): boolean {
  const offset = ratioSampleOffset(metric);
  return (ratio >= 0 && offset < ratio) || (ratio < 0 && offset >= 1 + ratio);
}

interface KGroup {
  seen: boolean;
  heap: KItem[];
  complete: boolean;
}

function aggregationK(
  ev: Evaluator,
  e: AggregateExpr,
  fParam: number,
  input: Matrix,
  has: Uint8Array,
  vals: Float64Array,
  seriesToGroup: Int32Array,
  groupsIn: Group[],
  ts: number,
  numSteps: number,
  out: Map<string, Series>,
): Matrix {
  const op = e.op;
  const groups = groupsIn as unknown as KGroup[];
  for (const g of groups) {
    g.seen = false;
    g.complete = false;
  }
  let remaining = groups.length;
  let k = 0;
  let r = 0;
  if (op === 'limit_ratio') {
    if (fParam === 0) return [];
    r = fParam < -1 ? -1 : fParam > 1 ? 1 : fParam;
  } else {
    k = Math.min(Math.trunc(fParam), input.length);
    if (k < 1) return [];
  }
  seriesLoop: for (let si = 0; si < input.length; si++) {
    if (!has[si]) continue;
    const item: KItem = { metric: input[si].metric, f: vals[si], dropName: input[si].dropName };
    const g = groups[seriesToGroup[si]];
    if (!g.seen) {
      g.seen = true;
      g.heap = [];
      if (op === 'limit_ratio') {
        if (addRatioSample(r, item.metric)) heapPush(g.heap, item, byValue);
      } else if (op === 'bottomk') heapPush(g.heap, item, byReverseValue);
      else if (op === 'limitk') {
        g.heap.push(item);
        if (k === 1) {
          g.complete = true;
          remaining--;
          if (remaining === 0) break;
        }
      } else heapPush(g.heap, item, byValue);
      continue;
    }
    switch (op) {
      case 'topk':
        if (g.heap.length < k) heapPush(g.heap, item, byValue);
        else if (g.heap[0].f < item.f || (Number.isNaN(g.heap[0].f) && !Number.isNaN(item.f))) {
          g.heap[0] = item;
          if (k > 1) heapFix(g.heap, 0, byValue);
        }
        break;
      case 'bottomk':
        if (g.heap.length < k) heapPush(g.heap, item, byReverseValue);
        else if (g.heap[0].f > item.f || (Number.isNaN(g.heap[0].f) && !Number.isNaN(item.f))) {
          g.heap[0] = item;
          if (k > 1) heapFix(g.heap, 0, byReverseValue);
        }
        break;
      case 'limitk':
        if (g.heap.length < k) heapPush(g.heap, item, byValue);
        if (!g.complete && g.heap.length === k) {
          g.complete = true;
          remaining--;
          if (remaining === 0) break seriesLoop;
        }
        break;
      case 'limit_ratio':
        if (addRatioSample(r, item.metric)) heapPush(g.heap, item, byValue);
        break;
    }
  }
  const instant = ev.start === ev.end;
  const mat: Matrix = [];
  const add = (it: KItem) => {
    if (instant) {
      mat.push({
        metric: it.metric,
        ts: Float64Array.of(ts),
        fs: Float64Array.of(it.f),
        n: 1,
        dropName: it.dropName,
      });
      return;
    }
    const key = labelsKeyOf(it.metric);
    let s = out.get(key);
    if (!s) {
      s = newSeries(it.metric, it.dropName, numSteps);
      out.set(key, s);
    }
    pushPoint(s, ts, it.f);
  };
  for (const g of groups) {
    if (!g.seen) continue;
    if (op === 'topk') {
      // Descending, NaN last (sort.Reverse of the heap's order).
      g.heap.sort((a, b) => (byValue(b, a) ? -1 : byValue(a, b) ? 1 : 0));
    } else if (op === 'bottomk') {
      g.heap.sort((a, b) => (byReverseValue(b, a) ? -1 : byReverseValue(a, b) ? 1 : 0));
    }
    for (const it of g.heap) add(it);
  }
  return mat;
}

function labelsKeyOf(metric: Labels): string {
  let k = '';
  for (const l of metric) k += l.name + '\ud800' + l.value + '\udbff';
  return k;
}

/** count_values("label", v): one series per distinct value in each group. */
export async function evalCountValues(
  ev: Evaluator,
  e: AggregateExpr,
  groupingIn: readonly string[],
): Promise<Matrix> {
  const param = e.param;
  const valueLabel = param?.kind === 'StringLiteral' ? param.value : '';
  if (!isValidUtf8Name(valueLabel)) throw new EvaluationError(`invalid label name ${quote(valueLabel)}`);
  let grouping = [...groupingIn];
  if (!e.without) grouping = [...grouping, valueLabel].sort();
  return ev.rangeEval([e.expr], (v, enh) => {
    const groups = new Map<string, { labels: Labels; count: number }>();
    for (const s of v[0]) {
      const metric = setLabel(s.metric, valueLabel, formatGoF(s.f));
      const key = groupingKey(metric, grouping, e.without);
      const g = groups.get(key);
      if (g) g.count++;
      else groups.set(key, { labels: groupingLabels(metric, grouping, e.without), count: 1 });
    }
    for (const g of groups.values()) enh.push(g.labels, g.count, false);
    return enh.out;
  });
}
