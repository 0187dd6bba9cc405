/**
 * The Prometheus query API as typed calls: instant and range queries, series metadata, targets
 * and status. Results keep Prometheus's JSON shapes; values are converted to numbers once here.
 */
import { buildUrl, promGet, requestJson } from './api.ts';
import { type Metric, parseSampleValue } from './format.ts';

/** One series of a range query, values as numbers; times in ms. */
export interface RangeSeries {
  readonly metric: Metric;
  readonly times: number[];
  readonly values: number[];
}

export type InstantResult =
  | { readonly resultType: 'vector'; readonly result: { metric: Metric; time: number; value: number }[] }
  | { readonly resultType: 'matrix'; readonly result: RangeSeries[] }
  | { readonly resultType: 'scalar'; readonly time: number; readonly value: string }
  | { readonly resultType: 'string'; readonly time: number; readonly value: string };

interface RawSample {
  metric: Metric;
  value?: [number, string];
  values?: [number, string][];
  histogram?: unknown;
}

/** Warnings and infos the server attached to a successful query. */
export interface QueryNotes {
  readonly warnings: readonly string[];
  readonly infos: readonly string[];
}

function toRange(s: RawSample): RangeSeries {
  const raw = s.values ?? [];
  const times = new Array<number>(raw.length);
  const values = new Array<number>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    times[i] = Math.round(raw[i][0] * 1000);
    values[i] = parseSampleValue(raw[i][1]);
  }
  return { metric: s.metric ?? {}, times, values };
}

interface Envelope<T> {
  data: T;
  warnings?: string[];
  infos?: string[];
}

/** POSTs a query as a form (long queries do not fit a URL), like Prometheus's own UI. */
async function post<T>(path: string, form: Record<string, string>, signal?: AbortSignal) {
  const body = await requestJson<Envelope<T>>(path, { form, signal });
  return { data: body.data, notes: { warnings: body.warnings ?? [], infos: body.infos ?? [] } };
}

/** /api/v1/query_range: series with numeric values (times in ms). */
export async function queryRange(
  query: string,
  start: number,
  end: number,
  step: number,
  signal?: AbortSignal,
): Promise<{ series: RangeSeries[]; notes: QueryNotes }> {
  const { data, notes } = await post<{ resultType: string; result: RawSample[] | [number, string] }>(
    '/api/v1/query_range',
    { query, start: String(start / 1000), end: String(end / 1000), step: String(step / 1000) },
    signal,
  );
  const result =
    Array.isArray(data.result) && Array.isArray(data.result[0]) ? [] : (data.result as RawSample[]);
  return { series: result.map(toRange), notes };
}

/** /api/v1/query at `time` (ms). */
export async function queryInstant(
  query: string,
  time: number,
  signal?: AbortSignal,
): Promise<{ result: InstantResult; notes: QueryNotes }> {
  const { data, notes } = await post<{ resultType: string; result: unknown }>(
    '/api/v1/query',
    { query, time: String(time / 1000) },
    signal,
  );
  switch (data.resultType) {
    case 'vector':
      return {
        notes,
        result: {
          resultType: 'vector',
          result: (data.result as RawSample[]).map((s) => ({
            metric: s.metric ?? {},
            time: Math.round((s.value?.[0] ?? 0) * 1000),
            value: parseSampleValue(s.value?.[1] ?? 'NaN'),
          })),
        },
      };
    case 'matrix':
      return { notes, result: { resultType: 'matrix', result: (data.result as RawSample[]).map(toRange) } };
    default: {
      const [t, v] = data.result as [number, string];
      return { notes, result: { resultType: data.resultType as 'scalar', time: t * 1000, value: v } };
    }
  }
}

/** Label values, optionally restricted to series matching `match` (e.g. for template variables). */
export function labelValues(
  label: string,
  options: { match?: string; start?: number; end?: number } = {},
  signal?: AbortSignal,
): Promise<string[]> {
  return promGet<string[]>(
    `/api/v1/label/${encodeURIComponent(label)}/values`,
    {
      'match[]': options.match ? [options.match] : undefined,
      start: options.start ? String(options.start / 1000) : undefined,
      end: options.end ? String(options.end / 1000) : undefined,
    },
    signal,
  );
}

/** The series matching a selector in a time range. */
export function series(match: string, start: number, end: number, signal?: AbortSignal): Promise<Metric[]> {
  return promGet<Metric[]>(
    '/api/v1/series',
    { 'match[]': [match], start: start / 1000, end: end / 1000 },
    signal,
  );
}

/** A scrape target as /api/v1/targets describes it. */
export interface Target {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  globalUrl?: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: 'up' | 'down' | 'unknown';
  scrapeInterval?: string;
  scrapeTimeout?: string;
}

export function targets(
  signal?: AbortSignal,
): Promise<{ activeTargets: Target[]; droppedTargets: unknown[] }> {
  return promGet('/api/v1/targets', {}, signal);
}

/** Any /api/v1/status/* endpoint. */
export function status<T>(
  name: 'config' | 'flags' | 'runtimeinfo' | 'buildinfo' | 'tsdb',
  signal?: AbortSignal,
) {
  return promGet<T>(`/api/v1/status/${name}`, {}, signal);
}

/** /api/v1/format_query: the query pretty-printed by the server. */
export function formatQuery(query: string, signal?: AbortSignal): Promise<string> {
  return promGet<string>('/api/v1/format_query', { query }, signal);
}

export { buildUrl };
