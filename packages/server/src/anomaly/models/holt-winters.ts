import { type AnomalyModel, type Direction, floorScale, type Verdict, verdict } from './model.ts';
import { MAD_TO_SIGMA, madOfSorted, medianOfSorted } from './window.ts';

/** Settings of the Holt-Winters model. */
export interface HoltWintersOptions {
  /** Length of the season (ms), e.g. a day. */
  readonly seasonMs: number;
  /** Expected time between samples (ms); the season holds seasonMs / stepMs slots. */
  readonly stepMs: number;
  /** Smoothing of the level, trend and seasonal components (0..1). */
  readonly alpha: number;
  readonly beta: number;
  readonly gamma: number;
  /** Smoothing of the residual scale (0..1). */
  readonly scaleSmoothing: number;
  /** Residuals beyond this many scales are clipped before they update the state (robustness). */
  readonly clip: number;
  readonly band: number;
  readonly direction: Direction;
}

/** At most this many seasonal slots (a week at one-minute steps). */
export const MAX_SEASON_SLOTS = 10_080;

/**
 * Additive Holt-Winters (level + trend + seasonal) with robust updates: each sample is scored by
 * its residual from the one-step forecast divided by a smoothed residual scale, and residuals are
 * clipped before they update the state, so an anomaly does not teach the model that it is normal.
 * The first full season initialises the seasonal component (warm-up).
 */
export class HoltWintersModel implements AnomalyModel {
  private readonly slots: number;
  private readonly seasonal: Float64Array;
  private readonly seen: Uint8Array;
  private level = 0;
  private trend = 0;
  private scale = 0;
  private ready = false;
  private firstT: number | undefined;
  private lastT: number | undefined;
  // Warm-up samples of the first season.
  private warm: { t: number; v: number }[] = [];

  constructor(private readonly o: HoltWintersOptions) {
    this.slots = Math.max(1, Math.min(MAX_SEASON_SLOTS, Math.round(o.seasonMs / o.stepMs)));
    this.seasonal = new Float64Array(this.slots);
    this.seen = new Uint8Array(this.slots);
  }

  observe(t: number, v: number): Verdict | undefined {
    if (this.lastT !== undefined && t - this.lastT > this.o.seasonMs) this.reset();
    const steps = this.lastT === undefined ? 1 : Math.max(1, Math.round((t - this.lastT) / this.o.stepMs));
    this.lastT = t;
    this.firstT ??= t;
    const slot = this.slotOf(t);
    if (!this.ready) {
      this.warm.push({ t, v });
      // Irregular, dense data could make the first season long: keep its newest samples only.
      if (this.warm.length > 4 * this.slots + 64) this.warm.shift();
      if (t - this.firstT >= this.o.seasonMs) this.initialise();
      return undefined;
    }
    const { alpha, beta, gamma, clip } = this.o;
    const season = this.seen[slot] ? this.seasonal[slot] : 0;
    const forecast = this.level + this.trend * steps + season;
    const scale = floorScale(this.scale, this.level + season);
    const out = verdict(v, forecast, scale, this.o.band, this.o.direction);
    const residual = v - forecast;
    const clipped = Math.max(-clip * scale, Math.min(clip * scale, residual));
    const x = forecast + clipped;
    const prevLevel = this.level;
    this.level = alpha * (x - season) + (1 - alpha) * (this.level + this.trend * steps);
    this.trend = (beta * (this.level - prevLevel)) / steps + (1 - beta) * this.trend;
    this.seasonal[slot] = this.seen[slot] ? gamma * (x - this.level) + (1 - gamma) * season : x - this.level;
    this.seen[slot] = 1;
    // E|r| of a normal is 0.7979 sigma; smooth the clipped absolute residual towards sigma.
    const lambda = this.o.scaleSmoothing;
    this.scale = lambda * Math.abs(clipped) * 1.2533 + (1 - lambda) * this.scale;
    return out;
  }

  private initialise(): void {
    const values = this.warm.map((w) => w.v);
    const sorted = Float64Array.from(values).sort();
    this.level = medianOfSorted(sorted, sorted.length);
    this.trend = 0;
    const sums = new Float64Array(this.slots);
    const counts = new Uint32Array(this.slots);
    for (const w of this.warm) {
      const s = this.slotOf(w.t);
      sums[s] += w.v - this.level;
      counts[s]++;
    }
    for (let s = 0; s < this.slots; s++) {
      this.seen[s] = counts[s] > 0 ? 1 : 0;
      this.seasonal[s] = counts[s] > 0 ? sums[s] / counts[s] : 0;
    }
    // Initial scale: the robust spread of successive differences, which is √2 sigma for noise.
    const diffs = new Float64Array(Math.max(0, values.length - 1));
    for (let i = 1; i < values.length; i++) diffs[i - 1] = values[i] - values[i - 1];
    diffs.sort();
    const m = medianOfSorted(diffs, diffs.length);
    this.scale = diffs.length > 0 ? (madOfSorted(diffs, diffs.length, m) * MAD_TO_SIGMA) / Math.SQRT2 : 0;
    this.warm = [];
    this.ready = true;
  }

  private reset(): void {
    this.ready = false;
    this.firstT = undefined;
    this.lastT = undefined;
    this.warm = [];
    this.seasonal.fill(0);
    this.seen.fill(0);
  }

  private slotOf(t: number): number {
    const phase = ((t % this.o.seasonMs) + this.o.seasonMs) % this.o.seasonMs;
    return Math.min(this.slots - 1, Math.floor((phase / this.o.seasonMs) * this.slots));
  }

  stateSize(): number {
    return this.slots * 2 + this.warm.length * 2 + 4;
  }
}
