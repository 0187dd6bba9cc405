/**
 * The span store's in-memory head: spans acknowledged since the last persisted block, grouped by
 * trace. Spans are held as their OTLP bytes (a few hundred bytes each) plus the fields persist and
 * pruning need, and decoded again when read.
 */

export interface HeadSpan {
  /** OTLP Span message bytes. */
  readonly bytes: Uint8Array;
  /** Interned resource and scope record ids. */
  readonly resource: number;
  readonly scope: number;
  readonly startNs: bigint;
  readonly endNs: bigint;
  /** True for a span without a parent. */
  readonly root: boolean;
  /** The append that brought it (SpanStore's sequence): decides which WAL segment holds it. */
  readonly seq: number;
}

export class HeadTrace {
  readonly spans: HeadSpan[] = [];
  minStartNs = 0n;
  maxEndNs = 0n;
  /** Server time (ms) of the first and the latest append that added a span. */
  firstAppendMs = 0;
  lastAppendMs = 0;
  bytes = 0;

  add(span: HeadSpan, nowMs: number): void {
    if (this.spans.length === 0) {
      this.minStartNs = span.startNs;
      this.maxEndNs = span.endNs;
      this.firstAppendMs = nowMs;
    } else {
      if (span.startNs < this.minStartNs) this.minStartNs = span.startNs;
      if (span.endNs > this.maxEndNs) this.maxEndNs = span.endNs;
    }
    this.lastAppendMs = nowMs;
    this.bytes += span.bytes.length;
    this.spans.push(span);
  }
}

export class Head {
  readonly traces = new Map<string, HeadTrace>();
  spans = 0;
  bytes = 0;
  /** Bumped on every change, so derived views (tag lists) know when to recompute. */
  generation = 0;

  add(traceId: string, span: HeadSpan, nowMs: number): void {
    let t = this.traces.get(traceId);
    if (!t) {
      t = new HeadTrace();
      this.traces.set(traceId, t);
    }
    t.add(span, nowMs);
    this.spans++;
    this.bytes += span.bytes.length;
    this.generation++;
  }

  /** Server time of the oldest trace's first append, or undefined when empty. */
  oldestAppendMs(): number | undefined {
    let oldest: number | undefined;
    for (const t of this.traces.values())
      if (oldest === undefined || t.firstAppendMs < oldest) oldest = t.firstAppendMs;
    return oldest;
  }

  /**
   * Removes and returns the spans of the traces `pick` selects whose append sequence is below
   * `beforeSeq`; newer spans of those traces stay.
   */
  take(pick: (t: HeadTrace) => boolean, beforeSeq: number): Map<string, HeadTrace> {
    const out = new Map<string, HeadTrace>();
    for (const [id, t] of this.traces) {
      if (!pick(t)) continue;
      const moved = new HeadTrace();
      const kept: HeadSpan[] = [];
      for (const s of t.spans) {
        if (s.seq < beforeSeq) moved.add(s, t.lastAppendMs);
        else kept.push(s);
      }
      if (moved.spans.length === 0) continue;
      moved.firstAppendMs = t.firstAppendMs;
      out.set(id, moved);
      this.spans -= moved.spans.length;
      this.bytes -= moved.bytes;
      if (kept.length === 0) this.traces.delete(id);
      else {
        const rest = new HeadTrace();
        for (const s of kept) rest.add(s, t.lastAppendMs);
        rest.firstAppendMs = t.firstAppendMs;
        this.traces.set(id, rest);
      }
    }
    if (out.size > 0) this.generation++;
    return out;
  }

  /** Puts back traces that were taken (a persist that failed). */
  restore(taken: Map<string, HeadTrace>): void {
    for (const [id, t] of taken) for (const s of t.spans) this.add(id, s, t.lastAppendMs);
  }
}
