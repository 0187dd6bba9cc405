/**
 * OTLP payload encodings, shared by every signal: binary protobuf and the OTLP JSON mapping
 * (proto3 JSON with lowerCamelCase keys, 64-bit integers as strings or numbers, enums as integers,
 * unknown fields ignored, and trace/span ids as hex rather than base64), plus the
 * google.rpc.Status body of error responses.
 */
import {
  type DescMessage,
  fromBinary,
  fromJson,
  type JsonValue,
  type MessageShape,
  toBinary,
  toJson,
} from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

export type OtlpEncoding = 'protobuf' | 'json';

/** Thrown for a payload that does not decode as the expected message. */
export class OtlpDecodeError extends Error {}

/** The encoding a Content-Type names, or undefined for one OTLP does not use. */
export function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType === 'application/x-protobuf') return 'protobuf';
  if (mediaType === 'application/json') return 'json';
  return undefined;
}

/** The Content-Type of responses in an encoding. */
export function contentTypeOf(encoding: OtlpEncoding): string {
  return encoding === 'json' ? 'application/json' : 'application/x-protobuf';
}

/** Decodes a request body; throws OtlpDecodeError saying what was wrong. */
export function decodeMessage<Desc extends DescMessage>(
  schema: Desc,
  body: Uint8Array,
  encoding: OtlpEncoding,
): MessageShape<Desc> {
  if (encoding === 'protobuf') {
    try {
      return fromBinary(schema, body, { readUnknownFields: false });
    } catch (err) {
      throw new OtlpDecodeError(`request body is not a valid protobuf ${schema.typeName}: ${describe(err)}`);
    }
  }
  let json: JsonValue;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)) as JsonValue;
  } catch (err) {
    throw new OtlpDecodeError(`request body is not valid JSON: ${describe(err)}`);
  }
  try {
    return fromJson(schema, hexIdsToBase64(json), { ignoreUnknownFields: true });
  } catch (err) {
    throw new OtlpDecodeError(`request body is not a valid OTLP/JSON ${schema.typeName}: ${describe(err)}`);
  }
}

/** Encodes a response message in the request's encoding. */
export function encodeMessage<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
  encoding: OtlpEncoding,
): Uint8Array | string {
  if (encoding === 'protobuf') return toBinary(schema, message);
  return JSON.stringify(toJson(schema, message));
}

/** gRPC status codes that OTLP errors use (also written into HTTP error bodies). */
export const GrpcCode = {
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/**
 * A google.rpc.Status (`code` = 1, `message` = 2; no details), the body of OTLP/HTTP error
 * responses. Written by hand: it is two fields, and its .proto is not among the generated ones.
 */
export function encodeStatus(code: number, message: string, encoding: OtlpEncoding): Uint8Array | string {
  if (encoding === 'json') return JSON.stringify({ code, message });
  const writer = new BinaryWriter();
  if (code !== 0) writer.tag(1, WireType.Varint).int32(code);
  if (message !== '') writer.tag(2, WireType.LengthDelimited).string(message);
  return writer.finish();
}

/** The gRPC code matching an HTTP error status, for Status bodies. */
export function grpcCodeForHttpStatus(status: number): number {
  if (status === 413) return GrpcCode.RESOURCE_EXHAUSTED;
  if (status === 415) return GrpcCode.UNIMPLEMENTED;
  if (status === 503 || status === 429) return GrpcCode.UNAVAILABLE;
  if (status >= 500) return GrpcCode.INTERNAL;
  return GrpcCode.INVALID_ARGUMENT;
}

const ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/**
 * OTLP/JSON writes trace and span ids as hex; proto3 JSON expects base64 for bytes. Rewrites
 * every hex string under those keys (in exemplars, spans, links, log records) to base64, in place.
 * Walks iteratively: the value came from JSON.parse and may be deeply nested.
 */
function hexIdsToBase64(root: JsonValue): JsonValue {
  const stack: JsonValue[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
      continue;
    }
    for (const key of Object.keys(value)) {
      const v = value[key];
      if (ID_KEYS.has(key) && typeof v === 'string' && HEX.test(v)) {
        value[key] = Buffer.from(v, 'hex').toString('base64');
      } else if (v !== null && typeof v === 'object') {
        stack.push(v);
      }
    }
  }
  return root;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
