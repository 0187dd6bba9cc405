import type { Labels } from './labels.ts';

/**
 * A log record, Loki's data model with OpenTelemetry's fields:
 *
 * - `labels`: the stream labels, sorted by name (model/labels). They are indexed; every record
 *   with the same label set belongs to one stream.
 * - `metadata`: Loki's structured metadata: name/value pairs kept with the line but not indexed
 *   (OTLP log attributes and the resource attributes that are not promoted to stream labels).
 * - `traceId`/`spanId`: lowercase hex, "" when the record carries none. They are stored in their
 *   own indexed columns and shown to queries as the structured metadata `trace_id` and `span_id`,
 *   as Loki does for OTLP logs.
 *
 * Timestamps are Unix nanoseconds as bigint, since milliseconds would lose the ordering of lines
 * written within one millisecond.
 */
export interface LogRecord {
  readonly timestampNs: bigint;
  /** When the collector first saw the record (OTLP observed_time_unix_nano); 0n when unknown. */
  readonly observedTimestampNs: bigint;
  /** OTLP severity number: 1-4 trace, 5-8 debug, 9-12 info, 13-16 warn, 17-20 error, 21-24 fatal; 0 unknown. */
  readonly severityNumber: number;
  /** The severity as the sender spelled it ("WARN", "warning", "E"), "" when none was sent. */
  readonly severityText: string;
  /** The log line. Non-string OTLP bodies arrive here as JSON. */
  readonly body: string;
  readonly labels: Labels;
  readonly metadata: Labels;
  readonly traceId: string;
  readonly spanId: string;
}

/** The normalised severity levels, Loki's `detected_level` values. */
export type SeverityLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'unknown';

/** The level of an OTLP severity number (0 and out-of-range numbers are "unknown"). */
export function severityLevel(severityNumber: number): SeverityLevel {
  if (severityNumber >= 1 && severityNumber <= 4) return 'trace';
  if (severityNumber >= 5 && severityNumber <= 8) return 'debug';
  if (severityNumber >= 9 && severityNumber <= 12) return 'info';
  if (severityNumber >= 13 && severityNumber <= 16) return 'warn';
  if (severityNumber >= 17 && severityNumber <= 20) return 'error';
  if (severityNumber >= 21 && severityNumber <= 24) return 'fatal';
  return 'unknown';
}

const SEVERITY_BY_NAME: Readonly<Record<string, number>> = {
  trace: 1,
  trc: 1,
  t: 1,
  debug: 5,
  dbg: 5,
  d: 5,
  info: 9,
  inf: 9,
  i: 9,
  information: 9,
  informational: 9,
  notice: 10,
  warn: 13,
  warning: 13,
  wrn: 13,
  w: 13,
  error: 17,
  err: 17,
  eror: 17,
  e: 17,
  alert: 18,
  crit: 18,
  critical: 18,
  fatal: 21,
  ftl: 21,
  f: 21,
  panic: 21,
  emerg: 21,
  emergency: 21,
};

/**
 * The OTLP severity number a level name or number stands for, across the spellings loggers use:
 * `WARN`, `warning`, `E`, syslog's `crit`, bunyan/pino numbers (10 trace ... 60 fatal) and OTLP's
 * own numbers given as text. 0 when it is not recognised.
 */
export function parseSeverity(text: string | number): number {
  if (typeof text === 'number') return severityFromNumber(text);
  const t = text.trim().toLowerCase();
  if (t === '') return 0;
  const named = SEVERITY_BY_NAME[t];
  if (named !== undefined) return named;
  // "INFO2", "WARN3": OTLP's short names with a sub-level.
  const m = /^(trace|debug|info|warn|error|fatal)([1-4])$/.exec(t);
  if (m) return SEVERITY_BY_NAME[m[1]] + Number(m[2]) - 1;
  if (/^\d+$/.test(t)) return severityFromNumber(Number(t));
  return 0;
}

/**
 * pino/bunyan levels are multiples of ten from 10 (trace) to 60 (fatal), and loggers that write a
 * number mostly write those; other numbers from 1 to 24 are read as OTLP severity numbers.
 */
function severityFromNumber(n: number): number {
  if (!Number.isInteger(n) || n <= 0) return 0;
  if (n === 10) return 1;
  if (n === 20) return 5;
  if (n === 30) return 9;
  if (n === 40) return 13;
  if (n === 50) return 17;
  if (n === 60) return 21;
  return n <= 24 ? n : 0;
}

/** Lowercase hex of a trace (32 digits) or span (16 digits) id; "" for absent or all-zero ids. */
export function normaliseId(hex: string, digits: 16 | 32): string {
  const h = hex.toLowerCase();
  if (h.length !== digits || !/^[0-9a-f]+$/.test(h) || /^0+$/.test(h)) return '';
  return h;
}

const LEVEL_KEYS = ['level', 'LEVEL', 'Level', 'severity', 'SEVERITY', 'Severity', 'lvl', 'LVL', 'Lvl'];

/**
 * The severity a line announces, as Loki 3 detects `detected_level`: a level label or metadata
 * field, a `level`/`severity` key of a JSON or logfmt line, or else a level word near the start
 * of the line. 0 when nothing says.
 */
export function detectSeverity(line: string, ...labelSets: readonly Labels[]): number {
  for (const labels of labelSets) {
    for (const l of labels) if (LEVEL_KEYS.includes(l.name)) return parseSeverity(l.value) || 0;
  }
  const head = line.length > 1024 ? line.slice(0, 1024) : line;
  const kv = /(?:^|[\s{,])"?(?:level|severity|lvl|loglevel)"?\s*[:=]\s*"?([A-Za-z]+|\d+)/i.exec(head);
  if (kv) {
    const n = parseSeverity(kv[1]);
    if (n > 0) return n;
  }
  const word = /\b(TRACE|DEBUG|INFO|WARN(?:ING)?|ERROR|ERR|CRITICAL|FATAL|PANIC)\b/i.exec(head);
  return word ? parseSeverity(word[1]) : 0;
}
