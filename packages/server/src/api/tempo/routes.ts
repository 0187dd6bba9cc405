/**
 * Grafana Tempo's HTTP API (docs/sources/tempo/api_docs), so Grafana's Tempo data source and
 * tempo-cli work against Vigil: trace by id (v1 `{"batches": ...}`, v2 `{"trace": ...}`, protobuf
 * when `Accept: application/protobuf`), TraceQL and tag-based search, tag names and values (v1
 * and v2), echo and build info. Parameter errors are 400s naming the parameter, as Tempo's are.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Span } from '../../model/span.ts';
import type { TagScope, TagValue, TimeRangeNs } from '../../storage/traces/interface.ts';
import type { FoundTrace, TraceSearchResult } from '../../traces/search.ts';
import type { IntrinsicNode, Query } from '../../traces/traceql/ast.ts';
import { TraceQLParseError } from '../../traces/traceql/errors.ts';
import { displayValue, evalField } from '../../traces/traceql/evaluate.ts';
import { parseDurationNs } from '../../traces/traceql/lexer.ts';
import { parseTraceQL } from '../../traces/traceql/parser.ts';
import { HttpError } from '../http-error.ts';
import { parseLogfmt, tagSearchQuery } from './tag-search.ts';
import { traceByIdResponseBytes, tracesDataBytes, tracesDataJson } from './trace-encoding.ts';

/** What the Tempo API needs from the traces signal. */
export interface TempoBackend {
  trace(traceId: string, range?: TimeRangeNs): Promise<readonly Span[]>;
  search(request: {
    query: Query;
    startNs: bigint;
    endNs: bigint;
    limit: number;
    signal: AbortSignal;
  }): Promise<TraceSearchResult>;
  tagNames(range: TimeRangeNs): Promise<ReadonlyMap<TagScope, readonly string[]>>;
  tagValues(
    scope: TagScope | undefined,
    key: string,
    range: TimeRangeNs,
    limit: number,
  ): Promise<readonly TagValue[]>;
  readonly defaults: {
    readonly limit: number;
    readonly maxLimit: number;
    readonly spansPerSpanSet: number;
    /** Window searched when no start/end is given (ms). */
    readonly windowMs: number;
  };
  readonly version: string;
  readonly now: () => number;
}

const PROTOBUF = 'application/protobuf';
const TAG_VALUE_LIMIT = 1000;

/** Intrinsics Tempo lists under the `intrinsic` scope. */
const INTRINSIC_TAGS = [
  'duration',
  'event:name',
  'event:timeSinceStart',
  'instrumentation:name',
  'instrumentation:version',
  'kind',
  'link:spanID',
  'link:traceID',
  'name',
  'rootName',
  'rootServiceName',
  'span:childCount',
  'span:duration',
  'span:id',
  'span:kind',
  'span:name',
  'span:parentID',
  'span:status',
  'span:statusMessage',
  'status',
  'statusMessage',
  'trace:duration',
  'trace:id',
  'trace:rootName',
  'trace:rootService',
  'traceDuration',
];

const TAG_SCOPES: readonly TagScope[] = ['resource', 'span', 'event', 'link', 'instrumentation'];

export function registerTempoApi(app: FastifyInstance, backend: TempoBackend): void {
  app.get('/api/echo', async (_req, reply) => reply.type('text/plain; charset=utf-8').send('echo'));

  app.get('/api/status/buildinfo', async () => ({
    version: backend.version,
    revision: '',
    branch: '',
    buildDate: '',
    buildUser: '',
    goVersion: '',
  }));

  app.get('/api/traces/:traceId', async (req, reply) => {
    const spans = await traceById(req, backend);
    if (wantsProtobuf(req)) return sendProtobuf(reply, tracesDataBytes(spans));
    const json = tracesDataJson(spans) as { resourceSpans?: unknown };
    return reply.type('application/json').send({ batches: json.resourceSpans ?? [] });
  });

  app.get('/api/v2/traces/:traceId', async (req, reply) => {
    const spans = await traceById(req, backend);
    const inspectedBytes = spans.reduce((n, s) => n + ((s as { bytes?: Uint8Array }).bytes?.length ?? 0), 0);
    if (wantsProtobuf(req)) return sendProtobuf(reply, traceByIdResponseBytes(spans));
    return reply.type('application/json').send({
      trace: tracesDataJson(spans),
      metrics: inspectedBytes > 0 ? { inspectedBytes: String(inspectedBytes) } : {},
    });
  });

  app.get('/api/search', async (req, reply) => {
    const q = req.query as Record<string, string | string[] | undefined>;
    const range = timeRange(q, backend, true);
    const limit = positiveInt(q, 'limit') ?? backend.defaults.limit;
    if (limit > backend.defaults.maxLimit) {
      throw new HttpError(
        400,
        `invalid limit: ${limit} is more than the allowed ${backend.defaults.maxLimit}`,
      );
    }
    const spss = positiveInt(q, 'spss') ?? backend.defaults.spansPerSpanSet;
    const query = searchQuery(q);
    const abort = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    const result = await backend.search({
      query,
      startNs: range.startNs,
      endNs: range.endNs,
      limit,
      signal: abort.signal,
    });
    return {
      traces: result.traces.map((t) => traceMetadata(t, spss)),
      metrics: {
        inspectedTraces: result.inspectedTraces,
        inspectedSpans: String(result.inspectedSpans),
        completedJobs: 1,
        totalJobs: 1,
        ...(result.complete ? {} : { partial: true }),
      },
    };
  });

  app.get('/api/search/tags', async (req) => {
    const q = req.query as Record<string, string | string[] | undefined>;
    const scope = scopeParam(q);
    const names = await backend.tagNames(timeRange(q, backend, false));
    const out = new Set<string>();
    if (scope === 'intrinsic') for (const t of INTRINSIC_TAGS) out.add(t);
    for (const s of scope && scope !== 'intrinsic' ? [scope] : scope ? [] : (['resource', 'span'] as const)) {
      for (const n of names.get(s) ?? []) out.add(n);
    }
    return { tagNames: [...out].sort(), metrics: {} };
  });

  app.get('/api/v2/search/tags', async (req) => {
    const q = req.query as Record<string, string | string[] | undefined>;
    const scope = scopeParam(q);
    const names = await backend.tagNames(timeRange(q, backend, false));
    const scopes: { name: string; tags: string[] }[] = [];
    for (const s of scope && scope !== 'intrinsic' ? [scope] : scope ? [] : TAG_SCOPES) {
      const tags = [...(names.get(s) ?? [])];
      if (tags.length > 0) scopes.push({ name: s, tags });
    }
    if (!scope || scope === 'intrinsic') scopes.push({ name: 'intrinsic', tags: [...INTRINSIC_TAGS] });
    return { scopes, metrics: {} };
  });

  app.get('/api/search/tag/:tag/values', async (req) => {
    const q = req.query as Record<string, string | string[] | undefined>;
    const tag = (req.params as { tag: string }).tag;
    const range = timeRange(q, backend, false);
    const limit = positiveInt(q, 'limit') ?? TAG_VALUE_LIMIT;
    const values = await tagValuesFor(backend, tag, range, limit, q);
    return { tagValues: [...new Set(values.map((v) => v.value))].sort(), metrics: {} };
  });

  app.get('/api/v2/search/tag/:tag/values', async (req) => {
    const q = req.query as Record<string, string | string[] | undefined>;
    const tag = (req.params as { tag: string }).tag;
    const range = timeRange(q, backend, false);
    const limit = positiveInt(q, 'limit') ?? TAG_VALUE_LIMIT;
    const values = await tagValuesFor(backend, tag, range, limit, q);
    return { tagValues: values, metrics: {} };
  });
}

async function traceById(req: FastifyRequest, backend: TempoBackend): Promise<readonly Span[]> {
  const raw = (req.params as { traceId: string }).traceId;
  if (!/^[0-9a-fA-F]{1,32}$/.test(raw)) {
    throw new HttpError(400, `invalid trace id ${JSON.stringify(raw)}: expected up to 32 hex characters`);
  }
  const id = raw.toLowerCase().padStart(32, '0');
  const q = req.query as Record<string, string | string[] | undefined>;
  const range = q.start !== undefined || q.end !== undefined ? timeRange(q, backend, false) : undefined;
  const spans = await backend.trace(id, range);
  if (spans.length === 0) throw new HttpError(404, `trace not found: ${raw}`, 'not_found');
  return spans;
}

function wantsProtobuf(req: FastifyRequest): boolean {
  return (req.headers.accept ?? '').includes(PROTOBUF);
}

function sendProtobuf(reply: FastifyReply, bytes: Uint8Array): FastifyReply {
  reply.header('content-type', PROTOBUF);
  return reply.send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

function single(q: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = q[name];
  if (Array.isArray(v)) return v[v.length - 1];
  return v;
}

function positiveInt(q: Record<string, string | string[] | undefined>, name: string): number | undefined {
  const v = single(q, name);
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new HttpError(400, `invalid ${name}: "${v}" is not a positive integer`);
  const n = Number(v);
  if (n === 0) throw new HttpError(400, `invalid ${name}: must be a positive number`);
  return n;
}

/** start/end in Unix seconds (Tempo's form); without them, the default window ending now. */
function timeRange(
  q: Record<string, string | string[] | undefined>,
  backend: TempoBackend,
  forSearch: boolean,
): TimeRangeNs {
  const seconds = (name: string): number | undefined => {
    const v = single(q, name);
    if (v === undefined || v === '') return undefined;
    if (!/^\d+$/.test(v)) throw new HttpError(400, `invalid ${name}: "${v}" is not a Unix time in seconds`);
    return Number(v);
  };
  const start = seconds('start');
  const end = seconds('end');
  const nowMs = backend.now();
  const endMs = end !== undefined ? end * 1000 + 999 : nowMs;
  const startMs = start !== undefined ? start * 1000 : forSearch ? endMs - backend.defaults.windowMs : 0;
  if (startMs > endMs) throw new HttpError(400, 'invalid start: must not be after end');
  return { startNs: BigInt(startMs) * 1_000_000n, endNs: BigInt(endMs) * 1_000_000n + 999_999n };
}

function scopeParam(q: Record<string, string | string[] | undefined>): TagScope | undefined {
  const s = single(q, 'scope');
  if (s === undefined || s === '' || s === 'all') return undefined;
  if (s === 'intrinsic' || (TAG_SCOPES as readonly string[]).includes(s)) return s as TagScope;
  throw new HttpError(
    400,
    `invalid scope "${s}": use resource, span, intrinsic, event, link or instrumentation`,
  );
}

function searchQuery(q: Record<string, string | string[] | undefined>): Query {
  const text = single(q, 'q');
  const tags = single(q, 'tags');
  if (text !== undefined && text !== '' && tags !== undefined && tags !== '') {
    throw new HttpError(400, "invalid request: can't specify tags and q in the same query");
  }
  if (text !== undefined && text.trim() !== '') {
    try {
      return parseTraceQL(text);
    } catch (err) {
      if (err instanceof TraceQLParseError) throw new HttpError(400, `invalid TraceQL query: ${err.message}`);
      throw err;
    }
  }
  const duration = (name: string): number | undefined => {
    const v = single(q, name);
    if (v === undefined || v === '') return undefined;
    const ns = parseDurationNs(v);
    if (ns === undefined)
      throw new HttpError(400, `invalid ${name}: "${v}" is not a duration such as 100ms or 2s`);
    return ns;
  };
  const min = duration('minDuration');
  const max = duration('maxDuration');
  if (min !== undefined && max !== undefined && min > max) {
    throw new HttpError(400, 'invalid maxDuration: must be greater than minDuration');
  }
  const pairs = tags ? parseLogfmt(tags) : [];
  const seen = new Set<string>();
  for (const [k] of pairs) {
    if (seen.has(k)) throw new HttpError(400, `invalid tags: tag ${k} has been set twice`);
    seen.add(k);
  }
  return tagSearchQuery(pairs, min, max);
}

/** A search result as Tempo's TraceSearchMetadata (trace and span ids without leading zeros, as Tempo writes them). */
function traceMetadata(t: FoundTrace, spss: number): Record<string, unknown> {
  const spanSets = t.spansets.map((set) => {
    const spans = set.spans.slice(0, spss).map((s) => {
      const attributes: { key: string; value: Record<string, unknown> }[] = [];
      for (const field of set.selected) {
        const v = displayValue(evalField(field, s, t.view));
        if (v) attributes.push({ key: keyOf(field), value: anyValue(v) });
      }
      const durationNs = s.endTimeUnixNano - s.startTimeUnixNano;
      return {
        spanID: trimZeros(s.spanId),
        name: s.name,
        startTimeUnixNano: String(s.startTimeUnixNano),
        durationNanos: String(durationNs > 0n ? durationNs : 0n),
        ...(attributes.length > 0 ? { attributes } : {}),
      };
    });
    const out: Record<string, unknown> = { spans, matched: set.spans.length };
    if (set.aggregate) {
      const v = set.aggregate.value;
      out.attributes = [
        {
          key: set.aggregate.text,
          value: Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v },
        },
      ];
    }
    return out;
  });
  const serviceStats: Record<string, { spanCount: number; errorCount?: number }> = {};
  for (const [service, s] of t.serviceStats) {
    serviceStats[service] = s.errorCount > 0 ? s : { spanCount: s.spanCount };
  }
  return {
    traceID: trimZeros(t.traceId),
    rootServiceName: t.rootServiceName,
    rootTraceName: t.rootTraceName,
    startTimeUnixNano: String(t.startTimeUnixNano),
    ...(t.durationMs > 0 ? { durationMs: t.durationMs } : {}),
    ...(spanSets.length > 0 ? { spanSet: spanSets[0], spanSets } : {}),
    serviceStats,
  };
}

function keyOf(field: { kind: string; text: string }): string {
  if (field.kind === 'intrinsic') {
    // Tempo names intrinsics by their unscoped name (status, kind ...).
    return (field as IntrinsicNode).text.replace(/^(span|trace):/, '');
  }
  return field.text.replace(/^(span|resource|event|link|instrumentation)?\./, '');
}

function anyValue(v: NonNullable<ReturnType<typeof displayValue>>): Record<string, unknown> {
  switch (v.type) {
    case 'int':
      return { intValue: String(v.value) };
    case 'float':
      return { doubleValue: v.value };
    case 'bool':
      return { boolValue: v.value };
    default:
      return { stringValue: String(v.value) };
  }
}

function trimZeros(hex: string): string {
  const t = hex.replace(/^0+/, '');
  return t === '' ? '0' : t;
}

/**
 * Values of a tag. v1 names attributes bare (`service.name`); v2 uses TraceQL identifiers
 * (`resource.service.name`, `.foo`, `span:name`, `status`); both accept either here. With a `q`
 * filter (a TraceQL query), only values on spans of matching traces are listed; a `q` that does
 * not parse is ignored, as Tempo does.
 */
async function tagValuesFor(
  backend: TempoBackend,
  tag: string,
  range: TimeRangeNs,
  limit: number,
  q: Record<string, string | string[] | undefined>,
): Promise<TagValue[]> {
  const ident = resolveTag(tag);
  if (ident.kind === 'enum') return ident.values.map((value) => ({ type: 'keyword', value }));
  if (ident.kind === 'none') return [];
  const filter = single(q, 'q');
  if (filter && filter.trim() !== '' && filter.trim() !== '{}') {
    let query: Query | undefined;
    try {
      query = parseTraceQL(filter);
    } catch {
      query = undefined;
    }
    if (query) return filteredValues(backend, query, ident, range, limit);
  }
  return [...(await backend.tagValues(ident.scope, ident.key, range, limit))];
}

type ResolvedTag =
  | { kind: 'attribute'; scope: TagScope | undefined; key: string }
  | { kind: 'enum'; values: string[] }
  | { kind: 'none' };

function resolveTag(tag: string): ResolvedTag {
  const stripped = tag.replace(/^(span|trace):/, '');
  if (stripped === 'status') return { kind: 'enum', values: ['error', 'ok', 'unset'] };
  if (stripped === 'kind') {
    return { kind: 'enum', values: ['client', 'consumer', 'internal', 'producer', 'server', 'unspecified'] };
  }
  if (tag === 'name' || tag === 'span:name') return { kind: 'attribute', scope: 'intrinsic', key: 'name' };
  if (tag === 'rootName' || tag === 'trace:rootName')
    return { kind: 'attribute', scope: 'intrinsic', key: 'rootName' };
  if (tag === 'rootServiceName' || tag === 'trace:rootService') {
    return { kind: 'attribute', scope: 'intrinsic', key: 'rootServiceName' };
  }
  if (stripped === 'duration' || stripped === 'traceDuration' || tag.includes(':')) return { kind: 'none' };
  const m = /^(span|resource|event|link|instrumentation)?\.(.+)$/.exec(tag);
  if (m) return { kind: 'attribute', scope: m[1] as TagScope | undefined, key: m[2] };
  return { kind: 'attribute', scope: undefined, key: tag };
}

async function filteredValues(
  backend: TempoBackend,
  query: Query,
  tag: { scope: TagScope | undefined; key: string },
  range: TimeRangeNs,
  limit: number,
): Promise<TagValue[]> {
  const abort = new AbortController();
  const result = await backend.search({
    query,
    startNs: range.startNs,
    endNs: range.endNs,
    limit: 1000,
    signal: abort.signal,
  });
  const seen = new Map<string, TagValue>();
  const field =
    tag.scope === 'intrinsic'
      ? ({ kind: 'intrinsic', intrinsic: tag.key as 'name', text: tag.key } as const)
      : ({ kind: 'attribute', scope: tag.scope ?? 'none', name: tag.key, text: tag.key } as const);
  for (const t of result.traces) {
    for (const set of t.spansets) {
      for (const s of set.spans) {
        const v = displayValue(evalField(field, s, t.view));
        if (!v || seen.size >= limit) continue;
        const value = String(v.value);
        seen.set(`${v.type}:${value}`, {
          type: v.type === 'status' || v.type === 'kind' ? 'keyword' : v.type,
          value,
        });
      }
    }
  }
  return [...seen.values()];
}
