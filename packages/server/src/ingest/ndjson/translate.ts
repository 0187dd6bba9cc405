/**
 * Newline-delimited JSON log lines, for scripts and shippers that only speak HTTP and JSON. Each
 * line is one object; the timestamp, level and message are found by their common names and the
 * remaining fields are kept as structured metadata (nested objects flattened with `_`).
 */
import { type Label, type Labels, labelsFromPairs } from '../../model/labels.ts';
import { type LogRecord, normaliseId, parseSeverity } from '../../model/log.ts';

const TIME_FIELDS = ['timestamp', '@timestamp', 'ts', 'time', 't', 'date', 'datetime'];
const LEVEL_FIELDS = ['level', 'severity', 'lvl', 'loglevel', 'log.level', 'log_level', 'severity_text'];
const MESSAGE_FIELDS = ['message', 'msg', 'log', 'text', 'body', '@message'];
const TRACE_FIELDS = ['trace_id', 'traceId', 'traceID', 'trace.id'];
const SPAN_FIELDS = ['span_id', 'spanId', 'spanID', 'span.id'];

/** A line that is not a JSON object, or whose timestamp cannot be read. */
export class NdjsonLineError extends Error {
  constructor(
    readonly lineNumber: number,
    message: string,
  ) {
    super(`line ${lineNumber}: ${message}`);
  }
}

/**
 * Parses the whole body; throws NdjsonLineError for the first bad line (nothing is stored then, so
 * a sender can fix and resend the request as it is).
 */
export function translateNdjson(body: string, labels: Labels, nowNs: bigint): LogRecord[] {
  const out: LogRecord[] = [];
  let lineNumber = 0;
  for (const raw of body.split('\n')) {
    lineNumber++;
    const text = raw.trim();
    if (text === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (err) {
      throw new NdjsonLineError(lineNumber, `not valid JSON: ${(err as Error).message}`);
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      throw new NdjsonLineError(lineNumber, 'expected a JSON object');
    }
    out.push(toRecord(obj as Record<string, unknown>, text, labels, nowNs, lineNumber));
  }
  return out;
}

function toRecord(
  obj: Record<string, unknown>,
  text: string,
  labels: Labels,
  nowNs: bigint,
  lineNumber: number,
): LogRecord {
  const used = new Set<string>();
  const take = (names: readonly string[]): unknown => {
    for (const n of names) {
      if (obj[n] !== undefined && obj[n] !== null) {
        used.add(n);
        return obj[n];
      }
    }
    return undefined;
  };
  const ts = take(TIME_FIELDS);
  const level = take(LEVEL_FIELDS);
  const message = take(MESSAGE_FIELDS);
  const trace = take(TRACE_FIELDS);
  const span = take(SPAN_FIELDS);
  const metadata: Label[] = [];
  for (const [k, v] of Object.entries(obj)) if (!used.has(k)) flatten(metadata, sanitize(k), v, 0);
  const severityText = level === undefined ? '' : String(level);
  return {
    timestampNs: ts === undefined ? nowNs : parseTimestamp(ts, lineNumber),
    observedTimestampNs: nowNs,
    severityNumber:
      level === undefined ? 0 : parseSeverity(typeof level === 'number' ? level : String(level)),
    severityText,
    body: message === undefined ? text : typeof message === 'string' ? message : JSON.stringify(message),
    labels,
    metadata: labelsFromPairs(dedupe(metadata)),
    traceId: typeof trace === 'string' ? normaliseId(trace, 32) : '',
    spanId: typeof span === 'string' ? normaliseId(span, 16) : '',
  };
}

/**
 * Timestamps as loggers write them: RFC 3339 / ISO 8601 text, or Unix epoch numbers in seconds
 * (with fractions), milliseconds, microseconds or nanoseconds, told apart by magnitude.
 */
export function parseTimestamp(v: unknown, lineNumber: number): bigint {
  if (typeof v === 'number' || (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v))) {
    const text = String(v);
    const [int, frac = ''] = text.split('.');
    const digits = int.length;
    if (digits <= 11) {
      return BigInt(int) * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
    }
    if (digits <= 14) return BigInt(int) * 1_000_000n + BigInt((frac + '000000').slice(0, 6));
    if (digits <= 17) return BigInt(int) * 1000n + BigInt((frac + '000').slice(0, 3));
    return BigInt(int);
  }
  if (typeof v === 'string') {
    const ms = Date.parse(v);
    if (!Number.isNaN(ms)) {
      const frac = /\d\d:\d\d:\d\d\.(\d+)/.exec(v)?.[1] ?? '';
      const sub = BigInt((frac + '000000000').slice(0, 9));
      return BigInt(Math.floor(ms / 1000)) * 1_000_000_000n + sub;
    }
  }
  throw new NdjsonLineError(
    lineNumber,
    `cannot read the timestamp ${JSON.stringify(v)}: use RFC 3339 text or Unix epoch seconds, milliseconds or nanoseconds`,
  );
}

function sanitize(key: string): string {
  let k = key.replace(/[^a-zA-Z0-9_]/g, '_');
  if (/^[0-9]/.test(k)) k = `_${k}`;
  return k;
}

function flatten(out: Label[], name: string, v: unknown, depth: number): void {
  if (v === null || v === undefined) return;
  if (typeof v === 'object' && !Array.isArray(v) && depth < 8) {
    for (const [k, inner] of Object.entries(v)) flatten(out, `${name}_${sanitize(k)}`, inner, depth + 1);
    return;
  }
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  if (text !== '') out.push({ name, value: text });
}

function dedupe(pairs: Label[]): Label[] {
  const m = new Map<string, string>();
  for (const p of pairs) m.set(p.name, p.value);
  return [...m].map(([name, value]) => ({ name, value }));
}
