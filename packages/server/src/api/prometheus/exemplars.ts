import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Matcher } from '../../model/matcher.ts';
import { inspect, parseExpr } from '../../promql/index.ts';
import type { MetricsStorage } from '../../storage/interface.ts';
import { badRequest } from '../http-error.ts';
import { formatSampleValue, formatTimestamp, labelsJson } from './json.ts';
import { getParam, MAX_TIME, MIN_TIME, parseTime } from './params.ts';
import { requestParams } from './read.ts';

/**
 * GET|POST /api/v1/query_exemplars, as Prometheus answers it: the exemplars in [start, end] of
 * every series matched by any selector in `query`, one entry per series.
 */
export function registerPrometheusExemplars(app: FastifyInstance, storage: MetricsStorage): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const params = requestParams(request);
    const start = parseTime(getParam(params, 'start'), 'start', MIN_TIME);
    const end = parseTime(getParam(params, 'end'), 'end', MAX_TIME);
    if (end < start) throw badRequest('end timestamp must not be before start timestamp');
    let selectors: Matcher[][];
    try {
      selectors = extractSelectors(getParam(params, 'query') ?? '');
    } catch (err) {
      throw badRequest(`invalid parameter "query": ${(err as Error).message}`);
    }
    // No selectors: Prometheus answers 204 with no body.
    if (selectors.length === 0) return reply.status(204).send();
    reply.type('application/json');
    const result = await storage.selectExemplars(selectors, start, end);
    const parts = result.map((s) => {
      const exemplars = s.exemplars.map(
        (e) =>
          `{"labels":${labelsJson(e.labels)},"value":"${formatSampleValue(e.value)}","timestamp":${formatTimestamp(e.timestamp)}}`,
      );
      return `{"seriesLabels":${labelsJson(s.labels)},"exemplars":[${exemplars.join(',')}]}`;
    });
    return `{"status":"success","data":[${parts.join(',')}]}`;
  };
  app.get('/api/v1/query_exemplars', handler);
  app.post('/api/v1/query_exemplars', handler);
}

/** The matchers of every vector selector in a query (Prometheus's parser.ExtractSelectors). */
function extractSelectors(query: string): Matcher[][] {
  const out: Matcher[][] = [];
  inspect(parseExpr(query), (node) => {
    if (node.kind === 'VectorSelector') out.push([...node.matchers]);
    return undefined;
  });
  return out;
}
