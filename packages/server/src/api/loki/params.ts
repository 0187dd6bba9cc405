/**
 * Loki's query parameters (pkg/loghttp/params.go): times as Unix nanoseconds, seconds with a
 * fraction, or RFC 3339; `since` as a duration; `step` as a duration or seconds; `limit` and
 * `direction` with Loki's defaults. Bad values are 400s that name the parameter.
 */
import type { FastifyRequest } from 'fastify';
import { parseDurationNs } from '../../logql/units.ts';
import { badRequest } from '../http-error.ts';

export type Params = Record<string, string | string[] | undefined>;

/** Query string and form body together (POST forms as Loki allows). */
export function paramsOf(request: FastifyRequest): Params {
  const out: Params = { ...((request.query as Params) ?? {}) };
  const body = request.body;
  if (body && typeof body === 'object' && !Buffer.isBuffer(body)) {
    for (const [k, v] of Object.entries(body as Params)) if (out[k] === undefined) out[k] = v;
  }
  return out;
}

export function one(p: Params, name: string): string | undefined {
  const v = p[name];
  if (Array.isArray(v)) return v[v.length - 1];
  return v === '' ? undefined : v;
}

export function many(p: Params, name: string): string[] {
  const v = p[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Loki's parseTimestamp: float seconds when there is a '.', ns (or s when ≤ 10 digits) as integer, else RFC 3339. */
export function parseTime(value: string | undefined, def: bigint, name: string): bigint {
  if (value === undefined) return def;
  if (value.includes('.')) {
    const f = Number(value);
    if (Number.isFinite(f)) {
      const s = Math.trunc(f);
      return BigInt(s) * 1_000_000_000n + BigInt(Math.round((f - s) * 1e9));
    }
  }
  if (/^-?\d+$/.test(value)) {
    const n = BigInt(value);
    return value.replace('-', '').length <= 10 ? n * 1_000_000_000n : n;
  }
  const ms = Date.parse(value);
  if (!Number.isNaN(ms) && /^\d{4}-\d\d-\d\d/.test(value)) {
    const frac = /\d\d:\d\d:\d\d\.(\d+)/.exec(value)?.[1] ?? '';
    return BigInt(Math.floor(ms / 1000)) * 1_000_000_000n + BigInt(`${frac}000000000`.slice(0, 9));
  }
  throw badRequest(
    `invalid ${name}: could not parse ${JSON.stringify(value)} as a timestamp (Unix nanoseconds, seconds, or RFC 3339)`,
  );
}

export function nowNs(now: () => number): bigint {
  return BigInt(now()) * 1_000_000n;
}

/** start/end/since as Loki reads them: end defaults to now, start to end - since (default 1h). */
export function timeRange(
  p: Params,
  now: () => number,
  defaultSinceMs = 3_600_000,
): { startNs: bigint; endNs: bigint } {
  const endNs = parseTime(one(p, 'end'), nowNs(now), 'end');
  let sinceNs = BigInt(defaultSinceMs) * 1_000_000n;
  const since = one(p, 'since');
  if (since !== undefined) {
    const d = parseDurationNs(since);
    if (d === undefined || d <= 0)
      throw badRequest(`invalid since: ${JSON.stringify(since)} is not a positive duration`);
    sinceNs = BigInt(Math.round(d));
  }
  const startNs = parseTime(one(p, 'start'), endNs - sinceNs, 'start');
  if (endNs < startNs) throw badRequest('end timestamp must not be before or equal to start time');
  return { startNs, endNs };
}

export function parseLimit(p: Params, def = 100): number {
  const v = one(p, 'limit');
  if (v === undefined) return def;
  if (!/^\d+$/.test(v)) throw badRequest(`invalid limit: ${JSON.stringify(v)} is not a non-negative integer`);
  return Number(v);
}

export function parseDirection(p: Params): 'forward' | 'backward' {
  const v = (one(p, 'direction') ?? 'backward').toLowerCase();
  if (v !== 'forward' && v !== 'backward')
    throw badRequest(`invalid direction: ${JSON.stringify(v)}; use forward or backward`);
  return v;
}

/** step in ms: a duration or (float) seconds; Loki's default is (end - start) / 250, at least 1s. */
export function parseStep(p: Params, startNs: bigint, endNs: bigint): number {
  const v = one(p, 'step') ?? one(p, 'interval');
  if (v === undefined) {
    const seconds = Math.max(Math.floor(Number((endNs - startNs) / 1_000_000_000n) / 250), 1);
    return seconds * 1000;
  }
  let ms: number | undefined;
  if (/^\d+(\.\d+)?$/.test(v)) ms = Number(v) * 1000;
  else {
    const ns = parseDurationNs(v);
    ms = ns === undefined ? undefined : ns / 1e6;
  }
  if (ms === undefined || !(ms > 0)) {
    throw badRequest(
      `invalid step: ${JSON.stringify(v)}; zero or negative query resolution step widths are not accepted. Try a positive integer`,
    );
  }
  if (Number((endNs - startNs) / 1_000_000n) / ms > 11_000) {
    throw badRequest(
      'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
    );
  }
  return Math.round(ms);
}
