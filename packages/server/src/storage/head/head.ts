import { formatLabels, type Labels } from '../../model/labels.ts';
import type { SeriesSamples } from '../../model/sample.ts';
import { chunkSampleCount, decodeXorChunk, XorAppender } from '../chunkenc/xor.ts';
import type { RejectReason } from '../interface.ts';

/**
 * The head: recent samples of every active series, in memory, compressed as they arrive (the
 * same Gorilla chunks long-term storage uses). Like Prometheus's head block, it takes every
 * append, answers queries over recent data without touching disk, and hands complete time
 * windows to long-term storage (`takeBefore`) once they are old enough.
 *
 * The head knows nothing about durability: the owner writes what `append` accepted to the
 * write-ahead log before acknowledging.
 */

/** Samples per head chunk before a new one is cut (Prometheus uses the same target). */
const SAMPLES_PER_CHUNK = 120;

export interface HeadChunk {
  readonly bytes: Uint8Array;
  readonly minT: number;
  readonly maxT: number;
  readonly count: number;
}

const f64 = new Float64Array(2);
const words = new Uint32Array(f64.buffer);
/** Bit-exact equality, as Prometheus compares values of duplicate samples. */
function sameBits(a: number, b: number): boolean {
  f64[0] = a;
  f64[1] = b;
  return words[0] === words[2] && words[1] === words[3];
}

export class MemSeries {
  /** Closed chunks, oldest first; never overlapping. */
  chunks: HeadChunk[] = [];
  app: XorAppender | undefined;
  /** Chunks are cut at block-window boundaries so whole chunks move to long-term storage. */
  appWindowEnd = 0;
  lastT = Number.NEGATIVE_INFINITY;
  lastV = 0;

  constructor(
    readonly id: number,
    readonly labels: Labels,
  ) {}

  get minT(): number {
    if (this.chunks.length > 0) return this.chunks[0].minT;
    return this.app && this.app.count > 0 ? this.app.minT : Number.POSITIVE_INFINITY;
  }

  get sampleCount(): number {
    let n = this.app?.count ?? 0;
    for (const c of this.chunks) n += c.count;
    return n;
  }

  /** Closed chunks plus the open one, oldest first. */
  allChunks(): HeadChunk[] {
    if (!this.app || this.app.count === 0) return this.chunks;
    const open = { bytes: this.app.bytes(), minT: this.app.minT, maxT: this.app.maxT, count: this.app.count };
    return [...this.chunks, open];
  }
}

export interface HeadOptions {
  /** Width of long-term storage's time windows; head chunks never straddle a boundary. */
  readonly blockDuration: number;
  /** How far behind its series' newest sample a sample may be and still be accepted (0 = none). */
  readonly outOfOrderWindow: number;
}

/** What one append did, for the write-ahead log and the sender. */
export class AppendOutcome {
  accepted = 0;
  /** Series created by this append (the caller logs their labels). */
  readonly newSeries: { id: number; labels: Labels }[] = [];
  /** Accepted samples in order: series id, timestamp, value (values kept bit-exact). */
  readonly ids: number[] = [];
  readonly ts: number[] = [];
  vs = new Float64Array(256);
  readonly rejected = new Map<RejectReason, { count: number; example: string }>();

  push(id: number, t: number, v: number): void {
    const n = this.ids.length;
    if (n === this.vs.length) {
      const grown = new Float64Array(n * 2);
      grown.set(this.vs);
      this.vs = grown;
    }
    this.ids.push(id);
    this.ts.push(t);
    this.vs[n] = v;
  }

  reject(reason: RejectReason, count: number, example: string): void {
    const r = this.rejected.get(reason);
    if (r) r.count += count;
    else this.rejected.set(reason, { count, example });
  }
}

export class Head {
  readonly series = new Map<number, MemSeries>();
  /** Samples older than this are refused: their window already went to long-term storage. */
  minValidTime = Number.NEGATIVE_INFINITY;
  private minT = Number.POSITIVE_INFINITY;
  private maxT = Number.NEGATIVE_INFINITY;
  private samples = 0;

  constructor(private readonly options: HeadOptions) {}

  get minTime(): number {
    return this.minT;
  }
  get maxTime(): number {
    return this.maxT;
  }
  get sampleCount(): number {
    return this.samples;
  }

  windowStart(t: number): number {
    const d = this.options.blockDuration;
    return Math.floor(t / d) * d;
  }

  getOrCreate(id: number, labels: Labels): MemSeries {
    let series = this.series.get(id);
    if (!series) {
      series = new MemSeries(id, labels);
      this.series.set(id, series);
    }
    return series;
  }

  /** Appends one series' samples (time-ordered) to series `id`. Accepted samples are recorded in `out`. */
  appendSeries(id: number, input: SeriesSamples, out: AppendOutcome, maxValidTime: number): void {
    const { timestamps, values } = input;
    const series = this.getOrCreate(id, input.labels);
    for (let i = 0; i < timestamps.length; i++) {
      const t = timestamps[i];
      const v = values[i];
      if (!Number.isSafeInteger(t)) {
        out.reject(
          'too_far_in_future',
          1,
          `${formatLabels(input.labels)}: timestamp ${t} is not an integer number of milliseconds`,
        );
        continue;
      }
      if (t < this.minValidTime) {
        out.reject(
          'too_old',
          1,
          `${formatLabels(input.labels)}: sample at ${new Date(t).toISOString()} is older than the in-memory head (${new Date(this.minValidTime).toISOString()}); its time window is already in long-term storage`,
        );
        continue;
      }
      if (t > maxValidTime) {
        out.reject(
          'too_far_in_future',
          1,
          `${formatLabels(input.labels)}: sample at ${new Date(t).toISOString()} is too far in the future (limits.max_future_skew)`,
        );
        continue;
      }
      const status = this.appendSample(series, t, v);
      if (status === 'ok') {
        out.push(series.id, t, v);
        out.accepted++;
      } else if (status === 'same') {
        out.accepted++; // identical duplicate: dropped silently, as Prometheus does
      } else {
        const message =
          status === 'out_of_order'
            ? `sample at ${t} is older than the series' newest sample at ${series.lastT}${this.options.outOfOrderWindow ? ' by more than storage.out_of_order_time_window' : ' (samples must arrive in time order; see storage.out_of_order_time_window)'}`
            : `sample at ${t} has a different value than the sample already stored at that timestamp`;
        out.reject(status, 1, `${formatLabels(input.labels)}: ${message}`);
      }
    }
  }

  /** Applies one sample with Prometheus's ordering rules; used for appends and WAL replay. */
  appendSample(
    series: MemSeries,
    t: number,
    v: number,
  ): 'ok' | 'same' | 'out_of_order' | 'duplicate_timestamp' {
    if (t <= series.lastT) {
      if (t === series.lastT) return sameBits(v, series.lastV) ? 'same' : 'duplicate_timestamp';
      if (this.options.outOfOrderWindow > 0 && t >= series.lastT - this.options.outOfOrderWindow) {
        return this.insertOutOfOrder(series, t, v);
      }
      return 'out_of_order';
    }
    let app = series.app;
    if (!app || app.count >= SAMPLES_PER_CHUNK || t >= series.appWindowEnd) {
      if (app && app.count > 0) series.chunks.push(closeAppender(app));
      app = new XorAppender();
      series.app = app;
      series.appWindowEnd = this.windowStart(t) + this.options.blockDuration;
    }
    app.append(t, v);
    series.lastT = t;
    series.lastV = v;
    this.samples++;
    if (t < this.minT) this.minT = t;
    if (t > this.maxT) this.maxT = t;
    return 'ok';
  }

  /** Rare path: decode the window the sample falls in, insert it, re-encode the window. */
  private insertOutOfOrder(series: MemSeries, t: number, v: number): 'ok' | 'same' | 'duplicate_timestamp' {
    const wStart = this.windowStart(t);
    const wEnd = wStart + this.options.blockDuration;
    const all = series.allChunks();
    const inWindow = all.filter((c) => c.minT < wEnd && c.maxT >= wStart);
    const n = inWindow.reduce((s, c) => s + c.count, 0);
    const ts = new Float64Array(n + 1);
    const vs = new Float64Array(n + 1);
    let k = 0;
    for (const c of inWindow) k = decodeXorChunk(c.bytes, ts, vs, k);
    let pos = 0;
    while (pos < k && ts[pos] < t) pos++;
    if (pos < k && ts[pos] === t) return sameBits(vs[pos], v) ? 'same' : 'duplicate_timestamp';
    ts.copyWithin(pos + 1, pos, k);
    vs.copyWithin(pos + 1, pos, k);
    ts[pos] = t;
    vs[pos] = v;
    k++;
    // Rebuild: chunks before and after the window stay; the window's samples are re-cut.
    const isOpenInWindow =
      series.app !== undefined && series.app.count > 0 && series.app.minT >= wStart && series.app.minT < wEnd;
    const before = series.chunks.filter((c) => c.maxT < wStart);
    const after = series.chunks.filter((c) => c.minT >= wEnd);
    const rebuilt: HeadChunk[] = [];
    let app = new XorAppender();
    for (let i = 0; i < k; i++) {
      if (app.count >= SAMPLES_PER_CHUNK) {
        rebuilt.push(closeAppender(app));
        app = new XorAppender();
      }
      app.append(ts[i], vs[i]);
    }
    if (isOpenInWindow) {
      series.chunks = [...before, ...rebuilt, ...after];
      series.app = app;
    } else {
      rebuilt.push(closeAppender(app));
      series.chunks = [...before, ...rebuilt, ...after];
    }
    this.samples++;
    if (t < this.minT) this.minT = t;
    return 'ok';
  }

  /** Samples of one series in [minT, maxT], appended into growable output. */
  read(series: MemSeries, minT: number, maxT: number): { ts: Float64Array; vs: Float64Array; n: number } {
    // The hot path of every query over recent data: no intermediate arrays, and the open chunk
    // is decoded from its live buffer instead of a copy.
    let total = 0;
    for (const c of series.chunks) if (c.maxT >= minT && c.minT <= maxT) total += c.count;
    const app = series.app;
    const openOverlaps = app !== undefined && app.count > 0 && app.maxT >= minT && app.minT <= maxT;
    if (openOverlaps) total += app.count;
    const ts = new Float64Array(total);
    const vs = new Float64Array(total);
    let n = 0;
    for (const c of series.chunks) {
      if (c.maxT >= minT && c.minT <= maxT) n = decodeXorChunk(c.bytes, ts, vs, n, minT, maxT);
    }
    if (openOverlaps) n = app.decodeInto(ts, vs, n, minT, maxT);
    return { ts, vs, n };
  }

  /**
   * Closes every chunk that ends before `before` and removes those chunks from the head,
   * returning them per series. Series left without samples are forgotten by the head.
   * Callers first raise minValidTime to `before` so nothing new lands in the taken range.
   */
  takeBefore(before: number): Map<MemSeries, HeadChunk[]> {
    const taken = new Map<MemSeries, HeadChunk[]>();
    for (const series of this.series.values()) {
      if (series.app && series.app.count > 0 && series.app.maxT < before) {
        series.chunks.push(closeAppender(series.app));
        series.app = undefined;
      }
      let cut = 0;
      while (cut < series.chunks.length && series.chunks[cut].maxT < before) cut++;
      if (cut > 0) {
        const old = series.chunks.slice(0, cut);
        series.chunks = series.chunks.slice(cut);
        taken.set(series, old);
        for (const c of old) this.samples -= c.count;
      }
      if (series.chunks.length === 0 && (!series.app || series.app.count === 0))
        this.series.delete(series.id);
    }
    this.recomputeBounds();
    return taken;
  }

  /** Restores a series' chunks from a checkpoint. */
  restore(series: MemSeries, chunks: readonly HeadChunk[]): void {
    for (const c of chunks) {
      series.chunks.push(c);
      this.samples += c.count;
      if (c.maxT > series.lastT) {
        series.lastT = c.maxT;
        const ts = new Float64Array(c.count);
        const vs = new Float64Array(c.count);
        decodeXorChunk(c.bytes, ts, vs, 0);
        series.lastV = vs[c.count - 1];
      }
    }
    series.chunks.sort((a, b) => a.minT - b.minT);
    this.recomputeBounds();
  }

  private recomputeBounds(): void {
    this.minT = Number.POSITIVE_INFINITY;
    this.maxT = Number.NEGATIVE_INFINITY;
    for (const s of this.series.values()) {
      const min = s.minT;
      if (min < this.minT) this.minT = min;
      if (s.lastT > this.maxT && s.lastT !== Number.NEGATIVE_INFINITY) this.maxT = s.lastT;
    }
  }
}

function closeAppender(app: XorAppender): HeadChunk {
  const bytes = app.bytes();
  return { bytes, minT: app.minT, maxT: app.maxT, count: chunkSampleCount(bytes) };
}
