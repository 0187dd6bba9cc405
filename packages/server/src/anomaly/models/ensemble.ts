import { type CalibratorOptions, ScoreCalibrator } from './calibrator.ts';
import type { AnomalyModel, Verdict } from './model.ts';

/**
 * Several models on one series, each score calibrated against that model's own recent scores on
 * this series (calibrator.ts), combined by taking the largest. A spike detector, a level-shift
 * detector and seasonal baselines each see different kinds of anomaly; calibration makes their
 * scores comparable and keeps a noisy series from alarming all the time.
 *
 * The score is therefore in calibrated units, not standard deviations: 0 = within the usual
 * range of this series' scores, 1 = as unusual as the most unusual moment of the calibration
 * window, above 1 = more unusual than anything in it. Bands are the union of the members' bands
 * and the baseline is the median of the members' baselines.
 */
export class EnsembleModel implements AnomalyModel {
  private readonly calibrators: ScoreCalibrator[];

  constructor(
    private readonly members: readonly AnomalyModel[],
    calibration: CalibratorOptions,
  ) {
    this.calibrators = members.map(() => new ScoreCalibrator(calibration));
  }

  observe(t: number, v: number): Verdict | undefined {
    let score: number | undefined;
    let upper = Number.NEGATIVE_INFINITY;
    let lower = Number.POSITIVE_INFINITY;
    const baselines: number[] = [];
    for (let i = 0; i < this.members.length; i++) {
      const verdict = this.members[i].observe(t, v);
      if (!verdict) continue;
      const calibrated = this.calibrators[i].calibrate(verdict.score);
      if (calibrated === undefined) continue;
      score = score === undefined ? calibrated : Math.max(score, calibrated);
      upper = Math.max(upper, verdict.upper);
      lower = Math.min(lower, verdict.lower);
      baselines.push(verdict.baseline);
    }
    if (score === undefined) return undefined;
    baselines.sort((a, b) => a - b);
    const mid = baselines.length >> 1;
    const baseline = baselines.length % 2 ? baselines[mid] : (baselines[mid - 1] + baselines[mid]) / 2;
    return { score, baseline, upper, lower };
  }

  stateSize(): number {
    let n = 0;
    for (const m of this.members) n += m.stateSize();
    for (const c of this.calibrators) n += c.stateSize();
    return n;
  }
}
