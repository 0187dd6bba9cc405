/**
 * Exemplars: the trace a metric observation came from. An observation made while a sampled span
 * is active remembers that span's ids, so a dashboard can jump from a latency spike to a trace.
 * The span comes from the OpenTelemetry context (whatever SDK is registered), so exemplars work
 * with spans started by @vigil/node, by plain OpenTelemetry code or by auto-instrumentations.
 */
import { context, type SpanContext, TraceFlags, trace } from '@opentelemetry/api';

/** One exemplar: the observed value, when, and the span it was observed in. */
export interface Exemplar {
  traceId: string;
  spanId: string;
  value: number;
  /** Unix milliseconds. */
  timestampMs: number;
}

// Exemplar timestamps come from a clock updated every 50 ms: Date.now() costs more than the
// whole rest of an observation, and exemplars only need to place a trace near a point in time.
const CLOCK_MS = 50;
let coarseNow = 0;

function clock(): number {
  if (coarseNow === 0) {
    coarseNow = Date.now();
    setInterval(() => {
      coarseNow = Date.now();
    }, CLOCK_MS).unref();
  }
  return coarseNow;
}

/** The active span's context if it is sampled (only sampled traces are stored, so only they link). */
export function sampledSpanContext(): SpanContext | undefined {
  const sc = trace.getSpanContext(context.active());
  return sc !== undefined && (sc.traceFlags & TraceFlags.SAMPLED) !== 0 ? sc : undefined;
}

/**
 * Records `value` into `slot` if a sampled span is active; returns the slot to keep (a new one
 * when `slot` was undefined). Reuses the slot's object so steady traffic does not allocate.
 */
export function captureExemplar(slot: Exemplar | undefined, value: number): Exemplar | undefined {
  const sc = sampledSpanContext();
  if (sc === undefined) return slot;
  if (slot === undefined) {
    return { traceId: sc.traceId, spanId: sc.spanId, value, timestampMs: clock() };
  }
  slot.traceId = sc.traceId;
  slot.spanId = sc.spanId;
  slot.value = value;
  slot.timestampMs = clock();
  return slot;
}

/** ` # {trace_id="…",span_id="…"} value timestamp`: the OpenMetrics exemplar suffix of a sample. */
export function formatExemplar(e: Exemplar): string {
  const v = Number.isFinite(e.value)
    ? String(e.value)
    : Number.isNaN(e.value)
      ? 'NaN'
      : e.value > 0
        ? '+Inf'
        : '-Inf';
  return ` # {trace_id="${e.traceId}",span_id="${e.spanId}"} ${v} ${(e.timestampMs / 1000).toFixed(3)}`;
}
