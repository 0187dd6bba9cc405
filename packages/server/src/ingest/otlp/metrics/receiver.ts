import { HttpError } from '../../../api/http-error.ts';
import type { ExportMetricsServiceRequest } from '../../../gen/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.ts';
import type { Counter, SelfMetrics } from '../../../self/metrics.ts';
import type { AppendResult } from '../../../storage/interface.ts';
import type { IngestDeps } from '../../deps.ts';
import { describeRejections } from '../../metrics-sink.ts';
import { DeltaAccumulator } from './delta.ts';
import { translateMetrics } from './translate.ts';

/** What an export request's response reports (OTLP partial success when rejected > 0 or message set). */
export interface ExportOutcome {
  readonly rejectedDataPoints: number;
  /** Empty when everything was accepted and there is nothing to warn about. */
  readonly errorMessage: string;
}

export interface MetricsReceiverOptions {
  /** Most delta streams converted to cumulative at once (default 200 000). */
  readonly maxDeltaStreams?: number;
  /** A delta stream not updated for this long is forgotten (default 1 hour). */
  readonly deltaIdleMs?: number;
}

/** Every receiver's delta state per self-metrics registry, for the vigil_otlp_delta_streams gauge. */
const deltaAccumulators = new WeakMap<SelfMetrics, Set<DeltaAccumulator>>();

/** Longest partial-success message; the response must stay small (the spec's limit is 4 MiB). */
const MAX_MESSAGE_CHARS = 4096;

/**
 * The transport-independent part of OTLP metrics ingest: translates a decoded request, hands the
 * series to the metrics sink and says what to report back. One receiver serves every transport
 * (HTTP on each port and gRPC), so delta streams keep one running total whichever way they arrive.
 */
export class OtlpMetricsReceiver {
  private readonly delta: DeltaAccumulator;
  private readonly rejectedPoints: Counter;

  constructor(
    private readonly deps: IngestDeps,
    options: MetricsReceiverOptions = {},
  ) {
    this.delta = new DeltaAccumulator({
      maxStreams: options.maxDeltaStreams ?? 200_000,
      maxIdleMs: options.deltaIdleMs ?? 3_600_000,
      now: deps.now,
    });
    this.rejectedPoints = deps.self.counter(
      'vigil_otlp_rejected_data_points_total',
      'OTLP metric data points not translated to samples, by reason (samples storage rejects are counted in vigil_ingest_rejected_samples_total).',
      ['reason'],
    );
    let accumulators = deltaAccumulators.get(deps.self);
    if (!accumulators) {
      const all = new Set<DeltaAccumulator>();
      accumulators = all;
      deltaAccumulators.set(deps.self, all);
      const streams = deps.self.gauge(
        'vigil_otlp_delta_streams',
        'OTLP delta-temporality streams being converted to cumulative.',
      );
      streams.collect(() => streams.set([...all].reduce((n, a) => n + a.size, 0)));
    }
    accumulators.add(this.delta);
  }

  /**
   * Stores what can be stored and reports the rest. Throws HttpError(503) when storage fails, so
   * the sender retries; everything else is a (partial) success.
   */
  async export(request: ExportMetricsServiceRequest): Promise<ExportOutcome> {
    const t = translateMetrics(request, this.delta);
    let data: AppendResult;
    try {
      // target_info is derived, not sent: its rejections (say, an older sample than one already
      // stored from another batch) are the sink's to count, not the sender's to hear about.
      [data] = await Promise.all([
        this.deps.sink.append('otlp', t.series),
        t.targetInfo.length > 0 ? this.deps.sink.append('otlp', t.targetInfo) : undefined,
      ]);
    } catch (err) {
      this.deps.logger.error({ err, component: 'otlp' }, 'storing OTLP metrics failed');
      throw new HttpError(503, `storing the metrics failed, retry later: ${(err as Error).message}`);
    }
    if (t.metadata.length > 0) this.deps.sink.metadata(t.metadata);
    // Exemplars that cannot be stored do not fail the export; the sink counts them.
    if (t.exemplars.length > 0)
      await this.deps.sink.appendExemplars('otlp', t.exemplars).catch(() => undefined);

    let rejected = 0;
    const lines: string[] = [];
    for (const r of t.rejected) {
      rejected += r.count;
      this.rejectedPoints.labels(r.reason).inc(r.count);
      lines.push(
        `${r.count} data point${r.count === 1 ? '' : 's'} rejected (${r.reason}), e.g. ${r.example}`,
      );
    }
    if (data.rejected.length > 0) {
      // Storage counts samples, and one histogram point makes several; without knowing which
      // points they came from, count each rejected sample as a point, capped at what was sent.
      let samples = 0;
      for (const r of data.rejected) samples += r.count;
      rejected += Math.min(samples, t.acceptedPoints);
      lines.push(describeRejections(data.rejected));
    }
    lines.push(...t.warnings);
    let errorMessage = lines.join('\n');
    if (errorMessage.length > MAX_MESSAGE_CHARS)
      errorMessage = `${errorMessage.slice(0, MAX_MESSAGE_CHARS - 1)}…`;
    return { rejectedDataPoints: rejected, errorMessage };
  }
}
