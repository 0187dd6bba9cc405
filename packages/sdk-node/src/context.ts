/**
 * What @vigil/node keeps in the OpenTelemetry context besides the span: the request id. Living in
 * the same context as the span, it follows async code the same way and costs one lookup.
 */
import { type Context, context, createContextKey } from '@opentelemetry/api';

// createContextKey uses Symbol.for, so every copy of this package shares the key.
const REQUEST_ID = createContextKey('vigil.node.request_id');

/** The request id in `ctx` (default: the active context), if a middleware set one. */
export function currentRequestId(ctx: Context = context.active()): string | undefined {
  return ctx.getValue(REQUEST_ID) as string | undefined;
}

/** `ctx` with a request id. */
export function withRequestId(ctx: Context, requestId: string): Context {
  return ctx.setValue(REQUEST_ID, requestId);
}
