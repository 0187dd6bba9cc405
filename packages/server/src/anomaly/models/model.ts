/**
 * What every anomaly model is: something that sees a series' samples one at a time and, for each,
 * says how far it is from what the model expected. Models are pure (no I/O, no clock): time comes
 * in with the sample, so they run the same inside the server and in benchmarks.
 */

/** The model's judgement of one sample, against the state from before that sample. */
export interface Verdict {
  /** How unusual the sample is, in robust standard deviations (0 = as expected). Never negative. */
  readonly score: number;
  /** The value the model expected. */
  readonly baseline: number;
  /** baseline ± band × scale: the range the model considers normal. */
  readonly upper: number;
  readonly lower: number;
}

/** One series' anomaly model. */
export interface AnomalyModel {
  /**
   * Feeds a sample (time in ms, strictly after the previous one; finite value) and returns its
   * verdict, or undefined while the model is still warming up. The sample is then absorbed into
   * the model's state.
   */
  observe(t: number, v: number): Verdict | undefined;
  /** How many numbers the model holds, for the bounded-state self-metric. */
  stateSize(): number;
}

/** Which deviations count: `both` (default), only values above the baseline, or only below. */
export type Direction = 'both' | 'up' | 'down';

/** Scores never exceed this, so flat series that suddenly move give a large but finite number. */
export const MAX_SCORE = 1000;

/** The score of `v` against `baseline` with spread `scale` (> 0), in the given direction. */
export function directedScore(v: number, baseline: number, scale: number, direction: Direction): number {
  const z = (v - baseline) / scale;
  const s = direction === 'both' ? Math.abs(z) : direction === 'up' ? Math.max(z, 0) : Math.max(-z, 0);
  return Number.isFinite(s) ? Math.min(s, MAX_SCORE) : MAX_SCORE;
}

/**
 * A usable spread when the robust estimate collapses to zero (a flat series, or one that takes
 * few distinct values): a thousandth of the baseline's magnitude, and never below 1e-9, so that
 * small moves of a flat series score high without dividing by zero.
 */
export function floorScale(scale: number, baseline: number): number {
  const floor = Math.max(Math.abs(baseline) * 1e-3, 1e-9);
  return Number.isFinite(scale) && scale > floor ? scale : floor;
}

/** Builds a verdict with bands at baseline ± band × scale. */
export function verdict(
  v: number,
  baseline: number,
  scale: number,
  band: number,
  direction: Direction,
): Verdict {
  return {
    score: directedScore(v, baseline, scale, direction),
    baseline,
    upper: baseline + band * scale,
    lower: baseline - band * scale,
  };
}
