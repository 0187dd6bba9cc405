// @ts-check
/**
 * pino transport (runs in a worker thread, started by pino.transport) that exports log lines as
 * OTLP log records: batched by the OpenTelemetry BatchLogRecordProcessor (bounded queue, drops
 * rather than grows), sent as OTLP/HTTP protobuf. The app's thread only copies each line into
 * a shared buffer, so exporting never blocks its event loop.
 *
 * Plain JavaScript on purpose: worker threads load it directly, from the sources as from dist/.
 */
import { Writable } from 'node:stream';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';

/**
 * pino level number → OpenTelemetry severity number and text.
 * @type {Map<number, [SeverityNumber, string]>}
 */
const SEVERITY = new Map([
  [10, [SeverityNumber.TRACE, 'TRACE']],
  [20, [SeverityNumber.DEBUG, 'DEBUG']],
  [30, [SeverityNumber.INFO, 'INFO']],
  [40, [SeverityNumber.WARN, 'WARN']],
  [50, [SeverityNumber.ERROR, 'ERROR']],
  [60, [SeverityNumber.FATAL, 'FATAL']],
]);

/** Fields of a pino line that become record fields rather than attributes. */
const RECORD_FIELDS = new Set(['time', 'level', 'msg', 'trace_id', 'span_id', 'trace_flags', 'err']);

/**
 * @typedef {object} TransportOptions
 * @property {string} url OTLP logs endpoint (…/v1/logs)
 * @property {Record<string, string>} headers
 * @property {number} timeoutMs
 * @property {Record<string, string | number | boolean>} resource resource attributes
 * @property {string[]} baseKeys line fields already carried by the resource (service, pid, …)
 * @property {string} scopeName
 * @property {string} scopeVersion
 * @property {number} [delayMs] batch delay
 */

/**
 * @param {number} level
 * @returns {[SeverityNumber, string]}
 */
function severity(level) {
  const exact = SEVERITY.get(level);
  if (exact) return exact;
  // Custom pino levels: the nearest standard one below.
  const base = Math.min(60, Math.max(10, Math.floor(level / 10) * 10));
  return SEVERITY.get(base) ?? [SeverityNumber.UNSPECIFIED, String(level)];
}

/**
 * @param {TransportOptions} options
 * @returns {Promise<Writable>}
 */
export default async function otlpLogTransport(options) {
  const exporter = new OTLPLogExporter({
    url: options.url,
    headers: options.headers,
    timeoutMillis: options.timeoutMs,
  });
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(options.resource),
    processors: [new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: options.delayMs ?? 1000 })],
  });
  const logger = provider.getLogger(options.scopeName, options.scopeVersion);
  const skip = new Set([...RECORD_FIELDS, ...options.baseKeys]);

  /** @param {string} line */
  const emit = (line) => {
    if (line.trim() === '') return;
    /** @type {Record<string, any>} */
    let rec;
    try {
      rec = JSON.parse(line);
    } catch {
      logger.emit({ body: line, severityNumber: SeverityNumber.UNSPECIFIED });
      return;
    }
    const [severityNumber, severityText] = severity(Number(rec.level));
    /** @type {Record<string, any>} */
    const attributes = {};
    for (const key of Object.keys(rec)) if (!skip.has(key)) attributes[key] = rec[key];
    if (rec.err && typeof rec.err === 'object') {
      attributes['exception.type'] = rec.err.type;
      attributes['exception.message'] = rec.err.message;
      attributes['exception.stacktrace'] = rec.err.stack;
    }
    let context = ROOT_CONTEXT;
    if (typeof rec.trace_id === 'string' && typeof rec.span_id === 'string') {
      context = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: rec.trace_id,
        spanId: rec.span_id,
        traceFlags: Number.parseInt(rec.trace_flags ?? '01', 16) || 0,
        isRemote: true,
      });
    }
    logger.emit({
      timestamp: typeof rec.time === 'number' ? rec.time : Date.now(),
      severityNumber,
      severityText,
      body: typeof rec.msg === 'string' ? rec.msg : rec.err?.message,
      attributes,
      context,
    });
  };

  let rest = '';
  const stream = new Writable({
    decodeStrings: false,
    write(chunk, _encoding, callback) {
      rest += String(chunk);
      let nl = rest.indexOf('\n');
      while (nl !== -1) {
        emit(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
        nl = rest.indexOf('\n');
      }
      callback();
    },
    final(callback) {
      if (rest) emit(rest);
      rest = '';
      // Export failures are the exporter's to report; the stream itself must end cleanly or
      // pino's thread-stream treats the whole transport as failed.
      provider.shutdown().then(
        () => callback(),
        () => callback(),
      );
    },
  });
  /**
   * Called by pino's flush() (through thread-stream): exports what is queued now. Shutdown
   * flushes first, so that end(), which blocks the app's thread until this worker closes,
   * finds nothing left to send.
   * @param {(err?: Error) => void} callback
   */
  // @ts-expect-error thread-stream looks for a flush method on the destination.
  stream.flush = (callback) => {
    provider.forceFlush().then(
      () => callback(),
      () => callback(),
    );
  };
  return stream;
}
