/**
 * Fastify adapter: `await app.register(obs.http.fastify)`. It is a plugin that applies to the
 * whole app (like those wrapped by fastify-plugin), using Fastify's hooks: onRequest starts the
 * span and runs the rest of the request in its context; onError records errors; onResponse ends.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context } from '@opentelemetry/api';
import type { Endpoints } from './endpoints.ts';
import type { HttpServerInstrumentation, RequestScope } from './server.ts';

/** The parts of Fastify's request and reply this adapter uses (no dependency on Fastify's types). */
interface FastifyRequestLike {
  raw: IncomingMessage;
  routeOptions?: { url?: string };
}
interface FastifyReplyLike {
  raw: ServerResponse;
  statusCode: number;
  hijack(): void;
}
type HookDone = (err?: Error) => void;
/** The part of a Fastify instance the plugin uses. */
export interface FastifyLike {
  addHook(
    name: 'onRequest' | 'onResponse',
    hook: (req: never, reply: never, done: HookDone) => void,
  ): unknown;
  addHook(name: 'onError', hook: (req: never, reply: never, error: Error, done: HookDone) => void): unknown;
  get(path: string, handler: (req: never, reply: never) => void): unknown;
}

const SCOPE = Symbol('vigil.scope');
const ERROR = Symbol('vigil.error');
type Instrumented = FastifyRequestLike & { [SCOPE]?: RequestScope; [ERROR]?: unknown };

/**
 * A Fastify plugin function (register it with `app.register`). The instance is typed `unknown`
 * so that any Fastify version's instance type is accepted without depending on Fastify.
 */
export type FastifyPlugin = ((instance: unknown, options: unknown, done: () => void) => void) & {
  [key: symbol]: unknown;
};

/** Builds the plugin; it also adds routes for the built-in endpoints. */
export function fastifyPlugin(http: HttpServerInstrumentation, endpoints?: Endpoints): FastifyPlugin {
  const register = (instance: unknown, _options: unknown, done: () => void) => {
    const fastify = instance as FastifyLike;
    fastify.addHook('onRequest', (request: Instrumented, reply: FastifyReplyLike, next: HookDone) => {
      const scope = http.start(request.raw, reply.raw);
      request[SCOPE] = scope;
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) scope.finish(0, request.routeOptions?.url);
      });
      // Hijacked replies skip onResponse; finish() is idempotent, and waiting a tick lets
      // onResponse (with any error from onError) come first for normal replies.
      reply.raw.once('finish', () =>
        setImmediate(() => scope.finish(reply.raw.statusCode, request.routeOptions?.url, request[ERROR])),
      );
      context.with(scope.context, next);
    });
    fastify.addHook(
      'onError',
      (request: Instrumented, _reply: FastifyReplyLike, error: Error, next: HookDone) => {
        request[ERROR] = error;
        next();
      },
    );
    fastify.addHook('onResponse', (request: Instrumented, reply: FastifyReplyLike, next: HookDone) => {
      request[SCOPE]?.finish(reply.statusCode, request.routeOptions?.url, request[ERROR]);
      next();
    });
    for (const [path, handler] of endpoints?.paths() ?? []) {
      fastify.get(path, (request: FastifyRequestLike, reply: FastifyReplyLike) => {
        // The handler writes the raw response itself.
        reply.hijack();
        handler(request.raw, reply.raw);
      });
    }
    done();
  };
  // What fastify-plugin sets: hooks apply to the whole app, not just an encapsulated child.
  return Object.assign(register, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: '@vigil/node',
  });
}
