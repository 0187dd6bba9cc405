/**
 * Synthetic series with injected anomalies whose positions are known: spikes, level shifts and
 * seasonal breaks on top of a daily rhythm and Gaussian noise. Deterministic for a given seed.
 * Used by the model tests (small cases) and bench/anomaly-synthetic.ts (the full suite), which
 * measure event-level precision and recall.
 */

export type AnomalyKind = 'spike' | 'level_shift' | 'seasonal_break';

/** One injected anomaly: where it starts and how long a detection still counts as on time. */
export interface InjectedAnomaly {
  readonly kind: AnomalyKind;
  /** Index of the first anomalous sample. */
  readonly start: number;
  /** Samples after `start` within which an alarm counts as detecting it. */
  readonly tolerance: number;
}

export interface SyntheticSeries {
  readonly name: string;
  readonly times: Float64Array;
  readonly values: Float64Array;
  readonly anomalies: readonly InjectedAnomaly[];
  readonly intervalMs: number;
}

export interface SyntheticOptions {
  readonly seed: number;
  /** Samples in the series. */
  readonly length: number;
  readonly intervalMs: number;
  /** Daily amplitude, in units of the noise's standard deviation (0 = no seasonality). */
  readonly seasonalAmplitude: number;
  readonly level: number;
  readonly noise: number;
  /** Anomalies to inject, each at the given index, with size in noise standard deviations. */
  readonly inject: readonly { kind: AnomalyKind; at: number; size: number; duration?: number }[];
}

/** A small, fast, deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws from a uniform PRNG (Box-Muller). */
export function gaussian(rand: () => number): () => number {
  return () => {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

const DAY = 86_400_000;
/** 2024-01-01T00:00:00Z, a Monday. */
export const SYNTHETIC_START = Date.UTC(2024, 0, 1);

/** Builds one series. Seasonal breaks flatten the daily rhythm for `duration` samples. */
export function syntheticSeries(name: string, o: SyntheticOptions): SyntheticSeries {
  const normal = gaussian(prng(o.seed));
  const times = new Float64Array(o.length);
  const values = new Float64Array(o.length);
  const anomalies: InjectedAnomaly[] = [];
  let shift = 0;
  const spikes = new Map<number, number>();
  const breaks: { from: number; to: number }[] = [];
  const shifts: { at: number; size: number }[] = [];
  const stepsPerHour = 3_600_000 / o.intervalMs;
  for (const a of o.inject) {
    if (a.kind === 'spike') {
      spikes.set(a.at, a.size);
      anomalies.push({ kind: 'spike', start: a.at, tolerance: 1 });
    } else if (a.kind === 'level_shift') {
      shifts.push({ at: a.at, size: a.size });
      anomalies.push({ kind: 'level_shift', start: a.at, tolerance: Math.ceil(2 * stepsPerHour) });
    } else {
      const duration = a.duration ?? Math.ceil(3 * stepsPerHour);
      breaks.push({ from: a.at, to: a.at + duration });
      anomalies.push({ kind: 'seasonal_break', start: a.at, tolerance: duration });
    }
  }
  for (let i = 0; i < o.length; i++) {
    const t = SYNTHETIC_START + i * o.intervalMs;
    times[i] = t;
    for (const s of shifts) if (s.at === i) shift += s.size * o.noise;
    const broken = breaks.some((b) => i >= b.from && i < b.to);
    const season = broken ? 0 : o.seasonalAmplitude * o.noise * Math.sin((2 * Math.PI * (t % DAY)) / DAY);
    values[i] = o.level + shift + season + normal() * o.noise + (spikes.get(i) ?? 0) * o.noise;
  }
  anomalies.sort((a, b) => a.start - b.start);
  return { name, times, values, anomalies, intervalMs: o.intervalMs };
}

/** Event-level detection quality of a score series at one threshold. */
export interface DetectionQuality {
  /** Injected anomalies with an alarm within their tolerance. */
  readonly detected: number;
  readonly anomalies: number;
  /** Runs of consecutive alarms that overlap no anomaly's tolerance. */
  readonly falseAlarms: number;
  /** Runs of consecutive alarms in all. */
  readonly alarms: number;
  /** Samples from an anomaly's start to its first alarm, per detected anomaly. */
  readonly delays: readonly number[];
}

/**
 * Alarms are samples with score ≥ threshold; consecutive alarms form one alarm (an alert that
 * keeps firing notifies once). An alarm run is true when any of its samples lies in an anomaly's
 * [start, start + tolerance] range. `from` skips the warm-up.
 */
export function detectionQuality(
  scores: ArrayLike<number>,
  anomalies: readonly InjectedAnomaly[],
  threshold: number,
  from = 0,
): DetectionQuality {
  const inAnomaly = (i: number) => anomalies.findIndex((a) => i >= a.start && i <= a.start + a.tolerance);
  const detectedAt = new Map<number, number>();
  let alarms = 0;
  let falseAlarms = 0;
  let runTrue = false;
  let inRun = false;
  for (let i = from; i <= scores.length; i++) {
    const alarm = i < scores.length && scores[i] >= threshold;
    if (alarm) {
      const a = inAnomaly(i);
      if (a >= 0) {
        runTrue = true;
        if (!detectedAt.has(a)) detectedAt.set(a, i - anomalies[a].start);
      }
      inRun = true;
    } else if (inRun) {
      alarms++;
      if (!runTrue) falseAlarms++;
      inRun = false;
      runTrue = false;
    }
  }
  return {
    detected: detectedAt.size,
    anomalies: anomalies.length,
    falseAlarms,
    alarms,
    delays: [...detectedAt.values()],
  };
}

/**
 * The standard synthetic suite: for each kind of anomaly, several seeded series (5-minute steps,
 * 21 days, daily rhythm), each with three injected anomalies of that kind after a 7-day clean
 * start; plus anomaly-free series to measure false alarms on their own.
 */
export function syntheticSuite(seriesPerKind = 8): SyntheticSeries[] {
  const intervalMs = 300_000;
  const length = 21 * 288;
  const out: SyntheticSeries[] = [];
  const kinds: AnomalyKind[] = ['spike', 'level_shift', 'seasonal_break'];
  for (const kind of kinds) {
    for (let k = 0; k < seriesPerKind; k++) {
      const seed = 1000 * (kinds.indexOf(kind) + 1) + k;
      const rand = prng(seed);
      const inject = [8, 12, 16].map((day) => ({
        kind,
        // Spread the anomalies over the day, avoiding the same hour every time.
        at: day * 288 + Math.floor(rand() * 288),
        // Spikes of 6-10 sigma; level shifts of 3-6 sigma either way; breaks flatten the rhythm.
        size:
          kind === 'spike'
            ? 6 + rand() * 4
            : kind === 'level_shift'
              ? (rand() < 0.5 ? -1 : 1) * (3 + rand() * 3)
              : 0,
      }));
      out.push(
        syntheticSeries(`${kind}-${k}`, {
          seed,
          length,
          intervalMs,
          seasonalAmplitude: kind === 'seasonal_break' ? 6 : 4 * rand(),
          level: 100,
          noise: 1 + rand() * 4,
          inject,
        }),
      );
    }
  }
  for (let k = 0; k < seriesPerKind; k++) {
    const seed = 9000 + k;
    const rand = prng(seed);
    out.push(
      syntheticSeries(`clean-${k}`, {
        seed,
        length,
        intervalMs,
        seasonalAmplitude: 4 * rand(),
        level: 100,
        noise: 1 + rand() * 4,
        inject: [],
      }),
    );
  }
  return out;
}
