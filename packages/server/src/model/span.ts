/**
 * The span model: OpenTelemetry's (OTLP trace.proto) with every field kept. Ids are lowercase hex
 * strings (32 characters for trace ids, 16 for span ids; an empty parentSpanId marks a root span),
 * times are Unix nanoseconds as bigint, and attribute values keep their OTLP type: a double is a
 * `number`, an int64 a `bigint`, bytes a `Uint8Array`, so a span read back is the span that was sent.
 *
 * Spans are immutable once built. Readers (storage, the OTLP decoder) may hand out objects whose
 * attributes, events and links are decoded on first access; that is invisible through this interface.
 */

/**
 * An attribute value, OTLP's AnyValue: string, boolean, double (`number`), int64 (`bigint`),
 * bytes, array, key-value list, or `null` for an AnyValue with nothing set.
 */
export type AttributeValue =
  | string
  | boolean
  | number
  | bigint
  | Uint8Array
  | readonly AttributeValue[]
  | KeyValueList
  | null;

/** OTLP's KeyValueList: a nested map that keeps its order (and any duplicate keys it was sent with). */
export interface KeyValueList {
  readonly kvlist: Attributes;
}

export interface Attribute {
  readonly key: string;
  readonly value: AttributeValue;
}

/** Attributes in the order they were sent. */
export type Attributes = readonly Attribute[];

/** OTLP Span.SpanKind numbers. */
export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** OTLP Status.StatusCode numbers. */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

export interface SpanStatus {
  readonly code: StatusCode;
  readonly message: string;
}

export interface SpanEvent {
  readonly timeUnixNano: bigint;
  readonly name: string;
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
}

export interface SpanLink {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceState: string;
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
  readonly flags: number;
}

/** The entity that produced the span (service, host, process ...). Shared by the spans of one batch. */
export interface Resource {
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
  /** The schema_url of the ResourceSpans that carried it. */
  readonly schemaUrl: string;
}

/** The instrumentation library that produced the span. Shared by the spans of one batch. */
export interface InstrumentationScope {
  readonly name: string;
  readonly version: string;
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
  /** The schema_url of the ScopeSpans that carried it. */
  readonly schemaUrl: string;
}

export interface Span {
  /** 32 lowercase hex characters, not all zero. */
  readonly traceId: string;
  /** 16 lowercase hex characters, not all zero. */
  readonly spanId: string;
  /** The parent's span id, or '' for a root span. */
  readonly parentSpanId: string;
  /** W3C tracestate, as sent. */
  readonly traceState: string;
  /** OTLP span flags (W3C trace flags in the low byte, SpanFlags bits above). */
  readonly flags: number;
  readonly name: string;
  readonly kind: SpanKind;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
  readonly events: readonly SpanEvent[];
  readonly droppedEventsCount: number;
  readonly links: readonly SpanLink[];
  readonly droppedLinksCount: number;
  readonly status: SpanStatus;
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
}

/** A resource with no attributes, for spans whose sender gave none. */
export const EMPTY_RESOURCE: Resource = Object.freeze({
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
});

/** A scope with no name, for spans whose sender gave none. */
export const EMPTY_SCOPE: InstrumentationScope = Object.freeze({
  name: '',
  version: '',
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
});

/** The value of the first attribute named `key`, or undefined. */
export function attributeValue(attributes: Attributes, key: string): AttributeValue | undefined {
  for (let i = 0; i < attributes.length; i++) if (attributes[i].key === key) return attributes[i].value;
  return undefined;
}

/**
 * The service a resource describes: its `service.name` attribute when that is a string, else
 * OpenTelemetry's fallback `unknown_service` (what SDKs report when none is configured).
 */
export function serviceName(resource: Resource): string {
  const v = attributeValue(resource.attributes, 'service.name');
  return typeof v === 'string' ? v : 'unknown_service';
}

/** end − start in nanoseconds, as a number (0 when the end is before the start). */
export function spanDurationNanos(span: Span): number {
  const d = span.endTimeUnixNano - span.startTimeUnixNano;
  return d > 0n ? Number(d) : 0;
}

/** `SPAN_KIND_SERVER` ..., the enum names OTLP/JSON and Tempo's metrics use. */
export function spanKindName(kind: SpanKind): string {
  return SPAN_KIND_NAMES[kind] ?? 'SPAN_KIND_UNSPECIFIED';
}

/** `STATUS_CODE_ERROR` ..., the enum names OTLP/JSON and Tempo's metrics use. */
export function statusCodeName(code: StatusCode): string {
  return STATUS_CODE_NAMES[code] ?? 'STATUS_CODE_UNSET';
}

const SPAN_KIND_NAMES = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
];
const STATUS_CODE_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

/** True for 32 lowercase hex characters that are not all zero (a valid W3C/OTLP trace id). */
export function isValidTraceId(id: string): boolean {
  return TRACE_ID.test(id) && id !== '00000000000000000000000000000000';
}

/** True for 16 lowercase hex characters that are not all zero (a valid W3C/OTLP span id). */
export function isValidSpanId(id: string): boolean {
  return SPAN_ID.test(id) && id !== '0000000000000000';
}
