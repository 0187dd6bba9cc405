import { type AnomalyModel, type Direction, floorScale, type Verdict, verdict } from './model.ts';
import { MAD_TO_SIGMA, RollingWindow } from './window.ts';

/** Settings of the rolling robust z-score; counts are in samples. */
export interface RobustZScoreOptions {
  /** Samples in the rolling window. */
  readonly windowSamples: number;
  /** Samples older than this (ms) leave the window even when it is not full, so gaps age it. */
  readonly windowMs: number;
  /** Verdicts start once the window holds this many samples. */
  readonly minSamples: number;
  /** Band half-width, in robust standard deviations. */
  readonly band: number;
  readonly direction: Direction;
}

/**
 * Robust z-score: how many robust standard deviations (1.4826 × MAD) a sample lies from the
 * median of the samples in the window before it. Medians and MADs ignore the outliers they are
 * meant to find, so one spike does not hide the next.
 */
export class RobustZScoreModel implements AnomalyModel {
  private readonly window: RollingWindow;

  constructor(private readonly o: RobustZScoreOptions) {
    this.window = new RollingWindow(Math.max(1, o.windowSamples));
  }

  observe(t: number, v: number): Verdict | undefined {
    this.window.evictBefore(t - this.o.windowMs);
    let out: Verdict | undefined;
    if (this.window.size >= this.o.minSamples) {
      const center = this.window.median();
      const scale = floorScale(robustScale(this.window, center), center);
      out = verdict(v, center, scale, this.o.band, this.o.direction);
    }
    this.window.push(t, v);
    return out;
  }

  stateSize(): number {
    return this.window.size * 2;
  }
}

/**
 * 1.4826 × MAD, or when more than half the values are equal (MAD = 0) the spread of the 10th to
 * 90th percentile scaled to a normal sigma, so that series with a few distinct values still get a
 * meaningful scale.
 */
export function robustScale(window: RollingWindow, center: number): number {
  const mad = window.mad(center) * MAD_TO_SIGMA;
  if (mad > 0) return mad;
  return (window.quantile(0.9) - window.quantile(0.1)) / 2.5631;
}
