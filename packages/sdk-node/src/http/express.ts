/** Express adapter: `app.use(obs.http.express())`, and `obs.http.expressErrors()` after the routes. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context } from '@opentelemetry/api';
import type { Endpoints } from './endpoints.ts';
import type { HttpServerInstrumentation, RequestScope } from './server.ts';

/** The parts of Express's request this adapter reads (no dependency on Express's types). */
export interface ExpressLikeRequest extends IncomingMessage {
  route?: { path?: unknown };
  baseUrl?: string;
}

/** Express's `next`. */
export type NextFunction = (err?: unknown) => void;

const SCOPE = Symbol.for('vigil.node.http.scope');

/** The matched route template, including the prefixes of mounted routers (`/api/orders/:id`). */
export function expressRoute(req: ExpressLikeRequest): string | undefined {
  const path = req.route?.path;
  if (typeof path !== 'string') return undefined;
  return (req.baseUrl ?? '') + path;
}

/** The middleware; put it before the routes. It also answers the built-in endpoints. */
export function expressMiddleware(
  http: HttpServerInstrumentation,
  endpoints?: Endpoints,
): (req: ExpressLikeRequest, res: ServerResponse, next: NextFunction) => void {
  return function vigilExpress(req, res, next) {
    const scope = http.start(req, res);
    (res as unknown as Record<symbol, RequestScope>)[SCOPE] = scope;
    let route: () => string | undefined = () => expressRoute(req);
    res.once('finish', () => scope.finish(res.statusCode, route()));
    // 'close' without 'finish': the client went away before the response was complete.
    res.once('close', () => scope.finish(res.writableFinished ? res.statusCode : 0, route()));
    context.with(scope.context, () => {
      if (endpoints?.handle(req, res)) {
        const path = (req.url ?? '').split('?')[0];
        route = () => path;
        return;
      }
      next();
    });
  };
}

/**
 * An error-handling middleware that records the error (exception event, status) on the
 * request's span and passes it on unchanged; put it after the routes.
 */
export function expressErrorRecorder(): (
  err: unknown,
  req: ExpressLikeRequest,
  res: ServerResponse,
  next: NextFunction,
) => void {
  return function vigilExpressErrors(err, _req, res, next) {
    (res as unknown as Record<symbol, RequestScope | undefined>)[SCOPE]?.error(err);
    next(err);
  };
}
