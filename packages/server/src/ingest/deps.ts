import type { Logger } from 'pino';
import type { LimitsConfig } from '../config/schema.ts';
import type { SelfMetrics } from '../self/metrics.ts';
import type { LogSink } from '../storage/logs/interface.ts';
import type { SpanSink } from '../storage/traces/interface.ts';
import type { MetricsSink } from './metrics-sink.ts';

/** What every ingest protocol receives from main.ts. */
export interface IngestDeps {
  readonly sink: MetricsSink;
  readonly logger: Logger;
  readonly self: SelfMetrics;
  readonly limits: LimitsConfig;
  /** Largest accepted request body in bytes, after decompression. */
  readonly maxBodyBytes: number;
  /** Where decoded spans go (OTLP traces, Zipkin); undefined when traces are not wired. */
  readonly spans?: SpanSink;
  /** Where decoded log records go (OTLP logs, Loki push, NDJSON); undefined when logs are not wired. */
  readonly logs?: LogSink;
  /** The clock, injectable for tests; Unix milliseconds. */
  readonly now: () => number;
}

/** A background ingest component (listener or scrape loop) that main.ts can stop. */
export interface Stoppable {
  stop(): Promise<void>;
}
