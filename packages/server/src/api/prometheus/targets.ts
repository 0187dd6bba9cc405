import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TargetStatus } from '../../ingest/scrape/index.ts';
import { formatDuration } from '../../model/duration.ts';
import { getParam } from './params.ts';
import { requestParams } from './read.ts';

/** GET /api/v1/targets in Prometheus's shape, from the scrape manager's target list. */
export function registerPrometheusTargets(app: FastifyInstance, targets: () => TargetStatus[]): void {
  app.get('/api/v1/targets', async (request: FastifyRequest) => {
    const params = requestParams(request);
    const state = getParam(params, 'state') ?? 'any';
    const pool = getParam(params, 'scrapePool');
    const active = targets()
      .filter((t) => !pool || t.job === pool)
      .map((t) => ({
        discoveredLabels: {},
        labels: t.labels,
        scrapePool: t.job,
        scrapeUrl: t.url,
        globalUrl: t.url,
        lastError: t.lastError,
        lastScrape: t.lastScrape ? new Date(t.lastScrape).toISOString() : '0001-01-01T00:00:00Z',
        lastScrapeDuration: t.lastScrapeDuration,
        health: t.health,
        scrapeInterval: formatDuration(t.interval),
        scrapeTimeout: formatDuration(t.timeout),
      }));
    return {
      status: 'success',
      data: {
        activeTargets: state === 'dropped' ? [] : active,
        droppedTargets: [],
        droppedTargetCounts: Object.fromEntries(active.map((t) => [t.scrapePool, 0])),
      },
    };
  });
}
