/**
 * The logs signal: log store, ingest endpoints (Loki push, NDJSON; OTLP through ingest/otlp),
 * LogQL, Loki's query API, live tail, trace correlation, retention and limits. main.ts starts it
 * and registers its API; everything inside is wired here.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerLokiQueryApi } from '../api/loki/routes.ts';
import { registerLokiTail } from '../api/loki/tail.ts';
import type { LogsConfig } from '../config/logs.ts';
import type { Stoppable } from '../ingest/deps.ts';
import { registerLokiPush } from '../ingest/loki/index.ts';
import { registerNdjsonLogs } from '../ingest/ndjson/index.ts';
import { type LimitKind, LogQLEngine } from '../logql/engine.ts';
import type { SelfMetrics } from '../self/metrics.ts';
import { DuckDBLogStore } from '../storage/logs/duckdb/duckdb-log-store.ts';
import type { LogSink, LogStore } from '../storage/logs/interface.ts';
import { createLogSink, type ValidatingLogSink } from './sink.ts';
import { TailHub } from './tail.ts';

/** What main.ts gives the logs signal. */
export interface LogsDeps {
  /** The logs' own directory (`<data-dir>/logs`). */
  readonly dataDir: string;
  readonly config: LogsConfig;
  readonly logger: Logger;
  readonly self: SelfMetrics;
  readonly maxBodyBytes: number;
  readonly now: () => number;
}

/** The running logs signal: log store, LogQL, Loki API, live tail. */
export interface LogsModule extends Stoppable {
  /** Where OTLP ingest hands log records. */
  readonly logs: LogSink | undefined;
  /** Registers Loki push and query APIs and the NDJSON endpoint on an HTTP server. */
  registerApi(app: FastifyInstance): void;
  /** The store, for trace correlation and tests. */
  readonly store: LogStore;
  /** The LogQL engine. */
  readonly engine: LogQLEngine;
}

const RETENTION_INTERVAL_MS = 60_000;

/** Opens log storage and starts the logs pipeline. */
export async function startLogs(deps: LogsDeps): Promise<LogsModule> {
  const { config, logger, self } = deps;
  const log = logger.child({ component: 'logs' });
  const store = await DuckDBLogStore.open({
    dataDir: deps.dataDir,
    partitionDurationMs: config.partition_duration,
    logger: log,
    memoryLimit: config.memory_limit,
    compactAfterMs: config.compact_after,
    now: deps.now,
  });

  const limitHits = self.counter(
    'vigil_logs_query_limit_hits_total',
    'LogQL queries stopped by a limit, by limit (entries, lines, bytes, series, time).',
    ['limit'],
  );
  const engine = new LogQLEngine(store, {
    limits: {
      maxEntriesPerQuery: config.limits.max_entries_per_query,
      maxQueryLines: config.limits.max_query_lines,
      maxQueryBytes: config.limits.max_query_bytes,
      maxQuerySeries: config.limits.max_query_series,
      timeoutMs: config.limits.query_timeout,
    },
    onLimit: (kind: LimitKind) => limitHits.labels(kind).inc(),
  });

  const tail = new TailHub();
  const sink: ValidatingLogSink = createLogSink({
    store,
    limits: config.limits,
    retentionMs: config.retention,
    self,
    now: deps.now,
    onStored: (records) => tail.publish(records),
    promotedResourceAttributes: config.otlp.promoted_resource_attributes,
  });

  const stats = () => store.storeStats();
  const streams = self.gauge('vigil_logs_streams', 'Log streams known to storage.');
  const bytes = self.gauge('vigil_logs_storage_bytes', 'Bytes on disk used by log storage.');
  const partitions = self.gauge('vigil_logs_partitions', 'Time partitions of log storage.');
  const tails = self.gauge('vigil_logs_tail_connections', 'Open live-tail connections.');
  streams.collect(() => {
    const s = stats();
    streams.set(s.streams);
    bytes.set(s.storageBytes);
    partitions.set(s.partitions);
    tails.set(tail.size);
  });
  const retentionDeleted = self.counter(
    'vigil_logs_retention_deleted_partitions_total',
    'Log partitions deleted by retention (age or size).',
  );

  const applyRetention = async () => {
    try {
      const before = BigInt(deps.now() - config.retention) * 1_000_000n;
      const { deletedPartitions } = await store.applyRetention(before, config.retention_size);
      retentionDeleted.inc(deletedPartitions);
    } catch (err) {
      log.error({ err }, 'log retention failed; will retry');
    }
  };
  const retentionTimer = setInterval(() => void applyRetention(), RETENTION_INTERVAL_MS);
  retentionTimer.unref();
  void applyRetention();

  let stopped = false;
  return {
    logs: sink,
    store,
    engine,
    registerApi(app) {
      registerLokiPush(app, { sink, maxBodyBytes: deps.maxBodyBytes, logger, self, now: deps.now });
      registerNdjsonLogs(app, { sink, maxBodyBytes: deps.maxBodyBytes, logger, self, now: deps.now });
      registerLokiQueryApi(app, { engine, store, now: deps.now });
      registerLokiTail(app, {
        engine,
        tail,
        now: deps.now,
        maxConnections: config.limits.max_tail_connections,
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(retentionTimer);
      await store.close();
    },
  };
}
