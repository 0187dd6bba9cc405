import { type AnomalyModel, type Direction, floorScale, type Verdict, verdict } from './model.ts';
import { robustScale } from './robust-zscore.ts';
import { RollingWindow } from './window.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** Settings of the seasonal profile. */
export interface SeasonalProfileOptions {
  /** `day`: 24 hour-of-day buckets; `week`: 168 hour-of-week buckets. */
  readonly period: 'day' | 'week';
  /** How many past periods each bucket remembers. */
  readonly historyPeriods: number;
  /** Verdicts start once the series spans this many periods. */
  readonly minPeriods: number;
  /** At most this many samples per bucket (the oldest go first). */
  readonly maxSamplesPerBucket: number;
  /** Hours added to UTC before bucketing (the local time of the data's daily rhythm). */
  readonly utcOffsetHours: number;
  readonly band: number;
  readonly direction: Direction;
}

/**
 * Seasonal baseline from hour-of-day or hour-of-week profiles: each bucket keeps the samples seen
 * in that hour over the last few periods, and a sample is scored against its bucket's median and
 * robust spread. Good for traffic-like series whose normal level depends on the time of day/week.
 */
export class SeasonalProfileModel implements AnomalyModel {
  private readonly buckets: RollingWindow[];
  private readonly periodMs: number;
  private firstT: number | undefined;
  private lastT: number | undefined;

  constructor(private readonly o: SeasonalProfileOptions) {
    this.periodMs = o.period === 'day' ? DAY : WEEK;
    const n = this.periodMs / HOUR;
    this.buckets = Array.from({ length: n }, () => new RollingWindow(Math.max(1, o.maxSamplesPerBucket)));
  }

  observe(t: number, v: number): Verdict | undefined {
    if (this.lastT !== undefined && t - this.lastT > this.o.historyPeriods * this.periodMs) {
      // Silent for longer than the whole history: nothing remembered applies any more.
      for (const b of this.buckets) b.clear();
      this.firstT = undefined;
    }
    this.firstT ??= t;
    this.lastT = t;
    const bucket = this.buckets[this.bucketOf(t)];
    bucket.evictBefore(t - this.o.historyPeriods * this.periodMs);
    let out: Verdict | undefined;
    if (t - this.firstT >= this.o.minPeriods * this.periodMs && bucket.size >= 3) {
      const center = bucket.median();
      const scale = floorScale(robustScale(bucket, center), center);
      out = verdict(v, center, scale, this.o.band, this.o.direction);
    }
    bucket.push(t, v);
    return out;
  }

  private bucketOf(t: number): number {
    const local = t + this.o.utcOffsetHours * HOUR;
    const sincePeriodStart =
      this.o.period === 'day'
        ? ((local % DAY) + DAY) % DAY
        : // The Unix epoch was a Thursday; shift so that buckets start on Monday 00:00.
          (((local + 3 * DAY) % WEEK) + WEEK) % WEEK;
    return Math.floor(sincePeriodStart / HOUR);
  }

  stateSize(): number {
    let n = 0;
    for (const b of this.buckets) n += b.size * 2;
    return n;
  }
}
