/**
 * Delta → cumulative conversion state: one running total per output series.
 *
 * Prometheus stores counters as running totals, so OTLP points with delta temporality are added
 * up per stream (the series they become) in the order they arrive:
 *
 * - the first point of a stream starts its total at the point's value;
 * - a point whose time is after the last one seen is added, whether or not its start time
 *   lines up with the previous point's time. SDKs skip delta points for streams that saw no
 *   measurements, so a gap means "nothing happened", not "data lost"; several writers of one
 *   stream are summed, which is the total they jointly describe;
 * - a point whose time is not after the last one is rejected (out of order), except an exact
 *   repeat of the last point (same start and time), which is a sender's retry: it is accepted
 *   and the current total is emitted again without adding it twice;
 * - a NO_RECORDED_VALUE point ends the stream (the caller emits a staleness marker);
 * - a stream not updated for `maxIdleMs` is forgotten; its next point starts a new total.
 *
 * The state lives in memory only. After a restart (or after a stream is forgotten) totals start
 * again from the next point's value, which PromQL's rate() and increase() read as a counter reset.
 */

/** Why a delta point could not be accumulated. */
export type DeltaRejectReason = 'delta_out_of_order' | 'delta_stream_limit';

export type DeltaOutcome<S> =
  | { readonly ok: true; readonly state: S }
  | { readonly ok: false; readonly reason: DeltaRejectReason; readonly message: string };

/** How one kind of point starts and extends a running total. */
export interface DeltaPoint<S> {
  /** A new total holding just this point. */
  start(): S;
  /** Adds this point to the total (may return a new total, e.g. when histogram bounds changed). */
  add(total: S): S;
}

export interface DeltaAccumulatorOptions {
  /** Most streams tracked at once; points of new streams beyond it are rejected. */
  readonly maxStreams: number;
  /** Streams not updated for this long are forgotten. */
  readonly maxIdleMs: number;
  /** Unix milliseconds (injectable for tests). */
  readonly now: () => number;
}

interface Stream {
  startNs: bigint;
  timeNs: bigint;
  touchedMs: number;
  total: unknown;
}

export class DeltaAccumulator {
  private readonly streams = new Map<string, Stream>();
  private lastSweepMs: number;

  constructor(private readonly options: DeltaAccumulatorOptions) {
    this.lastSweepMs = options.now();
  }

  /** Streams currently tracked. */
  get size(): number {
    return this.streams.size;
  }

  /**
   * Adds a delta point to its stream's total and returns the total to emit at `timeNs`. `key`
   * identifies the stream (the output series and the point kind); callers must use one total
   * type per key.
   */
  accumulate<S>(key: string, startNs: bigint, timeNs: bigint, point: DeltaPoint<S>): DeltaOutcome<S> {
    const now = this.options.now();
    this.sweep(now, false);
    const stream = this.streams.get(key);
    if (stream) {
      if (timeNs === stream.timeNs && startNs === stream.startNs) {
        stream.touchedMs = now;
        return { ok: true, state: stream.total as S };
      }
      if (timeNs <= stream.timeNs) {
        return {
          ok: false,
          reason: 'delta_out_of_order',
          message: `delta point at ${timeNs} ns is not after the stream's last point at ${stream.timeNs} ns`,
        };
      }
      stream.total = point.add(stream.total as S);
      stream.startNs = startNs;
      stream.timeNs = timeNs;
      stream.touchedMs = now;
      return { ok: true, state: stream.total as S };
    }
    if (this.streams.size >= this.options.maxStreams) {
      this.sweep(now, true);
      if (this.streams.size >= this.options.maxStreams) {
        return {
          ok: false,
          reason: 'delta_stream_limit',
          message: `already converting ${this.streams.size} delta streams to cumulative, the most Vigil tracks; send cumulative temporality instead`,
        };
      }
    }
    const total = point.start();
    this.streams.set(key, { startNs, timeNs, touchedMs: now, total });
    return { ok: true, state: total };
  }

  /** Ends a stream (after a NO_RECORDED_VALUE point). */
  forget(key: string): void {
    this.streams.delete(key);
  }

  /** Drops idle streams; at most once a minute unless `force`. */
  private sweep(now: number, force: boolean): void {
    if (!force && now - this.lastSweepMs < 60_000) return;
    this.lastSweepMs = now;
    const cutoff = now - this.options.maxIdleMs;
    for (const [key, stream] of this.streams) if (stream.touchedMs < cutoff) this.streams.delete(key);
  }
}
