/**
 * The operational endpoints the middleware can answer itself, before the app's routes: /metrics
 * and the three health probes. Configurable paths; `false` turns one off.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Paths of the built-in endpoints; `false` disables one. */
export interface EndpointPaths {
  metrics?: string | false;
  live?: string | false;
  ready?: string | false;
  startup?: string | false;
}

/** Default paths (the Kubernetes probe names). */
export const DEFAULT_ENDPOINTS: Required<EndpointPaths> = {
  metrics: '/metrics',
  live: '/livez',
  ready: '/readyz',
  startup: '/startupz',
};

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Routes GET/HEAD requests for the endpoints; `handle()` returns false for everything else. */
export class Endpoints {
  private readonly routes = new Map<string, Handler>();

  constructor(
    paths: EndpointPaths | false,
    handlers: { metrics: Handler; live: Handler; ready: Handler; startup: Handler },
  ) {
    if (paths === false) return;
    const p = { ...DEFAULT_ENDPOINTS, ...paths };
    for (const key of ['metrics', 'live', 'ready', 'startup'] as const) {
      const path = p[key];
      if (path) this.routes.set(path, handlers[key]);
    }
  }

  /** The paths served, for logging and for the fastify plugin's routes. */
  paths(): [string, Handler][] {
    return [...this.routes];
  }

  /** Answers the request if it is for one of the endpoints. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.routes.size === 0 || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const handler = this.routes.get(q === -1 ? url : url.slice(0, q));
    if (handler === undefined) return false;
    handler(req, res);
    return true;
  }
}
