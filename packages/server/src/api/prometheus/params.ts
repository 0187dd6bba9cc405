import { parseDuration } from '../../model/duration.ts';
import { badRequest } from '../http-error.ts';

/** The earliest and latest times Prometheus's API treats as "unbounded" (in ms). */
export const MIN_TIME = -8_640_000_000_000_000;
export const MAX_TIME = 8_640_000_000_000_000;

/** Query string and form parameters merged, Prometheus style: a repeated key gives all its values. */
export type Params = Record<string, string | string[] | undefined>;

export function getParam(params: Params, name: string): string | undefined {
  const v = params[name];
  return Array.isArray(v) ? v[0] : v;
}

export function getParams(params: Params, name: string): string[] {
  const v = params[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/**
 * Parses a Prometheus API time: Unix seconds with optional fraction, or RFC 3339. Returns ms.
 * Errors read like Prometheus's: `invalid parameter "start": cannot parse "x" to a valid timestamp`.
 */
export function parseTime(
  text: string | undefined,
  name: string,
  fallback: number,
  options: { wrap?: boolean } = {},
): number {
  if (text === undefined || (text === '' && options.wrap !== false)) return fallback;
  if (/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text)) {
    const seconds = Number(text);
    if (Number.isFinite(seconds)) return Math.round(seconds * 1000);
  }
  const ms = Date.parse(text);
  if (/^\d{4}-\d\d-\d\dT/.test(text) && Number.isFinite(ms)) return ms;
  // Prometheus 3 words optional time parameters (time, and start/end of the metadata endpoints)
  // with an extra "invalid time value" clause; query_range's required start/end without it.
  const detail = `cannot parse "${text}" to a valid timestamp`;
  throw badRequest(
    `invalid parameter "${name}": ${options.wrap === false ? detail : `invalid time value for '${name}': ${detail}`}`,
  );
}

/** A duration as Prometheus's API accepts it: seconds with fraction, or `5m`-style. Returns ms. */
export function parseApiDuration(
  text: string | undefined,
  name: string,
  options: { required?: boolean } = {},
): number | undefined {
  if (text === undefined || (text === '' && !options.required)) return undefined;
  if (/^[+-]?\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const ms = parseDuration(text);
  if (ms === undefined)
    throw badRequest(`invalid parameter "${name}": cannot parse "${text}" to a valid duration`);
  return ms;
}

export function parseLimit(text: string | undefined): number {
  if (text === undefined || text === '') return 0;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw badRequest(`invalid parameter "limit": cannot parse "${text}" to a valid limit`);
  return n;
}
