/**
 * Trace search: runs a TraceQL query over the span store's scan (pruned by the query's hints),
 * newest traces first, until `limit` traces match or time runs out. A trace whose spans are held
 * in several storage units is evaluated on each part as it is read and, when a part matches, on
 * the whole trace (fetched by id) before it is reported, so results and their spansets describe
 * whole traces.
 */
import { type Span, StatusCode, serviceName } from '../model/span.ts';
import type { SpanStore, TimeRangeNs } from '../storage/traces/interface.ts';
import type { Query } from './traceql/ast.ts';
import { evaluate, type Spanset, TraceView } from './traceql/evaluate.ts';
import { hintsFor } from './traceql/hints.ts';

/** Tempo's placeholder when a trace's root span has not arrived (yet). */
export const ROOT_SPAN_NOT_YET_RECEIVED = '<root span not yet received>';

export interface TraceSearchRequest extends TimeRangeNs {
  readonly query: Query;
  readonly limit: number;
  /** The search stops after this long and returns what it found (ms). */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface FoundTrace {
  readonly traceId: string;
  readonly rootServiceName: string;
  readonly rootTraceName: string;
  readonly startTimeUnixNano: bigint;
  readonly durationMs: number;
  readonly spansets: readonly Spanset[];
  readonly view: TraceView;
  /** Spans and error spans per service. */
  readonly serviceStats: ReadonlyMap<string, { spanCount: number; errorCount: number }>;
}

export interface TraceSearchResult {
  readonly traces: FoundTrace[];
  readonly inspectedTraces: number;
  readonly inspectedSpans: number;
  /** False when the search stopped at its timeout or was cancelled before scanning everything. */
  readonly complete: boolean;
}

/** Searches the store; see the module comment. */
export async function searchTraces(
  store: SpanStore,
  request: TraceSearchRequest,
): Promise<TraceSearchResult> {
  const hints = hintsFor(request.query.root);
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  request.signal?.addEventListener('abort', onAbort);
  const timer = setTimeout(onAbort, request.timeoutMs);
  const found = new Map<string, FoundTrace>();
  let inspectedTraces = 0;
  let inspectedSpans = 0;
  let complete = true;
  try {
    const scan = store.scan({
      startNs: request.startNs,
      endNs: request.endNs,
      services: hints.services ? [...hints.services] : undefined,
      minSpanDurationNs: hints.minDurationNs,
      signal: abort.signal,
    });
    outer: for await (const batch of scan) {
      for (const part of batch) {
        if (abort.signal.aborted) {
          complete = false;
          break outer;
        }
        if (found.has(part.traceId)) continue;
        inspectedTraces++;
        inspectedSpans += part.spans.length;
        let view = new TraceView(part.spans);
        let sets = evaluate(request.query, view);
        if (sets.length === 0) continue;
        const whole = await store.trace(part.traceId);
        if (whole.length > part.spans.length) {
          view = new TraceView(whole);
          sets = evaluate(request.query, view);
          if (sets.length === 0) continue;
        }
        found.set(part.traceId, describe(part.traceId, view, sets));
        if (found.size >= request.limit) {
          abort.abort();
          break outer;
        }
      }
    }
    if (abort.signal.aborted && found.size < request.limit) complete = false;
  } finally {
    clearTimeout(timer);
    request.signal?.removeEventListener('abort', onAbort);
  }
  const traces = [...found.values()].sort((a, b) =>
    a.startTimeUnixNano > b.startTimeUnixNano ? -1 : a.startTimeUnixNano < b.startTimeUnixNano ? 1 : 0,
  );
  return { traces, inspectedTraces, inspectedSpans, complete };
}

function describe(traceId: string, view: TraceView, spansets: Spanset[]): FoundTrace {
  const first = view.spans[0];
  let start = first?.startTimeUnixNano ?? 0n;
  for (const s of view.spans) if (s.startTimeUnixNano < start) start = s.startTimeUnixNano;
  const stats = new Map<string, { spanCount: number; errorCount: number }>();
  for (const s of view.spans) {
    const service = serviceName(s.resource);
    let st = stats.get(service);
    if (!st) {
      st = { spanCount: 0, errorCount: 0 };
      stats.set(service, st);
    }
    st.spanCount++;
    if (s.status.code === StatusCode.ERROR) st.errorCount++;
  }
  return {
    traceId,
    rootServiceName: view.root ? serviceName(view.root.resource) : ROOT_SPAN_NOT_YET_RECEIVED,
    rootTraceName: view.root ? view.root.name : ROOT_SPAN_NOT_YET_RECEIVED,
    startTimeUnixNano: start,
    durationMs: Math.floor(view.durationNs / 1e6),
    spansets,
    view,
    serviceStats: stats,
  };
}

/** The spans of a found trace, for callers that want them (re-exported for the API). */
export function spansOf(t: FoundTrace): readonly Span[] {
  return t.view.spans;
}
