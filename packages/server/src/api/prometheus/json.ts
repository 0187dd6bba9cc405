/**
 * Query results written as the exact JSON text Prometheus's API produces: sample values as
 * strings in Go's shortest form ('f', or 'e' with a two-digit exponent outside [1e-6, 1e21)),
 * timestamps as seconds with the milliseconds after the point ("12.500"), NaN and ±Inf spelled
 * as Prometheus spells them. Built as text, not via JSON.stringify, so large matrices do not
 * become millions of intermediate objects.
 */
import type { Labels } from '../../model/labels.ts';
import type { QueryValue } from '../../promql/index.ts';

/** Prometheus's jsonutil.MarshalFloat, without the quotes. */
export function formatSampleValue(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Number.POSITIVE_INFINITY) return '+Inf';
  if (f === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Object.is(f, -0)) return '-0';
  const s = String(f);
  // JS switches to exponent notation at the same thresholds as Prometheus; Go pads the exponent.
  const e = s.indexOf('e');
  if (e < 0) return s;
  const mantissa = s.slice(0, e);
  const sign = s[e + 1];
  const digits = s.slice(e + 2);
  return `${mantissa}e${sign}${digits.length < 2 ? `0${digits}` : digits}`;
}

/** Prometheus's jsonutil.MarshalTimestamp: ms as seconds with three fraction digits when needed. */
export function formatTimestamp(ms: number): string {
  const neg = ms < 0;
  const abs = Math.abs(ms);
  const secs = Math.floor(abs / 1000);
  const frac = abs % 1000;
  const body = frac === 0 ? String(secs) : `${secs}.${String(frac).padStart(3, '0')}`;
  return neg ? `-${body}` : body;
}

export function labelsJson(labels: Labels): string {
  let out = '{';
  for (let i = 0; i < labels.length; i++) {
    if (i > 0) out += ',';
    out += `${JSON.stringify(labels[i].name)}:${JSON.stringify(labels[i].value)}`;
  }
  return `${out}}`;
}

function point(t: number, v: number): string {
  return `[${formatTimestamp(t)},"${formatSampleValue(v)}"]`;
}

/** The `data` member of a query response: `{"resultType":...,"result":...}`. */
export function queryDataJson(value: QueryValue): string {
  switch (value.type) {
    case 'scalar':
      return `{"resultType":"scalar","result":${point(value.t, value.v)}}`;
    case 'string':
      return `{"resultType":"string","result":[${formatTimestamp(value.t)},${JSON.stringify(value.v)}]}`;
    case 'vector': {
      const parts: string[] = [];
      for (const s of value.samples)
        parts.push(`{"metric":${labelsJson(s.metric)},"value":${point(s.t, s.v)}}`);
      return `{"resultType":"vector","result":[${parts.join(',')}]}`;
    }
    case 'matrix': {
      const parts: string[] = [];
      for (const s of value.series) {
        const points: string[] = new Array(s.timestamps.length);
        for (let i = 0; i < s.timestamps.length; i++) points[i] = point(s.timestamps[i], s.values[i]);
        parts.push(`{"metric":${labelsJson(s.metric)},"values":[${points.join(',')}]}`);
      }
      return `{"resultType":"matrix","result":[${parts.join(',')}]}`;
    }
  }
}

/** A whole success envelope, with warnings and infos when there are any. */
export function successJson(
  data: string,
  warnings: readonly string[] = [],
  infos: readonly string[] = [],
): string {
  let out = `{"status":"success","data":${data}`;
  if (warnings.length > 0) out += `,"warnings":${JSON.stringify(warnings)}`;
  if (infos.length > 0) out += `,"infos":${JSON.stringify(infos)}`;
  return `${out}}`;
}
