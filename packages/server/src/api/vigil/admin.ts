import type { FastifyInstance } from 'fastify';

export interface AdminActions {
  /** Moves all in-memory metrics into long-term storage (for backups and benchmarks). */
  compactHead(): Promise<void>;
}

/**
 * Vigil's maintenance endpoints. `POST /api/vigil/v1/admin/compact` persists the in-memory head
 * into long-term storage, like Prometheus's snapshot with the head included; afterwards samples
 * older than the newest one are refused, so this is not for routine use.
 */
export function registerAdminEndpoints(app: FastifyInstance, actions: AdminActions): void {
  app.post('/api/vigil/v1/admin/compact', async (_request, reply) => {
    const started = Date.now();
    await actions.compactHead();
    reply.type('application/json');
    return { status: 'success', data: { seconds: (Date.now() - started) / 1000 } };
  });
}

/**
 * `POST /-/reload` (and PUT), as Prometheus's lifecycle endpoint: re-reads the config file. Answers
 * 200 when applied, 500 with the reason when the new config is invalid (the old one keeps running).
 */
export function registerLifecycle(app: FastifyInstance, reload: () => Promise<void>): void {
  const handler = async (_request: unknown, reply: import('fastify').FastifyReply) => {
    try {
      await reload();
    } catch (err) {
      reply.status(500).type('text/plain; charset=utf-8');
      return `failed to reload config: ${(err as Error).message}\n`;
    }
    reply.type('text/plain; charset=utf-8');
    return 'config reloaded\n';
  };
  app.post('/-/reload', handler);
  app.put('/-/reload', handler);
}
