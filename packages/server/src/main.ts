/**
 * Wiring: config → storage → ingest → APIs. The one place that names concrete classes; every
 * other module receives what it needs.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { stringify } from 'yaml';
import { type AlertingModule, startAlerting } from './alerting/index.ts';
import { type AnomalyModule, startAnomaly } from './anomaly/index.ts';
import { registerPrometheusExemplars } from './api/prometheus/exemplars.ts';
import { registerPrometheusQuery } from './api/prometheus/query.ts';
import { registerPrometheusRead } from './api/prometheus/read.ts';
import { registerPrometheusStatus } from './api/prometheus/status.ts';
import { registerPrometheusTargets } from './api/prometheus/targets.ts';
import { createHttpServer, isLoopbackHost } from './api/server.ts';
import { registerAdminEndpoints, registerLifecycle } from './api/vigil/admin.ts';
import { registerDashboards } from './api/vigil/dashboards.ts';
import { registerLive } from './api/vigil/live.ts';
import { registerSelfEndpoints } from './api/vigil/self.ts';
import { registerUi } from './api/vigil/ui.ts';
import { ConfigError, loadConfigFile } from './config/load.ts';
import type { VigilConfig } from './config/schema.ts';
import { parseListenAddress } from './config/units.ts';
import type { IngestDeps, Stoppable } from './ingest/deps.ts';
import { createMetricsSink } from './ingest/metrics-sink.ts';
import { registerOtlpHttp, startOtlpGrpc } from './ingest/otlp/index.ts';
import { registerRemoteWrite } from './ingest/remote-write/index.ts';
import { type ScrapeManager, type ScrapeOptions, startScraping } from './ingest/scrape/index.ts';
import { type StatsdServer, startStatsd } from './ingest/statsd/index.ts';
import { type LogsModule, startLogs } from './logs/index.ts';
import { formatDuration } from './model/duration.ts';
import { type ProbesModule, startProbes } from './probes/index.ts';
import { Engine } from './promql/index.ts';
import { type RulesModule, startRules } from './rules/index.ts';
import { createLogger } from './self/log.ts';
import { SelfMetrics } from './self/metrics.ts';
import { registerProcessMetrics } from './self/process.ts';
import { VIGIL_VERSION } from './self/version.ts';
import { type SloModule, startSlos } from './slo/index.ts';
import { DuckDBMetricsStorage } from './storage/duckdb/duckdb-storage.ts';
import type { MetricsStorage } from './storage/interface.ts';
import { startTraces, type TracesModule } from './traces/index.ts';

export interface VigilOptions {
  readonly config: VigilConfig;
  /** Where the config file lives; relative paths in it resolve against this directory. */
  readonly configPath?: string;
  readonly dataDir: string;
  readonly logger?: Logger;
}

export interface RunningVigil {
  /** The address the main HTTP server listens on, e.g. `127.0.0.1:7070`. */
  readonly address: string;
  /** The extra OTLP listeners' bound addresses, when they run. */
  readonly otlpHttpAddress: string | undefined;
  readonly otlpGrpcAddress: string | undefined;
  /** Where StatsD listens, when configured (resolved ports, for tests and logs). */
  readonly statsdUdpAddress: string | undefined;
  readonly statsdTcpAddress: string | undefined;
  readonly storage: MetricsStorage;
  readonly self: SelfMetrics;
  readonly logger: Logger;
  /**
   * Re-reads the config file and applies what can change at run time (scrape configs). An
   * invalid file leaves the running configuration untouched and rejects with ReloadError.
   */
  reload(): Promise<void>;
  /** Stops ingest, persists everything acknowledged, and closes listeners and files. */
  close(): Promise<void>;
}

export class StartupError extends Error {}

/** A reload that was refused; the message says why. */
export class ReloadError extends Error {}

const VERSION = VIGIL_VERSION;

export async function startVigil(options: VigilOptions): Promise<RunningVigil> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.server.log_level);
  const baseDir = options.configPath ? dirname(resolve(options.configPath)) : process.cwd();
  const listen = parseListenAddress(config.server.listen)!;
  const bearerTokens = resolveAuth(config, baseDir);

  await mkdir(options.dataDir, { recursive: true });
  const self = new SelfMetrics();
  registerProcessMetrics(self);
  let storage: DuckDBMetricsStorage;
  try {
    storage = await DuckDBMetricsStorage.open({
      dataDir: join(options.dataDir, 'metrics'),
      retention: config.storage.retention,
      retentionBytes: config.storage.retention_size,
      outOfOrderWindow: config.storage.out_of_order_time_window,
      blockDuration: config.storage.block_duration,
      maxFutureSkew: config.limits.max_future_skew,
      maxSeries: config.limits.max_series,
      maxSeriesPerMetric: config.limits.max_series_per_metric,
      logger: logger.child({ component: 'storage' }),
      self,
    });
  } catch (err) {
    throw new StartupError(`cannot open metrics storage in ${options.dataDir}: ${(err as Error).message}`);
  }

  const sink = createMetricsSink(storage, config.limits, self);
  const externalURL = config.server.external_url || `http://${config.server.listen}`;
  const engine = new Engine({
    lookbackDelta: config.query.lookback_delta,
    timeout: config.query.timeout,
    maxSamples: config.query.max_samples,
    maxSeries: config.query.max_series,
    maxConcurrent: config.query.max_concurrency,
    // A subquery without a step ([5m:]) uses the global evaluation interval, as in Prometheus.
    noStepSubqueryInterval: () => config.global.evaluation_interval,
  });

  // The signals and pipelines, each behind its own entry module. Whatever starts is stopped
  // again if a later part fails, so a failed start leaves nothing running.
  const modules: Stoppable[] = [];
  let traces: TracesModule;
  let logs: LogsModule;
  let alerting: AlertingModule;
  let rules: RulesModule;
  let probes: ProbesModule;
  let anomaly: AnomalyModule;
  let slos: SloModule;
  try {
    const common = { logger, self, now: Date.now };
    traces = await startTraces({
      ...common,
      dataDir: join(options.dataDir, 'traces'),
      config: config.traces,
      metrics: sink,
      maxBodyBytes: config.server.max_body_bytes,
    });
    modules.push(traces);
    logs = await startLogs({
      ...common,
      dataDir: join(options.dataDir, 'logs'),
      config: config.logs,
      maxBodyBytes: config.server.max_body_bytes,
    });
    modules.push(logs);
    alerting = await startAlerting({
      ...common,
      config,
      baseDir,
      dataDir: join(options.dataDir, 'alerting'),
      externalURL,
    });
    modules.push(alerting);
    rules = await startRules({
      ...common,
      config,
      baseDir,
      engine,
      queryable: storage,
      sink,
      notify: alerting.notify,
      alertExtras: (labels) => alerting.fatigueFor(labels),
      externalURL,
    });
    modules.push(rules);
    // SLOs become generated rule groups run by the rules engine, so they start after it.
    slos = await startSlos({
      ...common,
      config,
      baseDir,
      configFile: options.configPath ?? 'config',
      engine,
      queryable: storage,
      rules,
    });
    modules.push(slos);
    anomaly = await startAnomaly({ ...common, config, engine, queryable: storage, sink });
    modules.push(anomaly);
    probes = await startProbes({ ...common, config, baseDir, sink });
    modules.push(probes);
  } catch (err) {
    for (const m of modules.reverse()) await m.stop().catch(() => undefined);
    await storage.close();
    throw new StartupError((err as Error).message);
  }

  const deps: IngestDeps = {
    sink,
    logger,
    self,
    limits: config.limits,
    maxBodyBytes: config.server.max_body_bytes,
    spans: traces.spans,
    logs: logs.logs,
    now: Date.now,
  };

  let ready = false;
  const app = createHttpServer({ logger, bearerTokens, maxBodyBytes: config.server.max_body_bytes });
  registerSelfEndpoints(app, self, () => ready);
  registerPrometheusRead(app, storage);
  registerPrometheusQuery(app, engine, storage, self);
  registerPrometheusExemplars(app, storage);
  registerPrometheusStatus(app, storage, {
    version: VERSION,
    startTime: new Date(),
    dataDir: options.dataDir,
    flags: {
      'config.file': options.configPath ?? '',
      'storage.tsdb.path': options.dataDir,
      'storage.tsdb.retention.time': formatDuration(config.storage.retention),
      'storage.tsdb.retention.size': String(config.storage.retention_size),
      'web.listen-address': config.server.listen,
      'query.lookback-delta': formatDuration(config.query.lookback_delta),
      'query.timeout': formatDuration(config.query.timeout),
      'query.max-samples': String(config.query.max_samples),
      'query.max-concurrency': String(config.query.max_concurrency),
    },
    configYaml: stringify(redactSecrets(config)),
    retention: formatDuration(config.storage.retention),
  });
  registerAdminEndpoints(app, { compactHead: () => storage.compactHead() });
  registerPrometheusTargets(app, () => scraper?.targets() ?? []);
  traces.registerApi(app);
  logs.registerApi(app);
  registerUi(app);
  registerDashboards(app, {
    dir: config.dashboards.dir
      ? resolve(baseDir, config.dashboards.dir)
      : options.configPath
        ? join(baseDir, 'dashboards')
        : join(options.dataDir, 'dashboards'),
    readOnly: config.dashboards.read_only,
  });
  registerLive(app, {
    rangeQuery: (q, start, end, step, o) => engine.rangeQuery(storage, q, start, end, step, o),
  });
  rules.registerApi(app);
  slos.registerApi(app);
  alerting.registerApi(app);
  anomaly.registerApi(app);
  probes.registerApi(app);
  registerRemoteWrite(app, deps);
  registerOtlpHttp(app, deps);

  let scraper: ScrapeManager | undefined;
  const scrapeOptions = (c: VigilConfig): ScrapeOptions => ({
    global: c.global,
    scrapeConfigs: c.scrape_configs,
    scrapeConfigFiles: c.scrape_config_files,
    baseDir,
  });
  const reload = async (): Promise<void> => {
    if (!options.configPath)
      throw new ReloadError('Vigil was started without --config; there is nothing to reload');
    let next: VigilConfig;
    try {
      next = loadConfigFile(options.configPath);
    } catch (err) {
      throw new ReloadError(err instanceof ConfigError ? err.problems.join('\n') : (err as Error).message);
    }
    try {
      await scraper?.reload(scrapeOptions(next));
      // Rule files are read again; alerts of unchanged rules keep their state (pending timers,
      // firing alerts). An invalid rule file refuses the reload and the old rules keep running.
      await rules.reload(next);
      await slos.reload(next);
      // Unchanged anomaly rules keep their models; unchanged probe targets keep running.
      await anomaly.reload(next);
      await probes.reload(next);
      // Routes, receivers, inhibit rules and templates, as Alertmanager's own /-/reload; silences,
      // the notification log and alert state stay.
      await alerting.reload(next);
    } catch (err) {
      throw new ReloadError((err as Error).message);
    }
    logger.info(
      { config: options.configPath },
      'configuration reloaded (scrape configs, rule files, SLOs, anomaly rules, probes and alerting; other sections apply on restart)',
    );
  };
  registerLifecycle(app, reload);

  const stoppables: Stoppable[] = [];
  const servers: FastifyInstance[] = [app];
  try {
    await app.listen({ host: listen.host, port: listen.port });
  } catch (err) {
    for (const m of modules.reverse()) await m.stop().catch(() => undefined);
    await storage.close();
    throw new StartupError(`cannot listen on ${config.server.listen}: ${(err as Error).message}`);
  }
  const addr = app.server.address();
  const address =
    typeof addr === 'object' && addr ? `${formatHost(addr.address)}:${addr.port}` : config.server.listen;

  // The standard OTLP ports are a convenience: if one is taken, warn and run on without it.
  let otlpHttpAddress: string | undefined;
  let otlpGrpcAddress: string | undefined;
  if (config.server.otlp_http_listen) {
    const otlpListen = parseListenAddress(config.server.otlp_http_listen)!;
    const otlpApp = createHttpServer({ logger, bearerTokens, maxBodyBytes: config.server.max_body_bytes });
    registerOtlpHttp(otlpApp, deps);
    try {
      await otlpApp.listen({ host: otlpListen.host, port: otlpListen.port });
      servers.push(otlpApp);
      const a = otlpApp.server.address();
      otlpHttpAddress = typeof a === 'object' && a ? `${formatHost(a.address)}:${a.port}` : undefined;
    } catch (err) {
      logger.warn(
        { err: (err as Error).message },
        `OTLP/HTTP listener on ${config.server.otlp_http_listen} not started; OTLP/HTTP is still served on ${address}. Set server.otlp_http_listen or --otlp-http-listen to another address, or "" to turn it off`,
      );
      await otlpApp.close();
    }
  }
  if (config.server.otlp_grpc_listen) {
    try {
      const grpcAuth = bearerTokens ? { bearerTokens } : ('none' as const);
      const grpc = await startOtlpGrpc(config.server.otlp_grpc_listen, deps, { auth: grpcAuth });
      otlpGrpcAddress = grpc.address;
      stoppables.push(grpc);
    } catch (err) {
      logger.warn(
        { err: (err as Error).message },
        `OTLP/gRPC listener on ${config.server.otlp_grpc_listen} not started. Set server.otlp_grpc_listen or --otlp-grpc-listen to another address, or "" to turn it off`,
      );
    }
  }
  let statsd: StatsdServer | undefined;
  try {
    if (config.statsd) {
      statsd = await startStatsd(deps, config.statsd);
      stoppables.push(statsd);
    }
    scraper = await startScraping(deps, scrapeOptions(config));
    stoppables.push(scraper);
  } catch (err) {
    // Leave nothing half-started: stop what runs, close listeners and storage.
    for (const s of stoppables.reverse()) await s.stop().catch(() => undefined);
    for (const s of servers) await s.close().catch(() => undefined);
    for (const m of modules.reverse()) await m.stop().catch(() => undefined);
    await storage.close();
    throw new StartupError((err as Error).message);
  }

  ready = true;
  logger.info({ address, dataDir: options.dataDir, auth: bearerTokens ? 'bearer' : 'off' }, 'Vigil started');

  let closing: Promise<void> | undefined;
  return {
    reload,
    address,
    otlpHttpAddress,
    otlpGrpcAddress,
    statsdUdpAddress: statsd?.udpAddress,
    statsdTcpAddress: statsd?.tcpAddress,
    storage,
    self,
    logger,
    close() {
      closing ??= (async () => {
        ready = false;
        for (const s of stoppables.reverse())
          await s.stop().catch((err) => logger.error({ err }, 'stop failed'));
        for (const s of servers) await s.close();
        // Rules stop before alerting (reverse start order) so their last notifications go out.
        for (const m of modules.reverse())
          await m.stop().catch((err) => logger.error({ err }, 'stop failed'));
        await storage.close();
        logger.info('Vigil stopped');
      })();
      return closing;
    },
  };
}

/**
 * Bearer tokens to require, or undefined for no auth. Loopback-only servers need none; anything
 * reachable from the network must have tokens unless auth is explicitly disabled.
 */
function resolveAuth(config: VigilConfig, baseDir: string): string[] | undefined {
  const { auth } = config.server;
  if (auth.disabled) return undefined;
  const tokens = [...auth.bearer_tokens];
  for (const file of auth.bearer_token_files) {
    const path = resolve(baseDir, file);
    try {
      tokens.push(readFileSync(path, 'utf8').trim());
    } catch (err) {
      throw new StartupError(
        `cannot read server.auth.bearer_token_files entry ${path}: ${(err as Error).message}`,
      );
    }
  }
  if (tokens.length > 0) return tokens;
  // Without tokens, every listener must be loopback-only.
  const listeners = [config.server.listen, config.server.otlp_http_listen, config.server.otlp_grpc_listen];
  for (const address of listeners) {
    if (!address || isLoopbackHost(parseListenAddress(address)!.host)) continue;
    throw new StartupError(
      `refusing to listen on ${address} without authentication: it is reachable beyond this machine. ` +
        'Set server.auth.bearer_tokens (or bearer_token_files) in the config file, or set server.auth.disabled: true ' +
        'if something in front of Vigil already authenticates requests.',
    );
  }
  return undefined;
}

/** The config as shown by /api/v1/status/config, with credentials replaced like Prometheus's <secret>. */
function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        /password$|^bearer_tokens?$|^credentials$|secret/.test(k) && v !== '' ? '<secret>' : redactSecrets(v);
    }
    return out;
  }
  return value;
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
