/**
 * The span model ⇄ OTLP protobuf (opentelemetry.proto.trace.v1). Storage keeps every span as its
 * OTLP `Span` message bytes, so a span read back is bit-for-bit the span that was sent, and a
 * protobuf response is assembled by concatenating stored bytes.
 *
 * Resources and scopes are kept apart from spans, deduplicated, as "records": a ResourceSpans
 * message holding only `resource` and `schema_url`, and a ScopeSpans holding only `scope` and
 * `schema_url`. Because protobuf concatenation merges messages, a full ResourceSpans is the
 * resource record followed by its scope_spans fields, with no re-encoding.
 *
 * EncodedSpan reads a span's scalar fields when it is built and decodes attributes, events and
 * links only when they are first asked for: search and trace-by-id touch millions of spans and
 * usually need only ids, names and times.
 */
import { isUtf8 } from 'node:buffer';
import type {
  Attribute,
  Attributes,
  AttributeValue,
  InstrumentationScope,
  Resource,
  Span,
  SpanEvent,
  SpanKind,
  SpanLink,
  SpanStatus,
  StatusCode,
} from '../../../model/span.ts';
import {
  fromHex,
  ProtoDecodeError,
  ProtoReader,
  ProtoWriter,
  toHex,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
} from './wire.ts';

/** Arrays and maps nested deeper than this are refused rather than risk the stack. */
export const MAX_VALUE_DEPTH = 32;

// Field tags (field number << 3 | wire type) of the messages read here.
const T_SPAN_TRACE_ID = (1 << 3) | WIRE_LEN;
const T_SPAN_SPAN_ID = (2 << 3) | WIRE_LEN;
const T_SPAN_TRACE_STATE = (3 << 3) | WIRE_LEN;
const T_SPAN_PARENT = (4 << 3) | WIRE_LEN;
const T_SPAN_NAME = (5 << 3) | WIRE_LEN;
const T_SPAN_KIND = (6 << 3) | WIRE_VARINT;
const T_SPAN_START = (7 << 3) | WIRE_FIXED64;
const T_SPAN_END = (8 << 3) | WIRE_FIXED64;
const T_SPAN_ATTR = (9 << 3) | WIRE_LEN;
const T_SPAN_DROPPED_ATTR = (10 << 3) | WIRE_VARINT;
const T_SPAN_EVENT = (11 << 3) | WIRE_LEN;
const T_SPAN_DROPPED_EVENTS = (12 << 3) | WIRE_VARINT;
const T_SPAN_LINK = (13 << 3) | WIRE_LEN;
const T_SPAN_DROPPED_LINKS = (14 << 3) | WIRE_VARINT;
const T_SPAN_STATUS = (15 << 3) | WIRE_LEN;
const T_SPAN_FLAGS = (16 << 3) | WIRE_FIXED32;

const EMPTY_ATTRIBUTES: Attributes = Object.freeze([]) as Attributes;
const STATUS_UNSET: SpanStatus = Object.freeze({ code: 0, message: '' }) as SpanStatus;

/**
 * A span backed by its OTLP bytes. Scalars are read when it is built (throwing ProtoDecodeError
 * for malformed bytes); attributes, events and links are decoded on first access.
 */
export class EncodedSpan implements Span {
  readonly traceId: string = '';
  readonly spanId: string = '';
  readonly parentSpanId: string = '';
  readonly traceState: string = '';
  readonly flags: number = 0;
  readonly name: string = '';
  readonly kind: SpanKind = 0;
  readonly startTimeUnixNano: bigint = 0n;
  readonly endTimeUnixNano: bigint = 0n;
  readonly droppedAttributesCount: number = 0;
  readonly droppedEventsCount: number = 0;
  readonly droppedLinksCount: number = 0;
  readonly status: SpanStatus = STATUS_UNSET;
  /** Byte lengths of the id fields as sent (16/8 when valid); ingest validates them. */
  readonly traceIdBytes: number = 0;
  readonly spanIdBytes: number = 0;
  readonly parentSpanIdBytes: number = 0;
  private decodedAttributes: Attributes | undefined;
  private decodedEvents: readonly SpanEvent[] | undefined;
  private decodedLinks: readonly SpanLink[] | undefined;

  /**
   * `bytes` is the Span message (it is kept, not copied: the caller must not change it). `strict`
   * rejects strings that are not valid UTF-8 (ingest); storage reads back leniently.
   */
  constructor(
    readonly bytes: Uint8Array,
    readonly resource: Resource,
    readonly scope: InstrumentationScope,
    private readonly strict = false,
  ) {
    const r = new ProtoReader(bytes, 0, bytes.length, strict);
    // Written through a mutable view: the fields are readonly to users of the class.
    const self = this as { -readonly [K in keyof EncodedSpan]: EncodedSpan[K] };
    while (!r.done) {
      const tag = r.tag();
      switch (tag) {
        case T_SPAN_TRACE_ID: {
          const { start, end } = r.lengthDelimited();
          self.traceIdBytes = end - start;
          self.traceId = toHex(bytes, start, end);
          break;
        }
        case T_SPAN_SPAN_ID: {
          const { start, end } = r.lengthDelimited();
          self.spanIdBytes = end - start;
          self.spanId = toHex(bytes, start, end);
          break;
        }
        case T_SPAN_PARENT: {
          const { start, end } = r.lengthDelimited();
          self.parentSpanIdBytes = end - start;
          self.parentSpanId = toHex(bytes, start, end);
          break;
        }
        case T_SPAN_TRACE_STATE:
          self.traceState = r.string();
          break;
        case T_SPAN_NAME:
          self.name = r.string();
          break;
        case T_SPAN_KIND:
          self.kind = r.int32() as SpanKind;
          break;
        case T_SPAN_START:
          self.startTimeUnixNano = r.fixed64();
          break;
        case T_SPAN_END:
          self.endTimeUnixNano = r.fixed64();
          break;
        case T_SPAN_DROPPED_ATTR:
          self.droppedAttributesCount = r.varint() >>> 0;
          break;
        case T_SPAN_DROPPED_EVENTS:
          self.droppedEventsCount = r.varint() >>> 0;
          break;
        case T_SPAN_DROPPED_LINKS:
          self.droppedLinksCount = r.varint() >>> 0;
          break;
        case T_SPAN_FLAGS:
          self.flags = r.fixed32();
          break;
        case T_SPAN_STATUS: {
          const { start, end } = r.lengthDelimited();
          self.status = decodeStatus(bytes, start, end, strict);
          break;
        }
        case T_SPAN_ATTR:
        case T_SPAN_EVENT:
        case T_SPAN_LINK:
          // Decoded on first access; only skipped (and bounds-checked) here.
          r.lengthDelimited();
          break;
        default:
          checkKnownWireType(tag, 'Span');
          r.skip(tag);
      }
    }
  }

  get attributes(): Attributes {
    this.decodedAttributes ??= this.decodeRepeated(T_SPAN_ATTR, decodeKeyValue) ?? EMPTY_ATTRIBUTES;
    return this.decodedAttributes;
  }

  get events(): readonly SpanEvent[] {
    this.decodedEvents ??= this.decodeRepeated(T_SPAN_EVENT, decodeEvent) ?? [];
    return this.decodedEvents;
  }

  get links(): readonly SpanLink[] {
    this.decodedLinks ??= this.decodeRepeated(T_SPAN_LINK, decodeLink) ?? [];
    return this.decodedLinks;
  }

  /**
   * One span attribute's value (the first with that key), or undefined when there is none. Before
   * `attributes` is read this compares raw key bytes and decodes only the matching value, so span
   * metrics and the service graph can look up a few keys without decoding every attribute.
   */
  attribute(key: string): AttributeValue | undefined {
    if (this.decodedAttributes) {
      for (const a of this.decodedAttributes) if (a.key === key) return a.value;
      return undefined;
    }
    const want = utf8Key(key);
    const r = new ProtoReader(this.bytes, 0, this.bytes.length, this.strict);
    while (!r.done) {
      const tag = r.tag();
      if (tag !== T_SPAN_ATTR) {
        r.skip(tag);
        continue;
      }
      const { start, end } = r.lengthDelimited();
      if (keyIs(this.bytes, start, end, want)) {
        return decodeKeyValue(this.bytes, start, end, this.strict, 0).value;
      }
    }
    return undefined;
  }

  private decodeRepeated<T>(
    wanted: number,
    decode: (buf: Uint8Array, start: number, end: number, strict: boolean, depth: number) => T,
  ): T[] | undefined {
    let out: T[] | undefined;
    const r = new ProtoReader(this.bytes, 0, this.bytes.length, this.strict);
    while (!r.done) {
      const tag = r.tag();
      if (tag === wanted) {
        const { start, end } = r.lengthDelimited();
        out ??= [];
        out.push(decode(this.bytes, start, end, this.strict, 0));
      } else r.skip(tag);
    }
    return out;
  }
}

/** UTF-8 bytes of attribute keys looked up by `EncodedSpan.attribute` (a few configured keys). */
const keyBytes = new Map<string, Uint8Array>();
const KEY_CACHE_MAX = 1024;

function utf8Key(key: string): Uint8Array {
  let bytes = keyBytes.get(key);
  if (!bytes) {
    bytes = Buffer.from(key, 'utf8');
    if (keyBytes.size < KEY_CACHE_MAX) keyBytes.set(key, bytes);
  }
  return bytes;
}

/** Whether the KeyValue message at [start, end) has the key `want` (compared as bytes). */
function keyIs(buf: Uint8Array, start: number, end: number, want: Uint8Array): boolean {
  // Fast path for what every encoder writes: the key first, its length in one varint byte.
  if (end - start >= 2 && buf[start] === ((1 << 3) | WIRE_LEN) && buf[start + 1] < 0x80) {
    const len = buf[start + 1];
    if (len !== want.length || start + 2 + len > end) return false;
    for (let i = 0; i < len; i++) if (buf[start + 2 + i] !== want[i]) return false;
    return true;
  }
  const r = new ProtoReader(buf, start, end, false);
  while (!r.done) {
    const tag = r.tag();
    if (tag !== ((1 << 3) | WIRE_LEN)) {
      r.skip(tag);
      continue;
    }
    const f = r.lengthDelimited();
    if (f.end - f.start !== want.length) return false;
    for (let i = 0; i < want.length; i++) if (buf[f.start + i] !== want[i]) return false;
    return true;
  }
  return want.length === 0;
}

/**
 * A known field of Span with a wire type it does not have is an error (protobuf's rule), as the
 * generated decoder would report; unknown fields of any wire type are skipped.
 */
function checkKnownWireType(tag: number, message: string): void {
  const field = tag >>> 3;
  if (message === 'Span' && field >= 1 && field <= 16) {
    throw new ProtoDecodeError(`Span field ${field} has the wrong wire type ${tag & 7}`);
  }
}

function decodeStatus(buf: Uint8Array, start: number, end: number, strict: boolean): SpanStatus {
  const r = new ProtoReader(buf, start, end, strict);
  let code = 0;
  let message = '';
  while (!r.done) {
    const tag = r.tag();
    if (tag === ((2 << 3) | WIRE_LEN)) message = r.string();
    else if (tag === ((3 << 3) | WIRE_VARINT)) code = r.int32();
    else r.skip(tag);
  }
  if (code === 0 && message === '') return STATUS_UNSET;
  return { code: code as StatusCode, message };
}

function decodeEvent(buf: Uint8Array, start: number, end: number, strict: boolean): SpanEvent {
  const r = new ProtoReader(buf, start, end, strict);
  let timeUnixNano = 0n;
  let name = '';
  let attributes: Attribute[] | undefined;
  let droppedAttributesCount = 0;
  while (!r.done) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | WIRE_FIXED64:
        timeUnixNano = r.fixed64();
        break;
      case (2 << 3) | WIRE_LEN:
        name = r.string();
        break;
      case (3 << 3) | WIRE_LEN: {
        const f = r.lengthDelimited();
        attributes ??= [];
        attributes.push(decodeKeyValue(buf, f.start, f.end, strict, 0));
        break;
      }
      case (4 << 3) | WIRE_VARINT:
        droppedAttributesCount = r.varint() >>> 0;
        break;
      default:
        r.skip(tag);
    }
  }
  return { timeUnixNano, name, attributes: attributes ?? EMPTY_ATTRIBUTES, droppedAttributesCount };
}

function decodeLink(buf: Uint8Array, start: number, end: number, strict: boolean): SpanLink {
  const r = new ProtoReader(buf, start, end, strict);
  let traceId = '';
  let spanId = '';
  let traceState = '';
  let attributes: Attribute[] | undefined;
  let droppedAttributesCount = 0;
  let flags = 0;
  while (!r.done) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | WIRE_LEN: {
        const f = r.lengthDelimited();
        traceId = toHex(buf, f.start, f.end);
        break;
      }
      case (2 << 3) | WIRE_LEN: {
        const f = r.lengthDelimited();
        spanId = toHex(buf, f.start, f.end);
        break;
      }
      case (3 << 3) | WIRE_LEN:
        traceState = r.string();
        break;
      case (4 << 3) | WIRE_LEN: {
        const f = r.lengthDelimited();
        attributes ??= [];
        attributes.push(decodeKeyValue(buf, f.start, f.end, strict, 0));
        break;
      }
      case (5 << 3) | WIRE_VARINT:
        droppedAttributesCount = r.varint() >>> 0;
        break;
      case (6 << 3) | WIRE_FIXED32:
        flags = r.fixed32();
        break;
      default:
        r.skip(tag);
    }
  }
  return {
    traceId,
    spanId,
    traceState,
    attributes: attributes ?? EMPTY_ATTRIBUTES,
    droppedAttributesCount,
    flags,
  };
}

/** Decodes a KeyValue message. */
export function decodeKeyValue(
  buf: Uint8Array,
  start: number,
  end: number,
  strict: boolean,
  depth: number,
): Attribute {
  const r = new ProtoReader(buf, start, end, strict);
  let key = '';
  let value: AttributeValue = null;
  while (!r.done) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WIRE_LEN)) key = r.string();
    else if (tag === ((2 << 3) | WIRE_LEN)) {
      const f = r.lengthDelimited();
      value = decodeAnyValue(buf, f.start, f.end, strict, depth);
    } else r.skip(tag);
  }
  return { key, value };
}

function decodeAnyValue(
  buf: Uint8Array,
  start: number,
  end: number,
  strict: boolean,
  depth: number,
): AttributeValue {
  if (depth > MAX_VALUE_DEPTH) {
    throw new ProtoDecodeError(`attribute value is nested more than ${MAX_VALUE_DEPTH} levels deep`);
  }
  const r = new ProtoReader(buf, start, end, strict);
  let value: AttributeValue = null;
  while (!r.done) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | WIRE_LEN:
        value = r.string();
        break;
      case (2 << 3) | WIRE_VARINT:
        value = r.varint64() !== 0n;
        break;
      case (3 << 3) | WIRE_VARINT:
        value = r.int64();
        break;
      case (4 << 3) | WIRE_FIXED64:
        value = r.double();
        break;
      case (5 << 3) | WIRE_LEN: {
        const f = r.lengthDelimited();
        const items: AttributeValue[] = [];
        const ar = new ProtoReader(buf, f.start, f.end, strict);
        while (!ar.done) {
          const t = ar.tag();
          if (t === ((1 << 3) | WIRE_LEN)) {
            const item = ar.lengthDelimited();
            items.push(decodeAnyValue(buf, item.start, item.end, strict, depth + 1));
          } else ar.skip(t);
        }
        value = items;
        break;
      }
      case (6 << 3) | WIRE_LEN: {
        const f = r.lengthDelimited();
        const kvlist: Attribute[] = [];
        const kr = new ProtoReader(buf, f.start, f.end, strict);
        while (!kr.done) {
          const t = kr.tag();
          if (t === ((1 << 3) | WIRE_LEN)) {
            const kv = kr.lengthDelimited();
            kvlist.push(decodeKeyValue(buf, kv.start, kv.end, strict, depth + 1));
          } else kr.skip(t);
        }
        value = { kvlist };
        break;
      }
      case (7 << 3) | WIRE_LEN:
        // A copy: the value must not keep a whole page or request buffer alive.
        value = new Uint8Array(r.bytes());
        break;
      default:
        r.skip(tag);
    }
  }
  return value;
}

/** Decodes a repeated KeyValue field (`field`) of the message in buf[start, end). */
function decodeAttributeField(
  buf: Uint8Array,
  start: number,
  end: number,
  field: number,
  strict: boolean,
): Attributes {
  let out: Attribute[] | undefined;
  const r = new ProtoReader(buf, start, end, strict);
  const wanted = (field << 3) | WIRE_LEN;
  while (!r.done) {
    const tag = r.tag();
    if (tag === wanted) {
      const f = r.lengthDelimited();
      out ??= [];
      out.push(decodeKeyValue(buf, f.start, f.end, strict, 0));
    } else r.skip(tag);
  }
  return out ?? EMPTY_ATTRIBUTES;
}

// ---------------------------------------------------------------------------------------------
// Resources and scopes

/** Decodes an OTLP Resource message (attributes = 1, dropped_attributes_count = 2). */
export function decodeResource(
  buf: Uint8Array,
  start: number,
  end: number,
  schemaUrl: string,
  strict: boolean,
): Resource {
  let dropped = 0;
  const r = new ProtoReader(buf, start, end, strict);
  while (!r.done) {
    const tag = r.tag();
    if (tag === ((2 << 3) | WIRE_VARINT)) dropped = r.varint() >>> 0;
    else r.skip(tag);
  }
  return {
    attributes: decodeAttributeField(buf, start, end, 1, strict),
    droppedAttributesCount: dropped,
    schemaUrl,
  };
}

/** Decodes an OTLP InstrumentationScope message. */
export function decodeScope(
  buf: Uint8Array,
  start: number,
  end: number,
  schemaUrl: string,
  strict: boolean,
): InstrumentationScope {
  let name = '';
  let version = '';
  let dropped = 0;
  const r = new ProtoReader(buf, start, end, strict);
  while (!r.done) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WIRE_LEN)) name = r.string();
    else if (tag === ((2 << 3) | WIRE_LEN)) version = r.string();
    else if (tag === ((4 << 3) | WIRE_VARINT)) dropped = r.varint() >>> 0;
    else r.skip(tag);
  }
  return {
    name,
    version,
    attributes: decodeAttributeField(buf, start, end, 3, strict),
    droppedAttributesCount: dropped,
    schemaUrl,
  };
}

/** A resource record: a ResourceSpans message with only `resource` (1) and `schema_url` (3). */
export function encodeResourceRecord(resource: Resource): Uint8Array {
  const w = new ProtoWriter(256);
  w.tag(1, WIRE_LEN).fork();
  writeAttributes(w, 1, resource.attributes);
  if (resource.droppedAttributesCount) w.tag(2, WIRE_VARINT).varint(resource.droppedAttributesCount);
  w.join();
  if (resource.schemaUrl) w.tag(3, WIRE_LEN).string(resource.schemaUrl);
  return w.finish();
}

/** A scope record: a ScopeSpans message with only `scope` (1) and `schema_url` (3). */
export function encodeScopeRecord(scope: InstrumentationScope): Uint8Array {
  const w = new ProtoWriter(128);
  w.tag(1, WIRE_LEN).fork();
  if (scope.name) w.tag(1, WIRE_LEN).string(scope.name);
  if (scope.version) w.tag(2, WIRE_LEN).string(scope.version);
  writeAttributes(w, 3, scope.attributes);
  if (scope.droppedAttributesCount) w.tag(4, WIRE_VARINT).varint(scope.droppedAttributesCount);
  w.join();
  if (scope.schemaUrl) w.tag(3, WIRE_LEN).string(scope.schemaUrl);
  return w.finish();
}

/** Reads a resource record back. */
export function decodeResourceRecord(bytes: Uint8Array): Resource {
  const { message, schemaUrl } = recordParts(bytes);
  return decodeResource(bytes, message.start, message.end, schemaUrl, false);
}

/** Reads a scope record back. */
export function decodeScopeRecord(bytes: Uint8Array): InstrumentationScope {
  const { message, schemaUrl } = recordParts(bytes);
  return decodeScope(bytes, message.start, message.end, schemaUrl, false);
}

function recordParts(bytes: Uint8Array): { message: { start: number; end: number }; schemaUrl: string } {
  const r = new ProtoReader(bytes, 0, bytes.length, false);
  let message = { start: 0, end: 0 };
  let schemaUrl = '';
  while (!r.done) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WIRE_LEN)) message = r.lengthDelimited();
    else if (tag === ((3 << 3) | WIRE_LEN)) schemaUrl = r.string();
    else r.skip(tag);
  }
  return { message, schemaUrl };
}

// ---------------------------------------------------------------------------------------------
// Encoding

const sharedWriter = new ProtoWriter(4096);

/**
 * The OTLP Span message bytes of a span: the bytes it was decoded from when it came from OTLP
 * (a view, not a copy), else a fresh encoding.
 */
export function spanBytes(span: Span): Uint8Array {
  if (span instanceof EncodedSpan) return span.bytes;
  sharedWriter.reset();
  writeSpan(sharedWriter, span);
  return sharedWriter.finish();
}

/** Writes a Span message's fields (no length prefix) in field-number order. */
export function writeSpan(w: ProtoWriter, span: Span): void {
  w.tag(1, WIRE_LEN).bytes(fromHex(span.traceId));
  w.tag(2, WIRE_LEN).bytes(fromHex(span.spanId));
  if (span.traceState) w.tag(3, WIRE_LEN).string(span.traceState);
  if (span.parentSpanId) w.tag(4, WIRE_LEN).bytes(fromHex(span.parentSpanId));
  if (span.name) w.tag(5, WIRE_LEN).string(span.name);
  if (span.kind) w.tag(6, WIRE_VARINT).int32(span.kind);
  if (span.startTimeUnixNano) w.tag(7, WIRE_FIXED64).fixed64(span.startTimeUnixNano);
  if (span.endTimeUnixNano) w.tag(8, WIRE_FIXED64).fixed64(span.endTimeUnixNano);
  writeAttributes(w, 9, span.attributes);
  if (span.droppedAttributesCount) w.tag(10, WIRE_VARINT).varint(span.droppedAttributesCount);
  for (const e of span.events) {
    w.tag(11, WIRE_LEN).fork();
    if (e.timeUnixNano) w.tag(1, WIRE_FIXED64).fixed64(e.timeUnixNano);
    if (e.name) w.tag(2, WIRE_LEN).string(e.name);
    writeAttributes(w, 3, e.attributes);
    if (e.droppedAttributesCount) w.tag(4, WIRE_VARINT).varint(e.droppedAttributesCount);
    w.join();
  }
  if (span.droppedEventsCount) w.tag(12, WIRE_VARINT).varint(span.droppedEventsCount);
  for (const l of span.links) {
    w.tag(13, WIRE_LEN).fork();
    w.tag(1, WIRE_LEN).bytes(fromHex(l.traceId));
    w.tag(2, WIRE_LEN).bytes(fromHex(l.spanId));
    if (l.traceState) w.tag(3, WIRE_LEN).string(l.traceState);
    writeAttributes(w, 4, l.attributes);
    if (l.droppedAttributesCount) w.tag(5, WIRE_VARINT).varint(l.droppedAttributesCount);
    if (l.flags) w.tag(6, WIRE_FIXED32).fixed32(l.flags);
    w.join();
  }
  if (span.droppedLinksCount) w.tag(14, WIRE_VARINT).varint(span.droppedLinksCount);
  if (span.status.code !== 0 || span.status.message !== '') {
    w.tag(15, WIRE_LEN).fork();
    if (span.status.message) w.tag(2, WIRE_LEN).string(span.status.message);
    if (span.status.code) w.tag(3, WIRE_VARINT).int32(span.status.code);
    w.join();
  }
  if (span.flags) w.tag(16, WIRE_FIXED32).fixed32(span.flags);
}

function writeAttributes(w: ProtoWriter, field: number, attributes: Attributes): void {
  for (const a of attributes) {
    w.tag(field, WIRE_LEN).fork();
    w.tag(1, WIRE_LEN).string(a.key);
    w.tag(2, WIRE_LEN).fork();
    writeAnyValue(w, a.value);
    w.join();
    w.join();
  }
}

function writeAnyValue(w: ProtoWriter, v: AttributeValue): void {
  if (v === null) return;
  switch (typeof v) {
    case 'string':
      w.tag(1, WIRE_LEN).string(v);
      return;
    case 'boolean':
      w.tag(2, WIRE_VARINT).varint(v ? 1 : 0);
      return;
    case 'bigint':
      w.tag(3, WIRE_VARINT).int64(v);
      return;
    case 'number':
      w.tag(4, WIRE_FIXED64).double(v);
      return;
  }
  if (v instanceof Uint8Array) {
    w.tag(7, WIRE_LEN).bytes(v);
  } else if (Array.isArray(v)) {
    w.tag(5, WIRE_LEN).fork();
    for (const item of v as readonly AttributeValue[]) {
      w.tag(1, WIRE_LEN).fork();
      writeAnyValue(w, item);
      w.join();
    }
    w.join();
  } else {
    w.tag(6, WIRE_LEN).fork();
    writeAttributes(w, 1, (v as { kvlist: Attributes }).kvlist);
    w.join();
  }
}

// ---------------------------------------------------------------------------------------------
// Validation without decoding

/** Limits checked on every attribute of a span, its events and links. */
export interface AttributeLimits {
  /** Attributes per span, event or link. */
  readonly maxAttributes: number;
  /** UTF-8 bytes of an attribute key. */
  readonly maxKeyBytes: number;
  /** UTF-8 bytes of one string or bytes value (each element of an array counts alone). */
  readonly maxValueBytes: number;
}

/**
 * Checks a span's attributes (and its events' and links' attributes) against `limits` and for
 * valid UTF-8 without building them, returning what is wrong or undefined. Malformed bytes
 * throw ProtoDecodeError.
 */
export function checkEncodedAttributes(span: EncodedSpan, limits: AttributeLimits): string | undefined {
  const buf = span.bytes;
  const r = new ProtoReader(buf, 0, buf.length, true);
  let count = 0;
  while (!r.done) {
    const tag = r.tag();
    if (tag === T_SPAN_ATTR) {
      const f = r.lengthDelimited();
      if (++count > limits.maxAttributes) return `more than ${limits.maxAttributes} attributes`;
      const problem = checkKeyValue(buf, f.start, f.end, limits, 0);
      if (problem) return problem;
    } else if (tag === T_SPAN_EVENT || tag === T_SPAN_LINK) {
      const f = r.lengthDelimited();
      const problem = checkNestedAttributes(buf, f.start, f.end, tag === T_SPAN_EVENT ? 3 : 4, limits);
      if (problem) return `${tag === T_SPAN_EVENT ? 'event' : 'link'} ${problem}`;
    } else r.skip(tag);
  }
  return undefined;
}

function checkNestedAttributes(
  buf: Uint8Array,
  start: number,
  end: number,
  field: number,
  limits: AttributeLimits,
): string | undefined {
  const r = new ProtoReader(buf, start, end, true);
  const wanted = (field << 3) | WIRE_LEN;
  let count = 0;
  while (!r.done) {
    const tag = r.tag();
    if (tag === wanted) {
      const f = r.lengthDelimited();
      if (++count > limits.maxAttributes) return `has more than ${limits.maxAttributes} attributes`;
      const problem = checkKeyValue(buf, f.start, f.end, limits, 0);
      if (problem) return problem;
    } else if (tag === ((2 << 3) | WIRE_LEN) || tag === ((3 << 3) | WIRE_LEN)) {
      // Event name / link trace_state: text that must be UTF-8.
      const f = r.lengthDelimited();
      if (field === 3 && tag === ((2 << 3) | WIRE_LEN) && !utf8(buf, f.start, f.end))
        return 'name is not valid UTF-8';
    } else r.skip(tag);
  }
  return undefined;
}

function checkKeyValue(
  buf: Uint8Array,
  start: number,
  end: number,
  limits: AttributeLimits,
  depth: number,
): string | undefined {
  const r = new ProtoReader(buf, start, end, true);
  let keyStart = 0;
  let keyEnd = 0;
  while (!r.done) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WIRE_LEN)) {
      ({ start: keyStart, end: keyEnd } = r.lengthDelimited());
    } else if (tag === ((2 << 3) | WIRE_LEN)) {
      const f = r.lengthDelimited();
      const problem = checkAnyValue(buf, f.start, f.end, limits, depth);
      if (problem) return `attribute ${JSON.stringify(keyText(buf, keyStart, keyEnd))}: ${problem}`;
    } else r.skip(tag);
  }
  if (keyEnd - keyStart > limits.maxKeyBytes) {
    return `attribute key "${keyText(buf, keyStart, Math.min(keyEnd, keyStart + 40))}…" is longer than ${limits.maxKeyBytes} bytes`;
  }
  if (keyEnd === keyStart) return 'attribute with an empty key';
  if (!utf8(buf, keyStart, keyEnd)) return 'attribute key is not valid UTF-8';
  return undefined;
}

function checkAnyValue(
  buf: Uint8Array,
  start: number,
  end: number,
  limits: AttributeLimits,
  depth: number,
): string | undefined {
  if (depth > MAX_VALUE_DEPTH) return `value is nested more than ${MAX_VALUE_DEPTH} levels deep`;
  const r = new ProtoReader(buf, start, end, true);
  while (!r.done) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WIRE_LEN) || tag === ((7 << 3) | WIRE_LEN)) {
      const f = r.lengthDelimited();
      if (f.end - f.start > limits.maxValueBytes) {
        return `value is ${f.end - f.start} bytes, longer than ${limits.maxValueBytes}`;
      }
      if (tag === ((1 << 3) | WIRE_LEN) && !utf8(buf, f.start, f.end)) return 'value is not valid UTF-8';
    } else if (tag === ((5 << 3) | WIRE_LEN) || tag === ((6 << 3) | WIRE_LEN)) {
      const f = r.lengthDelimited();
      const inner = new ProtoReader(buf, f.start, f.end, true);
      while (!inner.done) {
        const t = inner.tag();
        if (t === ((1 << 3) | WIRE_LEN)) {
          const item = inner.lengthDelimited();
          const problem =
            tag === ((5 << 3) | WIRE_LEN)
              ? checkAnyValue(buf, item.start, item.end, limits, depth + 1)
              : checkKeyValue(buf, item.start, item.end, limits, depth + 1);
          if (problem) return problem;
        } else inner.skip(t);
      }
    } else r.skip(tag);
  }
  return undefined;
}

function utf8(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] >= 0x80) return isUtf8(buf.subarray(start, end));
  return true;
}

function keyText(buf: Uint8Array, start: number, end: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + start, Math.max(0, end - start)).toString('utf8');
}
