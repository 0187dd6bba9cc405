/**
 * The StatsD listener's self-metrics and its rate-limited warnings. Every problem with input is
 * counted with a reason; the first of each kind is logged with an example line, then at most one
 * line per reason every `logIntervalMs`, saying how many were not logged in between.
 */
import type { Logger } from 'pino';
import type { CounterChild, SelfMetrics } from '../../self/metrics.ts';
import type { DropReason } from './aggregator.ts';
import type { IgnoredKind, SampleErrorReason, StatsdType } from './line-parser.ts';

export type Transport = 'udp' | 'tcp';

/** Input problems found before parsing: a datagram or TCP line over statsd.max_packet_size. */
export type TransportErrorReason = 'packet_too_large' | 'line_too_long' | 'invalid_utf8';

const EXAMPLE_CHARS = 200;

/** The listener's self-metrics, registered once per SelfMetrics registry, and its warnings. */
export class StatsdTelemetry {
  private readonly samplesByType: Record<StatsdType, CounterChild>;
  private readonly lineCounters: Record<Transport, CounterChild>;
  private readonly sampleErrors;
  private readonly drops;
  private readonly ignoredCounter;
  private readonly tagErrorCounter;
  readonly udpPackets: CounterChild;
  readonly tcpConnections: CounterChild;
  readonly tcpErrors: CounterChild;
  readonly flushErrors: CounterChild;
  readonly expired: CounterChild;
  readonly flushDuration;
  private readonly warnings: RateLimitedWarnings;

  constructor(self: SelfMetrics, logger: Logger, logIntervalMs = 10_000) {
    this.warnings = new RateLimitedWarnings(logger, logIntervalMs);
    const lines = self.counter(
      'vigil_statsd_lines_total',
      'StatsD lines received (non-empty), by transport.',
      ['transport'],
    );
    this.lineCounters = { udp: lines.labels('udp'), tcp: lines.labels('tcp') };
    const samples = self.counter(
      'vigil_statsd_samples_total',
      'StatsD samples aggregated, by StatsD type (c, g, ms, h, d, s).',
      ['type'],
    );
    this.samplesByType = {
      c: samples.labels('c'),
      g: samples.labels('g'),
      ms: samples.labels('ms'),
      h: samples.labels('h'),
      d: samples.labels('d'),
      s: samples.labels('s'),
    };
    this.sampleErrors = self.counter(
      'vigil_statsd_sample_errors_total',
      'StatsD lines or samples that could not be read, by reason.',
      ['reason'],
    );
    this.drops = self.counter(
      'vigil_statsd_samples_dropped_total',
      'Well-formed StatsD samples not aggregated, by reason.',
      ['reason'],
    );
    this.tagErrorCounter = self.counter(
      'vigil_statsd_tag_errors_total',
      'Malformed or reserved StatsD tags left out (the sample itself was kept).',
    );
    this.ignoredCounter = self.counter(
      'vigil_statsd_ignored_total',
      'DogStatsD events and service checks received; recognised but not stored.',
      ['kind'],
    );
    this.udpPackets = self
      .counter('vigil_statsd_udp_packets_total', 'StatsD UDP datagrams received.')
      .labels();
    this.tcpConnections = self
      .counter('vigil_statsd_tcp_connections_total', 'StatsD TCP connections accepted.')
      .labels();
    this.tcpErrors = self
      .counter('vigil_statsd_tcp_errors_total', 'StatsD TCP connections that ended with an error.')
      .labels();
    this.flushErrors = self
      .counter('vigil_statsd_flush_errors_total', 'StatsD flushes whose append to storage failed.')
      .labels();
    this.expired = self
      .counter(
        'vigil_statsd_series_expired_total',
        'StatsD series forgotten (and marked stale) after statsd.series_ttl without updates.',
      )
      .labels();
    this.flushDuration = self
      .histogram('vigil_statsd_flush_duration_seconds', 'Time to write one StatsD flush to storage.')
      .labels();
  }

  /** Registers the series gauge, read from `count` whenever /metrics is rendered. */
  trackSeries(self: SelfMetrics, count: () => number): void {
    const gauge = self.gauge(
      'vigil_statsd_series',
      'Prometheus series held by the StatsD aggregator (histograms count each bucket, _sum and _count).',
    );
    gauge.collect(() => gauge.set(count()));
  }

  line(transport: Transport): void {
    this.lineCounters[transport].inc();
  }

  sample(type: StatsdType): void {
    this.samplesByType[type].inc();
  }

  sampleError(reason: SampleErrorReason | TransportErrorReason, example: string, transport: Transport): void {
    this.sampleErrors.labels(reason).inc();
    this.warnings.warn(
      `error:${reason}`,
      { reason, transport, example: truncate(example) },
      `StatsD input not understood (${reason}); the rest of the packet is still read. See vigil_statsd_sample_errors_total`,
    );
  }

  tagErrors(count: number, example: string): void {
    this.tagErrorCounter.inc(count);
    this.warnings.warn(
      'tags',
      { example: truncate(example) },
      'StatsD tags left out: tags need a key and a value (k:v for DogStatsD, k=v otherwise), and names starting with __ (or le on timers and histograms) are reserved',
    );
  }

  dropped(reason: DropReason | 'label_limits', metric: string, detail: string): void {
    this.drops.labels(reason).inc();
    this.warnings.warn(`drop:${reason}`, { reason, metric }, `StatsD sample dropped: ${detail}`);
  }

  ignored(kind: IgnoredKind): void {
    this.ignoredCounter.labels(kind).inc();
  }

  /** A warning about something other than one input line (a failed flush, rejected samples). */
  warn(key: string, fields: Record<string, unknown>, message: string): void {
    this.warnings.warn(key, fields, message);
  }
}

/** Logs each kind of warning at most once per interval, counting the ones held back. */
export class RateLimitedWarnings {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    const now = this.clock();
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(key, { at: now, suppressed: 0 });
    this.logger.warn(suppressed > 0 ? { ...fields, suppressedSinceLastLog: suppressed } : fields, message);
  }
}

function truncate(text: string): string {
  return text.length > EXAMPLE_CHARS ? `${text.slice(0, EXAMPLE_CHARS)}…` : text;
}
