/**
 * pino, with what a service needs on every line: trace_id, span_id and trace_flags of the active
 * span (the field names OpenTelemetry's pino instrumentation uses) and the request id, at the
 * end of the line; service, version and env; secrets redacted; noisy debug lines sampled; and optionally a copy of every
 * line exported as OTLP log records from a worker thread.
 */
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { currentRequestId } from '../context.ts';
import { reportError } from '../errors.ts';
import { createRedactor, type RedactOptions } from './redact.ts';
import { LogSampler, type LogSamplingOptions } from './sampling.ts';

/** Where and how OTLP log export happens. */
export interface OtlpLogExport {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  resource: Record<string, string | number | boolean>;
  scopeName: string;
  scopeVersion: string;
  /** Batch delay in ms (default 1000). */
  delayMs?: number;
}

/** How to log. */
export interface LoggingSetup {
  level: string;
  /** Fields on every line (service, version, env, pid, hostname). */
  base: Record<string, string | number>;
  redact: RedactOptions | false;
  sampling: LogSamplingOptions | false;
  /** Where lines go (default stdout). */
  destination?: DestinationStream;
  otlp?: OtlpLogExport;
  /** Any other pino options, applied last. */
  pino?: LoggerOptions;
}

/** The logger and its lifecycle. */
export interface Logging {
  readonly logger: Logger;
  /** Writes out buffered lines (and OTLP batches). */
  flush(): Promise<void>;
  /** Flushes (waiting at most `timeoutMs` for the OTLP export) and stops the transport thread. */
  shutdown(timeoutMs?: number): Promise<void>;
}

/**
 * The correlation fields of the active context as an object, for pino's `mixin` option in apps
 * that bring their own pino: `pino({ mixin: correlationFields, mixinMergeStrategy: mergeCorrelation })`
 * (or, faster, `pino({ timestamp: correlatedTimestamp })`). Undefined when there is
 * nothing to add.
 */
export function correlationFields(): Record<string, string> | undefined {
  const ctx = context.active();
  const sc = trace.getSpanContext(ctx);
  const requestId = currentRequestId(ctx);
  if (sc === undefined || !isSpanContextValid(sc))
    return requestId === undefined ? undefined : { request_id: requestId };
  const fields: Record<string, string> = {
    trace_id: sc.traceId,
    span_id: sc.spanId,
    trace_flags: sc.traceFlags < 16 ? `0${sc.traceFlags.toString(16)}` : sc.traceFlags.toString(16),
  };
  if (requestId !== undefined) fields.request_id = requestId;
  return fields;
}

// Correlation fields go into each line as one preformatted piece of JSON: serializing four
// extra fields through pino on every line, or editing the finished line, would cost more than
// the rest of the line (see bench/sdk-logging.ts). The piece is cached for the last span seen,
// which is the common case of several lines per request; a WeakMap keyed by span cost more than
// it saved (an ephemeron per request for the GC to trace; see bench/sdk-http.ts).
let lastSpan: object | undefined;
let lastRequestId: string | undefined;
let lastText = '';
// Contexts are immutable, so the same context object means the same span and request id.
let lastContext: object | undefined;

/**
 * `,"trace_id":"…","span_id":"…","trace_flags":"01","request_id":"…"` for the active context,
 * or an empty string when there is nothing to add.
 */
export function correlationSuffix(): string {
  const ctx = context.active();
  if (ctx === lastContext) return lastText;
  const span = trace.getSpan(ctx);
  const requestId = currentRequestId(ctx);
  if (span === undefined) return requestId === undefined ? '' : `,"request_id":${JSON.stringify(requestId)}`;
  if (span !== lastSpan || requestId !== lastRequestId) {
    const sc = span.spanContext();
    let text = '';
    if (isSpanContextValid(sc)) {
      const flags = sc.traceFlags < 16 ? `0${sc.traceFlags.toString(16)}` : sc.traceFlags.toString(16);
      text = `,"trace_id":"${sc.traceId}","span_id":"${sc.spanId}","trace_flags":"${flags}"`;
    }
    if (requestId !== undefined) text += `,"request_id":${JSON.stringify(requestId)}`;
    lastSpan = span;
    lastRequestId = requestId;
    lastText = text;
  }
  lastContext = ctx;
  return lastText;
}

/**
 * A pino `timestamp` function that writes the correlation fields right after the time: pino
 * inserts what a timestamp function returns into the line as is, so they cost one string
 * concatenation. Use it with your own pino: `pino({ timestamp: correlatedTimestamp })`.
 * Fields the app logs itself come later in the line and so win when a reader sees both.
 */
export function correlatedTimestamp(): string {
  return `,"time":${Date.now()}${correlationSuffix()}`;
}

/**
 * pino `mixinMergeStrategy` for `correlationFields`: the app's fields win (as in pino's default);
 * with no correlation the app's object is used as is.
 */
export function mergeCorrelation(mergeObject: object, mixinObject: object | undefined): object {
  return mixinObject === undefined ? mergeObject : Object.assign(mixinObject, mergeObject);
}

const OTLP_TRANSPORT = new URL('./otlp-transport.mjs', import.meta.url);

/** Writes each line to the destination and, until it is detached, to the OTLP transport. */
class Tee {
  constructor(
    private readonly a: DestinationStream,
    public b: DestinationStream | undefined,
  ) {}
  write(line: string): void {
    this.a.write(line);
    this.b?.write(line);
  }
  flushSync(): void {
    (this.a as { flushSync?: () => void }).flushSync?.();
  }
}

function flushStream(stream: unknown): Promise<void> {
  const s = stream as { flush?: (cb?: (err?: Error) => void) => void };
  const flush = s.flush;
  if (typeof flush !== 'function') return Promise.resolve();
  return new Promise((resolve) => {
    try {
      flush.call(s, (err) => {
        if (err) reportError(err, 'flushing logs');
        resolve();
      });
    } catch (err) {
      reportError(err, 'flushing logs');
      resolve();
    }
  });
}

/** Creates the logger. */
export function createLogging(setup: LoggingSetup): Logging {
  // Synchronous stdout, pino's own default: a line is out when the call returns, so the last
  // lines before a crash are never lost. (An asynchronous destination writes in batches and is
  // cheaper per line, but a write still in flight when the process dies is lost: measured as a
  // flaky crash test. Apps that prefer throughput pass `logs: { destination }`.)
  const destination = setup.destination ?? pino.destination({ dest: 1, sync: true });
  let transport: (DestinationStream & NodeJS.EventEmitter) | undefined;
  if (setup.otlp) {
    transport = pino.transport({
      target: OTLP_TRANSPORT.href,
      options: { ...setup.otlp, baseKeys: Object.keys(setup.base) },
    }) as DestinationStream & NodeJS.EventEmitter;
    transport.on('error', (err: Error) => reportError(err, 'OTLP log transport'));
  }
  const tee = transport ? new Tee(destination, transport) : undefined;
  const stream = tee ?? destination;

  const redact = setup.redact === false ? undefined : createRedactor(setup.redact);
  // pino calls a logMethod hook for every line of every level; install it only when lines it
  // samples can be written (see LogSamplingOptions.always).
  const startLevel = pino.levels.values[setup.level] ?? Number.POSITIVE_INFINITY;
  const sampler =
    setup.sampling === false || (!setup.sampling.always && startLevel > (setup.sampling.maxLevel ?? 20))
      ? undefined
      : new LogSampler(setup.sampling);
  const hooks: NonNullable<LoggerOptions['hooks']> = {};
  const options: LoggerOptions = {
    level: setup.level,
    base: setup.base,
    timestamp: correlatedTimestamp,
    hooks,
  };
  if (redact) {
    // Bindings given to child() are fixed by code, not data, and pino does not format them.
    options.formatters = { log: (obj) => redact(obj), bindings: (b) => redact(b) };
  }
  if (sampler) {
    hooks.logMethod = function sampled(args, method, level) {
      if (sampler.applies(level)) {
        const first = args[0] as unknown;
        const message = typeof first === 'string' ? first : typeof args[1] === 'string' ? args[1] : '';
        if (!sampler.keep(level, message)) return;
      }
      method.apply(this, args);
    };
  }
  const userTimestamp = setup.pino?.timestamp;
  if (typeof userTimestamp === 'function') {
    // Keep the app's time format and still correlate.
    options.timestamp = () => userTimestamp() + correlationSuffix();
  }
  const logger = pino({ ...options, ...setup.pino, timestamp: options.timestamp }, stream);

  const flush = async () => {
    await flushStream(destination);
    if (transport) await flushStream(transport);
  };
  return {
    logger,
    flush,
    async shutdown(timeoutMs = 5000) {
      await flushStream(destination);
      if (!transport) return;
      const t = transport;
      transport = undefined;
      // Lines logged from now on go to the destination only.
      if (tee) tee.b = undefined;
      // Export what is queued while this thread stays free; only then end the worker, since
      // ending blocks this thread until the worker has closed.
      const flushed = await Promise.race([
        flushStream(t).then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref()),
      ]);
      if (!flushed) {
        // The collector is unreachable or slow: give up on the queued records rather than
        // block shutdown.
        reportError(
          new Error(`could not export queued log records within ${timeoutMs} ms; dropping them`),
          'OTLP logs',
        );
        await (t as unknown as { worker?: { terminate(): Promise<number> } }).worker?.terminate();
        return;
      }
      await new Promise<void>((resolve) => {
        t.once('close', () => resolve());
        (t as unknown as { end(): void }).end();
      });
    },
  };
}
