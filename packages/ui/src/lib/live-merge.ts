/**
 * Merging live-mode points into the series a panel already shows: new points replace any at the
 * same or later times (the server re-sends the last step), then the window slides so memory
 * stays bounded however long live mode runs. Pure functions (tested in live-merge.test.ts).
 */
import { type Metric, parseSampleValue } from './format.ts';
import type { RangeSeries } from './prom.ts';

/** Points for one series as the live endpoint sends them: [ms, "value"]. */
export interface LiveSeries {
  readonly metric: Metric;
  readonly values: readonly (readonly [number, string])[];
}

/** A stable key for a label set. */
export function metricKey(metric: Metric): string {
  return Object.keys(metric)
    .sort()
    .map((k) => `${k}\u0000${metric[k]}`)
    .join('\u0001');
}

/**
 * `existing` with `incoming` merged in and everything before `windowStart` dropped. Series left
 * without points disappear; new series are appended. Returns new arrays (inputs are untouched).
 */
export function mergeLive(
  existing: readonly RangeSeries[],
  incoming: readonly LiveSeries[],
  windowStart: number,
): RangeSeries[] {
  const byKey = new Map<string, RangeSeries>();
  for (const s of existing) byKey.set(metricKey(s.metric), s);
  for (const inc of incoming) {
    if (inc.values.length === 0) continue;
    const key = metricKey(inc.metric);
    const cur = byKey.get(key);
    const first = inc.values[0][0];
    let keep = 0;
    if (cur) {
      // Points before the first incoming one stay.
      while (keep < cur.times.length && cur.times[keep] < first) keep++;
    }
    const times = cur ? cur.times.slice(0, keep) : [];
    const values = cur ? cur.values.slice(0, keep) : [];
    for (const [t, v] of inc.values) {
      times.push(t);
      values.push(parseSampleValue(v));
    }
    byKey.set(key, { metric: cur?.metric ?? inc.metric, times, values });
  }
  const out: RangeSeries[] = [];
  for (const s of byKey.values()) {
    let drop = 0;
    while (drop < s.times.length && s.times[drop] < windowStart) drop++;
    if (drop === s.times.length) continue;
    out.push(drop === 0 ? s : { metric: s.metric, times: s.times.slice(drop), values: s.values.slice(drop) });
  }
  return out;
}
