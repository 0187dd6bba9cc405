/**
 * Traces as Tempo's trace-by-id endpoints return them. The protobuf form is OTLP's TracesData
 * (Tempo's tempopb.Trace has the same wire shape), assembled from the stored span bytes without
 * re-encoding them. The JSON form is that message in proto3 JSON, which is what Tempo's gogo
 * jsonpb marshaller writes: lowerCamelCase names, ids as base64, enums as names, 64-bit integers
 * as strings, default values left out; v1 names the top-level list `batches`.
 */
import { fromBinary, type JsonObject, toJson } from '@bufbuild/protobuf';
import { TracesDataSchema } from '../../gen/opentelemetry/proto/trace/v1/trace_pb.ts';
import type { InstrumentationScope, Resource, Span } from '../../model/span.ts';
import { encodeResourceRecord, encodeScopeRecord, spanBytes } from '../../storage/traces/otlp/span-codec.ts';
import { ProtoWriter, WIRE_LEN } from '../../storage/traces/otlp/wire.ts';

/** OTLP TracesData bytes of spans, grouped by resource and then scope, in the spans' order. */
export function tracesDataBytes(spans: readonly Span[]): Uint8Array {
  const byResource = new Map<Resource, Map<InstrumentationScope, Span[]>>();
  for (const s of spans) {
    let scopes = byResource.get(s.resource);
    if (!scopes) {
      scopes = new Map();
      byResource.set(s.resource, scopes);
    }
    let list = scopes.get(s.scope);
    if (!list) {
      list = [];
      scopes.set(s.scope, list);
    }
    list.push(s);
  }
  const w = new ProtoWriter(64 * 1024);
  for (const [resource, scopes] of byResource) {
    // ResourceSpans = the resource record (resource + schema_url) followed by its scope_spans.
    w.tag(1, WIRE_LEN).fork();
    w.raw(encodeResourceRecord(resource));
    for (const [scope, list] of scopes) {
      w.tag(2, WIRE_LEN).fork();
      w.raw(encodeScopeRecord(scope));
      for (const span of list) w.tag(2, WIRE_LEN).bytes(spanBytes(span));
      w.join();
    }
    w.join();
  }
  return w.finish();
}

/** tempopb.TraceByIDResponse bytes: the trace as field 1 (status COMPLETE, the default, left out). */
export function traceByIdResponseBytes(spans: readonly Span[]): Uint8Array {
  const w = new ProtoWriter(64 * 1024);
  w.tag(1, WIRE_LEN).bytes(tracesDataBytes(spans));
  return w.finish();
}

/** The trace as proto3 JSON: `{"resourceSpans": [...]}`. */
export function tracesDataJson(spans: readonly Span[]): JsonObject {
  const message = fromBinary(TracesDataSchema, tracesDataBytes(spans));
  return toJson(TracesDataSchema, message) as JsonObject;
}
