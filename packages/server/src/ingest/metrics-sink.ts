import type { LimitsConfig } from '../config/schema.ts';
import type { SeriesExemplars } from '../model/exemplar.ts';
import { formatLabels, isValidUtf8Name, type Labels, METRIC_NAME } from '../model/labels.ts';
import type { SeriesSamples } from '../model/sample.ts';
import type { SelfMetrics } from '../self/metrics.ts';
import type {
  AppendOptions,
  AppendResult,
  MetricMetadata,
  MetricsStorage,
  RejectedSamples,
  RejectReason,
} from '../storage/interface.ts';

/** The ingest protocols, as they appear in self-metrics' `protocol` label. */
export type IngestProtocol =
  | 'remote_write'
  | 'otlp'
  | 'scrape'
  | 'statsd'
  | 'rules'
  | 'span_metrics'
  | 'probes'
  | 'anomaly';

/**
 * Where every ingest handler sends decoded metrics: validates series against the configured
 * limits, appends the rest to storage, and counts accepted and rejected samples per protocol.
 * Handlers turn the result into their protocol's response.
 */
export interface MetricsSink {
  /** `options` as MetricsStorage.append: `{ durable: false }` only for data Vigil computes itself. */
  append(
    protocol: IngestProtocol,
    batch: readonly SeriesSamples[],
    options?: AppendOptions,
  ): Promise<AppendResult>;
  /** Exemplars of series (trace ids attached to observations); validated like samples' labels. */
  appendExemplars(protocol: IngestProtocol, batch: readonly SeriesExemplars[]): Promise<AppendResult>;
  metadata(entries: readonly MetricMetadata[]): void;
}

export function createMetricsSink(
  storage: MetricsStorage,
  limits: LimitsConfig,
  self: SelfMetrics,
): MetricsSink {
  const accepted = self.counter('vigil_ingest_samples_total', 'Samples stored, by ingest protocol.', [
    'protocol',
  ]);
  const rejected = self.counter(
    'vigil_ingest_rejected_samples_total',
    'Samples not stored, by ingest protocol and reason.',
    ['protocol', 'reason'],
  );

  const exemplarsAccepted = self.counter(
    'vigil_ingest_exemplars_total',
    'Exemplars stored, by ingest protocol.',
    ['protocol'],
  );
  const exemplarsRejected = self.counter(
    'vigil_ingest_rejected_exemplars_total',
    'Exemplars not stored, by ingest protocol and reason.',
    ['protocol', 'reason'],
  );

  // Label sets already found valid. Decoders hand out the same immutable Labels object for a
  // series they have seen before (remote write's label cache, scrape's series cache), so this
  // skips re-validating every label of every series on every append.
  const validLabels = new WeakSet<Labels>();

  return {
    async append(protocol, batch, options) {
      const { valid, rejections } = validate(batch, limits, validLabels);
      const result =
        valid.length > 0
          ? await storage.append(valid, options)
          : { accepted: 0, seriesAdded: 0, rejected: [] };
      accepted.labels(protocol).inc(result.accepted);
      const all = mergeRejections([...rejections, ...result.rejected]);
      for (const r of all) rejected.labels(protocol, r.reason).inc(r.count);
      return { accepted: result.accepted, seriesAdded: result.seriesAdded, rejected: all };
    },
    async appendExemplars(protocol, batch) {
      const valid: SeriesExemplars[] = [];
      const invalid: RejectedSamples[] = [];
      for (const series of batch) {
        if (series.exemplars.length === 0) continue;
        const problem = validLabels.has(series.labels) ? undefined : checkSeries(series.labels, limits);
        if (problem)
          invalid.push({ reason: problem.reason, count: series.exemplars.length, example: problem.message });
        else valid.push(series);
      }
      const result =
        valid.length > 0
          ? await storage.appendExemplars(valid)
          : { accepted: 0, seriesAdded: 0, rejected: [] };
      exemplarsAccepted.labels(protocol).inc(result.accepted);
      const all = mergeRejections([...invalid, ...result.rejected]);
      for (const r of all) exemplarsRejected.labels(protocol, r.reason).inc(r.count);
      return { accepted: result.accepted, seriesAdded: result.seriesAdded, rejected: all };
    },
    metadata(entries) {
      storage.setMetadata(entries);
    },
  };
}

function validate(
  batch: readonly SeriesSamples[],
  limits: LimitsConfig,
  validLabels: WeakSet<Labels>,
): { valid: SeriesSamples[]; rejections: RejectedSamples[] } {
  const valid: SeriesSamples[] = [];
  const rejections: RejectedSamples[] = [];
  for (const series of batch) {
    if (validLabels.has(series.labels)) {
      if (series.timestamps.length > 0) valid.push(series);
      continue;
    }
    const problem = checkSeries(series.labels, limits);
    if (!problem) validLabels.add(series.labels);
    if (problem) {
      if (series.timestamps.length > 0) {
        rejections.push({
          reason: problem.reason,
          count: series.timestamps.length,
          example: problem.message,
        });
      }
    } else if (series.timestamps.length > 0) {
      valid.push(series);
    }
  }
  return { valid, rejections };
}

function checkSeries(
  labels: Labels,
  limits: LimitsConfig,
): { reason: RejectReason; message: string } | undefined {
  if (labels.length > limits.max_labels_per_series) {
    return bad(
      labels,
      'too_many_labels',
      `series has ${labels.length} labels, more than limits.max_labels_per_series (${limits.max_labels_per_series})`,
    );
  }
  let hasName = false;
  for (let i = 0; i < labels.length; i++) {
    const { name, value } = labels[i];
    if (i > 0 && labels[i - 1].name >= name) {
      return bad(
        labels,
        'invalid_labels',
        labels[i - 1].name === name ? `duplicate label name "${name}"` : 'labels are not sorted by name',
      );
    }
    if (!isValidUtf8Name(name))
      return bad(labels, 'invalid_labels', `invalid label name ${JSON.stringify(name)}`);
    if (name.length > limits.max_label_name_length) {
      return bad(
        labels,
        'label_too_long',
        `label name "${name.slice(0, 64)}…" is longer than ${limits.max_label_name_length}`,
      );
    }
    if (value.length > limits.max_label_value_length) {
      return bad(
        labels,
        'label_too_long',
        `value of label "${name}" is ${value.length} characters, longer than limits.max_label_value_length (${limits.max_label_value_length})`,
      );
    }
    if (!isValidUtf8Name(value) && value !== '') {
      return bad(labels, 'invalid_labels', `value of label "${name}" is not valid UTF-8`);
    }
    if (name === METRIC_NAME) hasName = true;
  }
  if (!hasName) return bad(labels, 'invalid_labels', 'series has no metric name (__name__ label)');
  return undefined;
}

function bad(labels: Labels, reason: RejectReason, what: string): { reason: RejectReason; message: string } {
  return { reason, message: `${formatLabels(labels)}: ${what}` };
}

function mergeRejections(list: readonly RejectedSamples[]): RejectedSamples[] {
  const byReason = new Map<RejectReason, RejectedSamples>();
  for (const r of list) {
    const prev = byReason.get(r.reason);
    byReason.set(r.reason, prev ? { ...prev, count: prev.count + r.count } : r);
  }
  return [...byReason.values()];
}

/** One line per reason, for a 4xx body: `3 samples rejected (out_of_order), e.g. ...`. */
export function describeRejections(rejected: readonly RejectedSamples[]): string {
  return rejected
    .map((r) => `${r.count} sample${r.count === 1 ? '' : 's'} rejected (${r.reason}), e.g. ${r.example}`)
    .join('\n');
}
