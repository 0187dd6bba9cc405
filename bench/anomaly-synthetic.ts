/**
 * Vigil's anomaly models on the synthetic suite (packages/server/src/anomaly/eval/synthetic.ts):
 * seeded 21-day series at 5-minute steps with a daily rhythm and noise, three injected anomalies
 * each (spikes of 6-10 sigma, level shifts of 3-6 sigma, 3-hour seasonal breaks that flatten the
 * rhythm), plus clean series. Every model runs as the server runs it (one sample at a time).
 *
 *   node --import tsx bench/anomaly-synthetic.ts [--series 8]
 *
 * An alarm is a run of consecutive samples whose anomaly_score is at or above the threshold (an
 * alert notifies once per run); it is true when it touches an injected anomaly within its
 * tolerance (spike: 1 sample; level shift: 2 h; seasonal break: its duration). Precision = true
 * alarms / alarms, recall = detected anomalies / anomalies, per kind, after a 7-day warm-up.
 * Thresholds: 4 for the standard-deviation models; 1 ("more unusual than anything in the
 * calibration window", the NAB-optimal setting) and 2 for the ensemble.
 */
import { parseArgs } from 'node:util';
import { modelScores } from '../packages/server/src/anomaly/eval/detectors.ts';
import {
  type AnomalyKind,
  detectionQuality,
  syntheticSuite,
} from '../packages/server/src/anomaly/eval/synthetic.ts';
import { anomalyModelSchema } from '../packages/server/src/config/anomaly.ts';

const { values: args } = parseArgs({ options: { series: { type: 'string', default: '8' } } });
const suite = syntheticSuite(Number(args.series));
const WARMUP = 7 * 288;

const detectors: { name: string; model: Record<string, unknown>; threshold: number }[] = [
  { name: 'ensemble (default)', model: { type: 'ensemble' }, threshold: 1 },
  { name: 'ensemble (default)', model: { type: 'ensemble' }, threshold: 2 },
  { name: 'robust_zscore 1d', model: { type: 'robust_zscore', window: '1d' }, threshold: 4 },
  {
    name: 'change_point 1h/1d',
    model: { type: 'change_point', recent: '1h', reference: '1d' },
    threshold: 4,
  },
  {
    name: 'seasonal_profile day',
    model: { type: 'seasonal_profile', period: 'day', history: 7 },
    threshold: 4,
  },
  { name: 'holt_winters 1d', model: { type: 'holt_winters', season: '1d' }, threshold: 4 },
];

console.log(`synthetic suite: ${suite.length} series × ${suite[0].values.length} samples\n`);
console.log('| model | threshold | kind | recall | precision | false alarms | median delay (samples) |');
console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: |');
for (const d of detectors) {
  const config = anomalyModelSchema.parse(d.model);
  const byKind = new Map<
    string,
    { detected: number; anomalies: number; alarms: number; falseAlarms: number; delays: number[] }
  >();
  for (const s of suite) {
    const scores = modelScores(config, s.intervalMs, s.times, s.values);
    const q = detectionQuality(scores, s.anomalies, d.threshold, WARMUP);
    const kind: AnomalyKind | 'clean' = s.anomalies[0]?.kind ?? 'clean';
    const acc = byKind.get(kind) ?? { detected: 0, anomalies: 0, alarms: 0, falseAlarms: 0, delays: [] };
    acc.detected += q.detected;
    acc.anomalies += q.anomalies;
    acc.alarms += q.alarms;
    acc.falseAlarms += q.falseAlarms;
    acc.delays.push(...q.delays);
    byKind.set(kind, acc);
  }
  for (const [kind, a] of byKind) {
    const recall = a.anomalies
      ? `${((100 * a.detected) / a.anomalies).toFixed(0)}% (${a.detected}/${a.anomalies})`
      : '—';
    const precision = a.alarms ? `${((100 * (a.alarms - a.falseAlarms)) / a.alarms).toFixed(0)}%` : '—';
    const delays = a.delays.sort((x, y) => x - y);
    const delay = delays.length ? String(delays[delays.length >> 1]) : '—';
    console.log(
      `| ${d.name} | ${d.threshold} | ${kind} | ${recall} | ${precision} | ${a.falseAlarms} | ${delay} |`,
    );
  }
}
