import { z } from 'zod';
import { byteSize, durationMs, listenAddress } from './units.ts';

/**
 * The `statsd:` section: StatsD/DogStatsD listeners that aggregate what they receive into
 * Prometheus series the way Prometheus's statsd_exporter does. Every field has a default, so
 * `statsd: {}` turns the listener on with its defaults. ingest/statsd/README.md documents it.
 */

/** Prometheus client libraries' default histogram buckets (client_golang DefBuckets), in seconds. */
export const DEFAULT_STATSD_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

const buckets = z
  .array(z.number())
  .min(1, 'give at least one bucket upper bound (+Inf is always added)')
  .superRefine((bounds, ctx) => {
    for (let i = 0; i < bounds.length; i++) {
      if (!Number.isFinite(bounds[i])) {
        ctx.addIssue({ code: 'custom', message: `bucket bounds must be finite numbers (+Inf is implied)` });
        return;
      }
      if (i > 0 && bounds[i] <= bounds[i - 1]) {
        ctx.addIssue({
          code: 'custom',
          message: `bucket bounds must be strictly increasing; ${bounds[i]} follows ${bounds[i - 1]}`,
        });
        return;
      }
    }
  });

const bucketOverride = z
  .object({
    /** A glob over the Prometheus metric name (after sanitising); `*` matches any characters. */
    match: z.string().min(1, 'match must be a non-empty glob such as "http_*_duration"'),
    buckets,
  })
  .strict();

const tagFormats = z
  .object({
    /** `name:1|c|#key:value,key2:value2` */
    dogstatsd: z.boolean().default(true),
    /** `name,key=value,key2=value2:1|c` */
    influxdb: z.boolean().default(true),
    /** `name#key=value,key2=value2:1|c` */
    librato: z.boolean().default(true),
    /** `name[key=value,key2=value2]:1|c` */
    signalfx: z.boolean().default(true),
  })
  .strict();

const statsdObject = z
  .object({
    /** UDP listen address; "" turns UDP off. */
    udp_listen: z.union([listenAddress, z.literal('')]).default('127.0.0.1:8125'),
    /** TCP listen address for newline-delimited lines; "" (the default) turns TCP off. */
    tcp_listen: z.union([listenAddress, z.literal('')]).default(''),
    /** Largest UDP datagram and largest TCP line accepted; larger ones are dropped and counted. */
    max_packet_size: byteSize.default(65535).refine((n) => n > 0, 'max_packet_size must be at least 1 byte'),
    /** The kernel receive buffer for the UDP socket (SO_RCVBUF); 0 keeps the OS default. */
    udp_receive_buffer: byteSize.default(0),
    /** How often the aggregated state of every series is written to storage. */
    flush_interval: durationMs
      .prefault('10s')
      .refine((ms) => ms > 0, 'flush_interval must be longer than 0s, e.g. 10s'),
    /** Series not updated for this long are marked stale and forgotten; 0s keeps them forever. */
    series_ttl: durationMs.prefault('1h'),
    /** Most Prometheus series held at once (a histogram counts its buckets, _sum and _count). */
    max_series: z.number().int().positive().default(100_000),
    /** Which tag syntaxes are recognised, as statsd_exporter's --statsd.parse-*-tags flags. */
    tag_formats: tagFormats.prefault({}),
    /** Bucket upper bounds for timers (in seconds), histograms and distributions. */
    histogram_buckets: buckets.default([...DEFAULT_STATSD_BUCKETS]),
    /** Per-metric bucket bounds; the first entry whose glob matches the metric name wins. */
    histogram_bucket_overrides: z.array(bucketOverride).default([]),
  })
  .strict();

/** A bare `statsd:` line (YAML null) means "on, with the defaults", like `statsd: {}`. */
export const statsdConfigSchema = z.preprocess((value) => (value === null ? {} : value), statsdObject);

export type StatsdConfig = z.infer<typeof statsdConfigSchema>;
