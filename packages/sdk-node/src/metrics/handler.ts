/** The /metrics endpoint: content negotiation, aggregation, and errors that never escape. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { reportError } from '../errors.ts';
import { type AggregationOptions, exposition } from './collect.ts';
import {
  negotiateOpenMetrics,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  type Registry,
} from './registry.ts';

/**
 * A request handler for node:http (and Express, whose req/res extend node's) that answers with
 * the registry's metrics, aggregated over worker threads and cluster workers: OpenMetrics when
 * the scraper asks for it (exemplars are only in that format), else the Prometheus text format.
 */
export function metricsHandler(
  registry: Registry,
  options: AggregationOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const openMetrics = negotiateOpenMetrics(req.headers.accept);
    exposition(registry, openMetrics, options).then(
      (body) => {
        res.statusCode = 200;
        res.setHeader('content-type', openMetrics ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE);
        res.end(body);
      },
      (err) => {
        reportError(err, 'rendering /metrics');
        res.statusCode = 500;
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.end(`collecting metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  };
}
