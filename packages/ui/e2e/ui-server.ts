/**
 * The server the browser tests talk to. When the Vigil under test already serves the dashboards
 * API and live mode (main.ts wires registerDashboards and registerLive), that is Vigil itself.
 * Until then, a front server made of the same real parts serves the UI, the dashboards API (on a
 * temp folder) and live mode (the real engine over the Vigil's storage), and forwards everything
 * else — HTTP and WebSockets — to the Vigil.
 */

import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import WebSocket from 'ws';
import { createHttpServer } from '../../server/src/api/server.ts';
import { registerDashboards } from '../../server/src/api/vigil/dashboards.ts';
import { registerLive } from '../../server/src/api/vigil/live.ts';
import { registerUi } from '../../server/src/api/vigil/ui.ts';
import { Engine } from '../../server/src/promql/index.ts';
import type { TestVigil } from '../../server/src/testutil/vigil.ts';

export interface UiServer {
  readonly url: string;
  /** True when the Vigil itself serves everything (no front server). */
  readonly direct: boolean;
  close(): Promise<void>;
}

/** Where the UI for `vigil` is served; `dashboardsDir` backs the dashboards API of a front server. */
export async function startUiServer(vigil: TestVigil, dashboardsDir: string): Promise<UiServer> {
  const probe = await fetch(`${vigil.url}/api/vigil/v1/dashboards`);
  await probe.arrayBuffer();
  if (probe.status === 200) return { url: vigil.url, direct: true, close: async () => {} };

  const app: FastifyInstance = createHttpServer({
    logger: pino({ level: 'silent' }),
    bearerTokens: undefined,
    maxBodyBytes: 32 << 20,
  });
  registerUi(app);
  registerDashboards(app, { dir: dashboardsDir });
  const engine = new Engine();
  registerLive(app, {
    rangeQuery: (q, start, end, step, o) => engine.rangeQuery(vigil.storage, q, start, end, step, o),
  });
  app.register(async (scope) => {
    // Bodies pass through untouched.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.route({
      method: ['GET', 'POST', 'PUT', 'DELETE'],
      url: '/*',
      handler: async (request, reply) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(request.headers)) {
          if (typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k)) headers[k] = v;
        }
        const res = await fetch(vigil.url + request.url, {
          method: request.method,
          headers,
          body: request.method === 'GET' ? undefined : (request.body as Buffer | undefined),
        });
        reply.status(res.status);
        const type = res.headers.get('content-type');
        if (type) reply.type(type);
        return Buffer.from(await res.arrayBuffer());
      },
      // WebSockets (the Loki tail) are relayed message by message.
      wsHandler: (socket, request) => {
        const upstream = new WebSocket(vigil.url.replace(/^http/, 'ws') + request.url);
        const pending: string[] = [];
        upstream.on('open', () => {
          for (const m of pending.splice(0)) upstream.send(m);
        });
        upstream.on('message', (d) => socket.send(String(d)));
        // Codes 1005/1006/1015 describe a closure but cannot be sent in a close frame.
        upstream.on('close', (code, reason) =>
          socket.close([1005, 1006, 1015].includes(code) ? 1000 : code, reason),
        );
        upstream.on('error', () => socket.close(1011));
        socket.on('message', (d) => {
          if (upstream.readyState === WebSocket.OPEN) upstream.send(String(d));
          else pending.push(String(d));
        });
        socket.on('close', () => upstream.close());
      },
    });
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, direct: false, close: () => app.close() };
}
