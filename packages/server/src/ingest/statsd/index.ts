/**
 * StatsD/DogStatsD ingest: UDP and TCP listeners feed an aggregator (statsd_exporter semantics);
 * every flush_interval the state of every series is appended to storage at one timestamp.
 * README.md beside this file is the user-facing description.
 */
import type { StatsdConfig } from '../../config/statsd.ts';
import type { IngestDeps, Stoppable } from '../deps.ts';
import { describeRejections } from '../metrics-sink.ts';
import { StatsdAggregator } from './aggregator.ts';
import { StatsdInput } from './input.ts';
import { type Listener, startTcpListener, startUdpListener } from './listeners.ts';
import { StatsdTelemetry } from './telemetry.ts';

export { StatsdListenError } from './listeners.ts';

/** A running StatsD listener. */
export interface StatsdServer extends Stoppable {
  /** The bound UDP address (`127.0.0.1:8125`), or undefined when UDP is off. */
  readonly udpAddress: string | undefined;
  /** The bound TCP address, or undefined when TCP is off. */
  readonly tcpAddress: string | undefined;
  /** Writes the current state of every series now, as the flush timer does. */
  flush(): Promise<void>;
  /** Closes the listeners, then flushes once more. */
  stop(): Promise<void>;
}

/** Appends of one flush are split into batches of at most this many series. */
const APPEND_BATCH_SERIES = 10_000;

/**
 * Starts the listeners configured in `config` and the flush timer. Rejects with a
 * StatsdListenError naming the address and config key when a listener cannot bind.
 */
export async function startStatsd(deps: IngestDeps, config: StatsdConfig): Promise<StatsdServer> {
  const logger = deps.logger.child({ component: 'statsd' });
  const telemetry = new StatsdTelemetry(deps.self, logger);
  const aggregator = new StatsdAggregator({
    maxSeries: config.max_series,
    seriesTtlMs: config.series_ttl,
    buckets: config.histogram_buckets,
    bucketOverrides: config.histogram_bucket_overrides,
  });
  telemetry.trackSeries(deps.self, () => aggregator.seriesCount);
  const input = new StatsdInput(
    config.tag_formats,
    aggregator,
    telemetry,
    deps.now,
    config.max_series,
    deps.limits,
  );

  const listeners: Listener[] = [];
  let udp: Listener | undefined;
  let tcp: Listener | undefined;
  try {
    if (config.udp_listen) {
      udp = await startUdpListener(
        config.udp_listen,
        {
          maxPacketSize: config.max_packet_size,
          receiveBuffer: config.udp_receive_buffer,
          logger,
          onPacket: () => telemetry.udpPackets.inc(),
        },
        input,
      );
      listeners.push(udp);
    }
    if (config.tcp_listen) {
      tcp = await startTcpListener(
        config.tcp_listen,
        {
          maxLineLength: config.max_packet_size,
          logger,
          onConnection: () => telemetry.tcpConnections.inc(),
          onConnectionError: () => telemetry.tcpErrors.inc(),
        },
        input,
      );
      listeners.push(tcp);
    }
  } catch (err) {
    for (const l of listeners) await l.close();
    throw err;
  }
  if (listeners.length === 0) {
    logger.warn('the statsd section is present but statsd.udp_listen and statsd.tcp_listen are both ""');
  } else {
    logger.info({ udp: udp?.address, tcp: tcp?.address }, 'StatsD listening');
  }

  let lastTimestamp = 0;
  let pendingFlushes = 0;
  let chain: Promise<void> = Promise.resolve();

  const writeSnapshot = async (): Promise<void> => {
    const now = deps.now();
    // Strictly increasing, so a flush right after another never repeats a timestamp.
    const timestamp = Math.max(now, lastTimestamp + 1);
    lastTimestamp = timestamp;
    const snapshot = aggregator.flush(timestamp, now);
    if (snapshot.expired > 0) telemetry.expired.inc(snapshot.expired);
    if (snapshot.metadata.length > 0) deps.sink.metadata(snapshot.metadata);
    const started = process.hrtime.bigint();
    for (let i = 0; i < snapshot.batch.length; i += APPEND_BATCH_SERIES) {
      const part = snapshot.batch.slice(i, i + APPEND_BATCH_SERIES);
      try {
        const result = await deps.sink.append('statsd', part);
        if (result.rejected.length > 0) {
          telemetry.warn(
            'rejected',
            {},
            `storage rejected StatsD samples (see vigil_ingest_rejected_samples_total{protocol="statsd"}):\n${describeRejections(result.rejected)}`,
          );
        }
      } catch (err) {
        telemetry.flushErrors.inc();
        logger.error(
          { err: (err as Error).message, series: part.length },
          'StatsD flush could not be written to storage; the next flush writes the current values again',
        );
      }
    }
    if (snapshot.batch.length > 0) telemetry.flushDuration.observeSince(started);
  };

  const flush = (): Promise<void> => {
    pendingFlushes++;
    chain = chain.then(writeSnapshot).finally(() => {
      pendingFlushes--;
    });
    return chain;
  };

  // A tick while the previous flush is still writing is skipped rather than queued behind it.
  const timer = setInterval(() => {
    if (pendingFlushes === 0) void flush();
  }, config.flush_interval);
  timer.unref();

  let stopping: Promise<void> | undefined;
  return {
    udpAddress: udp?.address,
    tcpAddress: tcp?.address,
    flush,
    stop() {
      stopping ??= (async () => {
        clearInterval(timer);
        for (const l of listeners) await l.close();
        await flush();
      })();
      return stopping;
    },
  };
}
