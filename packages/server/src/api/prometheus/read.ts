import type { FastifyInstance, FastifyRequest } from 'fastify';
import { labelsToRecord } from '../../model/labels.ts';
import type { Matcher } from '../../model/matcher.ts';
import { parseSeriesSelector } from '../../promql/index.ts';
import type { LabelQuery, MetricsStorage } from '../../storage/interface.ts';
import { badRequest } from '../http-error.ts';
import { getParam, getParams, MAX_TIME, MIN_TIME, type Params, parseLimit, parseTime } from './params.ts';

/**
 * The metadata read endpoints of Prometheus's HTTP API: /api/v1/series, /api/v1/labels,
 * /api/v1/label/<name>/values, each as GET or form POST, with `match[]`, `start`, `end`, `limit`.
 */
export function registerPrometheusRead(app: FastifyInstance, storage: MetricsStorage): void {
  const series = async (request: FastifyRequest) => {
    const params = requestParams(request);
    if (getParams(params, 'match[]').length === 0) throw badRequest('no match[] parameter provided');
    const query = labelQuery(params);
    const limit = query.limit ?? 0;
    const result = await storage.series({ ...query, limit: limit ? limit + 1 : 0 });
    return envelope(
      result.slice(0, limit || undefined).map(labelsToRecord),
      limit && result.length > limit ? ['results truncated due to limit'] : undefined,
    );
  };
  app.get('/api/v1/series', series);
  app.post('/api/v1/series', series);

  const labels = async (request: FastifyRequest) => {
    const query = labelQuery(requestParams(request));
    const limit = query.limit ?? 0;
    const names = await storage.labelNames({ ...query, limit: limit ? limit + 1 : 0 });
    return envelope(
      names.slice(0, limit || undefined),
      limit && names.length > limit ? ['results truncated due to limit'] : undefined,
    );
  };
  app.get('/api/v1/labels', labels);
  app.post('/api/v1/labels', labels);

  app.get('/api/v1/label/:name/values', async (request: FastifyRequest<{ Params: { name: string } }>) => {
    const name = decodeLabelName(request.params.name);
    const query = labelQuery(requestParams(request));
    const limit = query.limit ?? 0;
    const values = await storage.labelValues(name, { ...query, limit: limit ? limit + 1 : 0 });
    return envelope(
      values.slice(0, limit || undefined),
      limit && values.length > limit ? ['results truncated due to limit'] : undefined,
    );
  });
}

/** Prometheus 3 accepts UTF-8 label names in the path, escaped as `U__` + underscores escaping. */
function decodeLabelName(raw: string): string {
  if (!raw.startsWith('U__')) {
    // Prometheus 3 accepts any non-empty UTF-8 label name here.
    if (raw === '') throw badRequest(`invalid label name: "${raw}"`);
    return raw;
  }
  let out = '';
  const s = raw.slice(3);
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '_') {
      out += s[i];
      continue;
    }
    if (s[i + 1] === '_') {
      out += '_';
      i++;
      continue;
    }
    const end = s.indexOf('_', i + 1);
    const code = end > i ? Number.parseInt(s.slice(i + 1, end), 16) : Number.NaN;
    if (!Number.isFinite(code)) throw badRequest(`invalid label name: "${raw}"`);
    out += String.fromCodePoint(code);
    i = end;
  }
  return out;
}

export function requestParams(request: FastifyRequest): Params {
  const query = (request.query ?? {}) as Params;
  const body = request.body && typeof request.body === 'object' ? (request.body as Params) : {};
  const merged: Params = { ...query };
  for (const [k, v] of Object.entries(body)) {
    const prev = merged[k];
    merged[k] =
      prev === undefined
        ? v
        : [...getParams(merged, k), ...(Array.isArray(v) ? v : v === undefined ? [] : [v])];
  }
  return merged;
}

function labelQuery(params: Params): LabelQuery {
  const matchers: Matcher[][] = getParams(params, 'match[]').map((text) => {
    try {
      return parseSeriesSelector(text);
    } catch (err) {
      throw badRequest(`invalid parameter "match[]": ${(err as Error).message}`);
    }
  });
  const minT = parseTime(getParam(params, 'start'), 'start', MIN_TIME);
  const maxT = parseTime(getParam(params, 'end'), 'end', MAX_TIME);
  if (maxT < minT) throw badRequest('invalid parameter "end": end timestamp must not be before start time');
  return { matchers, minT, maxT, limit: parseLimit(getParam(params, 'limit')) };
}

function envelope(data: unknown, warnings?: string[]) {
  return warnings ? { status: 'success', data, warnings } : { status: 'success', data };
}
