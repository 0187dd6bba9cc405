/**
 * The hot-path decoder for `ExportTraceServiceRequest` protobuf bodies: it walks ResourceSpans and
 * ScopeSpans, decodes each resource and scope once, and wraps every span's bytes in an
 * EncodedSpan (scalars read now, attributes when someone asks), so storage keeps the bytes as they
 * came. A body that is not a valid message fails as a whole (ProtoDecodeError, a 400); a span
 * whose own bytes are malformed is rejected alone with its reason.
 */
import type { InstrumentationScope, Resource, Span } from '../../../model/span.ts';
import { decodeResource, decodeScope, EncodedSpan } from '../../../storage/traces/otlp/span-codec.ts';
import { ProtoDecodeError, ProtoReader, WIRE_LEN } from '../../../storage/traces/otlp/wire.ts';

/** A span that could not be read, with why. */
export interface UndecodableSpan {
  readonly reason: string;
}

export interface DecodedTraceRequest {
  readonly spans: Span[];
  readonly undecodable: UndecodableSpan[];
}

const EMPTY_RESOURCE_BYTES = new Uint8Array(0);

/** Decodes an ExportTraceServiceRequest; throws ProtoDecodeError when the body is not one. */
export function decodeTraceRequest(body: Uint8Array): DecodedTraceRequest {
  const spans: Span[] = [];
  const undecodable: UndecodableSpan[] = [];
  const r = new ProtoReader(body);
  while (!r.done) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WIRE_LEN)) {
      const f = r.lengthDelimited();
      decodeResourceSpans(body, f.start, f.end, spans, undecodable);
    } else {
      if (tag >>> 3 === 1) throw new ProtoDecodeError('resource_spans has the wrong wire type');
      r.skip(tag);
    }
  }
  return { spans, undecodable };
}

function decodeResourceSpans(
  buf: Uint8Array,
  start: number,
  end: number,
  spans: Span[],
  undecodable: UndecodableSpan[],
): void {
  // First pass: the resource and schema_url, which may come after the scope_spans.
  let resourceRange = { start: 0, end: 0 };
  let schemaUrl = '';
  const scopeRanges: { start: number; end: number }[] = [];
  const r = new ProtoReader(buf, start, end);
  while (!r.done) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === 1 || field === 2 || field === 3) r.expect(tag, WIRE_LEN, `ResourceSpans.${field}`);
    if (field === 1) resourceRange = r.lengthDelimited();
    else if (field === 2) scopeRanges.push(r.lengthDelimited());
    else if (field === 3) schemaUrl = r.string();
    else r.skip(tag);
  }
  const resource: Resource = decodeResource(
    resourceRange.end > resourceRange.start ? buf : EMPTY_RESOURCE_BYTES,
    resourceRange.start,
    resourceRange.end,
    schemaUrl,
    true,
  );
  for (const s of scopeRanges) decodeScopeSpans(buf, s.start, s.end, resource, spans, undecodable);
}

function decodeScopeSpans(
  buf: Uint8Array,
  start: number,
  end: number,
  resource: Resource,
  spans: Span[],
  undecodable: UndecodableSpan[],
): void {
  let scopeRange = { start: 0, end: 0 };
  let schemaUrl = '';
  const spanRanges: { start: number; end: number }[] = [];
  const r = new ProtoReader(buf, start, end);
  while (!r.done) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === 1 || field === 2 || field === 3) r.expect(tag, WIRE_LEN, `ScopeSpans.${field}`);
    if (field === 1) scopeRange = r.lengthDelimited();
    else if (field === 2) spanRanges.push(r.lengthDelimited());
    else if (field === 3) schemaUrl = r.string();
    else r.skip(tag);
  }
  const scope: InstrumentationScope = decodeScope(buf, scopeRange.start, scopeRange.end, schemaUrl, true);
  for (const s of spanRanges) {
    try {
      spans.push(new EncodedSpan(buf.subarray(s.start, s.end), resource, scope, true));
    } catch (err) {
      if (!(err instanceof ProtoDecodeError)) throw err;
      undecodable.push({ reason: `malformed span: ${err.message}` });
    }
  }
}
