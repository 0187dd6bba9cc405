/**
 * Span builders for tests: complete spans with sensible defaults, so a test names only what it
 * is about.
 */
import type {
  Attribute,
  AttributeValue,
  InstrumentationScope,
  Resource,
  Span,
  SpanEvent,
  SpanKind,
  SpanLink,
  StatusCode,
} from '../../../model/span.ts';

/** A resource with the given service name and extra attributes. */
export function testResource(service: string, extra: Record<string, AttributeValue> = {}): Resource {
  return {
    attributes: attrs({ 'service.name': service, ...extra }),
    droppedAttributesCount: 0,
    schemaUrl: '',
  };
}

export const TEST_SCOPE: InstrumentationScope = {
  name: 'vigil-test',
  version: '1.0.0',
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
};

/** Attributes from an object, in its key order. */
export function attrs(record: Record<string, AttributeValue>): Attribute[] {
  return Object.entries(record).map(([key, value]) => ({ key, value }));
}

export interface TestSpanFields {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name?: string;
  kind?: SpanKind;
  /** Start and end in ms since the Unix epoch (converted to ns). */
  startMs?: number;
  durationMs?: number;
  attributes?: Record<string, AttributeValue>;
  status?: StatusCode;
  statusMessage?: string;
  resource?: Resource;
  scope?: InstrumentationScope;
  events?: SpanEvent[];
  links?: SpanLink[];
  traceState?: string;
  flags?: number;
}

const BASE_MS = Date.UTC(2026, 0, 1);

/** Milliseconds (possibly fractional) to exact nanoseconds, without going through a float above 2^53. */
function msToNs(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}

/** A span; times default to 2026-01-01T00:00:00Z, lasting 10 ms. */
export function testSpan(f: TestSpanFields): Span {
  const startNs = msToNs(f.startMs ?? BASE_MS);
  const endNs = startNs + BigInt(Math.round((f.durationMs ?? 10) * 1e6));
  return {
    traceId: f.traceId,
    spanId: f.spanId,
    parentSpanId: f.parentSpanId ?? '',
    traceState: f.traceState ?? '',
    flags: f.flags ?? 0,
    name: f.name ?? 'span',
    kind: f.kind ?? 1,
    startTimeUnixNano: startNs,
    endTimeUnixNano: endNs,
    attributes: attrs(f.attributes ?? {}),
    droppedAttributesCount: 0,
    events: f.events ?? [],
    droppedEventsCount: 0,
    links: f.links ?? [],
    droppedLinksCount: 0,
    status: { code: f.status ?? 0, message: f.statusMessage ?? '' },
    resource: f.resource ?? testResource('test-service'),
    scope: f.scope ?? TEST_SCOPE,
  };
}

/** A deterministic 32-hex trace id from a number. */
export function traceIdOf(n: number): string {
  return (0x1000 + n).toString(16).padStart(32, 'a');
}

/** A deterministic 16-hex span id from a number. */
export function spanIdOf(n: number): string {
  return (0x1000 + n).toString(16).padStart(16, 'b');
}

/** Plain data for deepEqual: every field of a span, with resource and scope inlined. */
export function spanData(s: Span): Record<string, unknown> {
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    traceState: s.traceState,
    flags: s.flags,
    name: s.name,
    kind: s.kind,
    startTimeUnixNano: s.startTimeUnixNano,
    endTimeUnixNano: s.endTimeUnixNano,
    attributes: s.attributes,
    droppedAttributesCount: s.droppedAttributesCount,
    events: s.events.map((e) => ({ ...e })),
    droppedEventsCount: s.droppedEventsCount,
    links: s.links.map((l) => ({ ...l })),
    droppedLinksCount: s.droppedLinksCount,
    status: { code: s.status.code, message: s.status.message },
    resource: { ...s.resource },
    scope: { ...s.scope },
  };
}
