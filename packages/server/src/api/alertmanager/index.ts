/**
 * Alertmanager API v2 (Alertmanager 0.25's api/v2/openapi.yaml) on Vigil's HTTP server, so
 * amtool, Grafana's Alertmanager data source and Prometheus servers can talk to Vigil as to an
 * Alertmanager. Error bodies are JSON strings, as go-swagger writes them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RE2JS } from 're2js';
import type { AmAlert } from '../../alerting/alert.ts';
import { type AmMatcher, MatcherError, parseAmMatcher } from '../../alerting/matchers.ts';
import { SilenceError, SilenceNotFoundError } from '../../alerting/silences.ts';
import type { AlertmanagerBackend } from './backend.ts';
import {
  BodyError,
  gettableAlert,
  gettableSilence,
  parsePostableAlerts,
  parsePostableSilence,
  rateLimitJson,
} from './json.ts';

export type { AlertGroupData, AlertmanagerBackend } from './backend.ts';

/** A request the API refuses, answered with `status` and a JSON string body. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Registers GET/POST /api/v2/alerts, /alerts/groups, /silences, /silence/{id}, /status, /receivers. */
export function registerAlertmanagerApi(app: FastifyInstance, backend: () => AlertmanagerBackend): void {
  void app.register(async (api) => {
    api.setErrorHandler((error: unknown, _request, reply) => {
      if (error instanceof ApiError || error instanceof BodyError) {
        return sendError(reply, error.status, error.message);
      }
      const e = error as { statusCode?: number; message?: string };
      if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
        return sendError(reply, e.statusCode, e.message ?? 'bad request');
      }
      _request.log.error({ err: error }, 'alertmanager API request failed');
      return sendError(reply, 500, `internal error: ${e.message ?? String(error)}`);
    });
    // Alertmanager answers any origin (rs/cors defaults), which browser-based tools rely on.
    api.addHook('onSend', async (_req, reply) => {
      reply.header('access-control-allow-origin', '*');
    });

    api.get('/api/v2/status', async () => {
      const b = backend();
      return {
        cluster: { peers: [], status: 'disabled' },
        config: { original: b.originalConfig() },
        uptime: new Date(b.startedAt).toISOString(),
        versionInfo: {
          branch: 'vigil',
          buildDate: '',
          buildUser: 'vigil',
          goVersion: 'none (Vigil, Node.js)',
          revision: `vigil-${b.version}`,
          version: '0.25.0',
        },
      };
    });

    api.get('/api/v2/receivers', async () =>
      backend()
        .receiverNames()
        .map((name) => ({ name })),
    );

    api.get('/api/v2/alerts', async (request) => {
      const b = backend();
      const q = query(request);
      const filter = alertFilter(b, q);
      const out: Record<string, unknown>[] = [];
      for (const a of b.alerts()) {
        const receivers = b.receiversFor(a.labels);
        if (q.receiver && !receivers.some((r) => q.receiver!(r))) continue;
        if (!filter(a)) continue;
        out.push(gettableAlert(a, b.status(a), receivers, b.fatigue(a)));
      }
      out.sort((x, y) => ((x.fingerprint as string) < (y.fingerprint as string) ? -1 : 1));
      return out;
    });

    api.post('/api/v2/alerts', async (request, reply) => {
      const alerts = parsePostableAlerts(request.body);
      const errors = backend().receive(alerts);
      if (errors.length > 0) throw new ApiError(400, errors.join('; '));
      return reply.code(200).send();
    });

    api.get('/api/v2/alerts/groups', async (request) => {
      const b = backend();
      const q = query(request);
      const { groups, receivers } = b.groups((r) => !q.receiver || q.receiver(r), alertFilter(b, q));
      return groups.map((g) => ({
        alerts: g.alerts.map((a) =>
          gettableAlert(a, b.status(a), receivers.get(a.fingerprint) ?? [], b.fatigue(a)),
        ),
        labels: Object.fromEntries(
          Object.keys(g.labels)
            .sort()
            .map((k) => [k, g.labels[k]]),
        ),
        receiver: { name: g.receiver },
      }));
    });

    api.get('/api/v2/silences', async (request) => {
      const b = backend();
      const filters = matchersParam(request);
      const now = b.now();
      const out = b
        .silences()
        .filter((s) =>
          filters.every((f) =>
            s.matchers.some((m) => m.name === f.name && m.pattern === f.value && TYPE_OF[m.type] === f.type),
          ),
        )
        .map((s) => gettableSilence(s, now));
      const order: Record<string, number> = { active: 1, pending: 2, expired: 3 };
      out.sort((x, y) => {
        const sx = (x.status as { state: string }).state;
        const sy = (y.status as { state: string }).state;
        if (sx !== sy) return order[sx] - order[sy];
        const t = (s: Record<string, unknown>, k: string) => Date.parse(s[k] as string);
        if (sx === 'active') return t(x, 'endsAt') - t(y, 'endsAt');
        if (sx === 'pending') return t(x, 'startsAt') - t(y, 'startsAt');
        return t(y, 'endsAt') - t(x, 'endsAt');
      });
      return out;
    });

    api.post('/api/v2/silences', async (request) => {
      const b = backend();
      const s = parsePostableSilence(request.body);
      if (s.startsAt >= s.endsAt)
        throw new ApiError(400, 'Failed to create silence: start time must be before end time');
      if (s.endsAt < b.now())
        throw new ApiError(400, "Failed to create silence: end time can't be in the past");
      try {
        return { silenceID: b.setSilence(s) };
      } catch (err) {
        if (err instanceof SilenceNotFoundError) throw new ApiError(404, 'silence not found');
        if (err instanceof SilenceError) throw new ApiError(400, err.message);
        throw err;
      }
    });

    // Vigil-specific: each rate-limited receiver's usage and held notifications.
    api.get('/api/v2/vigil/rate-limits', async () => backend().rateLimits().map(rateLimitJson));

    api.get('/api/v2/silence/:id', async (request, reply) => {
      const b = backend();
      const id = silenceId(request);
      const s = b.silence(id);
      if (!s) return reply.code(404).send();
      return gettableSilence(s, b.now());
    });

    api.delete('/api/v2/silence/:id', async (request, reply) => {
      const id = silenceId(request);
      try {
        backend().expireSilence(id);
      } catch (err) {
        // Alertmanager 0.25 answered 500 here; later versions, and Vigil, say 404.
        if (err instanceof SilenceNotFoundError) throw new ApiError(404, 'silence not found');
        throw err;
      }
      return reply.code(200).send();
    });
  });
}

function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply
    .code(status)
    .type('application/json')
    .send(`${JSON.stringify(message)}\n`);
}

const TYPE_OF = { EQUAL: '=', NOT_EQUAL: '!=', REGEXP: '=~', NOT_REGEXP: '!~' } as const;

interface AlertQuery {
  readonly active: boolean;
  readonly silenced: boolean;
  readonly inhibited: boolean;
  readonly unprocessed: boolean;
  readonly filter: AmMatcher[];
  readonly receiver: ((name: string) => boolean) | undefined;
}

function query(request: FastifyRequest): AlertQuery {
  const q = request.query as Record<string, string | string[] | undefined>;
  let receiver: ((name: string) => boolean) | undefined;
  const r = single(q.receiver, 'receiver');
  if (r !== undefined) {
    try {
      const re = RE2JS.compile(`^(?:${r})$`);
      receiver = (name) => re.matches(name);
    } catch (err) {
      throw new ApiError(400, `failed to parse receiver param: ${(err as Error).message}`);
    }
  }
  return {
    active: bool(q.active, 'active'),
    silenced: bool(q.silenced, 'silenced'),
    inhibited: bool(q.inhibited, 'inhibited'),
    unprocessed: bool(q.unprocessed, 'unprocessed'),
    filter: matchersParam(request),
    receiver,
  };
}

function single(v: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(v)) {
    if (v.length > 1) throw new ApiError(400, `${name} must be given at most once`);
    return v[0];
  }
  return v;
}

/** go-swagger's boolean query parameters (swag.ConvertBool), default true. */
function bool(v: string | string[] | undefined, name: string): boolean {
  const s = single(v, name);
  if (s === undefined || s === '') return true;
  const lower = s.toLowerCase();
  if (['true', '1', 'yes', 'ok', 'y', 'on', 'selected', 'checked', 't', 'enabled'].includes(lower))
    return true;
  if (['false', '0', 'no', 'n', 'off', 'f', 'disabled'].includes(lower)) return false;
  throw new ApiError(400, `${name} in query must be of type boolean: ${JSON.stringify(s)}`);
}

function matchersParam(request: FastifyRequest): AmMatcher[] {
  const raw = (request.query as Record<string, string | string[] | undefined>).filter;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  try {
    return list.map(parseAmMatcher);
  } catch (err) {
    if (err instanceof MatcherError) throw new ApiError(400, err.message);
    throw err;
  }
}

function silenceId(request: FastifyRequest): string {
  const id = (request.params as { id: string }).id;
  if (!UUID.test(id))
    throw new ApiError(422, `silenceID in path must be of type uuid: ${JSON.stringify(id)}`);
  return id;
}

/**
 * Alertmanager's alertFilter: drops alerts whose end has passed, refreshes each alert's
 * silenced/inhibited status, applies the state switches and the label filter (where a matcher
 * with an empty value is satisfied by an absent label, as in Alertmanager).
 */
function alertFilter(b: AlertmanagerBackend, q: AlertQuery): (a: AmAlert) => boolean {
  const now = b.now();
  return (a) => {
    // A flapping alert is held firing (Vigil's flap detection), so it is listed while resolved.
    if (a.endsAt !== 0 && a.endsAt < now && !b.fatigue(a).flap?.flapping) return false;
    const status = b.status(a);
    if (!q.active && status.state === 'active') return false;
    if (!q.silenced && status.silencedBy.length > 0) return false;
    if (!q.inhibited && status.inhibitedBy.length > 0) return false;
    if (!q.unprocessed && status.state === 'unprocessed') return false;
    return filterMatches(q.filter, a.labels);
  };
}

function filterMatches(matchers: readonly AmMatcher[], labels: Readonly<Record<string, string>>): boolean {
  for (const m of matchers) {
    const present = m.name in labels;
    const v = labels[m.name] ?? '';
    if (m.type === '!=' || m.type === '!~') {
      if (m.value === '' && present) continue;
    } else if (m.value === '' && !present) continue;
    if (!m.matches(v)) return false;
  }
  return true;
}
