import type { FastifyInstance } from 'fastify';
import type { SelfMetrics } from '../../self/metrics.ts';

/** Vigil's own endpoints: /metrics (self-metrics), /-/healthy and /-/ready as in Prometheus. */
export function registerSelfEndpoints(app: FastifyInstance, self: SelfMetrics, isReady: () => boolean): void {
  app.get('/metrics', async (_request, reply) => {
    reply.type('text/plain; version=0.0.4; charset=utf-8');
    return self.render();
  });
  app.get('/-/healthy', async (_request, reply) => {
    reply.type('text/plain; charset=utf-8');
    return 'Vigil is Healthy.\n';
  });
  app.get('/-/ready', async (_request, reply) => {
    if (!isReady()) {
      reply.status(503).type('text/plain; charset=utf-8');
      return 'Vigil is not ready.\n';
    }
    reply.type('text/plain; charset=utf-8');
    return 'Vigil is Ready.\n';
  });
}
