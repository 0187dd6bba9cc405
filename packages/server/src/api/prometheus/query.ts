import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type Engine,
  parseExpr,
  prettifyExpr,
  type Queryable,
  QueryError,
  type QueryErrorType,
} from '../../promql/index.ts';
import type { SelfMetrics } from '../../self/metrics.ts';
import { badRequest, HttpError, type PromErrorType } from '../http-error.ts';
import { queryDataJson, successJson } from './json.ts';
import { getParam, type Params, parseApiDuration, parseTime } from './params.ts';
import { translateAst } from './parse-query.ts';
import { requestParams } from './read.ts';

/** Prometheus caps a range query at 11,000 points per series. */
const MAX_POINTS = 11_000;

/**
 * The query endpoints of Prometheus's HTTP API: /api/v1/query, /api/v1/query_range,
 * /api/v1/format_query and /api/v1/parse_query, as GET or form POST, with Prometheus's JSON
 * (byte for byte, see json.ts), error types and status codes. A client that disconnects cancels
 * its query.
 */
export function registerPrometheusQuery(
  app: FastifyInstance,
  engine: Engine,
  queryable: Queryable,
  self: SelfMetrics,
): void {
  const duration = self.histogram('vigil_query_duration_seconds', 'PromQL query duration, by endpoint.', [
    'endpoint',
  ]);
  const failures = self.counter('vigil_query_errors_total', 'PromQL queries that failed, by error type.', [
    'type',
  ]);

  const instant = async (request: FastifyRequest, reply: FastifyReply) => {
    const params = requestParams(request);
    const query = requireQuery(params);
    const time = parseTime(getParam(params, 'time'), 'time', Date.now());
    const started = process.hrtime.bigint();
    try {
      const result = await engine.instantQuery(queryable, query, time, queryOptions(params, reply));
      sendJson(
        reply,
        successJson(queryDataJson(limitResult(result.result, params)), result.warnings, result.infos),
      );
    } catch (err) {
      throw toHttpError(err, failures);
    } finally {
      duration.labels('query').observeSince(started);
    }
  };
  app.get('/api/v1/query', instant);
  app.post('/api/v1/query', instant);

  const range = async (request: FastifyRequest, reply: FastifyReply) => {
    const params = requestParams(request);
    const query = requireQuery(params);
    const start = parseTime(getParam(params, 'start') ?? '', 'start', 0, { wrap: false });
    const end = parseTime(getParam(params, 'end') ?? '', 'end', 0, { wrap: false });
    if (end < start) throw badRequest('invalid parameter "end": end timestamp must not be before start time');
    const step = parseApiDuration(getParam(params, 'step') ?? '', 'step', { required: true }) ?? 0;
    if (step <= 0) {
      throw badRequest(
        'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer',
      );
    }
    if ((end - start) / step > MAX_POINTS) {
      throw badRequest(
        'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
      );
    }
    const started = process.hrtime.bigint();
    try {
      const result = await engine.rangeQuery(queryable, query, start, end, step, queryOptions(params, reply));
      sendJson(
        reply,
        successJson(queryDataJson(limitResult(result.result, params)), result.warnings, result.infos),
      );
    } catch (err) {
      throw toHttpError(err, failures);
    } finally {
      duration.labels('query_range').observeSince(started);
    }
  };
  app.get('/api/v1/query_range', range);
  app.post('/api/v1/query_range', range);

  const format = async (request: FastifyRequest) => {
    const query = requireQuery(requestParams(request));
    try {
      return { status: 'success', data: prettifyExpr(parseExpr(query)) };
    } catch (err) {
      throw badRequest((err as Error).message);
    }
  };
  app.get('/api/v1/format_query', format);
  app.post('/api/v1/format_query', format);

  const parse = async (request: FastifyRequest) => {
    const query = requireQuery(requestParams(request));
    try {
      return { status: 'success', data: translateAst(parseExpr(query)) };
    } catch (err) {
      throw badRequest((err as Error).message);
    }
  };
  app.get('/api/v1/parse_query', parse);
  app.post('/api/v1/parse_query', parse);
}

function requireQuery(params: Params): string {
  const q = getParam(params, 'query');
  if (q === undefined || q === '')
    throw badRequest(
      'invalid parameter "query": unknown position: parse error: no expression found in input',
    );
  return q;
}

/** Per-request options: `timeout` and `lookback_delta` parameters, and cancellation on disconnect. */
function queryOptions(params: Params, reply: FastifyReply) {
  const controller = new AbortController();
  // The response closing before it was written means the client gave up: stop working for it.
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return {
    signal: controller.signal,
    timeout: parseApiDuration(getParam(params, 'timeout'), 'timeout'),
    lookbackDelta: parseApiDuration(getParam(params, 'lookback_delta'), 'lookback_delta'),
  };
}

/** Prometheus 3's `limit` parameter: at most this many series in the result. */
function limitResult<T extends import('../../promql/index.ts').QueryValue>(value: T, params: Params): T {
  const raw = getParam(params, 'limit');
  if (raw === undefined || raw === '' || raw === '0') return value;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 0)
    throw badRequest(`invalid parameter "limit": cannot parse "${raw}" to a valid limit`);
  if (value.type === 'vector') return { ...value, samples: value.samples.slice(0, limit) };
  if (value.type === 'matrix') return { ...value, series: value.series.slice(0, limit) };
  return value;
}

function sendJson(reply: FastifyReply, body: string): void {
  reply.type('application/json').send(body);
}

const STATUS: Record<QueryErrorType, [number, PromErrorType]> = {
  bad_data: [400, 'bad_data'],
  execution: [422, 'execution'],
  too_many_samples: [422, 'execution'],
  timeout: [503, 'timeout'],
  canceled: [499, 'canceled'],
  internal: [500, 'internal'],
};

function toHttpError(err: unknown, failures: ReturnType<SelfMetrics['counter']>): unknown {
  if (!(err instanceof QueryError)) return err;
  failures.labels(err.type).inc();
  const [status, type] = STATUS[err.type];
  // Errors creating the query (parse and type errors) name the parameter, as Prometheus 3 does.
  const message = err.type === 'bad_data' ? `invalid parameter "query": ${err.message}` : err.message;
  return new QueryHttpError(status, message, type, err.warnings, err.infos);
}

/** A failed query keeps the warnings and infos gathered before the failure, as Prometheus does. */
export class QueryHttpError extends HttpError {
  constructor(
    status: number,
    message: string,
    errorType: PromErrorType,
    readonly warnings: readonly string[],
    readonly infos: readonly string[],
  ) {
    super(status, message, errorType);
  }
}
