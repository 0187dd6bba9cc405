/**
 * The Loki query API as Vigil serves it: log lines (with Grafana's categorize-labels encoding, so
 * stream labels, structured metadata and parsed fields arrive apart), metric queries for the
 * volume histogram, labels, and the logs of a trace.
 */
import { ApiError, buildUrl, isAbort, promGet, requestJson } from './api.ts';
import type { Metric } from './format.ts';
import { parseSampleValue } from './format.ts';
import type { RangeSeries } from './prom.ts';

/** One log line. */
export interface LogEntry {
  /** Nanoseconds since the epoch, as the API gives them (exact). */
  readonly tsNs: string;
  /** Milliseconds (for display and charts). */
  readonly time: number;
  readonly line: string;
  /** Indexed stream labels. */
  readonly stream: Metric;
  /** Attributes stored with the line (not indexed): trace_id, span_id, OTLP attributes... */
  readonly metadata: Metric;
  /** Fields extracted by parsers in the query (| json, | logfmt). */
  readonly parsed: Metric;
  /** A key unique within one result. */
  readonly key: string;
}

interface StreamsResponse {
  data: {
    resultType: 'streams' | 'matrix' | 'vector';
    result: {
      stream: Metric;
      values: [string, string, { structuredMetadata?: Metric; parsed?: Metric }?][];
    }[];
    stats?: { summary?: { totalBytesProcessed?: number; totalLinesProcessed?: number; execTime?: number } };
  };
}

const CATEGORIZE = { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' };

/** Log lines of a LogQL log query, newest first unless `direction` is forward. */
export async function queryLogs(
  query: string,
  start: number,
  end: number,
  options: { limit?: number; direction?: 'backward' | 'forward'; signal?: AbortSignal } = {},
): Promise<{ entries: LogEntry[]; stats: { bytes: number; lines: number; seconds: number } }> {
  const url = buildUrl('/loki/api/v1/query_range', {
    query,
    start: `${start}000000`,
    end: `${end}000000`,
    limit: options.limit ?? 1000,
    direction: options.direction ?? 'backward',
  });
  const res = await fetchWithHeaders<StreamsResponse>(url, options.signal);
  if (res.data.resultType !== 'streams') {
    throw new Error(
      'this is a metric query; Explore shows log queries here (use the Metrics view for metric queries)',
    );
  }
  const entries = toEntries(res.data.result);
  entries.sort((a, b) => (options.direction === 'forward' ? cmpNs(a.tsNs, b.tsNs) : cmpNs(b.tsNs, a.tsNs)));
  const s = res.data.stats?.summary;
  return {
    entries,
    stats: {
      bytes: s?.totalBytesProcessed ?? 0,
      lines: s?.totalLinesProcessed ?? 0,
      seconds: s?.execTime ?? 0,
    },
  };
}

/** Converts Loki stream results into entries. */
export function toEntries(result: StreamsResponse['data']['result']): LogEntry[] {
  const out: LogEntry[] = [];
  for (const s of result) {
    for (const [ts, line, extra] of s.values) {
      out.push({
        tsNs: ts,
        time: Number(ts.length > 6 ? ts.slice(0, -6) : '0'),
        line,
        stream: s.stream,
        metadata: extra?.structuredMetadata ?? {},
        parsed: extra?.parsed ?? {},
        key: `${ts}\u0000${out.length}`,
      });
    }
  }
  return out;
}

function cmpNs(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

async function fetchWithHeaders<T>(url: string, signal?: AbortSignal): Promise<T> {
  // requestJson does not take headers; the categorize flag needs one.
  const res = await fetch(url, { headers: { accept: 'application/json', ...CATEGORIZE }, signal }).catch(
    (err) => {
      if (isAbort(err)) throw err;
      throw new ApiError(`cannot reach Vigil (${(err as Error).message}); is the server running?`, 0);
    },
  );
  const text = await res.text();
  if (!res.ok) {
    let message = text.trim();
    try {
      const body = JSON.parse(text) as { error?: string; message?: string };
      message = body.error ?? body.message ?? message;
    } catch {
      // plain text error, as Loki sends
    }
    throw new ApiError(message || `HTTP ${res.status}`, res.status);
  }
  return JSON.parse(text) as T;
}

/** A LogQL metric query over a range (e.g. the volume histogram). */
export async function queryLogMetric(
  query: string,
  start: number,
  end: number,
  step: number,
  signal?: AbortSignal,
): Promise<RangeSeries[]> {
  const data = await promGet<{
    resultType: string;
    result: { metric: Metric; values: [number, string][] }[];
  }>(
    '/loki/api/v1/query_range',
    { query, start: `${start}000000`, end: `${end}000000`, step: `${step / 1000}s` },
    signal,
  );
  if (data.resultType !== 'matrix') return [];
  return data.result.map((s) => ({
    metric: s.metric,
    times: s.values.map((v) => Math.round(v[0] * 1000)),
    values: s.values.map((v) => parseSampleValue(v[1])),
  }));
}

export function logLabels(start: number, end: number, signal?: AbortSignal): Promise<string[]> {
  return promGet<string[]>(
    '/loki/api/v1/labels',
    { start: `${start}000000`, end: `${end}000000` },
    signal,
  ).then((v) => v ?? []);
}

export function logLabelValues(
  name: string,
  start: number,
  end: number,
  signal?: AbortSignal,
): Promise<string[]> {
  return promGet<string[]>(
    `/loki/api/v1/label/${encodeURIComponent(name)}/values`,
    { start: `${start}000000`, end: `${end}000000` },
    signal,
  ).then((v) => v ?? []);
}

/** Log records of one trace (Vigil's own endpoint). */
export async function traceLogs(traceId: string, signal?: AbortSignal): Promise<LogEntry[]> {
  const body = await requestJson<{
    data: {
      logs: {
        timestamp: string;
        line: string;
        stream: Metric;
        structuredMetadata: Metric;
        spanId?: string;
      }[];
    };
  }>(`/api/vigil/v1/traces/${encodeURIComponent(traceId)}/logs`, { signal });
  return body.data.logs.map((l, i) => ({
    tsNs: l.timestamp,
    time: Number(l.timestamp.slice(0, -6) || '0'),
    line: l.line,
    stream: l.stream,
    metadata: { ...l.structuredMetadata, ...(l.spanId ? { span_id: l.spanId } : {}) },
    parsed: {},
    key: `${l.timestamp}\u0000${i}`,
  }));
}

/** The level of a line: from labels or metadata when present, else guessed from its text. */
export function levelOf(e: Pick<LogEntry, 'line' | 'stream' | 'metadata' | 'parsed'>): LogLevel {
  const named =
    e.stream.detected_level ??
    e.metadata.detected_level ??
    e.stream.level ??
    e.parsed.level ??
    e.metadata.level ??
    e.metadata.severity_text ??
    e.stream.severity ??
    e.parsed.severity ??
    '';
  const fromName = normalizeLevel(named);
  if (fromName !== 'unknown') return fromName;
  const m = /\b(fatal|panic|critical|crit|error|err|warning|warn|info|notice|debug|trace)\b/i.exec(
    e.line.slice(0, 300),
  );
  return m ? normalizeLevel(m[1]) : 'unknown';
}

export type LogLevel = 'critical' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'unknown';

/** The colour each level is drawn in (volume bars, the mark beside a line). */
export const LEVEL_COLORS: Record<LogLevel, string> = {
  critical: '#d1365f',
  error: '#e5534b',
  warn: '#e0a030',
  info: '#3fa66b',
  debug: '#6f8fd8',
  trace: '#9b8fc9',
  unknown: '#8a8f98',
};

/** Maps the many spellings of a level to one of LogLevel. */
export function normalizeLevel(s: string): LogLevel {
  const v = s.toLowerCase();
  if (/^(fatal|panic|critical|crit|emerg|alert)/.test(v)) return 'critical';
  if (/^(error|err|eror)/.test(v)) return 'error';
  if (/^(warn|warning)/.test(v)) return 'warn';
  if (/^(info|information|notice|informational)/.test(v)) return 'info';
  if (/^(debug|dbug)/.test(v)) return 'debug';
  if (/^trace/.test(v)) return 'trace';
  return 'unknown';
}

/** 32 hex digits (a trace id) inside a line or its attributes, if any. */
export function traceIdOf(e: Pick<LogEntry, 'line' | 'stream' | 'metadata' | 'parsed'>): string | undefined {
  const direct =
    e.metadata.trace_id ??
    e.metadata.traceid ??
    e.metadata.traceId ??
    e.parsed.trace_id ??
    e.parsed.traceID ??
    e.parsed.traceId;
  if (direct && /^[0-9a-fA-F]{32}$/.test(direct)) return direct.toLowerCase();
  const m = /\btrace_?id["'=:\s]+([0-9a-fA-F]{32})\b/i.exec(e.line);
  return m ? m[1].toLowerCase() : undefined;
}
