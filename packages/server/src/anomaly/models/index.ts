import type { AnomalyModelConfig } from '../../config/anomaly.ts';
import { ChangePointModel } from './change-point.ts';
import { EnsembleModel } from './ensemble.ts';
import { HoltWintersModel } from './holt-winters.ts';
import type { AnomalyModel } from './model.ts';
import { RobustZScoreModel } from './robust-zscore.ts';
import { SeasonalProfileModel } from './seasonal-profile.ts';

/** Windows never hold more than this many samples, whatever the window/interval ratio. */
export const MAX_WINDOW_SAMPLES = 10_080;

/**
 * Returns a function that makes a fresh model for one series, from a rule's model config and its
 * evaluation interval (ms), which turns the config's durations into sample counts.
 */
export function modelFactory(config: AnomalyModelConfig, intervalMs: number): () => AnomalyModel {
  const samples = (ms: number) => Math.max(1, Math.min(MAX_WINDOW_SAMPLES, Math.round(ms / intervalMs)));
  switch (config.type) {
    case 'robust_zscore': {
      const o = {
        windowSamples: samples(config.window),
        windowMs: config.window,
        minSamples: Math.min(config.min_samples, samples(config.window)),
        band: config.band,
        direction: config.direction,
      };
      return () => new RobustZScoreModel(o);
    }
    case 'seasonal_profile': {
      const o = {
        period: config.period,
        historyPeriods: config.history,
        minPeriods: config.min_periods,
        maxSamplesPerBucket: config.max_samples_per_bucket,
        utcOffsetHours: config.utc_offset_hours,
        band: config.band,
        direction: config.direction,
      };
      return () => new SeasonalProfileModel(o);
    }
    case 'holt_winters': {
      const o = {
        seasonMs: config.season,
        stepMs: intervalMs,
        alpha: config.alpha,
        beta: config.beta,
        gamma: config.gamma,
        scaleSmoothing: config.scale_smoothing,
        clip: config.clip,
        band: config.band,
        direction: config.direction,
      };
      return () => new HoltWintersModel(o);
    }
    case 'change_point': {
      const o = {
        recentSamples: samples(config.recent),
        referenceSamples: samples(config.reference),
        maxAgeMs: config.recent + config.reference,
        band: config.band,
        direction: config.direction,
      };
      return () => new ChangePointModel(o);
    }
    case 'ensemble': {
      const members = config.members.map((m) => modelFactory(m, intervalMs));
      const calibration = {
        samples: config.calibration_samples,
        quantile: config.calibration_quantile,
        minSamples: 50,
      };
      return () =>
        new EnsembleModel(
          members.map((make) => make()),
          calibration,
        );
    }
  }
}

/** The history (ms) a model needs before it scores, used to prime new models from stored data. */
export function warmupSpan(config: AnomalyModelConfig): number {
  switch (config.type) {
    case 'robust_zscore':
      return config.window;
    case 'seasonal_profile':
      return (config.period === 'day' ? 1 : 7) * 86_400_000 * Math.max(config.min_periods, config.history);
    case 'holt_winters':
      return 2 * config.season;
    case 'change_point':
      return config.recent + config.reference;
    case 'ensemble':
      return Math.max(...config.members.map(warmupSpan));
  }
}
