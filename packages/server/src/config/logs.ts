import { z } from 'zod';
import { byteSize, durationMs } from './units.ts';

/**
 * The resource attributes Loki's OTLP endpoint promotes to stream labels by default
 * (`service.name` becomes the label `service_name`, and so on); every other attribute is kept
 * as structured metadata.
 */
export const DEFAULT_PROMOTED_RESOURCE_ATTRIBUTES: readonly string[] = [
  'service.name',
  'service.namespace',
  'service.instance.id',
  'deployment.environment',
  'deployment.environment.name',
  'cloud.region',
  'cloud.availability_zone',
  'k8s.cluster.name',
  'k8s.namespace.name',
  'k8s.pod.name',
  'k8s.container.name',
  'container.name',
  'k8s.replicaset.name',
  'k8s.deployment.name',
  'k8s.statefulset.name',
  'k8s.daemonset.name',
  'k8s.cronjob.name',
  'k8s.job.name',
];

const logsLimitsSchema = z
  .object({
    /** Longest accepted log line (bytes); longer lines are rejected, or cut when max_line_size_truncate. */
    max_line_size: byteSize.default(256 * 1024),
    max_line_size_truncate: z.boolean().default(false),
    /** Loki's max_label_names_per_series. */
    max_labels_per_stream: z.number().int().positive().default(15),
    max_label_name_length: z.number().int().positive().default(1024),
    max_label_value_length: z.number().int().positive().default(2048),
    /** Streams that received lines within stream_idle_timeout; a new stream past this is refused. 0 = unlimited. */
    max_active_streams: z.number().int().nonnegative().default(10_000),
    stream_idle_timeout: durationMs.prefault('1h'),
    /** Lines stamped further than this ahead of the server clock are refused (Loki's creation_grace_period). */
    max_future_skew: durationMs.prefault('10m'),
    /** Most lines one log query returns (Loki's max_entries_limit_per_query). */
    max_entries_per_query: z.number().int().positive().default(5000),
    /** Most lines one query may read from storage; 0 = unlimited. */
    max_query_lines: z.number().int().nonnegative().default(0),
    /** Most bytes of lines one query may read; 0 = unlimited (Loki's max_query_bytes_read). */
    max_query_bytes: byteSize.default(0),
    /** Most series a metric query may return (Loki's max_query_series). */
    max_query_series: z.number().int().positive().default(500),
    /** Longest a query may run. */
    query_timeout: durationMs.prefault('2m'),
    /** Most concurrent live-tail connections. */
    max_tail_connections: z.number().int().positive().default(100),
  })
  .strict();

const otlpLogsSchema = z
  .object({
    /** Resource attributes that become stream labels (dots become underscores). */
    promoted_resource_attributes: z.array(z.string()).default([...DEFAULT_PROMOTED_RESOURCE_ATTRIBUTES]),
  })
  .strict();

/** The `logs:` section: log storage, retention and limits. */
export const logsConfigSchema = z
  .object({
    /** Records older than this are deleted, a whole time partition at a time. */
    retention: durationMs.prefault('7d'),
    /** The oldest partitions are deleted while storage exceeds this; 0 = no size limit. */
    retention_size: byteSize.default(0),
    /** Length of one time partition: the unit of retention and of time-range pruning. */
    partition_duration: durationMs.prefault('1h'),
    /**
     * This long after a partition's window ended it is moved into a ZSTD-compressed Parquet file
     * sorted by (5-minute bucket, stream, time): about 3× smaller than DuckDB's own string
     * compression on mixed logs (BENCHMARKS.md), still scanned with filters pushed down. Lines
     * that arrive later are merged in by the next round. 0s turns compaction off.
     */
    compact_after: durationMs.prefault('10m'),
    /** DuckDB's memory limit for log storage. */
    memory_limit: z.string().default('512MB'),
    limits: logsLimitsSchema.prefault({}),
    otlp: otlpLogsSchema.prefault({}),
  })
  .strict();

export type LogsConfig = z.infer<typeof logsConfigSchema>;
export type LogsLimitsConfig = LogsConfig['limits'];
