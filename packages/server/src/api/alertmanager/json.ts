/**
 * Alertmanager API v2 JSON shapes (api/v2/openapi.yaml): gettable alerts, silences, groups, and
 * the request bodies, with go-swagger's formats (date-times with milliseconds).
 */
import type { AmAlert } from '../../alerting/alert.ts';
import type { FatigueStatus, PostableAlert } from '../../alerting/alertmanager.ts';
import type { AlertStatus } from '../../alerting/marker.ts';
import type { RateLimitStatus } from '../../alerting/ratelimit.ts';
import { type Silence, type SilenceMatcherType, silenceState } from '../../alerting/silences.ts';
import { parseRfc3339 } from '../../alerting/time.ts';

/** go-swagger's strfmt.DateTime output: RFC 3339 with milliseconds, UTC. */
export function dateTime(ms: number): string {
  if (ms === 0) return '0001-01-01T00:00:00.000Z';
  return new Date(ms).toISOString();
}

function sortedRecord(kv: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(kv).sort()) out[k] = kv[k];
  return out;
}

/**
 * A GettableAlert, plus Vigil's `vigil` object when alert-fatigue controls are on: flap state
 * and the receivers holding it for a rate-limit digest (clients such as amtool ignore it).
 */
export function gettableAlert(
  a: AmAlert,
  status: AlertStatus,
  receivers: readonly string[],
  fatigue?: FatigueStatus,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    annotations: sortedRecord(a.annotations),
    endsAt: dateTime(a.endsAt),
    fingerprint: a.fingerprint,
    receivers: receivers.map((name) => ({ name })),
    startsAt: dateTime(a.startsAt),
    status: { inhibitedBy: [...status.inhibitedBy], silencedBy: [...status.silencedBy], state: status.state },
    updatedAt: dateTime(a.updatedAt),
  };
  if (a.generatorURL) out.generatorURL = a.generatorURL;
  out.labels = sortedRecord(a.labels);
  if (fatigue && (fatigue.flap || fatigue.heldFor.length > 0)) out.vigil = fatigueJson(fatigue);
  return out;
}

/** The `vigil` object of a gettable alert. */
export function fatigueJson(f: FatigueStatus): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (f.flap) {
    out.flapping = f.flap.flapping;
    if (f.flap.flappingSince !== undefined) out.flappingSince = dateTime(f.flap.flappingSince);
    out.stateChanges = f.flap.changes;
  }
  out.rateLimitedBy = f.heldFor.map((h) => ({
    receiver: h.receiver,
    ...(h.digestAt !== undefined ? { digestAt: dateTime(h.digestAt) } : {}),
  }));
  return out;
}

/** A receiver's rate limit, for GET /api/v2/vigil/rate-limits. */
export function rateLimitJson(s: RateLimitStatus): Record<string, unknown> {
  return {
    receiver: s.receiver,
    maxNotifications: s.maxNotifications,
    interval: `${s.interval / 1000}s`,
    sent: s.sent,
    heldGroups: [...s.held],
    ...(s.digestAt !== undefined ? { digestAt: dateTime(s.digestAt) } : {}),
  };
}

const MATCHER_FLAGS: Record<SilenceMatcherType, { isEqual: boolean; isRegex: boolean }> = {
  EQUAL: { isEqual: true, isRegex: false },
  NOT_EQUAL: { isEqual: false, isRegex: false },
  REGEXP: { isEqual: true, isRegex: true },
  NOT_REGEXP: { isEqual: false, isRegex: true },
};

/** A GettableSilence. */
export function gettableSilence(s: Silence, now: number): Record<string, unknown> {
  return {
    id: s.id,
    status: { state: silenceState(s, now) },
    updatedAt: dateTime(s.updatedAt),
    comment: s.comment,
    createdBy: s.createdBy,
    endsAt: dateTime(s.endsAt),
    matchers: s.matchers.map((m) => ({ ...MATCHER_FLAGS[m.type], name: m.name, value: m.pattern })),
    startsAt: dateTime(s.startsAt),
  };
}

/** A request body that does not fit the API's schema; `status` is 400 or 422 as go-swagger answers. */
export class BodyError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 422,
  ) {
    super(message);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function labelSet(v: unknown, where: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new BodyError(`${where} in body must be of type object`, 422);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string')
      throw new BodyError(`${where}.${k} in body must be of type string: ${JSON.stringify(typeof val)}`, 422);
    out[k] = val;
  }
  return out;
}

function time(v: unknown, where: string): number {
  if (v === undefined || v === null || v === '') return 0;
  const ms = typeof v === 'string' ? parseRfc3339(v) : undefined;
  if (ms === undefined) {
    throw new BodyError(`${where} in body must be of type date-time: ${JSON.stringify(v)}`, 422);
  }
  return ms;
}

/** Parses a PostableAlerts body (a JSON array). */
export function parsePostableAlerts(body: unknown): PostableAlert[] {
  if (!Array.isArray(body)) {
    throw new BodyError(
      'the body must be a JSON array of alerts: [{"labels": {...}, "annotations": {...}, ...}]',
      400,
    );
  }
  return body.map((item, i) => {
    if (!isObject(item)) throw new BodyError(`${i} in body must be of type object`, 422);
    if (item.labels === undefined || item.labels === null)
      throw new BodyError(`${i}.labels in body is required`, 422);
    const generatorURL = item.generatorURL ?? '';
    if (typeof generatorURL !== 'string')
      throw new BodyError(`${i}.generatorURL in body must be of type uri`, 422);
    return {
      labels: labelSet(item.labels, `${i}.labels`),
      annotations: labelSet(item.annotations, `${i}.annotations`),
      startsAt: time(item.startsAt, `${i}.startsAt`),
      endsAt: time(item.endsAt, `${i}.endsAt`),
      generatorURL,
    };
  });
}

/** A PostableSilence, checked against the schema. */
export interface PostableSilence {
  readonly id: string | undefined;
  readonly matchers: { type: SilenceMatcherType; name: string; pattern: string }[];
  readonly startsAt: number;
  readonly endsAt: number;
  readonly createdBy: string;
  readonly comment: string;
}

export function parsePostableSilence(body: unknown): PostableSilence {
  if (!isObject(body)) throw new BodyError('the body must be a JSON object describing a silence', 400);
  for (const key of ['matchers', 'startsAt', 'endsAt', 'createdBy', 'comment']) {
    if (body[key] === undefined || body[key] === null) throw new BodyError(`${key} in body is required`, 422);
  }
  if (body.id !== undefined && typeof body.id !== 'string')
    throw new BodyError('id in body must be of type string', 422);
  if (typeof body.createdBy !== 'string')
    throw new BodyError('createdBy in body must be of type string', 422);
  if (typeof body.comment !== 'string') throw new BodyError('comment in body must be of type string', 422);
  if (!Array.isArray(body.matchers)) throw new BodyError('matchers in body must be of type array', 422);
  if (body.matchers.length < 1) throw new BodyError('matchers in body should have at least 1 items', 422);
  const matchers = body.matchers.map((m: unknown, i: number) => {
    if (!isObject(m)) throw new BodyError(`matchers.${i} in body must be of type object`, 422);
    for (const key of ['name', 'value', 'isRegex']) {
      if (m[key] === undefined || m[key] === null)
        throw new BodyError(`matchers.${i}.${key} in body is required`, 422);
    }
    if (typeof m.name !== 'string' || typeof m.value !== 'string') {
      throw new BodyError(`matchers.${i}.name and value in body must be strings`, 422);
    }
    if (typeof m.isRegex !== 'boolean' || (m.isEqual !== undefined && typeof m.isEqual !== 'boolean')) {
      throw new BodyError(`matchers.${i}.isRegex and isEqual in body must be booleans`, 422);
    }
    const isEqual = m.isEqual ?? true;
    const type: SilenceMatcherType = m.isRegex
      ? isEqual
        ? 'REGEXP'
        : 'NOT_REGEXP'
      : isEqual
        ? 'EQUAL'
        : 'NOT_EQUAL';
    return { type, name: m.name, pattern: m.value };
  });
  return {
    id: body.id === '' ? undefined : (body.id as string | undefined),
    matchers,
    startsAt: time(body.startsAt, 'startsAt'),
    endsAt: time(body.endsAt, 'endsAt'),
    createdBy: body.createdBy,
    comment: body.comment,
  };
}
