/**
 * Runs the differential query set against both systems: every query as an instant query at a few
 * evaluation times, and (when it yields a vector or scalar) as a range query, comparing each pair
 * of answers. Shared by the test and usable from a script when chasing a mismatch.
 */
import { type Expr, exprType } from '../parser/ast.ts';
import { parseExpr } from '../parser/parser.ts';
import { compareQueryAnswers, type VectorOrder } from './compare.ts';
import type { DiffQuery } from './queries.ts';
import { type ApiAnswer, callApi } from './systems.ts';

/** Where each system answers queries. */
export interface Targets {
  readonly prometheusUrl: string;
  readonly vigilUrl: string;
}

/** When to evaluate: instant times and range query windows (all ms; times end in .700). */
export interface Schedule {
  readonly instantTimes: readonly number[];
  readonly range: { readonly start: number; readonly end: number; readonly steps: readonly number[] };
}

/** One comparison that disagreed. */
export interface Mismatch {
  readonly query: DiffQuery;
  /** The API parameters both were sent (query text aside). */
  readonly params: Readonly<Record<string, string>>;
  readonly endpoint: string;
  readonly difference: string;
  readonly prometheus: ApiAnswer;
  readonly vigil: ApiAnswer;
}

/** Counts of what was compared. */
export interface RunSummary {
  readonly comparisons: number;
  readonly instant: number;
  readonly range: number;
  /** Comparisons where Prometheus answered with data (not an error and not an empty result). */
  readonly withData: number;
  readonly errors: number;
  readonly mismatches: readonly Mismatch[];
}

/** The order Prometheus defines for an instant query's vector: by value after sort/sort_desc. */
export function vectorOrder(expr: Expr): VectorOrder {
  let e = expr;
  while (e.kind === 'ParenExpr') e = e.expr;
  if (e.kind === 'Call' && e.func === 'sort') return 'ascending';
  if (e.kind === 'Call' && e.func === 'sort_desc') return 'descending';
  return 'any';
}

function secondsParam(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** Runs `queries` against both systems, at most `concurrency` comparisons at a time. */
export async function runDifferential(
  targets: Targets,
  queries: readonly DiffQuery[],
  schedule: Schedule,
  concurrency = 4,
): Promise<RunSummary> {
  interface Job {
    readonly query: DiffQuery;
    readonly endpoint: string;
    readonly params: Record<string, string>;
    readonly order: VectorOrder;
  }
  const jobs: Job[] = [];
  queries.forEach((query, i) => {
    // A query Vigil cannot parse is still sent to both (they must agree that it is an error).
    let expr: Expr | undefined;
    try {
      expr = parseExpr(query.vigil);
    } catch {
      expr = undefined;
    }
    const order = expr ? vectorOrder(expr) : 'any';
    for (const t of schedule.instantTimes)
      jobs.push({ query, endpoint: '/api/v1/query', params: { time: secondsParam(t) }, order });
    const type = expr ? exprType(expr) : 'vector';
    if (type === 'vector' || type === 'scalar') {
      jobs.push({
        query,
        endpoint: '/api/v1/query_range',
        params: {
          start: secondsParam(schedule.range.start),
          end: secondsParam(schedule.range.end),
          step: String(schedule.range.steps[i % schedule.range.steps.length] / 1000),
        },
        order: 'any',
      });
    }
  });

  const mismatches: Mismatch[] = [];
  let withData = 0;
  let errors = 0;
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const [prometheus, vigil] = await Promise.all([
        callApi(targets.prometheusUrl, job.endpoint, {
          ...job.params,
          query: job.query.prometheus ?? job.query.vigil,
        }),
        callApi(targets.vigilUrl, job.endpoint, { ...job.params, query: job.query.vigil }),
      ]);
      const result = prometheus.body?.data?.result;
      if (prometheus.body?.status === 'error') errors++;
      else if (!Array.isArray(result) || result.length > 0) withData++;
      const difference = compareQueryAnswers(prometheus, vigil, job.order);
      if (difference)
        mismatches.push({
          query: job.query,
          params: job.params,
          endpoint: job.endpoint,
          difference,
          prometheus,
          vigil,
        });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return {
    comparisons: jobs.length,
    instant: jobs.filter((j) => j.endpoint === '/api/v1/query').length,
    range: jobs.filter((j) => j.endpoint === '/api/v1/query_range').length,
    withData,
    errors,
    mismatches,
  };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length - max} more characters)`;
}

/** A mismatch for people: the query, where it was asked, what differs, and both answers. */
export function describeMismatch(m: Mismatch, maxAnswerChars = 1500): string {
  const prom = m.query.prometheus ? `\n  (Prometheus was asked: ${m.query.prometheus})` : '';
  const params = Object.entries(m.params)
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return [
    `[${m.query.family}] ${m.query.vigil}${prom}`,
    `  ${m.endpoint}?${params}`,
    `  difference: ${m.difference}`,
    `  Prometheus (HTTP ${m.prometheus.status}): ${clip(JSON.stringify(m.prometheus.body), maxAnswerChars)}`,
    `  Vigil      (HTTP ${m.vigil.status}): ${clip(JSON.stringify(m.vigil.body), maxAnswerChars)}`,
  ].join('\n');
}
