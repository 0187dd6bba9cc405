/**
 * Outgoing HTTP: a fetch (Node's global fetch is undici's, and undici.fetch works too) that
 * records a client span, passes the trace context (`traceparent`, `tracestate`, `baggage`) and
 * the request id on, and records `http_client_request_duration_seconds`. The span covers the time
 * until the response headers arrive, as fetch resolves then.
 */
import { context, propagation, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { currentRequestId } from '../context.ts';
import type { Registry } from '../metrics/registry.ts';
import { recordError } from '../tracing/spans.ts';
import { HTTP_DURATION_BUCKETS, methodLabel, statusClass } from './server.ts';

/** fetch's signature. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Wraps `fetchImpl` (default: the global fetch). */
export function instrumentFetch(
  tracer: Tracer,
  registry: Registry,
  fetchImpl: FetchFunction = globalThis.fetch,
  options: { requestIdHeader?: string } = {},
): FetchFunction {
  const duration = registry.histogram({
    name: 'http_client_request_duration_seconds',
    help: 'Time until outgoing HTTP requests got their response headers, by method, server and status class.',
    labelNames: ['method', 'server_address', 'status_class'],
    buckets: HTTP_DURATION_BUCKETS,
    unit: 'seconds',
  });
  const requestIdHeader = options.requestIdHeader ?? 'x-request-id';

  return async function vigilFetch(input, init) {
    const startedAt = process.hrtime.bigint();
    const isRequest = typeof Request !== 'undefined' && input instanceof Request;
    const url = new URL(
      typeof input === 'string' ? input : isRequest ? (input as Request).url : (input as URL).href,
    );
    const method = methodLabel(
      (init?.method ?? (isRequest ? (input as Request).method : 'GET')).toUpperCase(),
    );
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    // Credentials never go into telemetry.
    const safeUrl = new URL(url.href);
    safeUrl.username = '';
    safeUrl.password = '';
    const span = tracer.startSpan(method, {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': method,
        'url.full': safeUrl.href,
        'server.address': url.hostname,
        'server.port': port,
      },
    });
    const ctx = trace.setSpan(context.active(), span);
    const headers = new Headers(init?.headers ?? (isRequest ? (input as Request).headers : undefined));
    propagation.inject(ctx, headers, { set: (carrier, key, value) => carrier.set(key, value) });
    const requestId = currentRequestId();
    if (requestId !== undefined && !headers.has(requestIdHeader)) headers.set(requestIdHeader, requestId);

    let status = 0;
    try {
      const response = await context.with(ctx, () => fetchImpl(input, { ...init, headers }));
      status = response.status;
      span.setAttribute('http.response.status_code', status);
      if (status >= 400) {
        // Client spans: 4xx and 5xx both mean the call failed.
        span.setAttribute('error.type', String(status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      return response;
    } catch (err) {
      recordError(span, err);
      throw err;
    } finally {
      span.end();
      const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      context.with(ctx, () =>
        duration.observe(
          { method, server_address: url.hostname, status_class: statusClass(status) },
          seconds,
        ),
      );
    }
  };
}
