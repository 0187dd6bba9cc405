/**
 * Loki's HTTP query API, so Grafana's Loki data source and logcli work against Vigil:
 * query, query_range, labels, label values, series, index/stats, index/volume, detected_fields,
 * status/buildinfo; plus Vigil's "logs of a trace" endpoint for the traces UI. Errors are plain
 * text with Loki's status codes (400 for bad queries and parameters, 504 on timeout).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isMetricExpr } from '../../logql/ast.ts';
import { derivedMetadata, type LogQLEngine } from '../../logql/engine.ts';
import { LogQLParseError, LogQLQueryError } from '../../logql/errors.ts';
import { parseLogQL, parseStreamSelector } from '../../logql/parser.ts';
import { flattenJson, parseJsonObject } from '../../logql/pipeline/json.ts';
import { parseLogfmt } from '../../logql/pipeline/logfmt.ts';
import { parseBytes, parseGoDuration } from '../../logql/units.ts';
import type { Label, Labels } from '../../model/labels.ts';
import type { Matcher } from '../../model/matcher.ts';
import type { LogStore, StreamQuery } from '../../storage/logs/interface.ts';
import { badRequest, HttpError } from '../http-error.ts';
import { labelsJson } from '../prometheus/json.ts';
import { queryResponseJson } from './encode.ts';
import {
  many,
  one,
  type Params,
  paramsOf,
  parseDirection,
  parseLimit,
  parseStep,
  parseTime,
  timeRange,
} from './params.ts';

export interface LokiQueryApiDeps {
  readonly engine: LogQLEngine;
  readonly store: LogStore;
  readonly now: () => number;
  /** Reported by status/buildinfo; Grafana enables features by Loki version. */
  readonly version?: string;
}

const CATEGORIZE_HEADER = 'x-loki-response-encoding-flags';

/** Registers the query endpoints (GET and POST each) on `app`. */
export function registerLokiQueryApi(app: FastifyInstance, deps: LokiQueryApiDeps): void {
  const both = (path: string, handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>) => {
    app.get(path, handler);
    app.post(path, handler);
  };

  both('/loki/api/v1/query_range', async (request, reply) => {
    const p = paramsOf(request);
    const query = requireQuery(p);
    const { startNs, endNs } = timeRange(p, deps.now);
    const limit = parseLimit(p);
    const direction = parseDirection(p);
    const stepMs = parseStep(p, startNs, endNs);
    const outcome = await run(deps, request, query, {
      startNs,
      endNs,
      direction,
      limit,
      stepMs,
      instant: false,
    });
    return sendJson(reply, queryResponseJson(outcome, categorized(request)));
  });

  both('/loki/api/v1/query', async (request, reply) => {
    const p = paramsOf(request);
    const query = requireQuery(p);
    const time = parseTime(one(p, 'time'), BigInt(deps.now()) * 1_000_000n, 'time');
    const limit = parseLimit(p);
    const direction = parseDirection(p);
    const expr = parseOrThrow(query);
    if (!isMetricExpr(expr)) {
      throw badRequest(
        'log queries are not supported as an instant query type, please change your query to a range query type',
      );
    }
    const outcome = await run(deps, request, query, {
      startNs: time,
      endNs: time,
      direction,
      limit,
      stepMs: 0,
      instant: true,
    });
    return sendJson(reply, queryResponseJson(outcome, categorized(request)));
  });

  both('/loki/api/v1/labels', async (request, reply) => {
    const p = paramsOf(request);
    const names = await deps.store.labelNames(streamQuery(p, deps.now));
    return sendJson(reply, JSON.stringify({ status: 'success', data: names }));
  });

  both('/loki/api/v1/label/:name/values', async (request, reply) => {
    const p = paramsOf(request);
    const { name } = request.params as { name: string };
    const values = await deps.store.labelValues(name, streamQuery(p, deps.now));
    return sendJson(reply, JSON.stringify({ status: 'success', data: values }));
  });

  both('/loki/api/v1/series', async (request, reply) => {
    const p = paramsOf(request);
    const selectors = [...many(p, 'match[]'), ...many(p, 'match')];
    const { startNs, endNs } = timeRange(p, deps.now);
    const matchers = selectors.map(selectorOrThrow);
    const series = await deps.store.series({ matchers, startNs, endNs });
    return sendJson(reply, `{"status":"success","data":[${series.map(labelsJson).join(',')}]}`);
  });

  both('/loki/api/v1/index/stats', async (request, reply) => {
    const p = paramsOf(request);
    const stats = await deps.store.stats(streamQuery(p, deps.now, true));
    return sendJson(reply, JSON.stringify(stats));
  });

  both('/loki/api/v1/index/volume', async (request, reply) => {
    const p = paramsOf(request);
    const q = streamQuery(p, deps.now, true);
    const limit = parseLimit(p, 100);
    const target = (one(p, 'targetLabels') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const aggregateBy = one(p, 'aggregateBy') ?? 'series';
    if (aggregateBy !== 'series' && aggregateBy !== 'labels') {
      throw badRequest(`invalid aggregateBy ${JSON.stringify(aggregateBy)}: use series or labels`);
    }
    const groupBy = target.length > 0 ? target : [...new Set(q.matchers.flat().map((m) => m.name))];
    const volume = await deps.store.volume(q);
    const totals = new Map<string, { labels: Labels; bytes: number }>();
    for (const v of volume) {
      const keys: Labels[] =
        aggregateBy === 'labels'
          ? v.labels
              .filter((l) => target.length === 0 || target.includes(l.name))
              .map((l) => [{ name: l.name, value: '' }])
          : [pick(v.labels, groupBy)];
      for (const labels of keys) {
        const key = JSON.stringify(labels);
        const t = totals.get(key) ?? { labels, bytes: 0 };
        t.bytes += v.bytes;
        totals.set(key, t);
      }
    }
    const sorted = [...totals.values()].sort((a, b) => b.bytes - a.bytes).slice(0, limit);
    const ts = Number(q.endNs / 1_000_000n) / 1000;
    const result = sorted.map((t) => ({
      metric: Object.fromEntries(t.labels.map((l) => [l.name, l.value])),
      value: [ts, String(t.bytes)],
    }));
    return sendJson(reply, JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
  });

  both('/loki/api/v1/detected_fields', async (request, reply) => {
    const p = paramsOf(request);
    const query = requireQuery(p);
    const { startNs, endNs } = timeRange(p, deps.now);
    const lineLimit = Math.min(parseLimit(p, 1000), deps.engine.limits.maxEntriesPerQuery);
    const fieldLimit = Number(one(p, 'limit') ?? 1000);
    const expr = parseOrThrow(query);
    if (isMetricExpr(expr)) throw badRequest('detected_fields takes a log query');
    const outcome = await run(deps, request, query, {
      startNs,
      endNs,
      direction: 'backward',
      limit: lineLimit,
      stepMs: 0,
      instant: false,
    });
    if (outcome.type !== 'streams') throw badRequest('detected_fields takes a log query');
    const fields = detectFields(outcome.entries);
    return sendJson(reply, JSON.stringify({ fields: fields.slice(0, fieldLimit), limit: fieldLimit }));
  });

  app.get('/loki/api/v1/status/buildinfo', async (_request, reply) =>
    sendJson(
      reply,
      JSON.stringify({
        version: deps.version ?? '3.4.0',
        revision: 'vigil',
        branch: 'main',
        buildUser: 'vigil',
        buildDate: '',
        goVersion: '',
      }),
    ),
  );

  app.get('/api/vigil/v1/traces/:traceId/logs', async (request, reply) => {
    const p = paramsOf(request);
    const { traceId } = request.params as { traceId: string };
    if (!/^[0-9a-fA-F]{32}$/.test(traceId)) {
      throw badRequest(`invalid trace id ${JSON.stringify(traceId)}: expected 32 hex digits`);
    }
    const { startNs, endNs } = timeRange(p, deps.now, 7 * 86_400_000);
    const limit = Math.min(parseLimit(p, 1000), deps.engine.limits.maxEntriesPerQuery);
    const rows = await deps.store.traceRecords(traceId.toLowerCase(), startNs, endNs + 1n, limit);
    const logs = rows.map((r) => ({
      timestamp: String(r.timestampNs),
      line: r.body,
      stream: Object.fromEntries(r.labels.map((l) => [l.name, l.value])),
      structuredMetadata: Object.fromEntries(derivedMetadata(r).map((l) => [l.name, l.value])),
      traceId: r.traceId,
      spanId: r.spanId,
      severityNumber: r.severityNumber,
      severityText: r.severityText,
    }));
    return sendJson(
      reply,
      JSON.stringify({ status: 'success', data: { traceId: traceId.toLowerCase(), logs } }),
    );
  });
}

function categorized(request: FastifyRequest): boolean {
  const v = request.headers[CATEGORIZE_HEADER];
  return String(v ?? '')
    .split(',')
    .some((f) => f.trim() === 'categorize-labels');
}

function requireQuery(p: Params): string {
  const q = one(p, 'query');
  if (q === undefined) throw badRequest('query parameter is missing; pass query=<LogQL>');
  return q;
}

function parseOrThrow(query: string) {
  try {
    return parseLogQL(query);
  } catch (err) {
    if (err instanceof LogQLParseError) throw badRequest(err.message);
    throw err;
  }
}

function selectorOrThrow(text: string): Matcher[] {
  try {
    return parseStreamSelector(text);
  } catch (err) {
    if (err instanceof LogQLParseError) throw badRequest(err.message);
    throw err;
  }
}

/** The stream query of labels/values/stats/volume: `query` (a selector, optional unless required) and the time range. */
function streamQuery(p: Params, now: () => number, requireSelector = false): StreamQuery {
  const { startNs, endNs } = timeRange(p, now);
  const q = one(p, 'query');
  if (q === undefined && requireSelector)
    throw badRequest('query parameter is missing; pass query={<stream selector>}');
  let matchers: Matcher[][] = [];
  if (q !== undefined && q !== '{}') {
    const expr = parseOrThrow(q);
    if (expr.kind !== 'LogSelector') throw badRequest('query must be a stream selector such as {app="api"}');
    matchers = [[...expr.matchers]];
  }
  return { matchers, startNs, endNs: endNs + 1n };
}

async function run(
  deps: LokiQueryApiDeps,
  request: FastifyRequest,
  query: string,
  params: Parameters<LogQLEngine['run']>[1],
) {
  // Cancel the query when the client goes away.
  const controller = new AbortController();
  const onClose = () => {
    if (!request.raw.complete || request.raw.socket?.destroyed) controller.abort();
  };
  request.raw.socket?.once('close', onClose);
  try {
    const expr = parseOrThrow(query);
    return await deps.engine.run(expr, { ...params, signal: controller.signal });
  } catch (err) {
    if (err instanceof LogQLParseError) throw badRequest(err.message);
    if (err instanceof LogQLQueryError) throw new HttpError(err.status, err.message);
    throw err;
  } finally {
    request.raw.socket?.off('close', onClose);
  }
}

function sendJson(reply: FastifyReply, body: string): FastifyReply {
  return reply.header('content-type', 'application/json; charset=utf-8').send(body);
}

function pick(labels: Labels, names: readonly string[]): Labels {
  const out: Label[] = [];
  for (const l of labels) if (names.includes(l.name)) out.push(l);
  return out;
}

interface DetectedField {
  label: string;
  type: 'string' | 'int' | 'float' | 'boolean' | 'duration' | 'bytes';
  cardinality: number;
  parsers: string[] | null;
}

/** Fields of the sampled lines: structured metadata and what json or logfmt finds, with a guessed type. */
export function detectFields(
  entries: readonly { line: string; categorized: { structuredMetadata: Labels } }[],
): DetectedField[] {
  const fields = new Map<string, { values: Set<string>; parsers: Set<string> | null }>();
  const add = (name: string, value: string, parser: string | null) => {
    let f = fields.get(name);
    if (!f) {
      f = { values: new Set(), parsers: parser ? new Set() : null };
      fields.set(name, f);
    }
    if (f.values.size < 10_000) f.values.add(value);
    if (parser) {
      f.parsers ??= new Set();
      f.parsers.add(parser);
    }
  };
  for (const e of entries) {
    for (const l of e.categorized.structuredMetadata) add(l.name, l.value, null);
    const trimmed = e.line.trimStart();
    if (trimmed.startsWith('{')) {
      const { value } = parseJsonObject(e.line);
      if (value) {
        flattenJson(value, (k, v) => add(k, v, 'json'));
        continue;
      }
    }
    const { pairs } = parseLogfmt(e.line, false);
    if (pairs.length > 1 || (pairs.length === 1 && pairs[0].value !== '')) {
      for (const pair of pairs)
        if (pair.value !== '') add(pair.key.replace(/[^a-zA-Z0-9_]/g, '_'), pair.value, 'logfmt');
    }
  }
  const out: DetectedField[] = [];
  for (const [label, f] of fields) {
    out.push({
      label,
      type: guessType([...f.values]),
      cardinality: f.values.size,
      parsers: f.parsers ? [...f.parsers].sort() : null,
    });
  }
  return out.sort((a, b) => (a.label < b.label ? -1 : 1));
}

function guessType(values: readonly string[]): DetectedField['type'] {
  const all = (test: (v: string) => boolean) => values.length > 0 && values.every(test);
  if (all((v) => /^-?\d+$/.test(v))) return 'int';
  if (all((v) => /^-?\d*\.?\d+(?:[eE][-+]?\d+)?$/.test(v))) return 'float';
  if (all((v) => v === 'true' || v === 'false')) return 'boolean';
  if (all((v) => /[a-zµ]$/.test(v) && parseGoDuration(v) !== undefined)) return 'duration';
  if (all((v) => /[a-zA-Z]$/.test(v) && parseBytes(v) !== undefined)) return 'bytes';
  return 'string';
}
