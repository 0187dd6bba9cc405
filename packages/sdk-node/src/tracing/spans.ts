/** Small helpers for spans: run code in a span, record failures the way the spec asks. */
import { type Span, type SpanOptions, SpanStatusCode, type Tracer } from '@opentelemetry/api';

/**
 * Records `error` on `span`: an `exception` event (type, message, stack), `error.type`, and the
 * ERROR status with the message, as the OpenTelemetry semantic conventions describe.
 */
export function recordError(span: Span, error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error));
  span.recordException(err);
  span.setAttribute('error.type', err.name === 'Error' ? (err.constructor?.name ?? 'Error') : err.name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Runs `fn` in a new active span named `name` and ends it when `fn` returns or its promise
 * settles. A throw or rejection is recorded on the span and passed on unchanged.
 */
export function inSpan<T>(tracer: Tracer, name: string, fn: (span: Span) => T, options: SpanOptions = {}): T {
  return tracer.startActiveSpan(name, options, (span) => {
    let result: T;
    try {
      result = fn(span);
    } catch (err) {
      recordError(span, err);
      span.end();
      throw err;
    }
    if (!isPromiseLike(result)) {
      span.end();
      return result;
    }
    return Promise.resolve(result).then(
      (v) => {
        span.end();
        return v;
      },
      (err) => {
        recordError(span, err);
        span.end();
        throw err;
      },
    ) as T;
  });
}
