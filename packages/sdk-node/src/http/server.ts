/**
 * What every server framework adapter shares: for each request, a server span continued from the
 * caller's `traceparent`, a request id, RED metrics (`http_server_requests_total`,
 * `http_server_request_duration_seconds` by method, route template and status class), an access
 * log line and SLO events. Adapters only know how to find the route and when the response ends.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { Logger } from 'pino';
import { withRequestId } from '../context.ts';
import { reportError } from '../errors.ts';
import type { Counter } from '../metrics/counter.ts';
import type { Gauge } from '../metrics/gauge.ts';
import type { Histogram } from '../metrics/histogram.ts';
import type { Registry } from '../metrics/registry.ts';
import { recordError } from '../tracing/spans.ts';
import { requestIdFrom } from './request-id.ts';

/** The OpenTelemetry semantic conventions' buckets for HTTP durations, in seconds. */
export const HTTP_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'QUERY',
]);

/** The method as a label: known methods as they are, anything else `_OTHER` (semantic conventions). */
export function methodLabel(method: string | undefined): string {
  const m = method ?? 'GET';
  return KNOWN_METHODS.has(m) ? m : '_OTHER';
}

const STATUS_CLASSES = ['1xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

/** `2xx`, `4xx`, …; `0xx` when there was no response status. */
export function statusClass(status: number): string {
  return STATUS_CLASSES[Math.floor(status / 100)] ?? '0xx';
}

/** Receives every finished request (the SLO helper uses it). */
export type RequestListener = (request: FinishedRequest) => void;

/** A finished request as listeners see it. */
export interface FinishedRequest {
  readonly method: string;
  readonly route: string;
  readonly status: number;
  readonly seconds: number;
}

/** Options of the HTTP middleware. */
export interface HttpServerOptions {
  /** Header carrying the request id in and out (default `x-request-id`). */
  requestIdHeader?: string;
  /** Paths whose requests are not access-logged (default the health and metrics endpoints). */
  quietPaths?: readonly string[];
  /** Log every request (default true); the level follows the status (5xx error, 4xx warn). */
  accessLog?: boolean;
}

const DEFAULT_QUIET = ['/metrics', '/livez', '/readyz', '/startupz', '/healthz', '/health'];

/** What an adapter gets back when a request starts. */
export interface RequestScope {
  /** Run the rest of the request's handling in this context. */
  readonly context: Context;
  readonly span: Span;
  readonly requestId: string;
  /** Call once the response is complete (or the connection closed), with the route if known. */
  finish(status: number, route: string | undefined, error?: unknown): void;
  /** Records an error on the span (when the framework reports one). */
  error(err: unknown): void;
}

/** The shared part of the server middleware. */
export class HttpServerInstrumentation {
  private readonly requests: Counter<'method' | 'route' | 'status_class'>;
  private readonly duration: Histogram<'method' | 'route' | 'status_class'>;
  private readonly active: Gauge<'method'>;
  private readonly requestIdHeader: string;
  private readonly quiet: Set<string>;
  private readonly accessLog: boolean;
  private readonly listeners: RequestListener[] = [];

  constructor(
    private readonly tracer: Tracer,
    private readonly log: Logger,
    registry: Registry,
    options: HttpServerOptions = {},
  ) {
    const labelNames = ['method', 'route', 'status_class'] as const;
    this.requests = registry.counter({
      name: 'http_server_requests_total',
      help: 'HTTP requests served, by method, route template and status class.',
      labelNames,
    });
    this.duration = registry.histogram({
      name: 'http_server_request_duration_seconds',
      help: 'Time to serve HTTP requests, by method, route template and status class.',
      labelNames,
      buckets: HTTP_DURATION_BUCKETS,
      unit: 'seconds',
    });
    this.active = registry.gauge({
      name: 'http_server_active_requests',
      help: 'HTTP requests being served now.',
      labelNames: ['method'],
    });
    this.requestIdHeader = (options.requestIdHeader ?? 'x-request-id').toLowerCase();
    this.quiet = new Set(options.quietPaths ?? DEFAULT_QUIET);
    this.accessLog = options.accessLog ?? true;
  }

  /** Adds a listener for finished requests. */
  onRequest(listener: RequestListener): void {
    this.listeners.push(listener);
  }

  /**
   * Starts instrumenting a request: extracts the caller's trace context, starts the server span,
   * settles the request id and sets its response header.
   */
  start(req: IncomingMessage, res: ServerResponse): RequestScope {
    const startedAt = process.hrtime.bigint();
    const method = methodLabel(req.method);
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const host = req.headers.host ?? '';
    const colon = host.lastIndexOf(':');
    const attributes: Record<string, string | number> = {
      'http.request.method': method,
      'url.path': path,
      'url.scheme': (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
      'network.protocol.version': req.httpVersion,
    };
    if (method === '_OTHER' && req.method) attributes['http.request.method_original'] = req.method;
    if (q !== -1) attributes['url.query'] = rawUrl.slice(q + 1);
    if (host) {
      attributes['server.address'] = colon > 0 && !host.endsWith(']') ? host.slice(0, colon) : host;
      if (colon > 0 && !host.endsWith(']')) attributes['server.port'] = Number(host.slice(colon + 1));
    }
    const ua = req.headers['user-agent'];
    if (ua) attributes['user_agent.original'] = ua;
    if (req.socket.remoteAddress) attributes['client.address'] = req.socket.remoteAddress;
    const span = this.tracer.startSpan(method, { kind: SpanKind.SERVER, attributes }, parent);
    const requestId = requestIdFrom(req.headers[this.requestIdHeader]);
    const ctx = withRequestId(trace.setSpan(parent, span), requestId);
    if (!res.headersSent) res.setHeader(this.requestIdHeader, requestId);
    this.active.inc({ method });

    let finished = false;
    return {
      context: ctx,
      span,
      requestId,
      error: (err) => recordError(span, err),
      finish: (status, route, error) => {
        if (finished) return;
        finished = true;
        try {
          this.finish(req, span, ctx, { method, path, route, status, error, startedAt, requestId });
        } catch (err) {
          reportError(err, 'finishing HTTP request instrumentation');
        }
      },
    };
  }

  private finish(
    req: IncomingMessage,
    span: Span,
    ctx: Context,
    r: {
      method: string;
      path: string;
      route: string | undefined;
      status: number;
      error: unknown;
      startedAt: bigint;
      requestId: string;
    },
  ): void {
    const seconds = Number(process.hrtime.bigint() - r.startedAt) / 1e9;
    const route = r.route ?? '';
    const labels = { method: r.method, route, status_class: statusClass(r.status) };
    this.active.dec({ method: r.method });
    this.requests.inc(labels);
    // Inside the request's context, so the histogram's exemplar is this request's trace.
    context.with(ctx, () => this.duration.observe(labels, seconds));

    if (route) {
      span.setAttribute('http.route', route);
      span.updateName(`${r.method} ${route}`);
    }
    if (r.status > 0) span.setAttribute('http.response.status_code', r.status);
    if (r.error !== undefined) recordError(span, r.error);
    else if (r.status >= 500 || r.status === 0) {
      // Server spans: only 5xx (or no response at all) are errors; 4xx are the client's.
      span.setAttribute('error.type', r.status === 0 ? 'aborted' : String(r.status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();

    if (this.accessLog && !this.quiet.has(r.path)) {
      const level = r.status >= 500 || r.status === 0 ? 'error' : r.status >= 400 ? 'warn' : 'info';
      context.with(ctx, () =>
        this.log[level](
          {
            req: { method: req.method, path: r.path, route: route || undefined },
            res: { statusCode: r.status },
            duration_ms: Math.round(seconds * 1e6) / 1e3,
          },
          'request completed',
        ),
      );
    }
    for (const listener of this.listeners) listener({ method: r.method, route, status: r.status, seconds });
  }
}
