/** OTLP KeyValue/AnyValue encoding of attribute maps (resource, data point, log record attributes). */
import type { ProtoWriter } from './protobuf.ts';

/** Writes the fields of one AnyValue into `w` (oneof members are written even when zero). */
export function writeAnyValue(w: ProtoWriter, v: unknown): void {
  if (typeof v === 'string') w.string(1, v, true);
  else if (typeof v === 'boolean') w.bool(2, v, true);
  else if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) w.int64(3, v);
    else w.double(4, v, true);
  } else if (typeof v === 'bigint') w.int64(3, Number(v));
  else if (Array.isArray(v)) {
    w.message(5, (arr) => {
      for (const x of v) arr.message(1, (av) => writeAnyValue(av, x));
    });
  } else if (v !== undefined && v !== null)
    w.string(1, typeof v === 'object' ? JSON.stringify(v) : String(v), true);
}

/** Writes `attributes` as repeated KeyValue in `field` of `w`; undefined values are left out. */
export function writeAttributes(
  w: ProtoWriter,
  field: number,
  attributes: Readonly<Record<string, unknown>>,
): void {
  for (const key of Object.keys(attributes)) {
    const v = attributes[key];
    if (v === undefined) continue;
    w.message(field, (kv) => {
      kv.string(1, key, true);
      kv.message(2, (av) => writeAnyValue(av, v));
    });
  }
}
