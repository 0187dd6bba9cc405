/**
 * The SDK's error types and its one error boundary. Configuration mistakes made while setting up
 * (a bad metric name, an unknown sampler) throw at once, since the app is starting and the
 * developer is looking. Anything that goes wrong later, on a hot path or in the background
 * (an exporter that cannot connect, a label the app forgot), never throws into the app: it goes
 * to `reportError`, which hands it to one replaceable handler, the way OpenTelemetry JS does.
 */

/** Thrown for invalid SDK configuration: names the option, the value and what to do instead. */
export class VigilConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VigilConfigError';
  }
}

/** Thrown (at declaration) or reported (at use) for misuse of a metric. */
export class VigilMetricError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VigilMetricError';
  }
}

/** Receives every error the SDK swallowed so the app keeps running. */
export type ErrorHandler = (error: Error) => void;

// The handler lives on a global so two copies of the package report through the same one.
const HANDLER_KEY = Symbol.for('vigil.node.errorHandler.v1');
type HandlerHolder = { [HANDLER_KEY]?: ErrorHandler };

// Repeats of one message are reported once a minute at most: a broken exporter or a forgotten
// label would otherwise flood stderr at the rate of requests.
const lastReported = new Map<string, number>();
const REPEAT_INTERVAL_MS = 60_000;

function defaultHandler(error: Error): void {
  process.emitWarning(error.message, { type: `@vigil/node ${error.name}` });
}

/** Replaces the handler that receives swallowed errors (default: a process warning). */
export function setErrorHandler(handler: ErrorHandler): void {
  (globalThis as HandlerHolder)[HANDLER_KEY] = handler;
}

/**
 * Reports an error the SDK swallowed. Never throws, even when the handler does. Identical
 * messages within a minute are reported once.
 */
export function reportError(error: unknown, context?: string): void {
  try {
    const err = error instanceof Error ? error : new Error(String(error));
    const message = context ? `${context}: ${err.message}` : err.message;
    const now = Date.now();
    const last = lastReported.get(message);
    if (last !== undefined && now - last < REPEAT_INTERVAL_MS) return;
    if (lastReported.size > 1000) lastReported.clear();
    lastReported.set(message, now);
    const reported = context ? Object.assign(new Error(message, { cause: err }), { name: err.name }) : err;
    ((globalThis as HandlerHolder)[HANDLER_KEY] ?? defaultHandler)(reported);
  } catch {
    // The error boundary must not become a source of errors.
  }
}

/** Forgets which messages were reported recently (tests use it to see every report). */
export function resetReportedErrors(): void {
  lastReported.clear();
}
