/**
 * The evaluator: one switch over node kinds (Prometheus's evaluator.eval in engine.go). Every
 * expression evaluates to a Matrix with at most one point per step, so instant and range queries
 * share one code path (an instant query is a range query with one step).
 *
 * Raw samples stay in the Float64Arrays storage returned; selectors and range functions walk
 * them with moving cursors, one step after the other. Problems are thrown as EvaluationError and
 * converted to a QueryError by the engine.
 */
import { compareLabels, type Labels, METRIC_NAME } from '../../model/labels.ts';
import { isStaleNaN } from '../../model/sample.ts';
import {
  type AggregateExpr,
  type BinaryExpr,
  type Call,
  type Expr,
  exprType,
  inspect,
  type MatrixSelector,
  type SubqueryExpr,
  type VectorMatching,
  type VectorSelector,
} from '../parser/ast.ts';
import { evalAggregation, evalCountValues } from './aggregate.ts';
import { type Annotations, annotations } from './annotations.ts';
import { scalarBinop, vectorAnd, vectorBinop, vectorOr, vectorScalarBinop, vectorUnless } from './binary.ts';
import { EvaluationError, queryCanceled, queryTimeout, tooManySamples } from './errors.ts';
import {
  ANCHORED_SAFE_FUNCTIONS,
  INSTANT_FUNCTIONS,
  RANGE_FUNCTIONS,
  type RangeContext,
  type RangeWindow,
  SMOOTHED_SAFE_FUNCTIONS,
} from './functions.ts';
import { EvalNodeHelper } from './helper.ts';
import { evalInfo } from './info.ts';
import { evalLabelJoin, evalLabelReplace } from './labels.ts';
import { absentLabels, extendFloats, lowerBoundExclusive, upperBound } from './series-utils.ts';
import {
  containsSameLabelset,
  dropMetricName,
  labelValue,
  type Matrix,
  newSeries,
  pushPoint,
  type Sample,
  type Series,
  seriesKey,
  type Vector,
} from './values.ts';

/** What one query's evaluators share. */
export interface QueryState {
  readonly lookbackDelta: number;
  readonly maxSamples: number;
  readonly delayedNameRemoval: boolean;
  readonly typeAndUnitLabels: boolean;
  readonly noStepSubqueryInterval: (rangeMs: number) => number;
  /** Selected series per selector node (stale markers removed for range selectors). */
  readonly data: Map<VectorSelector, Series[]>;
  /** Effective offsets (ms) per selector and subquery, adjusted for `@`. */
  readonly offsets: Map<Expr, number>;
  readonly annos: Annotations;
  /** Fetches series for info(); the only select during evaluation. */
  readonly select: (
    matchers: readonly import('../../model/matcher.ts').Matcher[],
    minT: number,
    maxT: number,
  ) => Promise<Series[]>;
  readonly deadline: number;
  readonly signal: AbortSignal | undefined;
  /** Counter for cooperative yielding. */
  ops: number;
  lastYield: number;
}

/** The value of a string literal (the only non-matrix evaluation result). */
export interface StringValue {
  readonly kind: 'string';
  readonly value: string;
}

/** What evaluating a node yields. */
export type EvalResult = Matrix | StringValue;

const YIELD_EVERY_MS = 20;

/** Evaluates expressions over [start, end] at `interval` steps; subqueries use child evaluators. */
export class Evaluator {
  currentSamples = 0;

  constructor(
    readonly q: QueryState,
    readonly start: number,
    readonly end: number,
    readonly interval: number,
  ) {}

  numSteps(): number {
    return Math.floor((this.end - this.start) / this.interval) + 1;
  }

  child(start: number, end: number, interval: number): Evaluator {
    const ev = new Evaluator(this.q, start, end, interval);
    ev.currentSamples = this.currentSamples;
    return ev;
  }

  /** Throws on timeout or cancellation; yields to the event loop now and then. */
  async checkpoint(): Promise<void> {
    const q = this.q;
    if (q.signal?.aborted) throw queryCanceled('expression evaluation');
    const now = performance.now();
    if (now > q.deadline) throw queryTimeout('expression evaluation');
    if (now - q.lastYield > YIELD_EVERY_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      q.lastYield = performance.now();
      if (q.signal?.aborted) throw queryCanceled('expression evaluation');
    }
  }

  /** checkpoint() for synchronous loops: throws on timeout or cancellation, cannot yield. */
  checkSync(): void {
    if (this.q.signal?.aborted) throw queryCanceled('expression evaluation');
    if (performance.now() > this.q.deadline) throw queryTimeout('expression evaluation');
  }

  /** Cheap per-iteration tick: true every few thousand calls, when a checkpoint is due. */
  tick(): boolean {
    return (++this.q.ops & 4095) === 0;
  }

  checkSamples(): void {
    if (this.currentSamples > this.q.maxSamples) throw tooManySamples('query execution');
  }

  offsetOf(node: VectorSelector | SubqueryExpr): number {
    return this.q.offsets.get(node) ?? node.offset;
  }

  async eval(expr: Expr): Promise<EvalResult> {
    await this.checkpoint();
    if (this.end < this.start) return [];
    switch (expr.kind) {
      case 'AggregateExpr':
        return this.evalAggregate(expr);
      case 'Call':
        return this.evalCall(expr);
      case 'ParenExpr':
        return this.eval(expr.expr);
      case 'UnaryExpr': {
        const mat = await this.evalMatrix(expr.expr);
        if (expr.op === '-') {
          for (const s of mat) {
            if (!this.q.delayedNameRemoval) s.metric = dropMetricName(s.metric);
            s.dropName = true;
            for (let i = 0; i < s.n; i++) s.fs[i] = -s.fs[i];
          }
          if (!this.q.delayedNameRemoval) return this.mergeSeriesWithSameLabelset(mat);
        }
        return mat;
      }
      case 'BinaryExpr':
        return this.evalBinary(expr);
      case 'NumberLiteral': {
        const v = expr.value;
        return this.rangeEval([], (_v, enh) => {
          enh.push([], v, false);
          return enh.out;
        });
      }
      case 'DurationExpr':
        throw new EvaluationError('unexpected duration expression outside of a selector');
      case 'StringLiteral':
        return { kind: 'string', value: expr.value };
      case 'VectorSelector': {
        const series = this.q.data.get(expr) ?? [];
        if (expr.smoothed) return this.smoothSeries(series, this.offsetOf(expr));
        return this.evalSeries(series, this.offsetOf(expr), false, undefined);
      }
      case 'MatrixSelector':
        if (this.start !== this.end)
          throw new EvaluationError('cannot do range evaluation of matrix selector');
        return this.matrixSelector(expr);
      case 'SubqueryExpr':
        return this.runSubquery(expr);
      case 'StepInvariantExpr':
        return this.evalStepInvariant(expr.expr);
    }
  }

  async evalMatrix(expr: Expr): Promise<Matrix> {
    const v = await this.eval(expr);
    if (!Array.isArray(v)) throw new EvaluationError(`unexpected string in ${expr.kind}`);
    return v;
  }

  // ---- generic step loop ----

  /**
   * Evaluates `exprs`, then calls `fn` once per step with each expression's vector at that step
   * and assembles the results into series (Prometheus's rangeEval). With `matching`, each
   * gathered sample also carries the ordinal of its matching signature.
   */
  async rangeEval(
    exprs: readonly (Expr | undefined)[],
    fn: (vectors: Vector[], enh: EvalNodeHelper, sigs: Int32Array[]) => Vector,
    matching?: VectorMatching,
    prepared?: (Matrix | undefined)[],
  ): Promise<Matrix> {
    const numSteps = this.numSteps();
    const originalNumSamples = this.currentSamples;
    const matrices: (Matrix | undefined)[] = prepared ?? [];
    if (!prepared) {
      for (const e of exprs) {
        if (e === undefined || exprType(e) === 'string') matrices.push(undefined);
        else matrices.push(await this.evalMatrix(e));
      }
    }
    const n = matrices.length;
    const vectors: Vector[] = [];
    const cursors: Int32Array[] = [];
    const pools: Sample[][] = [];
    const sigs: Int32Array[] = [];
    const sigLens: number[] = [];
    let seriesSigs: (Int32Array[] & { numSigs: number }) | undefined;
    let biggest = 1;
    for (let i = 0; i < n; i++) {
      const m = matrices[i] ?? [];
      vectors.push([]);
      cursors.push(new Int32Array(m.length));
      pools.push([]);
      sigs.push(new Int32Array(m.length));
      sigLens.push(0);
      biggest = Math.max(biggest, m.length);
    }
    const enh = new EvalNodeHelper(this.q.delayedNameRemoval, this.q.annos);
    if (matching) {
      seriesSigs = signatureOrdinals(matrices, matching);
      enh.numSigs = seriesSigs.numSigs;
    }
    const out = new OutputSeries(numSteps);
    let tempNumSamples = this.currentSamples;

    for (let ts = this.start; ts <= this.end; ts += this.interval) {
      if (this.tick()) await this.checkpoint();
      this.currentSamples = tempNumSamples;
      for (let i = 0; i < n; i++) {
        const m = matrices[i];
        const vec = vectors[i];
        vec.length = 0;
        if (!m) continue;
        const cur = cursors[i];
        const pool = pools[i];
        const sig = sigs[i];
        let k = 0;
        for (let si = 0; si < m.length; si++) {
          const s = m[si];
          const p = cur[si];
          if (p < s.n && s.ts[p] === ts) {
            let smp = pool[si];
            if (smp === undefined) {
              smp = { metric: s.metric, f: 0, t: ts, dropName: s.dropName };
              pool[si] = smp;
            }
            smp.metric = s.metric;
            smp.f = s.fs[p];
            smp.t = ts;
            smp.dropName = s.dropName;
            vec.push(smp);
            if (seriesSigs) sig[k] = seriesSigs[i][si];
            k++;
            cur[si] = p + 1;
            this.currentSamples++;
          }
        }
        sigLens[i] = k;
        this.checkSamples();
      }
      enh.reset(ts);
      const result = fn(vectors, enh, sigs);
      this.currentSamples += result.length;
      tempNumSamples += result.length;
      this.checkSamples();

      if (this.start === this.end) {
        // Instant evaluation: keep the function's order (sort(), topk() results).
        if (!this.q.delayedNameRemoval && containsSameLabelset(result)) {
          throw new EvaluationError('vector cannot contain metrics with the same labelset');
        }
        const mat: Matrix = [];
        for (const s of result) {
          mat.push({
            metric: s.metric,
            ts: Float64Array.of(ts),
            fs: Float64Array.of(s.f),
            n: 1,
            dropName: s.dropName,
          });
        }
        this.currentSamples = originalNumSamples + mat.length;
        return mat;
      }
      for (const s of result) out.add(s.metric, s.dropName, ts, s.f);
    }
    this.currentSamples = originalNumSamples + out.total;
    return out.matrix;
  }

  // ---- selectors ----

  /**
   * Instant-vector selection at every step: the newest sample in the lookback window
   * (t - lookback, t], unless it is a staleness marker. With `recordOrigT` the value is replaced
   * by the sample's own timestamp (info()).
   */
  evalSeries(
    series: readonly Series[],
    offset: number,
    recordOrigT: boolean,
    atTimestamp: number | undefined,
  ): Matrix {
    const numSteps = this.numSteps();
    const lookback = this.q.lookbackDelta;
    const mat: Matrix = [];
    for (const s of series) {
      let out: Series | undefined;
      let p = 0;
      for (let ts = this.start; ts <= this.end; ts += this.interval) {
        if (this.tick()) this.checkSync();
        const ref = (atTimestamp ?? ts) - offset;
        if (atTimestamp !== undefined) p = upperBound(s.ts, s.n, ref);
        else while (p < s.n && s.ts[p] <= ref) p++;
        if (p === 0) continue;
        const t = s.ts[p - 1];
        if (t <= ref - lookback) continue;
        const v = s.fs[p - 1];
        if (isStaleNaN(v)) continue;
        this.currentSamples++;
        this.checkSamples();
        if (!out) out = newSeries(s.metric, false, numSteps);
        pushPoint(out, ts, recordOrigT ? t : v);
      }
      if (out) mat.push(out);
    }
    return mat;
  }

  /** `metric smoothed`: values interpolated at each step between the neighbouring samples. */
  smoothSeries(series: readonly Series[], offset: number): Matrix {
    const numSteps = this.numSteps();
    const lb = this.q.lookbackDelta;
    const mat: Matrix = [];
    for (const s of series) {
      let out: Series | undefined;
      for (let ts = this.start; ts <= this.end; ts += this.interval) {
        if (this.tick()) this.checkSync();
        const dataTs = ts - offset;
        // Samples in [dataTs - lb, dataTs + lb], stale markers excluded (matrixIterSlice).
        const lo = lowerBoundExclusive(s.ts, s.n, dataTs - lb);
        const hi = upperBound(s.ts, s.n, dataTs + lb);
        const pts: number[] = [];
        for (let i = lo; i < hi; i++) if (!isStaleNaN(s.fs[i])) pts.push(i);
        if (pts.length === 0) continue;
        let i = 0;
        while (i < pts.length && s.ts[pts[i]] < dataTs) i++;
        let v: number;
        if (i < pts.length && s.ts[pts[i]] === dataTs) v = s.fs[pts[i]];
        else if (i > 0 && i < pts.length) {
          const a = pts[i - 1];
          const b = pts[i];
          v = s.fs[a] + ((s.fs[b] - s.fs[a]) * (dataTs - s.ts[a])) / (s.ts[b] - s.ts[a]);
        } else if (i > 0) v = s.fs[pts[i - 1]];
        else continue;
        if (!out) out = newSeries(s.metric, false, numSteps);
        pushPoint(out, ts, v);
      }
      if (out) mat.push(out);
    }
    return mat;
  }

  /** A range selector evaluated once (instant query returning a range vector). */
  matrixSelector(node: MatrixSelector): Matrix {
    const vs = node.vectorSelector;
    const offset = this.offsetOf(vs);
    const maxt = this.start - offset;
    const mint = maxt - node.range;
    let lo = mint;
    let hi = maxt;
    if (vs.anchored) lo -= this.q.lookbackDelta;
    else if (vs.smoothed) {
      lo -= this.q.lookbackDelta;
      hi += this.q.lookbackDelta;
    }
    const mat: Matrix = [];
    for (const s of this.q.data.get(vs) ?? []) {
      const a = lowerBoundExclusive(s.ts, s.n, lo);
      const b = upperBound(s.ts, s.n, hi);
      let ts = s.ts.subarray(a, b);
      let fs = s.fs.subarray(a, b);
      if (vs.anchored || vs.smoothed) {
        if (ts.length === 0) continue;
        const ext = extendFloats(ts, fs, mint, maxt, vs.smoothed);
        ts = ext.ts;
        fs = ext.fs;
      }
      if (ts.length === 0) continue;
      this.currentSamples += ts.length;
      this.checkSamples();
      mat.push({ metric: s.metric, ts, fs, n: ts.length, dropName: false });
    }
    return mat;
  }

  // ---- subqueries and step invariants ----

  /** Prometheus's subqueryTimeRange: the child evaluator's start, end and step. */
  subqueryTimeRange(e: SubqueryExpr): [number, number, number] {
    const offset = this.offsetOf(e);
    const parentEnd =
      this.interval > 0
        ? this.start + Math.floor((this.end - this.start) / this.interval) * this.interval
        : this.end;
    const end = parentEnd - offset;
    const interval = e.step !== 0 ? e.step : this.q.noStepSubqueryInterval(e.range);
    const from = this.start - offset - e.range;
    let start = interval * Math.trunc(from / interval);
    if (start <= from) start += interval;
    return [start, end, interval];
  }

  async runSubquery(e: SubqueryExpr): Promise<Matrix> {
    const [start, end, interval] = this.subqueryTimeRange(e);
    const child = this.child(start, end, interval);
    if (start !== this.start) this.setOffsetForAtModifier(start, e.expr);
    const res = await child.evalMatrix(e.expr);
    this.currentSamples = child.currentSamples;
    return res;
  }

  private async evalStepInvariant(inner: Expr): Promise<EvalResult> {
    const child = this.child(this.start, this.start, this.interval);
    const res = await child.eval(inner);
    this.currentSamples = child.currentSamples;
    if (!Array.isArray(res)) return res;
    if (inner.kind === 'MatrixSelector' || inner.kind === 'SubqueryExpr') return res;
    const numSteps = this.numSteps();
    if (numSteps === 1) return res;
    for (const s of res) {
      if (s.n !== 1) throw new EvaluationError('unexpected number of samples');
      const v = s.fs[0];
      const ts = new Float64Array(numSteps);
      const fs = new Float64Array(numSteps);
      let i = 0;
      for (let t = this.start; t <= this.end; t += this.interval, i++) {
        ts[i] = t;
        fs[i] = v;
      }
      s.ts = ts;
      s.fs = fs;
      s.n = numSteps;
      this.currentSamples += numSteps - 1;
      this.checkSamples();
    }
    return res;
  }

  /**
   * Sets the effective offsets of selectors and subqueries under `expr` so that `@` times are
   * honoured when evaluating from `evalTime` (Prometheus's setOffsetForAtModifier).
   */
  setOffsetForAtModifier(evalTime: number, expr: Expr): void {
    setOffsetForAtModifier(this.q.offsets, evalTime, expr);
  }

  private mergeSeriesWithSameLabelset(mat: Matrix): Matrix {
    return mergeSeriesWithSameLabelset(mat);
  }

  // ---- aggregations ----

  private async evalAggregate(e: AggregateExpr): Promise<Matrix> {
    const grouping = [...e.grouping].sort();
    if (e.op === 'count_values') return evalCountValues(this, e, grouping);
    return evalAggregation(this, e, grouping);
  }

  // ---- binary operators ----

  private async evalBinary(e: BinaryExpr): Promise<Matrix> {
    const lt = exprType(e.lhs);
    const rt = exprType(e.rhs);
    const pos = e.pos;
    if (lt === 'scalar' && rt === 'scalar') {
      return this.rangeEval([e.lhs, e.rhs], (v, enh) => {
        enh.push([], scalarBinop(e.op, v[0][0].f, v[1][0].f), false);
        return enh.out;
      });
    }
    if (lt === 'vector' && rt === 'vector') {
      const matching = e.matching!;
      switch (e.op) {
        case 'and':
          return this.rangeEval(
            [e.lhs, e.rhs],
            (v, enh, sig) => vectorAnd(v[0], v[1], sig[0], sig[1], enh),
            matching,
          );
        case 'or':
          return this.rangeEval(
            [e.lhs, e.rhs],
            (v, enh, sig) => vectorOr(v[0], v[1], sig[0], sig[1], enh),
            matching,
          );
        case 'unless':
          return this.rangeEval(
            [e.lhs, e.rhs],
            (v, enh, sig) => vectorUnless(v[0], v[1], sig[0], sig[1], enh),
            matching,
          );
        default:
          return this.rangeEval(
            [e.lhs, e.rhs],
            (v, enh, sig) => vectorBinop(e.op, v[0], v[1], matching, e.returnBool, sig[0], sig[1], enh, pos),
            matching,
          );
      }
    }
    if (lt === 'vector' && rt === 'scalar') {
      return this.rangeEval([e.lhs, e.rhs], (v, enh) =>
        vectorScalarBinop(e.op, v[0], v[1][0].f, false, e.returnBool, enh, pos),
      );
    }
    return this.rangeEval([e.lhs, e.rhs], (v, enh) =>
      vectorScalarBinop(e.op, v[1], v[0][0].f, true, e.returnBool, enh, pos),
    );
  }

  // ---- function calls ----

  private async evalCall(e: Call): Promise<EvalResult> {
    const name = e.func;
    if ((name === 'timestamp' || name === 'start_timestamp') && e.args[0]?.kind === 'VectorSelector') {
      return this.timestampOverSelector(e, e.args[0]);
    }
    switch (name) {
      case 'label_replace':
        return evalLabelReplace(this, e.args);
      case 'label_join':
        return evalLabelJoin(this, e.args);
      case 'info':
        return evalInfo(this, e.args);
    }
    if (
      (name === 'sort' ||
        name === 'sort_desc' ||
        name === 'sort_by_label' ||
        name === 'sort_by_label_desc') &&
      this.start !== this.end
    ) {
      this.q.annos.add(annotations.sortInRangeQuery(e.pos));
    }
    const matrixArgIndex = e.args.findIndex((a) => a.kind === 'MatrixSelector' || a.kind === 'SubqueryExpr');
    if (matrixArgIndex < 0) {
      const fn = INSTANT_FUNCTIONS.get(name);
      if (!fn) throw new EvaluationError(`unexpected function ${name}`);
      return this.rangeEval(e.args, (v, enh) => fn(v, e.args, enh));
    }
    const rangeFn = RANGE_FUNCTIONS.get(name);
    if (!rangeFn) throw new EvaluationError(`unexpected function ${name} with a range argument`);
    return this.evalRangeFunction(e, matrixArgIndex, rangeFn);
  }

  private async evalRangeFunction(
    e: Call,
    matrixArgIndex: number,
    fn: (w: RangeWindow, scalars: readonly number[], c: RangeContext) => number | undefined,
  ): Promise<Matrix> {
    const arg = e.args[matrixArgIndex];
    let series: readonly Series[];
    let offset: number;
    let range: number;
    let timestamp: number | undefined;
    let anchored = false;
    let smoothed = false;
    let subquerySamples = 0;
    let fromSubquery = false;
    if (arg.kind === 'SubqueryExpr') {
      const mat = await this.runSubquery(arg);
      series = mat;
      fromSubquery = true;
      for (const s of mat) subquerySamples += s.n;
      range = arg.range;
      timestamp = arg.timestamp;
      offset = timestamp !== undefined ? arg.offset + (this.start - timestamp) : this.offsetOf(arg);
    } else {
      const ms = arg as MatrixSelector;
      const vs = ms.vectorSelector;
      series = this.q.data.get(vs) ?? [];
      offset = this.offsetOf(vs);
      range = ms.range;
      timestamp = vs.timestamp;
      anchored = vs.anchored;
      smoothed = vs.smoothed;
    }
    // The scalar arguments, one value per step.
    const scalarMats: (Matrix | undefined)[] = [];
    for (let i = 0; i < e.args.length; i++) {
      if (i === matrixArgIndex) scalarMats.push(undefined);
      else scalarMats.push(await this.evalMatrix(e.args[i]));
    }
    if (anchored && !ANCHORED_SAFE_FUNCTIONS.has(e.func)) {
      throw new EvaluationError(
        `anchored modifier can only be used with: ${[...ANCHORED_SAFE_FUNCTIONS].sort().join(', ')} - not with ${e.func}`,
      );
    }
    if (smoothed && !SMOOTHED_SAFE_FUNCTIONS.has(e.func)) {
      throw new EvaluationError(
        `smoothed modifier can only be used with: ${[...SMOOTHED_SAFE_FUNCTIONS].sort().join(', ')} - not with ${e.func}`,
      );
    }
    const lookback = this.q.lookbackDelta;
    const numSteps = this.numSteps();
    const dropNameFn = e.func !== 'last_over_time' && e.func !== 'first_over_time';
    const scalars: number[] = new Array(Math.max(0, e.args.length - 1)).fill(0);
    const ctx: RangeContext = {
      ts: 0,
      range,
      offset,
      anchored,
      smoothed,
      args: e.args,
      annos: this.q.annos,
      window: undefined as unknown as RangeWindow,
    };
    const w: RangeWindow = { metric: [], ts: new Float64Array(0), fs: new Float64Array(0), lo: 0, hi: 0 };
    ctx.window = w;
    const mat: Matrix = [];
    const base = this.currentSamples;
    let outputSamples = 0;
    const isRateOrIncrease = e.func === 'rate' || e.func === 'increase';
    for (const s of series) {
      if (this.tick()) await this.checkpoint();
      const seriesDropName = dropNameFn || s.dropName;
      const metric = !this.q.delayedNameRemoval && seriesDropName ? dropMetricName(s.metric) : s.metric;
      let out: Series | undefined;
      w.metric = s.metric;
      w.ts = s.ts;
      w.fs = s.fs;
      let lo = 0;
      let hi = 0;
      let step = -1;
      for (let ts = this.start; ts <= this.end; ts += this.interval) {
        if (this.tick()) await this.checkpoint();
        step++;
        let k = 0;
        for (let j = 0; j < e.args.length; j++) {
          if (j === matrixArgIndex) continue;
          const sm = scalarMats[j]!;
          scalars[k++] = sm.length > 0 && step < sm[0].n ? sm[0].fs[step] : Number.NaN;
        }
        if (ts === this.start || timestamp === undefined) {
          let maxt = ts - offset;
          let mint = maxt - range;
          if (anchored) mint -= lookback;
          else if (smoothed) {
            mint -= lookback;
            maxt += lookback;
          }
          // Left-open window (mint, maxt]; cursors only move forward.
          if (timestamp === undefined) {
            while (lo < s.n && s.ts[lo] <= mint) lo++;
            if (hi < lo) hi = lo;
            while (hi < s.n && s.ts[hi] <= maxt) hi++;
          } else {
            lo = lowerBoundExclusive(s.ts, s.n, mint);
            hi = upperBound(s.ts, s.n, maxt);
          }
        }
        if (hi <= lo) continue;
        this.currentSamples = base + (hi - lo) + outputSamples;
        this.checkSamples();
        w.lo = lo;
        w.hi = hi;
        ctx.ts = ts;
        const v = fn(w, scalars, ctx);
        if (v === undefined) continue;
        if (!out) out = newSeries(metric, seriesDropName, numSteps);
        pushPoint(out, ts, v);
      }
      if (out) {
        outputSamples += out.n;
        this.currentSamples = base + outputSamples;
        this.checkSamples();
        mat.push(out);
        if (isRateOrIncrease) {
          const metricName = labelValue(s.metric, METRIC_NAME);
          if (metricName !== '') {
            if (this.q.typeAndUnitLabels) {
              const typeLabel = labelValue(s.metric, '__type__');
              if (typeLabel !== 'counter' && typeLabel !== 'histogram') {
                this.q.annos.add(annotations.possibleNonCounterLabel(metricName, typeLabel, e.args[0].pos));
              }
            } else if (!/_(total|sum|count|bucket)$/.test(metricName)) {
              this.q.annos.add(annotations.possibleNonCounter(metricName, e.args[0].pos));
            }
          }
        }
      }
    }
    this.currentSamples = base + outputSamples - (fromSubquery ? subquerySamples : 0);
    if (e.func === 'absent_over_time') return this.absentOverTime(e, mat, dropNameFn);
    if (!this.q.delayedNameRemoval && containsSameLabelset(mat)) {
      throw new EvaluationError('vector cannot contain metrics with the same labelset');
    }
    return mat;
  }

  private absentOverTime(e: Call, mat: Matrix, dropName: boolean): Matrix {
    const steps = this.numSteps();
    for (const s of mat) if (s.n === steps) return [];
    const found = new Set<number>();
    for (let i = 0; i < mat.length; i++) {
      const s = mat[i];
      for (let j = 0; j < s.n; j++) found.add(s.ts[j]);
      if (i > 0 && found.size === steps) return [];
    }
    const out = newSeries(absentLabels(e.args[0]), dropName, steps - found.size);
    for (let ts = this.start; ts <= this.end; ts += this.interval) if (!found.has(ts)) pushPoint(out, ts, 1);
    return [out];
  }

  /** timestamp()/start_timestamp() over a plain selector: the sample's own time at each step. */
  private async timestampOverSelector(e: Call, vs: VectorSelector): Promise<Matrix> {
    const series = this.q.data.get(vs) ?? [];
    const lookback = this.q.lookbackDelta;
    const cursors = new Int32Array(series.length);
    const fn = INSTANT_FUNCTIONS.get(e.func)!;
    const vec: Vector = [];
    const pool: Sample[] = [];
    return this.rangeEval([], (_v, enh) => {
      let offset = this.offsetOf(vs);
      if (vs.timestamp !== undefined) offset = enh.ts - vs.timestamp;
      vec.length = 0;
      const ref = enh.ts - offset;
      for (let i = 0; i < series.length; i++) {
        const s = series[i];
        let p = cursors[i];
        if (vs.timestamp !== undefined) p = upperBound(s.ts, s.n, ref);
        else while (p < s.n && s.ts[p] <= ref) p++;
        cursors[i] = p;
        if (p === 0) continue;
        const t = s.ts[p - 1];
        if (t <= ref - lookback || isStaleNaN(s.fs[p - 1])) continue;
        let smp = pool[i];
        if (!smp) {
          smp = { metric: s.metric, f: 0, t, dropName: false };
          pool[i] = smp;
        }
        smp.t = t;
        vec.push(smp);
        this.currentSamples++;
        this.checkSamples();
      }
      return fn([vec], e.args, enh);
    });
  }
}

/** Merges series that share a label set once names are dropped; overlapping points are an error. */
export function mergeSeriesWithSameLabelset(mat: Matrix): Matrix {
  if (mat.length <= 1 || !containsSameLabelset(mat)) return mat;
  const groups = new Map<string, Series[]>();
  for (const s of mat) {
    const k = seriesKey(s.metric);
    const g = groups.get(k);
    if (g) g.push(s);
    else groups.set(k, [s]);
  }
  const merged: Matrix = [];
  for (const g of groups.values()) {
    if (g.length === 1) {
      merged.push(g[0]);
      continue;
    }
    const points: [number, number][] = [];
    for (const s of g) for (let i = 0; i < s.n; i++) points.push([s.ts[i], s.fs[i]]);
    points.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < points.length; i++) {
      if (points[i][0] === points[i - 1][0])
        throw new EvaluationError('vector cannot contain metrics with the same labelset');
    }
    merged.push({
      metric: g[0].metric,
      ts: Float64Array.from(points, (p) => p[0]),
      fs: Float64Array.from(points, (p) => p[1]),
      n: points.length,
      dropName: g[0].dropName,
    });
  }
  return merged;
}

/** Sum of offsets and ranges of the subqueries on `path`, reset by a subquery with `@`. */
export function subqueryTimes(path: readonly Expr[]): {
  offset: number;
  range: number;
  ts: number | undefined;
} {
  let offset = 0;
  let range = 0;
  let ts: number | undefined;
  for (const node of path) {
    if (node.kind !== 'SubqueryExpr') continue;
    offset += node.offset;
    range += node.range;
    if (node.timestamp !== undefined) {
      offset = node.offset;
      range = node.range;
      ts = node.timestamp;
    }
  }
  return { offset, range, ts };
}

/** Prometheus's setOffsetForAtModifier, recording offsets in `offsets`. */
export function setOffsetForAtModifier(offsets: Map<Expr, number>, evalTime: number, expr: Expr): void {
  const getOffset = (ts: number | undefined, original: number, path: readonly Expr[]): number => {
    if (ts === undefined) return original;
    const sq = subqueryTimes(path);
    let subqOffset = sq.offset;
    if (sq.ts !== undefined) subqOffset += evalTime - sq.ts;
    return original + (evalTime - ts) - subqOffset;
  };
  inspect(expr, (node, path) => {
    if (node.kind === 'VectorSelector') offsets.set(node, getOffset(node.timestamp, node.offset, path));
    else if (node.kind === 'MatrixSelector') {
      const vs = node.vectorSelector;
      offsets.set(vs, getOffset(vs.timestamp, vs.offset, path));
    } else if (node.kind === 'SubqueryExpr') offsets.set(node, getOffset(node.timestamp, node.offset, path));
    return true;
  });
}

/**
 * For vector matching: the ordinal of each series' matching signature. Series of both sides
 * with equal signatures get equal ordinals.
 */
function signatureOrdinals(
  matrices: readonly (Matrix | undefined)[],
  matching: VectorMatching,
): Int32Array[] & { numSigs: number } {
  const names = new Set(matching.matchingLabels);
  const sig = matching.on
    ? (m: Labels) => {
        let k = '';
        for (const l of m) if (names.has(l.name)) k += l.name + '\ud800' + l.value + '\udbff';
        return k;
      }
    : (m: Labels) => {
        let k = '';
        for (const l of m)
          if (!names.has(l.name) && l.name !== METRIC_NAME) k += l.name + '\ud800' + l.value + '\udbff';
        return k;
      };
  const ordinals = new Map<string, number>();
  const out = [] as unknown as Int32Array[] & { numSigs: number };
  for (const m of matrices) {
    const arr = new Int32Array(m?.length ?? 0);
    m?.forEach((s, i) => {
      const k = sig(s.metric);
      let o = ordinals.get(k);
      if (o === undefined) {
        o = ordinals.size;
        ordinals.set(k, o);
      }
      arr[i] = o;
    });
    out.push(arr);
  }
  out.numSigs = ordinals.size;
  return out;
}

/** Orders matrix rows by label set, as Prometheus sorts range-query results. */
export function sortMatrix(mat: Matrix): Matrix {
  return mat.sort((a, b) => compareLabels(a.metric, b.metric));
}

/**
 * Accumulates step results into series. Lookups go by the identity of the label array first
 * (the same objects come back at every step) and by label content only on a miss.
 */
export class OutputSeries {
  readonly matrix: Matrix = [];
  total = 0;
  private readonly byIdentity = new Map<Labels, { s: Series; lastTs: number }>();
  private readonly byKey = new Map<string, { s: Series; lastTs: number }>();

  constructor(private readonly numSteps: number) {}

  add(metric: Labels, dropName: boolean, ts: number, f: number): void {
    let o = this.byIdentity.get(metric);
    if (!o) {
      const key = seriesKey(metric);
      o = this.byKey.get(key);
      if (!o) {
        o = { s: newSeries(metric, dropName, this.numSteps), lastTs: Number.NaN };
        this.byKey.set(key, o);
        this.matrix.push(o.s);
      }
      this.byIdentity.set(metric, o);
    }
    if (o.lastTs === ts) throw new EvaluationError('vector cannot contain metrics with the same labelset');
    o.lastTs = ts;
    pushPoint(o.s, ts, f);
    this.total++;
  }
}
