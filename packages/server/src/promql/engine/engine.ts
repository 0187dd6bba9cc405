/**
 * The PromQL engine: parses (with a cache), prepares, fetches each selector's data once, runs
 * the evaluator, and converts everything thrown inside into a QueryError at this one boundary.
 */
import type { Matcher } from '../../model/matcher.ts';
import { isStaleNaN, type SeriesSamples } from '../../model/sample.ts';
import { type Expr, exprType, inspect, type VectorSelector } from '../parser/ast.ts';
import { ParseError } from '../parser/errors.ts';
import { type ParseOptions, parseExpr } from '../parser/parser.ts';
import { Annotations } from './annotations.ts';
import { EvaluationError, QueryError, type QueryErrorType } from './errors.ts';
import {
  Evaluator,
  mergeSeriesWithSameLabelset,
  type QueryState,
  setOffsetForAtModifier,
  sortMatrix,
  subqueryTimes,
} from './evaluator.ts';
import { preprocessExpr } from './preprocess.ts';
import { dropMetricName, type Matrix, type QueryValue, type Series } from './values.ts';

/** Hints for one select: the inclusive time range wanted, and an abort signal. */
export interface QueryableHints {
  readonly minT: number;
  readonly maxT: number;
  readonly signal?: AbortSignal;
}

/**
 * The engine's only view of storage. `select` returns the series matching all matchers that have
 * samples in [minT, maxT], sorted by labels, with their samples in that range in time order
 * (staleness markers included). The returned arrays belong to the caller. storage's
 * MetricsStorage satisfies this interface.
 */
export interface Queryable {
  select(matchers: readonly Matcher[], hints: QueryableHints): Promise<SeriesSamples[]>;
}

/** Engine-wide settings and limits. */
export interface EngineOptions {
  /** How far back an instant selector looks for a sample (ms). Default 5m. */
  readonly lookbackDelta?: number;
  /** Maximum run time of a query (ms). Default 2m. */
  readonly timeout?: number;
  /** Maximum samples a query may hold in memory at once. Default 50,000,000, as Prometheus. */
  readonly maxSamples?: number;
  /** Maximum series all selectors of a query may select together; 0 means no limit. */
  readonly maxSeries?: number;
  /** Queries running at once; more wait for a slot. Default 20. */
  readonly maxConcurrent?: number;
  /** Step of a subquery written without one (`[5m:]`), given its range (ms). Default 1m. */
  readonly noStepSubqueryInterval?: (rangeMs: number) => number;
  /** Keep __name__ until the end of evaluation (Prometheus's promql-delayed-name-removal). */
  readonly delayedNameRemoval?: boolean;
  /** Use __type__ labels for the "might not be a counter" info (Prometheus's type-and-unit-labels). */
  readonly typeAndUnitLabels?: boolean;
  /** Experimental syntax the parser accepts (all on by default). */
  readonly parser?: ParseOptions;
}

/** Per-query settings. */
export interface QueryOptions {
  /** Overrides the engine's lookback delta for this query (ms). */
  readonly lookbackDelta?: number;
  /** Cancels the query (for example when the client disconnects). */
  readonly signal?: AbortSignal;
  /** A shorter timeout for this query (ms), as the API's `timeout` parameter; never longer than the engine's. */
  readonly timeout?: number;
}

/** A successful query: the value plus Prometheus-style annotation strings. */
export interface QueryResult {
  readonly result: QueryValue;
  readonly warnings: readonly string[];
  readonly infos: readonly string[];
}

const DEFAULTS = {
  lookbackDelta: 5 * 60_000,
  timeout: 2 * 60_000,
  maxSamples: 50_000_000,
  maxConcurrent: 20,
};

const PARSE_CACHE_LIMIT = 1000;

/** Runs PromQL queries against a Queryable; safe to share between concurrent queries. */
export class Engine {
  private readonly opts: Required<Omit<EngineOptions, 'parser' | 'maxSeries'>> & {
    parser: ParseOptions;
    maxSeries: number;
  };
  private readonly parseCache = new Map<string, Expr | ParseError>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(options: EngineOptions = {}) {
    this.opts = {
      lookbackDelta: options.lookbackDelta ?? DEFAULTS.lookbackDelta,
      timeout: options.timeout ?? DEFAULTS.timeout,
      maxSamples: options.maxSamples ?? DEFAULTS.maxSamples,
      maxSeries: options.maxSeries ?? 0,
      maxConcurrent: options.maxConcurrent ?? DEFAULTS.maxConcurrent,
      noStepSubqueryInterval: options.noStepSubqueryInterval ?? (() => 60_000),
      delayedNameRemoval: options.delayedNameRemoval ?? false,
      typeAndUnitLabels: options.typeAndUnitLabels ?? false,
      parser: options.parser ?? {},
    };
  }

  /** Parses a query with this engine's parser options; throws QueryError('bad_data'). */
  parse(query: string): Expr {
    const hit = this.parseCache.get(query);
    if (hit instanceof ParseError) throw new QueryError('bad_data', hit.message);
    if (hit) return hit;
    try {
      const expr = parseExpr(query, this.opts.parser);
      this.remember(query, expr);
      return expr;
    } catch (err) {
      if (err instanceof ParseError) {
        this.remember(query, err);
        throw new QueryError('bad_data', err.message);
      }
      throw err;
    }
  }

  private remember(query: string, v: Expr | ParseError): void {
    if (this.parseCache.size >= PARSE_CACHE_LIMIT) this.parseCache.clear();
    this.parseCache.set(query, v);
  }

  /**
   * Evaluates `query` at `time` (ms). Resolves with a vector, scalar, string or (for a range
   * selector or subquery) a matrix; rejects with QueryError.
   *
   * @example await engine.instantQuery(storage, 'sum(up)', Date.now())
   */
  instantQuery(
    queryable: Queryable,
    query: string,
    time: number,
    options: QueryOptions = {},
  ): Promise<QueryResult> {
    return this.run(queryable, query, time, time, 0, options);
  }

  /** Evaluates `query` at start, start+step, ... up to end (ms); resolves with a matrix. */
  rangeQuery(
    queryable: Queryable,
    query: string,
    start: number,
    end: number,
    step: number,
    options: QueryOptions = {},
  ): Promise<QueryResult> {
    if (!(step > 0))
      return Promise.reject(
        new QueryError('bad_data', 'zero or negative query resolution step widths are not accepted'),
      );
    if (end < start)
      return Promise.reject(new QueryError('bad_data', 'end timestamp must not be before start time'));
    return this.run(queryable, query, start, end, step, options);
  }

  private async run(
    queryable: Queryable,
    query: string,
    start: number,
    end: number,
    step: number,
    options: QueryOptions,
  ): Promise<QueryResult> {
    await this.acquire(options.signal);
    const annos = new Annotations();
    try {
      return await this.exec(queryable, query, start, end, step, options, annos);
    } catch (err) {
      const { warnings, infos } = annos.render(query);
      if (err instanceof QueryError) throw new QueryError(err.type, err.message, warnings, infos);
      if (err instanceof EvaluationError) throw new QueryError(err.type, err.message, warnings, infos);
      const e = err as Error;
      throw new QueryError('internal', `unexpected error: ${e?.message ?? String(err)}`, warnings, infos);
    } finally {
      this.release();
    }
  }

  private async exec(
    queryable: Queryable,
    query: string,
    start: number,
    end: number,
    step: number,
    options: QueryOptions,
    annos: Annotations,
  ): Promise<QueryResult> {
    const parsed = this.parse(query);
    const type = exprType(parsed);
    if (step > 0 && type !== 'vector' && type !== 'scalar') {
      throw new QueryError(
        'bad_data',
        `invalid expression type "${type === 'matrix' ? 'range vector' : type}" for range query, must be Scalar or instant Vector`,
      );
    }
    const expr = preprocessExpr(parsed, start, end, step);
    const timeout =
      options.timeout && options.timeout > 0
        ? Math.min(options.timeout, this.opts.timeout)
        : this.opts.timeout;
    const deadline = performance.now() + timeout;
    const timeoutSignal = AbortSignal.timeout(timeout);
    const signal = options.signal ? AbortSignal.any([timeoutSignal, options.signal]) : timeoutSignal;
    const q: QueryState = {
      lookbackDelta:
        options.lookbackDelta && options.lookbackDelta > 0 ? options.lookbackDelta : this.opts.lookbackDelta,
      maxSamples: this.opts.maxSamples,
      delayedNameRemoval: this.opts.delayedNameRemoval,
      typeAndUnitLabels: this.opts.typeAndUnitLabels,
      noStepSubqueryInterval: this.opts.noStepSubqueryInterval,
      data: new Map(),
      offsets: new Map(),
      annos,
      select: (matchers, minT, maxT) => this.select(queryable, matchers, minT, maxT, signal, options.signal),
      deadline,
      signal: options.signal,
      ops: 0,
      lastYield: performance.now(),
    };
    await this.populateSeries(queryable, expr, start, end, q, signal, options.signal);
    setOffsetForAtModifier(q.offsets, start, expr);
    const ev = new Evaluator(q, start, end, step > 0 ? step : 1);
    let val = await ev.eval(expr);
    if (Array.isArray(val) && q.delayedNameRemoval) val = cleanupMetricLabels(val);
    const { warnings, infos } = annos.render(query);
    return { result: toQueryValue(val, exprType(parsed), start, step), warnings, infos };
  }

  private async select(
    queryable: Queryable,
    matchers: readonly Matcher[],
    minT: number,
    maxT: number,
    signal: AbortSignal,
    userSignal: AbortSignal | undefined,
  ): Promise<Series[]> {
    try {
      const res = await queryable.select(matchers, { minT, maxT, signal });
      return res.map((s) => ({
        metric: s.labels,
        ts: s.timestamps,
        fs: s.values,
        n: s.timestamps.length,
        dropName: false,
      }));
    } catch (err) {
      if (userSignal?.aborted)
        throw new EvaluationError('query was canceled in query preparation', 'canceled');
      if (signal.aborted) throw new EvaluationError('query timed out in query preparation', 'timeout');
      throw new EvaluationError(`expanding series: ${(err as Error).message}`);
    }
  }

  /** Selects every selector's whole time range once, before evaluation (Prometheus's populateSeries). */
  private async populateSeries(
    queryable: Queryable,
    expr: Expr,
    start: number,
    end: number,
    q: QueryState,
    signal: AbortSignal,
    userSignal: AbortSignal | undefined,
  ): Promise<void> {
    const jobs: Promise<void>[] = [];
    let totalSeries = 0;
    const skip = new Set<VectorSelector>();
    inspect(expr, (node) => {
      if (node.kind === 'Call' && node.func === 'info' && node.args[1]?.kind === 'VectorSelector')
        skip.add(node.args[1]);
      return true;
    });
    inspect(expr, (node, path) => {
      if (node.kind !== 'VectorSelector' || skip.has(node)) return true;
      const parent = path[path.length - 1];
      const range = parent?.kind === 'MatrixSelector' ? parent.range : 0;
      const [minT, maxT] = selectorTimeRange(node, path, start, end, q.lookbackDelta, range);
      const forRange = range > 0;
      jobs.push(
        this.select(queryable, node.matchers, minT, maxT, signal, userSignal).then((series) => {
          totalSeries += series.length;
          if (this.opts.maxSeries > 0 && totalSeries > this.opts.maxSeries) {
            throw new EvaluationError(
              `query would select more than ${this.opts.maxSeries} series; narrow the selectors or the time range`,
              'too_many_samples',
            );
          }
          q.data.set(node, forRange ? series.map(dropStaleMarkers) : series);
        }),
      );
      return true;
    });
    await Promise.all(jobs);
  }

  private async acquire(signal: AbortSignal | undefined): Promise<void> {
    if (this.running < this.opts.maxConcurrent) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(go);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new QueryError('canceled', 'query was canceled in queue'));
      };
      const go = () => {
        signal?.removeEventListener('abort', onAbort);
        this.running++;
        resolve();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(go);
    });
  }

  private release(): void {
    this.running--;
    const next = this.waiting.shift();
    if (next) next();
  }
}

/** [minT, maxT] of the samples a selector needs (Prometheus's getTimeRangesForSelector). */
export function selectorTimeRange(
  n: VectorSelector,
  path: readonly Expr[],
  queryStart: number,
  queryEnd: number,
  lookback: number,
  evalRange: number,
): [number, number] {
  let start = queryStart;
  let end = queryEnd;
  const sq = subqueryTimes(path);
  if (sq.ts !== undefined) {
    start = sq.ts;
    end = sq.ts;
  }
  if (n.timestamp !== undefined) {
    start = n.timestamp;
    end = n.timestamp;
  } else {
    start = start - sq.offset - sq.range;
    end -= sq.offset;
  }
  if (evalRange === 0) {
    start -= lookback - 1;
    if (n.smoothed) end += lookback;
  } else if (n.anchored) {
    start -= lookback + evalRange - 1;
  } else if (n.smoothed) {
    start -= lookback + evalRange - 1;
    end += lookback;
  } else {
    start -= evalRange - 1;
  }
  start -= n.offset;
  end -= n.offset;
  return [start, end];
}

/** Range selectors never see staleness markers; copies only when there are any. */
function dropStaleMarkers(s: Series): Series {
  let stale = 0;
  for (let i = 0; i < s.n; i++) if (isStaleNaN(s.fs[i])) stale++;
  if (stale === 0) return s;
  const ts = new Float64Array(s.n - stale);
  const fs = new Float64Array(s.n - stale);
  let k = 0;
  for (let i = 0; i < s.n; i++) {
    if (isStaleNaN(s.fs[i])) continue;
    ts[k] = s.ts[i];
    fs[k] = s.fs[i];
    k++;
  }
  return { ...s, ts, fs, n: k };
}

/** With delayed name removal: drop names now, then merge series that became identical. */
function cleanupMetricLabels(mat: Matrix): Matrix {
  for (const s of mat) if (s.dropName) s.metric = dropMetricName(s.metric);
  return mergeSeriesWithSameLabelset(mat);
}

function toQueryValue(
  val: Matrix | { kind: 'string'; value: string },
  type: string,
  start: number,
  step: number,
): QueryValue {
  if (!Array.isArray(val)) return { type: 'string', t: start, v: val.value };
  if (step === 0) {
    if (type === 'vector') {
      return { type: 'vector', samples: val.map((s) => ({ metric: s.metric, t: start, v: s.fs[0] })) };
    }
    if (type === 'scalar') return { type: 'scalar', t: start, v: val[0]?.fs[0] ?? Number.NaN };
  }
  sortMatrix(val);
  return {
    type: 'matrix',
    series: val.map((s) => ({
      metric: s.metric,
      timestamps: s.ts.length === s.n ? s.ts : s.ts.slice(0, s.n),
      values: s.fs.length === s.n ? s.fs : s.fs.slice(0, s.n),
    })),
  };
}

/** Re-exported for callers that only import the engine. */
export type { QueryErrorType };
