/** node:http adapter: `http.createServer(obs.http.node(handler, { route }))`. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context } from '@opentelemetry/api';
import type { Endpoints } from './endpoints.ts';
import type { HttpServerInstrumentation } from './server.ts';

/** A node:http request handler. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Options of the node:http wrapper. */
export interface NodeHandlerOptions {
  /**
   * The route template of a request (`/orders/:id`), for span names and metric labels. Without
   * it, requests have no route (raw paths would make unbounded label values).
   */
  route?: (req: IncomingMessage) => string | undefined;
}

/**
 * Wraps a handler: the handler runs inside the request's span and context; the built-in
 * endpoints are answered before it. Exceptions and
 * rejections are recorded on the span and passed on unchanged, so the app behaves as before.
 */
export function wrapNodeHandler(
  http: HttpServerInstrumentation,
  handler: NodeHandler,
  options: NodeHandlerOptions = {},
  endpoints?: Endpoints,
): (req: IncomingMessage, res: ServerResponse) => unknown {
  const routeOf = options.route ?? (() => undefined);
  return function vigilHandler(req, res) {
    const scope = http.start(req, res);
    let route = () => routeOf(req);
    res.once('finish', () => scope.finish(res.statusCode, route()));
    res.once('close', () => scope.finish(res.writableFinished ? res.statusCode : 0, route()));
    return context.with(scope.context, () => {
      if (endpoints?.handle(req, res)) {
        const path = (req.url ?? '').split('?')[0];
        route = () => path;
        return undefined;
      }
      let result: unknown;
      try {
        result = handler(req, res);
      } catch (err) {
        scope.error(err);
        throw err;
      }
      if (result instanceof Promise) {
        return result.catch((err: unknown) => {
          scope.error(err);
          throw err;
        });
      }
      return result;
    });
  };
}
