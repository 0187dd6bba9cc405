/**
 * The Tempo API as Vigil serves it: TraceQL search, trace by id (OTLP JSON, turned into a flat
 * list of spans with their tree), and tag names/values for the search builder.
 */
import { buildUrl, requestJson } from './api.ts';

/** A search hit. */
export interface TraceHit {
  traceID: string;
  rootServiceName: string;
  rootTraceName: string;
  startTimeUnixNano: string;
  durationMs?: number;
  spanSets?: {
    spans: { spanID: string; name?: string; startTimeUnixNano: string; durationNanos: string }[];
    matched: number;
  }[];
  serviceStats?: Record<string, { spanCount: number; errorCount?: number }>;
}

export function searchTraces(
  q: string,
  start: number,
  end: number,
  limit: number,
  signal?: AbortSignal,
): Promise<{ traces: TraceHit[]; metrics?: { inspectedTraces?: number; inspectedSpans?: string } }> {
  return requestJson(
    buildUrl('/api/search', {
      q,
      start: Math.floor(start / 1000),
      end: Math.ceil(end / 1000),
      limit,
      spss: 3,
    }),
    { signal },
  );
}

export type AttrValue = string | number | boolean | null | AttrValue[] | { [k: string]: AttrValue };

/** A span, flattened from OTLP JSON. Times in nanoseconds (as numbers: µs precision is kept). */
export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: string;
  startNs: number;
  endNs: number;
  statusCode: 'unset' | 'ok' | 'error';
  statusMessage: string;
  attributes: Record<string, AttrValue>;
  resource: Record<string, AttrValue>;
  scope: { name: string; version?: string };
  events: { name: string; timeNs: number; attributes: Record<string, AttrValue> }[];
  links: { traceId: string; spanId: string; attributes: Record<string, AttrValue> }[];
  service: string;
}

interface OtlpAnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: { key: string; value: OtlpAnyValue }[] };
  bytesValue?: string;
}

function anyValue(v: OtlpAnyValue | undefined): AttrValue {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(anyValue);
  if (v.kvlistValue) return attrs(v.kvlistValue.values);
  if (v.bytesValue !== undefined) return v.bytesValue;
  return null;
}

function attrs(list: { key: string; value: OtlpAnyValue }[] | undefined): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

/** OTLP JSON ids are base64 (protobuf JSON) or hex; always returns lowercase hex. */
export function idToHex(id: string | undefined): string {
  if (!id) return '';
  if (/^[0-9a-fA-F]+$/.test(id) && (id.length === 32 || id.length === 16)) return id.toLowerCase();
  try {
    const bin = atob(id);
    let hex = '';
    for (let i = 0; i < bin.length; i++) hex += bin.charCodeAt(i).toString(16).padStart(2, '0');
    return hex;
  } catch {
    return id;
  }
}

const STATUS: Record<string, Span['statusCode']> = {
  STATUS_CODE_OK: 'ok',
  STATUS_CODE_ERROR: 'error',
  '1': 'ok',
  '2': 'error',
};

interface OtlpTrace {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: OtlpAnyValue }[] };
    scopeSpans?: {
      scope?: { name?: string; version?: string };
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind?: string | number;
        startTimeUnixNano: string;
        endTimeUnixNano: string;
        attributes?: { key: string; value: OtlpAnyValue }[];
        events?: {
          name: string;
          timeUnixNano: string;
          attributes?: { key: string; value: OtlpAnyValue }[];
        }[];
        links?: { traceId: string; spanId: string; attributes?: { key: string; value: OtlpAnyValue }[] }[];
        status?: { code?: string | number; message?: string };
      }[];
    }[];
  }[];
}

/** Flattens an OTLP JSON trace into spans. */
export function flattenTrace(trace: OtlpTrace): Span[] {
  const out: Span[] = [];
  for (const rs of trace.resourceSpans ?? []) {
    const resource = attrs(rs.resource?.attributes);
    const service = String(resource['service.name'] ?? 'unknown');
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: idToHex(s.traceId),
          spanId: idToHex(s.spanId),
          parentSpanId: idToHex(s.parentSpanId),
          name: s.name,
          kind: String(s.kind ?? 'SPAN_KIND_INTERNAL')
            .replace('SPAN_KIND_', '')
            .toLowerCase(),
          startNs: Number(s.startTimeUnixNano),
          endNs: Number(s.endTimeUnixNano),
          statusCode: STATUS[String(s.status?.code ?? '')] ?? 'unset',
          statusMessage: s.status?.message ?? '',
          attributes: attrs(s.attributes),
          resource,
          scope: { name: ss.scope?.name ?? '', version: ss.scope?.version },
          events: (s.events ?? []).map((e) => ({
            name: e.name,
            timeNs: Number(e.timeUnixNano),
            attributes: attrs(e.attributes),
          })),
          links: (s.links ?? []).map((l) => ({
            traceId: idToHex(l.traceId),
            spanId: idToHex(l.spanId),
            attributes: attrs(l.attributes),
          })),
          service,
        });
      }
    }
  }
  return out;
}

/** A trace by id, as spans. */
export async function getTrace(id: string, signal?: AbortSignal): Promise<Span[]> {
  const body = await requestJson<{ trace?: OtlpTrace }>(`/api/v2/traces/${encodeURIComponent(id)}`, {
    signal,
  });
  return flattenTrace(body.trace ?? {});
}

export async function tagValues(tag: string, signal?: AbortSignal): Promise<string[]> {
  const body = await requestJson<{ tagValues?: { type: string; value: string }[] }>(
    `/api/v2/search/tag/${encodeURIComponent(tag)}/values`,
    { signal },
  );
  return (body.tagValues ?? []).map((v) => v.value).sort();
}

export async function tagNames(signal?: AbortSignal): Promise<string[]> {
  const body = await requestJson<{ scopes?: { name: string; tags: string[] }[] }>('/api/v2/search/tags', {
    signal,
  });
  const out: string[] = [];
  for (const s of body.scopes ?? []) {
    for (const t of s.tags) out.push(s.name === 'intrinsic' ? t : `${s.name}.${t}`);
  }
  return out;
}
