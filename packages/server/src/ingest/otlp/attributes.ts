import type { AnyValue } from '../../gen/opentelemetry/proto/common/v1/common_pb.ts';

/** Thrown when an attribute value cannot be represented as a string. */
export class AttributeValueError extends Error {}

/** Arrays and maps nested deeper than this are refused rather than risk the stack. */
const MAX_DEPTH = 32;

/**
 * An OTLP attribute value as a label value, following the specification's "AnyValue
 * representation for non-OTLP protocols": strings as they are, booleans and numbers as JSON,
 * bytes as base64, arrays and maps as JSON, an empty value as "".
 */
export function anyValueToString(value: AnyValue | undefined): string {
  const v = value?.value;
  switch (v?.case) {
    case undefined:
      return '';
    case 'stringValue':
      return v.value;
    case 'boolValue':
      return v.value ? 'true' : 'false';
    case 'intValue':
      return v.value.toString();
    case 'doubleValue':
      return formatJsonNumber(v.value);
    case 'bytesValue':
      return Buffer.from(v.value).toString('base64');
    case 'arrayValue':
    case 'kvlistValue':
      return JSON.stringify(toJsonValue(value, 0));
    case 'stringValueStrindex':
      // An index into a profiles dictionary; metrics carry no dictionary to resolve it against.
      return '';
  }
}

function formatJsonNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return 'Infinity';
  if (n === Number.NEGATIVE_INFINITY) return '-Infinity';
  return String(n);
}

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Array elements and map values: as JSON values, with NaN/Infinity as strings and bytes as base64. */
function toJsonValue(value: AnyValue | undefined, depth: number): JsonValue {
  if (depth > MAX_DEPTH) {
    throw new AttributeValueError(`attribute value is nested more than ${MAX_DEPTH} levels deep`);
  }
  const v = value?.value;
  switch (v?.case) {
    case undefined:
    case 'stringValueStrindex':
      return null;
    case 'stringValue':
      return v.value;
    case 'boolValue':
      return v.value;
    case 'intValue': {
      // JSON numbers; integers beyond 2^53 keep their digits by going through the raw text.
      const n = Number(v.value);
      return Number.isSafeInteger(n) ? n : (rawNumber(v.value.toString()) as unknown as JsonValue);
    }
    case 'doubleValue':
      return Number.isFinite(v.value) ? v.value : formatJsonNumber(v.value);
    case 'bytesValue':
      return Buffer.from(v.value).toString('base64');
    case 'arrayValue':
      return v.value.values.map((item) => toJsonValue(item, depth + 1));
    case 'kvlistValue': {
      const out: { [key: string]: JsonValue } = {};
      for (const kv of v.value.values) out[kv.key] = toJsonValue(kv.value, depth + 1);
      return out;
    }
  }
}

/** JSON.rawJSON (Node 21+) keeps big integers exact; on Node 20 they become the nearest double. */
function rawNumber(digits: string): unknown {
  const raw = (JSON as { rawJSON?: (text: string) => unknown }).rawJSON;
  return raw ? raw(digits) : Number(digits);
}
