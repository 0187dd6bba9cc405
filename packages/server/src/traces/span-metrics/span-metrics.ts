/**
 * RED metrics from spans, named and labelled as Tempo's metrics-generator span-metrics processor
 * writes them (modules/generator/processor/spanmetrics):
 *
 *   traces_spanmetrics_calls_total{service, span_name, span_kind, status_code}
 *   traces_spanmetrics_latency_bucket{..., le} / _sum / _count      latency in seconds
 *
 * Each latency bucket carries an exemplar (labels traceID, spanID) of the latest span that fell
 * in it since the previous collection, so a slow bucket in Grafana links to a trace.
 *
 * span_kind and status_code are the OTLP enum names (SPAN_KIND_SERVER, STATUS_CODE_ERROR).
 * Configured `dimensions` add span (then resource) attributes as labels, dots replaced by
 * underscores. Every span is counted when it arrives, before tail sampling, so the rates stay
 * exact whatever sampling keeps.
 */

import type { SpanMetricsConfig } from '../../config/traces.ts';
import type { SeriesExemplars } from '../../model/exemplar.ts';
import type { Label } from '../../model/labels.ts';
import type { SeriesSamples } from '../../model/sample.ts';
import {
  type AttributeValue,
  type Span,
  serviceName,
  spanKindName,
  statusCodeName,
} from '../../model/span.ts';
import { spanAttribute } from '../span-attribute.ts';
import { CounterFamily, HistogramFamily } from './series.ts';

/** Series not updated for this long are marked stale and forgotten (Tempo's default stale_duration). */
export const STALE_AFTER_MS = 15 * 60_000;

export class SpanMetrics {
  private readonly calls = new CounterFamily('traces_spanmetrics_calls_total');
  private readonly latency: HistogramFamily;
  private readonly dimensionLabels: string[];
  /** Spans not counted because a new label set would pass max_series. */
  droppedSpans = 0;

  constructor(private readonly config: SpanMetricsConfig) {
    this.latency = new HistogramFamily('traces_spanmetrics_latency', config.histogram_buckets);
    this.dimensionLabels = config.dimensions.map(sanitizeLabelName);
  }

  /** Counts spans (cheap: reads names, kinds, statuses and times; attributes only for dimensions). */
  observe(spans: readonly Span[], nowMs: number): void {
    const dims = this.config.intrinsic_dimensions;
    for (const span of spans) {
      const labels: Label[] = [];
      let key = '';
      const add = (name: string, value: string) => {
        labels.push({ name, value });
        key += `${value}\xff`;
      };
      if (dims.service) add('service', serviceName(span.resource));
      if (dims.span_name) add('span_name', span.name);
      if (dims.span_kind) add('span_kind', spanKindName(span.kind));
      if (dims.status_code) add('status_code', statusCodeName(span.status.code));
      if (dims.status_message) add('status_message', span.status.message);
      for (let i = 0; i < this.config.dimensions.length; i++) {
        add(this.dimensionLabels[i], attributeText(span, this.config.dimensions[i]));
      }
      if (!this.calls.has(key) && this.calls.size >= this.config.max_series) {
        this.droppedSpans++;
        continue;
      }
      const seconds = Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e9;
      this.calls.inc(key, labels, 1, nowMs);
      this.latency.observe(key, labels, seconds > 0 ? seconds : 0, nowMs, span);
    }
  }

  /**
   * The cumulative state as samples at `nowMs` (Tempo's collection). Latency buckets that got a
   * span since the last collection add an exemplar naming the latest such span to `exemplars`.
   */
  collect(nowMs: number, exemplars?: SeriesExemplars[]): SeriesSamples[] {
    const out: SeriesSamples[] = [];
    this.calls.collect(out, nowMs, STALE_AFTER_MS);
    this.latency.collect(out, nowMs, STALE_AFTER_MS, exemplars);
    return out;
  }

  /** Current values of one label set, for tests: key parts in label order. */
  inspect(
    keyParts: readonly string[],
  ): { calls: number; buckets: number[]; sum: number; count: number } | undefined {
    const key = keyParts.map((p) => `${p}\xff`).join('');
    const calls = this.calls.value(key);
    const h = this.latency.snapshot(key);
    if (calls === undefined || !h) return undefined;
    return { calls, ...h };
  }
}

/** A span attribute's value (or its resource's) as label text; '' when absent. */
export function attributeText(span: Span, key: string): string {
  const own = spanAttribute(span, key);
  if (own !== undefined) return valueText(own);
  for (const a of span.resource.attributes) if (a.key === key) return valueText(a.value);
  return '';
}

function valueText(v: AttributeValue): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'boolean':
    case 'number':
    case 'bigint':
      return String(v);
    default:
      return v === null ? '' : JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
  }
}

/** An attribute key as a Prometheus label name: invalid characters become '_' (Tempo's SanitizeLabelName). */
export function sanitizeLabelName(key: string): string {
  const s = key.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}
