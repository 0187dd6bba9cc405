import websocket from '@fastify/websocket';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { HttpError } from './http-error.ts';

export interface HttpServerOptions {
  readonly logger: Logger;
  /** Accepted bearer tokens; when undefined, requests are not authenticated. */
  readonly bearerTokens: readonly string[] | undefined;
  readonly maxBodyBytes: number;
}

/** Paths served without authentication even when auth is on (load balancer probes). */
const PUBLIC_PATHS = new Set(['/-/healthy', '/-/ready']);

/**
 * Builds the HTTP server with the cross-cutting parts every API shares: auth, body limits, and one
 * error handler. API modules register their routes on it.
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.maxBodyBytes,
    // Prometheus's API accepts `match[]` repeated; keep the default querystring parser (arrays on repeat).
    routerOptions: { ignoreTrailingSlash: true },
  });

  // WebSocket routes (Loki's live tail, the UI's live mode) share one registration: registering
  // the plugin in two scopes would make both answer the same upgrade requests.
  app.register(websocket, { options: { maxPayload: 1024 * 1024 } });

  // Prometheus's API takes every parameter as a form POST too; repeated keys become arrays.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(body as string)) {
      const prev = out[k];
      out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    done(null, out);
  });

  if (options.bearerTokens) {
    const tokens = new Set(options.bearerTokens);
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (PUBLIC_PATHS.has(request.url)) return;
      const header = request.headers.authorization ?? '';
      const m = /^Bearer\s+(.+)$/i.exec(header);
      if (!m || !tokens.has(m[1].trim())) {
        reply.header('www-authenticate', 'Bearer realm="vigil"');
        throw new HttpError(
          401,
          m ? 'the bearer token is not valid' : 'authentication required: send Authorization: Bearer <token>',
        );
      }
    });
  }

  app.setErrorHandler((error: unknown, request, reply) => {
    const { status, message, errorType } = toHttpError(error);
    if (status >= 500) request.log.error({ err: error, url: request.url }, 'request failed');
    // Prometheus-compatible paths answer errors in Prometheus's envelope.
    if (request.url.startsWith('/api/v1/') && !request.url.startsWith('/api/v1/write')) {
      const body: Record<string, unknown> = { status: 'error', errorType, error: message };
      // A failed query still reports the warnings and infos gathered before it failed.
      const { warnings, infos } = error as { warnings?: readonly string[]; infos?: readonly string[] };
      if (warnings?.length) body.warnings = warnings;
      if (infos?.length) body.infos = infos;
      return reply.status(status).send(body);
    }
    return reply.status(status).type('text/plain; charset=utf-8').send(`${message}\n`);
  });

  app.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .type('text/plain; charset=utf-8')
      .send(`no route for ${request.method} ${request.url}\n`);
  });

  return app;
}

function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const e = error as { statusCode?: number; message?: string; code?: string };
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    // Fastify's own errors: body too large, bad content type, malformed JSON.
    const message =
      e.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'request body is larger than the server accepts (server.max_body_bytes)'
        : (e.message ?? 'bad request');
    return new HttpError(e.statusCode, message);
  }
  return new HttpError(500, `internal error: ${e.message ?? String(error)}`);
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
