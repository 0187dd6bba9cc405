/**
 * The LogQL engine over the logs seam.
 *
 * Log queries scan matching streams in the asked direction, run the pipeline on each line and
 * stop at the limit. Metric queries compute each range aggregation from the logs (range.ts) and
 * hand the rest of the expression to the PromQL engine (to-promql.ts), which owns steps,
 * aggregation, binary operation and result semantics for both languages.
 *
 * Every problem is thrown as LogQLParseError (bad query) or LogQLQueryError (limits, timeouts,
 * pipeline errors in metric queries).
 */
import { type Label, type Labels, labelsKey } from '../model/labels.ts';
import { severityLevel } from '../model/log.ts';
import { type Matcher, newMatcher } from '../model/matcher.ts';
import type { SeriesSamples } from '../model/sample.ts';
import { Engine as PromQLEngine, QueryError, type QueryValue } from '../promql/index.ts';
import type { LogRow, LogSelect, LogStore } from '../storage/logs/interface.ts';
import {
  type Expr,
  isMetricExpr,
  type LogSelectorExpr,
  type MetricExpr,
  type RangeAggregationExpr,
  rangeAggregations,
} from './ast.ts';
import { LogQLQueryError } from './errors.ts';
import { parseLogQL } from './parser.ts';
import {
  type CategorizedLabels,
  ERR_SAMPLE_EXTRACTION,
  ERROR_LABEL,
  LabelsBuilder,
} from './pipeline/labels.ts';
import {
  type CompiledPipeline,
  compilePipeline,
  type LineState,
  labelFilter,
  parseStrictFloat,
} from './pipeline/pipeline.ts';
import { evaluateRun, reducerFor, type SampleRun } from './range.ts';
import { RANGE_PLACEHOLDER_LABEL, toPromQL } from './to-promql.ts';
import { parseBytes, parseGoDuration } from './units.ts';

export interface LogQLLimits {
  /** Most lines a log query may return (Loki's max_entries_limit_per_query). */
  readonly maxEntriesPerQuery: number;
  /** Most lines a query may read from storage; 0 = no limit. */
  readonly maxQueryLines: number;
  /** Most bytes of log lines a query may read from storage; 0 = no limit. */
  readonly maxQueryBytes: number;
  /** Most series a metric query may return (Loki's max_query_series). */
  readonly maxQuerySeries: number;
  /** Longest a query may run (ms). */
  readonly timeoutMs: number;
}

export const DEFAULT_LOGQL_LIMITS: LogQLLimits = {
  maxEntriesPerQuery: 5000,
  maxQueryLines: 0,
  maxQueryBytes: 0,
  maxQuerySeries: 500,
  timeoutMs: 120_000,
};

export type LimitKind = 'entries' | 'lines' | 'bytes' | 'series' | 'time';

export interface LogQLEngineOptions {
  readonly limits?: Partial<LogQLLimits>;
  /** Called when a query hits a limit (for self-metrics). */
  readonly onLimit?: (kind: LimitKind) => void;
}

export interface QueryStats {
  linesScanned: number;
  bytesScanned: number;
  entriesReturned: number;
  execSeconds: number;
}

/** One result line of a log query. */
export interface ResultEntry {
  readonly timestampNs: bigint;
  readonly line: string;
  /** Every label of the line (stream, structured metadata, parsed), Loki's plain encoding. */
  readonly labels: Labels;
  /** The same split by origin, for the categorize-labels encoding. */
  readonly categorized: CategorizedLabels;
}

export interface LogQueryParams {
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly direction: 'forward' | 'backward';
  readonly limit: number;
  readonly signal?: AbortSignal;
}

export interface MetricQueryParams {
  /** Evaluation times (ms): start..end by step; an instant query has start = end and step 0. */
  readonly startMs: number;
  readonly endMs: number;
  readonly stepMs: number;
  readonly signal?: AbortSignal;
}

export type QueryOutcome =
  | { readonly type: 'streams'; readonly entries: ResultEntry[]; readonly stats: QueryStats }
  | { readonly type: 'metric'; readonly value: QueryValue; readonly stats: QueryStats };

/** Labels every record shows as structured metadata besides its stored ones. */
export function derivedMetadata(row: LogRow): Labels {
  const extra: Label[] = [];
  if (row.severityNumber > 0 && !row.metadata.some((l) => l.name === 'detected_level')) {
    extra.push({ name: 'detected_level', value: severityLevel(row.severityNumber) });
  }
  if (row.spanId) extra.push({ name: 'span_id', value: row.spanId });
  if (row.traceId) extra.push({ name: 'trace_id', value: row.traceId });
  if (extra.length === 0) return row.metadata;
  return [...row.metadata, ...extra].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Runs LogQL over a LogStore; safe to share between concurrent queries. */
export class LogQLEngine {
  readonly limits: LogQLLimits;
  private readonly promql: PromQLEngine;

  constructor(
    private readonly store: LogStore,
    private readonly options: LogQLEngineOptions = {},
  ) {
    this.limits = { ...DEFAULT_LOGQL_LIMITS, ...options.limits };
    this.promql = new PromQLEngine({ timeout: this.limits.timeoutMs, maxConcurrent: 64 });
  }

  /** Parses (throws LogQLParseError) and runs a query of either kind. */
  async query(
    text: string,
    params: LogQueryParams & { readonly stepMs: number; readonly instant: boolean },
  ): Promise<QueryOutcome> {
    const expr = parseLogQL(text);
    return this.run(expr, params);
  }

  async run(
    expr: Expr,
    params: LogQueryParams & { readonly stepMs: number; readonly instant: boolean },
  ): Promise<QueryOutcome> {
    const started = performance.now();
    const timeout = AbortSignal.timeout(this.limits.timeoutMs);
    const signal = params.signal ? AbortSignal.any([timeout, params.signal]) : timeout;
    const stats: QueryStats = { linesScanned: 0, bytesScanned: 0, entriesReturned: 0, execSeconds: 0 };
    try {
      if (!isMetricExpr(expr)) {
        const entries = await this.logQuery(expr, { ...params, signal }, stats);
        stats.entriesReturned = entries.length;
        stats.execSeconds = (performance.now() - started) / 1000;
        return { type: 'streams', entries, stats };
      }
      const endMs = Number(params.endNs / 1_000_000n);
      const startMs = params.instant ? endMs : Number(params.startNs / 1_000_000n);
      const value = await this.metricQuery(
        expr,
        { startMs, endMs, stepMs: params.instant ? 0 : params.stepMs, signal },
        stats,
      );
      stats.execSeconds = (performance.now() - started) / 1000;
      return { type: 'metric', value, stats };
    } catch (err) {
      if (timeout.aborted) {
        this.options.onLimit?.('time');
        throw new LogQLQueryError(
          `query timed out after ${this.limits.timeoutMs / 1000}s (limits: query_timeout); narrow the time range or the stream selector`,
          504,
          'timeout',
        );
      }
      if (params.signal?.aborted) throw new LogQLQueryError('query was canceled', 499, 'canceled');
      throw err;
    }
  }

  /** Log query: entries in `direction` order, at most `limit`. */
  async logQuery(expr: LogSelectorExpr, params: LogQueryParams, stats: QueryStats): Promise<ResultEntry[]> {
    const limit = Math.max(0, params.limit);
    if (limit > this.limits.maxEntriesPerQuery) {
      this.options.onLimit?.('entries');
      throw new LogQLQueryError(
        `max entries limit per query exceeded, limit > max_entries_limit (${limit} > ${this.limits.maxEntriesPerQuery})`,
      );
    }
    const pipeline = compilePipeline(expr.pipeline, { pushdown: true });
    const out: ResultEntry[] = [];
    if (limit === 0) return out;
    const lbs = new LabelsBuilder();
    const scan = this.scan(
      {
        matchers: expr.matchers,
        startNs: params.startNs,
        endNs: params.endNs,
        direction: params.direction,
        lineFilters: pipeline.pushdown,
        signal: params.signal,
      },
      stats,
    );
    for await (const batch of scan) {
      for (const row of batch) {
        const state = runPipeline(pipeline, row, lbs);
        if (!state) continue;
        out.push({
          timestampNs: row.timestampNs,
          line: state.line,
          labels: lbs.labels(),
          categorized: lbs.categorized(),
        });
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  /** Reads from storage, counting and limiting what is read. */
  private async *scan(query: LogSelect, stats: QueryStats): AsyncIterable<readonly LogRow[]> {
    const { maxQueryLines, maxQueryBytes } = this.limits;
    for await (const batch of this.store.select(query)) {
      stats.linesScanned += batch.length;
      for (const r of batch) stats.bytesScanned += r.bodyBytes;
      if (maxQueryLines > 0 && stats.linesScanned > maxQueryLines) {
        this.options.onLimit?.('lines');
        throw new LogQLQueryError(
          `the query would read more than ${maxQueryLines} lines (limits: max_query_lines); use a more specific stream selector or line filter, or a shorter time range`,
        );
      }
      if (maxQueryBytes > 0 && stats.bytesScanned > maxQueryBytes) {
        this.options.onLimit?.('bytes');
        throw new LogQLQueryError(
          `the query would read too many bytes (more than ${maxQueryBytes}, limits: max_query_bytes_read); use a more specific stream selector or line filter, or a shorter time range`,
        );
      }
      yield batch;
    }
  }

  /** Metric query through the PromQL engine, with range aggregations computed here. */
  async metricQuery(expr: MetricExpr, params: MetricQueryParams, stats: QueryStats): Promise<QueryValue> {
    const { startMs, endMs, stepMs } = params;
    const steps: number[] = [];
    if (stepMs > 0) {
      const n = Math.floor((endMs - startMs) / stepMs) + 1;
      if (n > 11_000) {
        throw new LogQLQueryError(
          'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
        );
      }
      for (let t = startMs; t <= endMs; t += stepMs) steps.push(t);
    } else steps.push(endMs);

    const ranges = rangeAggregations(expr);
    const hints = groupingHints(expr);
    const computed: SeriesSamples[][] = [];
    for (const r of ranges)
      computed.push(await this.rangeSeries(r, steps, hints.get(r), params.signal, stats));

    const queryable = {
      async select(matchers: readonly Matcher[]): Promise<SeriesSamples[]> {
        const m = matchers.find((x) => x.name === RANGE_PLACEHOLDER_LABEL);
        return m ? (computed[Number(m.value)] ?? []) : [];
      },
    };
    const text = toPromQL(expr);
    let value: QueryValue;
    try {
      const options = { lookbackDelta: 1, signal: params.signal, timeout: this.limits.timeoutMs };
      const result =
        stepMs > 0
          ? await this.promql.rangeQuery(queryable, text, startMs, endMs, stepMs, options)
          : await this.promql.instantQuery(queryable, text, endMs, options);
      value = result.result;
    } catch (err) {
      if (err instanceof QueryError) {
        if (err.type === 'timeout' || err.type === 'canceled') throw err;
        throw new LogQLQueryError(err.message, err.type === 'internal' ? 500 : 400);
      }
      throw err;
    }
    const seriesCount =
      value.type === 'matrix' ? value.series.length : value.type === 'vector' ? value.samples.length : 0;
    if (seriesCount > this.limits.maxQuerySeries) {
      this.options.onLimit?.('series');
      throw new LogQLQueryError(
        `maximum number of series (${this.limits.maxQuerySeries}) reached for a single query; consider reducing query cardinality by adding more specific stream selectors, reducing the time range, or aggregating results with functions like sum(), count() or topk()`,
      );
    }
    return value;
  }

  /** The series of one range aggregation, with a point at each step whose window has samples. */
  private async rangeSeries(
    r: RangeAggregationExpr,
    steps: readonly number[],
    hint: GroupingHint | undefined,
    signal: AbortSignal | undefined,
    stats: QueryStats,
  ): Promise<SeriesSamples[]> {
    const rangeNs = r.range.rangeMs * 1e6;
    const offsetNs = BigInt(Math.round(r.range.offsetMs * 1e6));
    const firstEnd = BigInt(steps[0]) * 1_000_000n - offsetNs;
    const lastEnd = BigInt(steps[steps.length - 1]) * 1_000_000n - offsetNs;
    const base = firstEnd - BigInt(Math.round(rangeNs));
    const relSteps = new Float64Array(steps.length);
    for (let i = 0; i < steps.length; i++)
      relSteps[i] = Number(BigInt(steps[i]) * 1_000_000n - offsetNs - base);

    const pipeline = compilePipeline(r.range.selector.pipeline, { pushdown: true });
    const unwrap = r.range.unwrap;
    const postFilters = unwrap?.postFilters.map(labelFilter) ?? [];
    const needsBody = pipeline.usesLine || r.op === 'bytes_over_time' || r.op === 'bytes_rate';
    const bytesOp = r.op === 'bytes_over_time' || r.op === 'bytes_rate';
    // Grouping: the aggregation's own (unwrap aggregations), or the enclosing sum's when it is
    // the same result; otherwise every label of the line except an unwrapped one.
    const grouping = r.grouping ?? hint;
    const dropUnwrapped = unwrap && !r.grouping ? unwrap.label : undefined;
    const needsMetadata =
      pipeline.usesLabels ||
      !grouping ||
      grouping.without ||
      (await this.groupingNeedsMetadata(r, grouping.labels));

    const runs = new Map<string, { labels: Labels; ts: number[]; vs: number[] }>();
    const byIdentity = new Map<Labels, { labels: Labels; ts: number[]; vs: number[] }>();
    const lbs = new LabelsBuilder();
    const groupedCache = new WeakMap<Labels, Labels>();
    const simple = pipeline.stages.length === 0 && !unwrap && !needsMetadata;

    if (simple && !unwrap && COUNT_OPS.has(r.op)) {
      const pushed = await this.bucketSeries(
        r,
        steps,
        relSteps,
        base,
        lastEnd,
        grouping,
        pipeline,
        signal,
        stats,
      );
      if (pushed) return pushed;
    }

    const scan = this.scan(
      {
        matchers: r.range.selector.matchers,
        startNs: base + 1n,
        endNs: lastEnd + 1n,
        direction: 'forward',
        lineFilters: pipeline.pushdown,
        body: needsBody ? 'full' : 'length',
        withoutMetadata: !needsMetadata,
        signal,
      },
      stats,
    );
    for await (const batch of scan) {
      for (const row of batch) {
        let value: number;
        let labels: Labels;
        if (simple) {
          value = bytesOp ? row.bodyBytes : 1;
          if (grouping) {
            let g = groupedCache.get(row.labels);
            if (!g) {
              lbs.reset(row.labels, []);
              g = lbs.grouped(grouping.labels, grouping.without);
              groupedCache.set(row.labels, g);
            }
            labels = g;
          } else labels = row.labels;
        } else {
          const state = runPipeline(pipeline, row, lbs);
          if (!state) continue;
          if (unwrap) {
            const raw = lbs.get(unwrap.label);
            if (raw === undefined || raw === '') continue;
            const v = convertUnwrapped(raw, unwrap.conversion);
            if (v === undefined) {
              lbs.setErr(
                ERR_SAMPLE_EXTRACTION,
                `cannot convert ${JSON.stringify(raw)} of label ${unwrap.label}`,
              );
              value = 0;
            } else value = v;
            if (!postFilters.every((f) => f(lbs))) continue;
          } else {
            value = bytesOp ? Buffer.byteLength(state.line) : 1;
          }
          if (grouping) labels = lbs.grouped(grouping.labels, grouping.without);
          else if (dropUnwrapped) labels = lbs.grouped([dropUnwrapped], true);
          else labels = lbs.labels();
          if (lbs.hasErr() && grouping && !grouping.without) {
            // Loki keeps the error label even when grouping drops others, so the query fails.
            labels = [...labels, { name: ERROR_LABEL, value: lbs.get(ERROR_LABEL)! }];
          }
        }
        let acc = byIdentity.get(labels);
        if (!acc) {
          const key = labelsKey(labels);
          acc = runs.get(key);
          if (!acc) {
            acc = { labels, ts: [], vs: [] };
            runs.set(key, acc);
            if (runs.size > Math.max(100_000, this.limits.maxQuerySeries * 10)) {
              this.options.onLimit?.('series');
              throw new LogQLQueryError(
                `maximum number of series (${this.limits.maxQuerySeries}) reached for a single query; consider reducing query cardinality by adding more specific stream selectors or aggregating with sum by (...)`,
              );
            }
          }
          if (byIdentity.size < 100_000) byIdentity.set(labels, acc);
        }
        acc.ts.push(Number(row.timestampNs - base));
        acc.vs.push(value);
      }
    }

    for (const acc of runs.values()) {
      const err = acc.labels.find((l) => l.name === ERROR_LABEL);
      if (err) throw pipelineError(err.value, acc.labels);
    }

    const reduce = reducerFor(r.op, rangeNs, unwrap !== undefined, r.param);
    if (r.op === 'absent_over_time') return absentSeries(r, runs.values(), relSteps, steps, rangeNs);
    const out: SeriesSamples[] = [];
    for (const acc of runs.values()) {
      const run: SampleRun = {
        ts: Float64Array.from(acc.ts),
        vs: Float64Array.from(acc.vs),
        n: acc.ts.length,
      };
      const ts: number[] = [];
      const vs: number[] = [];
      evaluateRun(run, relSteps, rangeNs, reduce, (s, v) => {
        ts.push(steps[s]);
        vs.push(v);
      });
      if (ts.length > 0)
        out.push({ labels: acc.labels, timestamps: Float64Array.from(ts), values: Float64Array.from(vs) });
    }
    return out;
  }

  /**
   * Count-like aggregations of unprocessed lines, counted where the data is: storage returns
   * lines and bytes per stream in buckets of gcd(step, range), and each window sums its buckets.
   * Undefined when the buckets would be too fine (then lines are read one by one).
   */
  private async bucketSeries(
    r: RangeAggregationExpr,
    steps: readonly number[],
    relSteps: Float64Array,
    base: bigint,
    lastEnd: bigint,
    grouping: GroupingHint | undefined,
    pipeline: CompiledPipeline,
    signal: AbortSignal | undefined,
    stats: QueryStats,
  ): Promise<SeriesSamples[] | undefined> {
    const rangeNs = BigInt(Math.round(r.range.rangeMs * 1e6));
    const stepNs = steps.length > 1 ? BigInt(steps[1] - steps[0]) * 1_000_000n : rangeNs;
    const width = gcd(stepNs, rangeNs);
    const nb = Number((lastEnd - base) / width) + 1;
    if (width < 1_000_000n || nb > 200_000) return undefined;
    const streams = await this.store.countBuckets({
      matchers: r.range.selector.matchers,
      startNs: base + 1n,
      endNs: lastEnd + 1n,
      originNs: base,
      bucketNs: width,
      lineFilters: pipeline.pushdown,
      signal,
    });
    const lbs = new LabelsBuilder();
    const series = new Map<string, { labels: Labels; counts: Float64Array; bytes: Float64Array }>();
    for (const st of streams) {
      let labels = st.labels;
      if (grouping) {
        lbs.reset(st.labels, []);
        labels = lbs.grouped(grouping.labels, grouping.without);
      }
      const key = labelsKey(labels);
      let acc = series.get(key);
      if (!acc) {
        acc = { labels, counts: new Float64Array(nb), bytes: new Float64Array(nb) };
        series.set(key, acc);
      }
      for (let i = 0; i < st.buckets.length; i++) {
        const b = st.buckets[i];
        if (b < 0 || b >= nb) continue;
        acc.counts[b] += st.counts[i];
        acc.bytes[b] += st.bytes[i];
        stats.linesScanned += st.counts[i];
        stats.bytesScanned += st.bytes[i];
      }
    }
    const seconds = r.range.rangeMs / 1000;
    const w = Number(width);
    const rangeN = Number(rangeNs);
    const out: SeriesSamples[] = [];
    for (const acc of series.values()) {
      const pc = prefix(acc.counts);
      const pb = prefix(acc.bytes);
      const ts: number[] = [];
      const vs: number[] = [];
      for (let k = 0; k < steps.length; k++) {
        const hi = Math.round(relSteps[k] / w);
        const lo = Math.round((relSteps[k] - rangeN) / w);
        const n = pc[hi] - pc[Math.max(0, lo)];
        if (n <= 0) continue;
        const bytes = pb[hi] - pb[Math.max(0, lo)];
        ts.push(steps[k]);
        vs.push(
          r.op === 'count_over_time'
            ? n
            : r.op === 'rate'
              ? n / seconds
              : r.op === 'bytes_over_time'
                ? bytes
                : bytes / seconds,
        );
      }
      if (ts.length > 0)
        out.push({ labels: acc.labels, timestamps: Float64Array.from(ts), values: Float64Array.from(vs) });
    }
    return out;
  }

  /** Whether grouping labels might come from structured metadata (none of the selected streams has them). */
  private async groupingNeedsMetadata(r: RangeAggregationExpr, names: readonly string[]): Promise<boolean> {
    const streamNames = new Set(
      await this.store.labelNames({ matchers: [r.range.selector.matchers], startNs: 0n, endNs: 1n << 62n }),
    );
    return names.some((n) => !streamNames.has(n));
  }
}

type GroupingHint = { readonly without: boolean; readonly labels: readonly string[] };

const COUNT_OPS = new Set(['count_over_time', 'rate', 'bytes_over_time', 'bytes_rate']);

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y > 0n) [x, y] = [y, x % y];
  return x;
}

/** Prefix sums: out[i] is the sum of a[0..i). */
function prefix(a: Float64Array): Float64Array {
  const out = new Float64Array(a.length + 1);
  for (let i = 0; i < a.length; i++) out[i + 1] = out[i] + a[i];
  return out;
}

/**
 * Range aggregations whose per-line labels may be reduced early: a count or byte aggregation
 * directly under `sum by/without`, where summing before or after grouping gives the same result
 * (Loki does the same). This keeps per-trace-id metadata from making one series per line.
 */
function groupingHints(e: MetricExpr): Map<RangeAggregationExpr, GroupingHint> {
  const out = new Map<RangeAggregationExpr, GroupingHint>();
  const additive = new Set(['count_over_time', 'rate', 'bytes_over_time', 'bytes_rate']);
  const walk = (n: MetricExpr) => {
    switch (n.kind) {
      case 'VectorAggregation':
        if (
          n.op === 'sum' &&
          n.grouping &&
          n.expr.kind === 'RangeAggregation' &&
          additive.has(n.expr.op) &&
          !n.expr.range.unwrap
        ) {
          out.set(n.expr, n.grouping);
        }
        walk(n.expr);
        return;
      case 'Binary':
        walk(n.lhs);
        walk(n.rhs);
        return;
      case 'LabelReplace':
        walk(n.expr);
        return;
      default:
        return;
    }
  };
  walk(e);
  return out;
}

function convertUnwrapped(raw: string, conversion: string | undefined): number | undefined {
  switch (conversion) {
    case 'bytes':
      return parseBytes(raw);
    case 'duration':
    case 'duration_seconds': {
      const ns = parseGoDuration(raw);
      return ns === undefined ? undefined : ns / 1e9;
    }
    default:
      return parseStrictFloat(raw);
  }
}

/** absent_over_time: 1 at steps whose window has no sample, labelled by the selector's equality matchers. */
function absentSeries(
  r: RangeAggregationExpr,
  runs: Iterable<{ ts: number[] }>,
  relSteps: Float64Array,
  steps: readonly number[],
  rangeNs: number,
): SeriesSamples[] {
  const all: number[] = [];
  for (const run of runs) all.push(...run.ts);
  all.sort((a, b) => a - b);
  const present = new Uint8Array(steps.length);
  const run: SampleRun = { ts: Float64Array.from(all), vs: new Float64Array(all.length), n: all.length };
  evaluateRun(
    run,
    relSteps,
    rangeNs,
    () => 1,
    (s) => {
      present[s] = 1;
    },
  );
  const ts: number[] = [];
  for (let s = 0; s < steps.length; s++) if (!present[s]) ts.push(steps[s]);
  if (ts.length === 0) return [];
  const labels: Label[] = [];
  const seen = new Set<string>();
  for (const m of r.range.selector.matchers) {
    if (m.type !== '=' || seen.has(m.name)) continue;
    seen.add(m.name);
    labels.push({ name: m.name, value: m.value });
  }
  labels.sort((a, b) => (a.name < b.name ? -1 : 1));
  return [{ labels, timestamps: Float64Array.from(ts), values: new Float64Array(ts.length).fill(1) }];
}

function pipelineError(errorType: string, labels: Labels): LogQLQueryError {
  const series = `{${labels.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(', ')}}`;
  return new LogQLQueryError(
    `pipeline error: '${errorType}' for series: '${series}'.\n` +
      `Use a label filter to intentionally skip this error. (e.g | __error__!="${errorType}").\n` +
      'To skip all potential errors you can match empty errors.(e.g __error__="")\n' +
      'The label filter can also be specified after unwrap. (e.g | unwrap latency | __error__="" )\n',
    400,
    'pipeline',
  );
}

/** Runs the pipeline on one stored row; undefined when a stage drops it. `lbs` holds its labels after. */
export function runPipeline(
  pipeline: CompiledPipeline,
  row: LogRow,
  lbs: LabelsBuilder,
): LineState | undefined {
  lbs.reset(row.labels, derivedMetadata(row));
  const state: LineState = { line: row.body, timestampNs: row.timestampNs, lbs };
  for (const stage of pipeline.stages) if (!stage(state)) return undefined;
  return state;
}

/** Builds the matchers of a `{name="value"}` selector, for callers outside LogQL (the tail API). */
export function equalityMatcher(name: string, value: string): Matcher {
  return newMatcher('=', name, value);
}
