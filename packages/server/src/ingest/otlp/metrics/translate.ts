/**
 * OTLP metrics → Prometheus series, following the OpenTelemetry ↔ Prometheus compatibility
 * specification and, where it leaves a choice, what Prometheus 3's OTLP receiver does by default.
 * Pure apart from the delta state it is handed: no I/O, no clock beyond the accumulator's.
 *
 *   gauge                      → `name` gauge
 *   sum, monotonic             → `name_total` counter (delta points summed into a running total)
 *   sum, not monotonic         → `name` gauge (delta points summed likewise)
 *   histogram                  → `name_bucket{le}` (with `+Inf`), `name_sum`, `name_count`
 *   exponential histogram      → the same, with buckets chosen as in exponential.ts
 *   summary                    → `name{quantile}`, `name_sum`, `name_count`
 *
 * Every series carries the point's attributes as labels, `job` (service.namespace/service.name),
 * `instance` (service.instance.id) and the scope as `otel_scope_name`, `otel_scope_version`,
 * `otel_scope_schema_url` and `otel_scope_<attribute>`. The remaining resource attributes go to
 * one `target_info` series per resource. Exemplars become exemplars of the `_total` series of sums
 * and of the `_bucket` series whose bound first covers the exemplar's value for histograms, with
 * `trace_id`/`span_id` (hex) and the filtered attributes as labels, as Prometheus's translator does.
 */
import type { ExportMetricsServiceRequest } from '../../../gen/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.ts';
import type { KeyValue } from '../../../gen/opentelemetry/proto/common/v1/common_pb.ts';
import {
  AggregationTemporality,
  type ExponentialHistogramDataPoint,
  type HistogramDataPoint,
  type Metric,
  type NumberDataPoint,
  type Exemplar as OtlpExemplar,
  type SummaryDataPoint,
} from '../../../gen/opentelemetry/proto/metrics/v1/metrics_pb.ts';
import type { Exemplar, SeriesExemplars } from '../../../model/exemplar.ts';
import { type Labels, labelsFromPairs, labelsKey, METRIC_NAME, withLabel } from '../../../model/labels.ts';
import { type SeriesSamples, STALE_NAN } from '../../../model/sample.ts';
import type { MetricMetadata, MetricType } from '../../../storage/interface.ts';
import { AttributeValueError, anyValueToString } from '../attributes.ts';
import type { DeltaAccumulator, DeltaPoint } from './delta.ts';
import {
  type ClassicBuckets,
  ExponentialAccumulator,
  type ExponentialBuckets,
  ExponentialHistogramError,
  exponentialToClassic,
  validateExponentialBuckets,
} from './exponential.ts';
import {
  formatFloatPlain,
  NamingError,
  type NamingKind,
  prometheusLabelName,
  prometheusMetricName,
  prometheusUnit,
} from './naming.ts';
import { SeriesBuilder } from './series-builder.ts';

/** Why a data point was not turned into samples. */
export type PointRejectReason =
  | 'invalid_metric_name'
  | 'invalid_attribute'
  | 'invalid_temporality'
  | 'missing_timestamp'
  | 'missing_value'
  | 'invalid_histogram'
  | 'invalid_exponential_histogram'
  | 'invalid_summary'
  | 'delta_out_of_order'
  | 'delta_stream_limit';

export interface RejectedPoints {
  readonly reason: PointRejectReason;
  readonly count: number;
  /** The first rejected point's problem, for the response message. */
  readonly example: string;
}

export interface MetricsTranslation {
  /** Series made from data points. */
  readonly series: SeriesSamples[];
  /** `target_info` series, one per resource with non-identifying attributes. */
  readonly targetInfo: SeriesSamples[];
  readonly metadata: MetricMetadata[];
  /** Data points in the request. */
  readonly points: number;
  /** Data points that became samples. */
  readonly acceptedPoints: number;
  readonly rejected: readonly RejectedPoints[];
  /** Things worth telling the sender that rejected nothing, e.g. a metric without data. */
  readonly warnings: readonly string[];
  /** Exemplars of the data points, per Prometheus series. */
  readonly exemplars: SeriesExemplars[];
}

const NO_RECORDED_VALUE = 1;
const IDENTIFYING_RESOURCE_ATTRIBUTES = new Set(['service.name', 'service.namespace', 'service.instance.id']);
/** Spacing of target_info samples across a request's time span: half of PromQL's default lookback. */
const TARGET_INFO_INTERVAL_MS = 150_000;
/** At most this many target_info samples per resource and request (12 hours of spacing). */
const MAX_TARGET_INFO_SAMPLES = 288;

/** A problem with one data point; caught per point and counted as a rejection. */
class PointError extends Error {
  constructor(
    readonly reason: PointRejectReason,
    message: string,
  ) {
    super(message);
  }
}

interface ResourceContext {
  readonly job: string;
  readonly instance: string;
  /** Attributes other than the identifying ones, for target_info. */
  readonly infoAttributes: readonly KeyValue[];
  minMs: number;
  maxMs: number;
}

/** A point's labels apart from `__name__` (and `le`/`quantile`), with their labelsKey. */
interface BaseLabels {
  readonly labels: Labels;
  readonly key: string;
}

/** A metric's Prometheus identity, shared by its points. */
interface MetricContext {
  readonly name: string;
  /** The metric name as sent, for messages. */
  readonly otlpName: string;
  readonly resource: ResourceContext;
  readonly scopeLabels: ReadonlyMap<string, string>;
  readonly delta: boolean;
}

/** Translates one export request. `delta` holds the running totals of delta streams across requests. */
export function translateMetrics(
  request: ExportMetricsServiceRequest,
  delta: DeltaAccumulator,
): MetricsTranslation {
  return new Translator(delta).translate(request);
}

class Translator {
  private readonly out = new SeriesBuilder();
  private readonly targetInfo = new SeriesBuilder();
  private readonly metadata = new Map<string, MetricMetadata>();
  private readonly rejected = new Map<PointRejectReason, { count: number; example: string }>();
  private readonly warnings: string[] = [];
  private readonly labelNames = new Map<string, string>();
  private readonly floatTexts = new Map<number, string>();
  private readonly targetInfoSamples = new Set<string>();
  private points = 0;
  private accepted = 0;
  private readonly exemplars: SeriesExemplars[] = [];

  constructor(private readonly delta: DeltaAccumulator) {}

  translate(request: ExportMetricsServiceRequest): MetricsTranslation {
    for (const rm of request.resourceMetrics) {
      const resource = this.resourceContext(rm.resource?.attributes ?? []);
      for (const sm of rm.scopeMetrics) {
        let scopeLabels: Map<string, string> | undefined;
        try {
          scopeLabels = this.scopeLabels(
            sm.scope?.name ?? '',
            sm.scope?.version ?? '',
            sm.schemaUrl,
            sm.scope?.attributes ?? [],
          );
        } catch (err) {
          const message = `scope ${JSON.stringify(sm.scope?.name ?? '')}: ${(err as Error).message}`;
          if (!(err instanceof NamingError || err instanceof AttributeValueError)) throw err;
          for (const metric of sm.metrics) this.rejectAll(metric, 'invalid_attribute', message);
          continue;
        }
        for (const metric of sm.metrics) this.translateMetric(metric, resource, scopeLabels);
      }
      this.addTargetInfo(resource);
    }
    return {
      series: this.out.build(),
      targetInfo: this.targetInfo.build(),
      metadata: [...this.metadata.values()],
      points: this.points,
      acceptedPoints: this.accepted,
      rejected: [...this.rejected].map(([reason, r]) => ({ reason, count: r.count, example: r.example })),
      warnings: this.warnings,
      exemplars: this.exemplars,
    };
  }

  // ---- resource, scope and attribute labels ----

  private resourceContext(attributes: readonly KeyValue[]): ResourceContext {
    let name: string | undefined;
    let namespace: string | undefined;
    let instance = '';
    const infoAttributes: KeyValue[] = [];
    for (const kv of attributes) {
      if (kv.key === 'service.name') name = stringOrEmpty(kv);
      else if (kv.key === 'service.namespace') namespace = stringOrEmpty(kv);
      else if (kv.key === 'service.instance.id') instance = stringOrEmpty(kv);
      if (!IDENTIFYING_RESOURCE_ATTRIBUTES.has(kv.key)) infoAttributes.push(kv);
    }
    // Prometheus: job is "<namespace>/<name>", or "<name>"; no service.name means no job.
    const job = name === undefined ? '' : namespace !== undefined ? `${namespace}/${name}` : name;
    return {
      job,
      instance,
      infoAttributes,
      minMs: Number.POSITIVE_INFINITY,
      maxMs: Number.NEGATIVE_INFINITY,
    };
  }

  private scopeLabels(
    name: string,
    version: string,
    schemaUrl: string,
    attributes: readonly KeyValue[],
  ): Map<string, string> {
    const labels = new Map<string, string>();
    if (name === '') return labels;
    for (const kv of attributes)
      labels.set(this.labelName(`otel_scope_${kv.key}`), anyValueToString(kv.value));
    // Set last: scope attributes that would collide with these are dropped, as the spec requires.
    labels.set('otel_scope_name', name);
    labels.set('otel_scope_version', version);
    labels.set('otel_scope_schema_url', schemaUrl);
    return labels;
  }

  private labelName(key: string): string {
    let name = this.labelNames.get(key);
    if (name === undefined) {
      name = prometheusLabelName(key);
      this.labelNames.set(key, name);
    }
    return name;
  }

  /**
   * Attributes as labels: keys sanitised; when several keys map to one label name their values
   * are joined with `;` in the order of the original keys, as the specification requires.
   */
  private attributeLabels(attributes: readonly KeyValue[]): Map<string, string> {
    const pairs: [string, string][] = [];
    for (const kv of attributes) {
      if (kv.key === METRIC_NAME) continue;
      pairs.push([kv.key, anyValueToString(kv.value)]);
    }
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const labels = new Map<string, string>();
    for (const [key, value] of pairs) {
      const name = this.labelName(key);
      const existing = labels.get(name);
      labels.set(name, existing ? `${existing};${value}` : value);
    }
    return labels;
  }

  /**
   * A point's labels without `__name__`: attributes, then job/instance, then the scope. `reserved`
   * (`le` for histograms, `quantile` for summaries) is left out: the series set it themselves.
   * The key identifies the label set in SeriesBuilder and delta state.
   */
  private baseLabels(attributes: readonly KeyValue[], metric: MetricContext, reserved?: string): BaseLabels {
    let labels: Map<string, string>;
    try {
      labels = this.attributeLabels(attributes);
    } catch (err) {
      if (err instanceof NamingError || err instanceof AttributeValueError) {
        throw new PointError('invalid_attribute', err.message);
      }
      throw err;
    }
    if (metric.resource.job !== '') labels.set('job', metric.resource.job);
    if (metric.resource.instance !== '') labels.set('instance', metric.resource.instance);
    for (const [name, value] of metric.scopeLabels) labels.set(name, value);
    labels.delete(METRIC_NAME);
    if (reserved !== undefined) labels.delete(reserved);
    const sorted = labelsFromPairs(Array.from(labels, ([name, value]) => ({ name, value })));
    return { labels: sorted, key: labelsKey(sorted) };
  }

  /** Adds a sample to the series `base` + `__name__="name"` (+ `extra="extraValue"`). */
  private emit(
    base: BaseLabels,
    name: string,
    t: number,
    value: number,
    extra?: string,
    extraValue = '',
  ): void {
    const member = extra === undefined ? name : `${name}\ud800${extraValue}`;
    this.out.add(
      base.key,
      member,
      () => {
        const named = withLabel(base.labels, METRIC_NAME, name);
        return extra === undefined ? named : withLabel(named, extra, extraValue);
      },
      t,
      value,
    );
  }

  /** `le` and `quantile` values, formatted once per request. */
  private floatText(v: number): string {
    let text = this.floatTexts.get(v);
    if (text === undefined) {
      text = formatFloatPlain(v);
      this.floatTexts.set(v, text);
    }
    return text;
  }

  // ---- metrics ----

  private translateMetric(metric: Metric, resource: ResourceContext, scopeLabels: Map<string, string>): void {
    const data = metric.data;
    if (data.case === undefined) {
      this.warnings.push(`metric ${JSON.stringify(metric.name)} has no data and was ignored`);
      return;
    }
    const count = data.value.dataPoints.length;
    if (count === 0) return;

    let kind: NamingKind;
    let type: MetricType;
    let temporality = AggregationTemporality.CUMULATIVE;
    switch (data.case) {
      case 'gauge':
        kind = 'gauge';
        type = gaugeType(metric.metadata);
        break;
      case 'sum':
        kind = data.value.isMonotonic ? 'monotonic_sum' : 'non_monotonic_sum';
        type = data.value.isMonotonic ? 'counter' : 'gauge';
        temporality = data.value.aggregationTemporality;
        break;
      case 'histogram':
        kind = 'histogram';
        type = 'histogram';
        temporality = data.value.aggregationTemporality;
        break;
      case 'exponentialHistogram':
        kind = 'exponential_histogram';
        type = 'histogram';
        temporality = data.value.aggregationTemporality;
        break;
      case 'summary':
        kind = 'summary';
        type = 'summary';
        break;
    }
    if (temporality !== AggregationTemporality.CUMULATIVE && temporality !== AggregationTemporality.DELTA) {
      this.rejectAll(
        metric,
        'invalid_temporality',
        `metric ${JSON.stringify(metric.name)}: aggregation_temporality ${temporality} is neither DELTA (1) nor CUMULATIVE (2)`,
      );
      return;
    }
    let name: string;
    try {
      name = prometheusMetricName(metric.name, metric.unit, kind);
    } catch (err) {
      if (!(err instanceof NamingError)) throw err;
      this.rejectAll(metric, 'invalid_metric_name', err.message);
      return;
    }
    this.metadata.set(name, {
      metric: name,
      type,
      help: metric.description,
      unit: prometheusUnit(metric.unit),
    });

    const context: MetricContext = {
      name,
      otlpName: metric.name,
      resource,
      scopeLabels,
      delta: temporality === AggregationTemporality.DELTA,
    };
    switch (data.case) {
      case 'gauge':
      case 'sum':
        for (const p of inTimeOrder(data.value.dataPoints, context.delta)) {
          this.point(context, p, () => this.numberPoint(context, p));
        }
        break;
      case 'histogram':
        for (const p of inTimeOrder(data.value.dataPoints, context.delta)) {
          this.point(context, p, () => this.histogramPoint(context, p));
        }
        break;
      case 'exponentialHistogram':
        for (const p of inTimeOrder(data.value.dataPoints, context.delta)) {
          this.point(context, p, () => this.exponentialPoint(context, p));
        }
        break;
      case 'summary':
        for (const p of data.value.dataPoints) this.point(context, p, () => this.summaryPoint(context, p));
        break;
    }
  }

  /** Runs one point's translation; a PointError rejects that point only. */
  private point(metric: MetricContext, p: { timeUnixNano: bigint }, translate: () => void): void {
    this.points++;
    try {
      if (p.timeUnixNano === 0n)
        throw new PointError('missing_timestamp', 'data point has no time_unix_nano');
      translate();
      this.accepted++;
      const t = toMs(p.timeUnixNano);
      if (t < metric.resource.minMs) metric.resource.minMs = t;
      if (t > metric.resource.maxMs) metric.resource.maxMs = t;
    } catch (err) {
      if (!(err instanceof PointError)) throw err;
      this.reject(err.reason, `metric ${JSON.stringify(metric.otlpName)}: ${err.message}`);
    }
  }

  private numberPoint(metric: MetricContext, p: NumberDataPoint): void {
    const base = this.baseLabels(p.attributes, metric);
    const key = deltaKey(base, metric.name, 'number');
    const t = toMs(p.timeUnixNano);
    if ((p.flags & NO_RECORDED_VALUE) !== 0) {
      if (metric.delta) this.delta.forget(key);
      this.emit(base, metric.name, t, STALE_NAN);
      return;
    }
    let value: number;
    if (p.value.case === 'asDouble') value = p.value.value;
    else if (p.value.case === 'asInt') value = Number(p.value.value);
    else throw new PointError('missing_value', 'number data point has neither as_double nor as_int');

    if (metric.delta) {
      const total = this.accumulate(key, p, {
        start: () => ({ value }),
        add: (s: { value: number }) => {
          s.value += value;
          return s;
        },
      });
      value = total.value;
    }
    this.emit(base, metric.name, t, value);
    if (p.exemplars.length > 0)
      this.addExemplars(withLabel(base.labels, METRIC_NAME, metric.name), p.exemplars);
  }

  /** Exemplars of one Prometheus series. */
  private addExemplars(series: Labels, exemplars: readonly OtlpExemplar[]): void {
    const out: Exemplar[] = [];
    for (const e of exemplars) {
      const value =
        e.value.case === 'asDouble'
          ? e.value.value
          : e.value.case === 'asInt'
            ? Number(e.value.value)
            : undefined;
      if (value === undefined) continue;
      const pairs: { name: string; value: string }[] = [];
      for (const kv of e.filteredAttributes)
        pairs.push({ name: this.labelName(kv.key), value: anyValueToString(kv.value) });
      if (e.traceId.length > 0)
        pairs.push({ name: 'trace_id', value: Buffer.from(e.traceId).toString('hex') });
      if (e.spanId.length > 0) pairs.push({ name: 'span_id', value: Buffer.from(e.spanId).toString('hex') });
      out.push({ labels: labelsFromPairs(pairs), value, timestamp: toMs(e.timeUnixNano) });
    }
    if (out.length > 0)
      this.exemplars.push({ labels: series, exemplars: out.sort((a, b) => a.timestamp - b.timestamp) });
  }

  /** Histogram exemplars go to the first bucket whose bound is at least their value (+Inf above all). */
  private addHistogramExemplars(
    name: string,
    base: BaseLabels,
    bounds: readonly number[],
    exemplars: readonly OtlpExemplar[],
  ): void {
    const byBucket = new Map<string, OtlpExemplar[]>();
    for (const e of exemplars) {
      const v =
        e.value.case === 'asDouble'
          ? e.value.value
          : e.value.case === 'asInt'
            ? Number(e.value.value)
            : Number.NaN;
      let i = 0;
      while (i < bounds.length && !(v <= bounds[i])) i++;
      const le = i < bounds.length ? this.floatText(bounds[i]) : '+Inf';
      const list = byBucket.get(le);
      if (list) list.push(e);
      else byBucket.set(le, [e]);
    }
    for (const [le, list] of byBucket) {
      this.addExemplars(withLabel(withLabel(base.labels, METRIC_NAME, `${name}_bucket`), 'le', le), list);
    }
  }

  private histogramPoint(metric: MetricContext, p: HistogramDataPoint): void {
    const base = this.baseLabels(p.attributes, metric, 'le');
    const key = deltaKey(base, metric.name, 'histogram');
    const t = toMs(p.timeUnixNano);
    const bounds = p.explicitBounds;
    for (let i = 0; i < bounds.length; i++) {
      if (!Number.isFinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) {
        throw new PointError(
          'invalid_histogram',
          `explicit_bounds must be finite and strictly increasing, got [${bounds.join(', ')}]`,
        );
      }
    }
    if ((p.flags & NO_RECORDED_VALUE) !== 0) {
      if (metric.delta) this.delta.forget(key);
      const buckets = { bounds, cumulativeCounts: bounds.map(() => 0) };
      this.emitHistogram(metric.name, base, t, buckets, 0, p.sum, true);
      return;
    }
    if (p.bucketCounts.length !== 0 && p.bucketCounts.length !== bounds.length + 1) {
      throw new PointError(
        'invalid_histogram',
        `${p.bucketCounts.length} bucket_counts for ${bounds.length} explicit_bounds; expected ${bounds.length + 1}`,
      );
    }
    let snapshot: { counts: number[]; count: number; sum: number | undefined } = {
      counts: p.bucketCounts.map(Number),
      count: Number(p.count),
      sum: p.sum,
    };
    if (metric.delta) {
      const point = snapshot;
      snapshot = this.accumulate(key, p, {
        start: () => ({ bounds, counts: [...point.counts], count: point.count, sum: point.sum }),
        add: (s: { bounds: number[]; counts: number[]; count: number; sum: number | undefined }) => {
          // Different bounds cannot be added up: start over from this point (a counter reset).
          if (!sameBounds(s.bounds, bounds) || s.counts.length !== point.counts.length) {
            return { bounds, counts: [...point.counts], count: point.count, sum: point.sum };
          }
          for (let i = 0; i < s.counts.length; i++) s.counts[i] += point.counts[i];
          s.count += point.count;
          s.sum = s.sum === undefined || point.sum === undefined ? undefined : s.sum + point.sum;
          return s;
        },
      });
    }
    const cumulativeCounts: number[] = [];
    if (snapshot.counts.length > 0) {
      let running = 0;
      for (let i = 0; i < bounds.length; i++) {
        running += snapshot.counts[i];
        cumulativeCounts.push(running);
      }
    }
    const classic = { bounds: snapshot.counts.length > 0 ? bounds : [], cumulativeCounts };
    this.emitHistogram(metric.name, base, t, classic, snapshot.count, snapshot.sum, false);
    if (p.exemplars.length > 0) this.addHistogramExemplars(metric.name, base, classic.bounds, p.exemplars);
  }

  private exponentialPoint(metric: MetricContext, p: ExponentialHistogramDataPoint): void {
    const base = this.baseLabels(p.attributes, metric, 'le');
    const key = deltaKey(base, metric.name, 'exponential');
    const t = toMs(p.timeUnixNano);
    const buckets: ExponentialBuckets = {
      scale: p.scale,
      zeroCount: Number(p.zeroCount),
      zeroThreshold: p.zeroThreshold,
      positive: { offset: p.positive?.offset ?? 0, counts: (p.positive?.bucketCounts ?? []).map(Number) },
      negative: { offset: p.negative?.offset ?? 0, counts: (p.negative?.bucketCounts ?? []).map(Number) },
    };
    try {
      validateExponentialBuckets(buckets);
    } catch (err) {
      if (err instanceof ExponentialHistogramError) {
        throw new PointError('invalid_exponential_histogram', err.message);
      }
      throw err;
    }
    if ((p.flags & NO_RECORDED_VALUE) !== 0) {
      if (metric.delta) this.delta.forget(key);
      this.emitHistogram(metric.name, base, t, exponentialToClassic(buckets), 0, p.sum, true);
      return;
    }
    let snapshot = { buckets, count: Number(p.count), sum: p.sum };
    if (metric.delta) {
      const point = snapshot;
      const total = this.accumulate(key, p, {
        start: () => ({ acc: new ExponentialAccumulator(buckets), count: point.count, sum: point.sum }),
        add: (s: { acc: ExponentialAccumulator; count: number; sum: number | undefined }) => {
          s.acc.add(buckets);
          s.count += point.count;
          s.sum = s.sum === undefined || point.sum === undefined ? undefined : s.sum + point.sum;
          return s;
        },
      });
      snapshot = { buckets: total.acc.snapshot(), count: total.count, sum: total.sum };
    }
    const classic = exponentialToClassic(snapshot.buckets);
    this.emitHistogram(metric.name, base, t, classic, snapshot.count, snapshot.sum, false);
    if (p.exemplars.length > 0) this.addHistogramExemplars(metric.name, base, classic.bounds, p.exemplars);
  }

  /** `_bucket` series for each bound plus `+Inf`, `_count`, and `_sum` when the point has one. */
  private emitHistogram(
    name: string,
    base: BaseLabels,
    t: number,
    buckets: ClassicBuckets,
    count: number,
    sum: number | undefined,
    stale: boolean,
  ): void {
    if (sum !== undefined) this.emit(base, `${name}_sum`, t, stale ? STALE_NAN : sum);
    this.emit(base, `${name}_count`, t, stale ? STALE_NAN : count);
    const bucket = `${name}_bucket`;
    for (let i = 0; i < buckets.bounds.length; i++) {
      const value = stale ? STALE_NAN : buckets.cumulativeCounts[i];
      this.emit(base, bucket, t, value, 'le', this.floatText(buckets.bounds[i]));
    }
    this.emit(base, bucket, t, stale ? STALE_NAN : count, 'le', '+Inf');
  }

  private summaryPoint(metric: MetricContext, p: SummaryDataPoint): void {
    const base = this.baseLabels(p.attributes, metric, 'quantile');
    const t = toMs(p.timeUnixNano);
    for (const q of p.quantileValues) {
      if (!(q.quantile >= 0 && q.quantile <= 1)) {
        throw new PointError('invalid_summary', `quantile ${q.quantile} is not between 0 and 1`);
      }
    }
    const stale = (p.flags & NO_RECORDED_VALUE) !== 0;
    this.emit(base, `${metric.name}_sum`, t, stale ? STALE_NAN : p.sum);
    this.emit(base, `${metric.name}_count`, t, stale ? STALE_NAN : Number(p.count));
    for (const q of p.quantileValues) {
      this.emit(base, metric.name, t, stale ? STALE_NAN : q.value, 'quantile', this.floatText(q.quantile));
    }
  }

  private accumulate<S>(
    key: string,
    p: { startTimeUnixNano: bigint; timeUnixNano: bigint },
    point: DeltaPoint<S>,
  ): S {
    const outcome = this.delta.accumulate(key, p.startTimeUnixNano, p.timeUnixNano, point);
    if (!outcome.ok) throw new PointError(outcome.reason, outcome.message);
    return outcome.state;
  }

  // ---- target_info and bookkeeping ----

  /**
   * One `target_info` series per resource, as Prometheus writes it: only when the resource has
   * attributes besides the identifying ones and a job or instance to join on; samples of value 1
   * from the earliest to the latest accepted point of the resource, spaced TARGET_INFO_INTERVAL_MS.
   */
  private addTargetInfo(resource: ResourceContext): void {
    if (resource.infoAttributes.length === 0 || resource.minMs > resource.maxMs) return;
    if (resource.job === '' && resource.instance === '') return;
    let labels: Map<string, string>;
    try {
      labels = this.attributeLabels(resource.infoAttributes);
    } catch (err) {
      if (!(err instanceof NamingError || err instanceof AttributeValueError)) throw err;
      this.warnings.push(`target_info not written: resource ${err.message}`);
      return;
    }
    if (resource.job !== '') labels.set('job', resource.job);
    if (resource.instance !== '') labels.set('instance', resource.instance);
    labels.set(METRIC_NAME, 'target_info');
    const series = labelsFromPairs(Array.from(labels, ([name, value]) => ({ name, value })));
    this.metadata.set('target_info', {
      metric: 'target_info',
      type: 'gauge',
      help: 'Target metadata',
      unit: '',
    });
    const first = Math.max(
      resource.minMs,
      resource.maxMs - (MAX_TARGET_INFO_SAMPLES - 1) * TARGET_INFO_INTERVAL_MS,
    );
    const key = labelsKey(series);
    for (let t = first; t < resource.maxMs; t += TARGET_INFO_INTERVAL_MS)
      this.addTargetInfoSample(key, series, t);
    this.addTargetInfoSample(key, series, resource.maxMs);
  }

  private addTargetInfoSample(key: string, series: Labels, t: number): void {
    // Several ResourceMetrics of one resource in a request must not write the sample twice.
    const sample = `${key}@${t}`;
    if (this.targetInfoSamples.has(sample)) return;
    this.targetInfoSamples.add(sample);
    this.targetInfo.add(key, '', () => series, t, 1);
  }

  private rejectAll(metric: Metric, reason: PointRejectReason, message: string): void {
    const count = metric.data.case === undefined ? 0 : metric.data.value.dataPoints.length;
    this.points += count;
    if (count > 0) this.reject(reason, message, count);
  }

  private reject(reason: PointRejectReason, example: string, count = 1): void {
    const r = this.rejected.get(reason);
    if (r) r.count += count;
    else this.rejected.set(reason, { count, example });
  }
}

/** Delta points must be added up oldest first; a copy sorted by time (stable) when they are delta. */
function inTimeOrder<P extends { timeUnixNano: bigint }>(points: readonly P[], delta: boolean): readonly P[] {
  if (!delta) return points;
  return [...points].sort((a, b) =>
    a.timeUnixNano < b.timeUnixNano ? -1 : a.timeUnixNano > b.timeUnixNano ? 1 : 0,
  );
}

function toMs(ns: bigint): number {
  return Number(ns / 1_000_000n);
}

function deltaKey(base: BaseLabels, name: string, kind: 'number' | 'histogram' | 'exponential'): string {
  return `${kind}\u0000${base.key}\udbff${name}`;
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function stringOrEmpty(kv: KeyValue): string {
  try {
    return anyValueToString(kv.value);
  } catch {
    return '';
  }
}

/** The spec lets a gauge say it is really an unknown, info or stateset metric (metric.metadata prometheus.type). */
function gaugeType(metadata: readonly KeyValue[]): MetricType {
  for (const kv of metadata) {
    if (kv.key !== 'prometheus.type' || kv.value?.value.case !== 'stringValue') continue;
    const hint = kv.value.value.value;
    if (hint === 'unknown' || hint === 'info' || hint === 'stateset') return hint;
  }
  return 'gauge';
}
