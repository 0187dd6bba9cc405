/**
 * Generated OTLP messages (what the shared OTLP transport decodes, and the only form OTLP/JSON
 * arrives in) → the span model. Ids become lowercase hex whatever their length; validation
 * (validate.ts) then rejects the ones that are not 16/8 bytes.
 */
import type { ExportTraceServiceRequest } from '../../../gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.ts';
import type {
  AnyValue,
  KeyValue,
  InstrumentationScope as ScopeMessage,
} from '../../../gen/opentelemetry/proto/common/v1/common_pb.ts';
import type { Resource as ResourceMessage } from '../../../gen/opentelemetry/proto/resource/v1/resource_pb.ts';
import type { Span as SpanMessage } from '../../../gen/opentelemetry/proto/trace/v1/trace_pb.ts';
import type {
  Attribute,
  Attributes,
  AttributeValue,
  InstrumentationScope,
  Resource,
  Span,
  SpanKind,
  StatusCode,
} from '../../../model/span.ts';
import { MAX_VALUE_DEPTH } from '../../../storage/traces/otlp/span-codec.ts';
import { toHex } from '../../../storage/traces/otlp/wire.ts';

/** Thrown for an attribute value nested deeper than MAX_VALUE_DEPTH. */
export class NestingError extends Error {}

/** Every span of a request, each with its resource and scope. */
export function spansFromRequest(request: ExportTraceServiceRequest): {
  spans: Span[];
  undecodable: { reason: string }[];
} {
  const spans: Span[] = [];
  const undecodable: { reason: string }[] = [];
  for (const rs of request.resourceSpans) {
    let resource: Resource;
    try {
      resource = resourceFrom(rs.resource, rs.schemaUrl);
    } catch (err) {
      if (!(err instanceof NestingError)) throw err;
      for (const ss of rs.scopeSpans)
        for (const _ of ss.spans) undecodable.push({ reason: `resource ${err.message}` });
      continue;
    }
    for (const ss of rs.scopeSpans) {
      let scope: InstrumentationScope;
      try {
        scope = scopeFrom(ss.scope, ss.schemaUrl);
      } catch (err) {
        if (!(err instanceof NestingError)) throw err;
        for (const _ of ss.spans) undecodable.push({ reason: `scope ${err.message}` });
        continue;
      }
      for (const s of ss.spans) {
        try {
          spans.push(spanFrom(s, resource, scope));
        } catch (err) {
          if (!(err instanceof NestingError)) throw err;
          undecodable.push({ reason: err.message });
        }
      }
    }
  }
  return { spans, undecodable };
}

function resourceFrom(r: ResourceMessage | undefined, schemaUrl: string): Resource {
  return {
    attributes: attributesFrom(r?.attributes ?? []),
    droppedAttributesCount: r?.droppedAttributesCount ?? 0,
    schemaUrl,
  };
}

function scopeFrom(s: ScopeMessage | undefined, schemaUrl: string): InstrumentationScope {
  return {
    name: s?.name ?? '',
    version: s?.version ?? '',
    attributes: attributesFrom(s?.attributes ?? []),
    droppedAttributesCount: s?.droppedAttributesCount ?? 0,
    schemaUrl,
  };
}

function spanFrom(s: SpanMessage, resource: Resource, scope: InstrumentationScope): Span {
  return {
    traceId: toHex(s.traceId),
    spanId: toHex(s.spanId),
    parentSpanId: toHex(s.parentSpanId),
    traceState: s.traceState,
    flags: s.flags,
    name: s.name,
    kind: s.kind as number as SpanKind,
    startTimeUnixNano: s.startTimeUnixNano,
    endTimeUnixNano: s.endTimeUnixNano,
    attributes: attributesFrom(s.attributes),
    droppedAttributesCount: s.droppedAttributesCount,
    events: s.events.map((e) => ({
      timeUnixNano: e.timeUnixNano,
      name: e.name,
      attributes: attributesFrom(e.attributes),
      droppedAttributesCount: e.droppedAttributesCount,
    })),
    droppedEventsCount: s.droppedEventsCount,
    links: s.links.map((l) => ({
      traceId: toHex(l.traceId),
      spanId: toHex(l.spanId),
      traceState: l.traceState,
      attributes: attributesFrom(l.attributes),
      droppedAttributesCount: l.droppedAttributesCount,
      flags: l.flags,
    })),
    droppedLinksCount: s.droppedLinksCount,
    status: { code: (s.status?.code ?? 0) as number as StatusCode, message: s.status?.message ?? '' },
    resource,
    scope,
  };
}

function attributesFrom(list: readonly KeyValue[], depth = 0): Attributes {
  if (list.length === 0) return [];
  const out: Attribute[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) out[i] = { key: list[i].key, value: valueFrom(list[i].value, depth) };
  return out;
}

function valueFrom(v: AnyValue | undefined, depth: number): AttributeValue {
  if (depth > MAX_VALUE_DEPTH) {
    throw new NestingError(`attribute value is nested more than ${MAX_VALUE_DEPTH} levels deep`);
  }
  const value = v?.value;
  switch (value?.case) {
    case 'stringValue':
    case 'boolValue':
    case 'intValue':
    case 'doubleValue':
    case 'bytesValue':
      return value.value;
    case 'arrayValue':
      return value.value.values.map((item) => valueFrom(item, depth + 1));
    case 'kvlistValue':
      return { kvlist: attributesFrom(value.value.values, depth + 1) };
    default:
      return null;
  }
}
