import { type AnomalyModel, type Direction, floorScale, type Verdict, verdict } from './model.ts';
import { robustScale } from './robust-zscore.ts';
import { RollingWindow } from './window.ts';

/** Settings of the level-shift detector; counts are in samples. */
export interface ChangePointOptions {
  /** Samples in the recent window whose level is tested. */
  readonly recentSamples: number;
  /** Samples in the reference window just before it. */
  readonly referenceSamples: number;
  /** Samples older than this (ms) are forgotten, so a long gap starts a new warm-up. */
  readonly maxAgeMs: number;
  /** Band half-width around the reference level, in robust standard deviations. */
  readonly band: number;
  readonly direction: Direction;
}

/**
 * Level-shift (change point) detector: compares the median of the most recent samples with the
 * median of the reference window before them, in units of the reference window's robust standard
 * deviation. A single spike barely moves a median, so this model answers "has the level changed?"
 * and leaves spikes to the z-score models. The score rises once half the recent window lies past
 * the shift, and falls back once the reference window has moved past it as well.
 */
export class ChangePointModel implements AnomalyModel {
  private readonly recent: RollingWindow;
  private readonly reference: RollingWindow;

  constructor(private readonly o: ChangePointOptions) {
    this.recent = new RollingWindow(Math.max(1, o.recentSamples));
    this.reference = new RollingWindow(Math.max(2, o.referenceSamples));
  }

  observe(t: number, v: number): Verdict | undefined {
    const minT = t - this.o.maxAgeMs;
    this.reference.evictBefore(minT);
    this.recent.evictBefore(minT);
    const oldestRecentT = this.recent.oldestTime();
    const moved = this.recent.size === this.recent.capacity ? this.recent.shift() : undefined;
    if (moved !== undefined) this.reference.push(oldestRecentT!, moved);
    this.recent.push(t, v);
    if (this.recent.size < this.recent.capacity || this.reference.size < this.reference.capacity / 2)
      return undefined;
    const center = this.reference.median();
    const scale = floorScale(robustScale(this.reference, center), center);
    return verdict(this.recent.median(), center, scale, this.o.band, this.o.direction);
  }

  stateSize(): number {
    return (this.recent.size + this.reference.size) * 2;
  }
}
