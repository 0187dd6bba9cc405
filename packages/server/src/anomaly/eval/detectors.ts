/**
 * Running anomaly models over a whole recorded series, as the benchmarks do: the same models and
 * config the server uses, fed one sample at a time with no look-ahead.
 */
import { type AnomalyModelConfig, anomalyModelSchema } from '../../config/anomaly.ts';
import { modelFactory } from '../models/index.ts';

/** A named detector for the benchmarks. */
export interface Detector {
  readonly name: string;
  /** The model config, as it would be written in YAML. */
  readonly model: Record<string, unknown>;
  /**
   * When set, a row counts only when its score is higher than every score of the previous
   * `onset` rows: the alert-onset reading (an alert notifies when it starts firing, not on every
   * sample it keeps firing). It depends only on the scores, not on the threshold.
   */
  readonly onset?: number;
}

/**
 * Per-row anomaly_score of a series under one model config (NaN while warming up or when the
 * sample is missing).
 */
export function modelScores(
  config: AnomalyModelConfig,
  intervalMs: number,
  times: ArrayLike<number>,
  values: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(times.length).fill(Number.NaN);
  const model = modelFactory(config, intervalMs)();
  for (let i = 0; i < times.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    const verdict = model.observe(times[i], v);
    if (verdict) out[i] = verdict.score;
  }
  return out;
}

/**
 * A detector's per-row output in [0, 1], as NAB wants it: anomaly_score s maps to s / (s + 3)
 * (monotone, so only where the best threshold lies changes), warm-up rows to 0, and the onset
 * reading applied when the detector asks for it.
 */
export function detectorScores(
  d: Detector,
  intervalMs: number,
  times: ArrayLike<number>,
  values: ArrayLike<number>,
): Float64Array {
  const raw = modelScores(anomalyModelSchema.parse(d.model), intervalMs, times, values);
  const out = new Float64Array(raw.length);
  const k = d.onset ?? 0;
  for (let i = 0; i < raw.length; i++) {
    const s = raw[i];
    if (!(s > 0)) continue;
    if (k > 0) {
      let record = true;
      for (let j = Math.max(0, i - k); j < i && record; j++) if (raw[j] >= s) record = false;
      if (!record) continue;
    }
    out[i] = s / (s + 3);
  }
  return out;
}

/** The median time between samples, the interval a rule over this series would use. */
export function medianStep(times: ArrayLike<number>): number {
  const d = new Float64Array(Math.max(0, times.length - 1));
  for (let i = 1; i < times.length; i++) d[i - 1] = times[i] - times[i - 1];
  d.sort();
  return d.length ? d[d.length >> 1] : 60_000;
}

/** The detectors bench/anomaly-nab.ts evaluates: every model with its defaults, and the ensemble. */
export const NAB_DETECTORS: readonly Detector[] = [
  { name: 'ensemble (default)', model: { type: 'ensemble' } },
  { name: 'ensemble, alert onset', model: { type: 'ensemble' }, onset: 100 },
  { name: 'robust_zscore 1d', model: { type: 'robust_zscore', window: '1d' } },
  { name: 'robust_zscore 1d, alert onset', model: { type: 'robust_zscore', window: '1d' }, onset: 100 },
  { name: 'change_point 1h/1d', model: { type: 'change_point', recent: '1h', reference: '1d' } },
  { name: 'seasonal_profile day', model: { type: 'seasonal_profile', period: 'day', history: 7 } },
  { name: 'seasonal_profile week', model: { type: 'seasonal_profile', period: 'week', history: 4 } },
  { name: 'holt_winters 1d', model: { type: 'holt_winters', season: '1d' } },
];
