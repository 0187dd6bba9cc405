import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { MetricsStorage } from '../../storage/interface.ts';
import { badRequest } from '../http-error.ts';
import { getParam, parseLimit } from './params.ts';
import { requestParams } from './read.ts';

export interface StatusInfo {
  /** Vigil's own version. */
  readonly version: string;
  readonly startTime: Date;
  readonly dataDir: string;
  /** The effective flags and config values, for /api/v1/status/flags. */
  readonly flags: Readonly<Record<string, string>>;
  /** The loaded configuration as YAML, for /api/v1/status/config. */
  readonly configYaml: string;
  readonly retention: string;
}

/**
 * The Prometheus API's metadata and status endpoints: /api/v1/metadata and
 * /api/v1/status/{buildinfo,runtimeinfo,flags,config,tsdb}, in Prometheus's JSON shapes.
 */
export function registerPrometheusStatus(
  app: FastifyInstance,
  storage: MetricsStorage,
  info: StatusInfo,
): void {
  app.get('/api/v1/metadata', async (request: FastifyRequest) => {
    const params = requestParams(request);
    const limit = parseLimit(getParam(params, 'limit'));
    const perMetric = parseLimit(getParam(params, 'limit_per_metric'));
    const metric = getParam(params, 'metric') || undefined;
    const data: Record<string, { type: string; help: string; unit: string }[]> = {};
    for (const [name, entries] of storage.metadata(metric, limit)) {
      const list = perMetric ? entries.slice(0, perMetric) : entries;
      data[name] = list.map((e) => ({ type: e.type, help: e.help, unit: e.unit }));
    }
    return { status: 'success', data };
  });

  // Grafana reads `version` to pick the features it may use; we answer as a Prometheus 3 API.
  app.get('/api/v1/status/buildinfo', async () => ({
    status: 'success',
    data: {
      version: '3.0.0',
      revision: `vigil-${info.version}`,
      branch: 'vigil',
      buildUser: 'vigil',
      buildDate: '',
      goVersion: `node${process.versions.node}`,
      application: 'vigil',
      vigilVersion: info.version,
    },
  }));

  app.get('/api/v1/status/runtimeinfo', async () => {
    const stats = storage.stats();
    return {
      status: 'success',
      data: {
        startTime: info.startTime.toISOString(),
        CWD: process.cwd(),
        reloadConfigSuccess: true,
        lastConfigTime: info.startTime.toISOString(),
        corruptionCount: 0,
        goroutineCount: 0,
        GOMAXPROCS: 1,
        GOMEMLIMIT: 0,
        GOGC: '',
        GODEBUG: '',
        storageRetention: info.retention,
        serverTime: new Date().toISOString(),
        headSeries: stats.headSeries,
      },
    };
  });

  app.get('/api/v1/status/flags', async () => ({ status: 'success', data: info.flags }));
  app.get('/api/v1/status/config', async () => ({ status: 'success', data: { yaml: info.configYaml } }));

  app.get('/api/v1/status/tsdb', async (request: FastifyRequest) => {
    const params = requestParams(request);
    const raw = getParam(params, 'limit');
    const limit = raw === undefined ? 10 : parseLimit(raw);
    if (limit <= 0) throw badRequest('limit must be a positive number');
    const stats = storage.stats();
    const card = storage.cardinality(limit);
    let labelPairs = 0;
    for (const e of storage.cardinality(Number.MAX_SAFE_INTEGER).labelValueCountByLabelName)
      labelPairs += e.value;
    return {
      status: 'success',
      data: {
        headStats: {
          numSeries: stats.headSeries,
          numLabelPairs: labelPairs,
          chunkCount: 0,
          minTime: Number.isFinite(stats.headMinTime) ? stats.headMinTime : 0,
          maxTime: Number.isFinite(stats.headMaxTime) ? stats.headMaxTime : 0,
        },
        seriesCountByMetricName: card.seriesCountByMetricName,
        labelValueCountByLabelName: card.labelValueCountByLabelName,
        memoryInBytesByLabelName: card.memoryInBytesByLabelName,
        seriesCountByLabelValuePair: card.seriesCountByLabelValuePair,
      },
    };
  });
}
