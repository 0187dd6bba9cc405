import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { anomalyModelSchema } from '../../config/anomaly.ts';
import { modelScores } from '../eval/detectors.ts';
import { detectionQuality, gaussian, prng, SYNTHETIC_START, syntheticSeries } from '../eval/synthetic.ts';
import { ScoreCalibrator } from './calibrator.ts';
import { ChangePointModel } from './change-point.ts';
import { HoltWintersModel } from './holt-winters.ts';
import { modelFactory } from './index.ts';
import { RobustZScoreModel } from './robust-zscore.ts';
import { SeasonalProfileModel } from './seasonal-profile.ts';
import { median, RollingWindow } from './window.ts';

const MIN = 60_000;
const DAY = 86_400_000;

function bruteMad(values: number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

test('RollingWindow keeps median and MAD of the last `capacity` values', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 200 }),
      (capacity, values) => {
        const w = new RollingWindow(capacity);
        values.forEach((v, i) => {
          w.push(i, v);
          const kept = values.slice(Math.max(0, i + 1 - capacity), i + 1);
          assert.equal(w.size, kept.length);
          assert.equal(w.median(), median(kept));
          assert.equal(w.mad(), bruteMad(kept));
        });
      },
    ),
  );
});

test('RollingWindow evicts by age and reports its oldest sample', () => {
  const w = new RollingWindow(100);
  for (let i = 0; i < 10; i++) w.push(i * 1000, i);
  w.evictBefore(5000);
  assert.equal(w.size, 5);
  assert.equal(w.oldestTime(), 5000);
  assert.equal(w.median(), 7);
});

/** Noise around 10 with sd 1, one sample per minute, from a fixed seed. */
function noise(n: number, seed = 1): { times: number[]; values: number[] } {
  const g = gaussian(prng(seed));
  const times: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    times.push(SYNTHETIC_START + i * MIN);
    values.push(10 + g());
  }
  return { times, values };
}

test('robust_zscore: no verdict during warm-up, a spike scores by its size in sigmas, bands surround the median', () => {
  const model = new RobustZScoreModel({
    windowSamples: 60,
    windowMs: 60 * MIN,
    minSamples: 10,
    band: 3,
    direction: 'both',
  });
  const { times, values } = noise(200);
  values[150] = 10 + 8; // an 8 sigma spike
  const verdicts = times.map((t, i) => model.observe(t, values[i]));
  for (let i = 0; i < 10; i++) assert.equal(verdicts[i], undefined, `sample ${i} is in warm-up`);
  assert.ok(verdicts[10]);
  const spike = verdicts[150]!;
  assert.ok(spike.score > 6 && spike.score < 11, `spike score ${spike.score}`);
  const others = verdicts.slice(10).filter((v, i) => v && i + 10 !== 150 && v.score > 4.5);
  assert.equal(others.length, 0, 'no other sample of Gaussian noise is 4.5 sigma out');
  const v = verdicts[100]!;
  assert.ok(Math.abs(v.baseline - 10) < 0.5);
  assert.ok(
    Math.abs(v.upper - v.baseline - 3) < 1,
    `upper band ${v.upper} is about 3 sigma above ${v.baseline}`,
  );
  assert.ok(Math.abs(v.baseline - v.lower - (v.upper - v.baseline)) < 1e-9);
});

test('robust_zscore: direction up ignores drops; a gap longer than the window starts a new warm-up', () => {
  const up = new RobustZScoreModel({
    windowSamples: 30,
    windowMs: 30 * MIN,
    minSamples: 5,
    band: 3,
    direction: 'up',
  });
  const { times, values } = noise(40);
  for (let i = 0; i < 39; i++) up.observe(times[i], values[i]);
  assert.equal(up.observe(times[39], 0)!.score, 0);
  // 2 hours of silence: every kept sample is older than the window.
  assert.equal(up.observe(times[39] + 120 * MIN, 10), undefined);
});

test('robust_zscore: a flat series that moves gets a large but finite score', () => {
  const model = new RobustZScoreModel({
    windowSamples: 30,
    windowMs: 30 * MIN,
    minSamples: 5,
    band: 3,
    direction: 'both',
  });
  for (let i = 0; i < 20; i++) model.observe(i * MIN, 5);
  const flat = model.observe(20 * MIN, 5)!;
  assert.equal(flat.score, 0);
  const moved = model.observe(21 * MIN, 6)!;
  assert.ok(Number.isFinite(moved.score) && moved.score >= 100, `score ${moved.score}`);
});

test('change_point: a 5 sigma level shift is detected within the recent window; a lone spike is not', () => {
  const model = new ChangePointModel({
    recentSamples: 10,
    referenceSamples: 120,
    maxAgeMs: 200 * MIN,
    band: 3,
    direction: 'both',
  });
  const { times, values } = noise(400, 7);
  values[200] += 20; // spike
  for (let i = 300; i < 400; i++) values[i] += 5; // level shift
  const scores = times.map((t, i) => model.observe(t, values[i])?.score ?? Number.NaN);
  assert.ok(Number.isNaN(scores[0]));
  const before = scores.slice(70, 300).filter((s) => s >= 3);
  assert.equal(before.length, 0, 'no alarm before the shift, spike included');
  const firstAlarm = scores.findIndex((s, i) => i >= 300 && s >= 3);
  assert.ok(firstAlarm >= 300 && firstAlarm <= 310, `shift detected at ${firstAlarm}`);
  assert.ok(scores[315] > 4);
});

test('seasonal_profile: a flattened afternoon is anomalous, the same hour on a normal day is not', () => {
  const model = new SeasonalProfileModel({
    period: 'day',
    historyPeriods: 7,
    minPeriods: 2,
    maxSamplesPerBucket: 128,
    utcOffsetHours: 0,
    band: 3,
    direction: 'both',
  });
  const g = gaussian(prng(3));
  const step = 5 * MIN;
  const perDay = DAY / step;
  const scoreAt = new Map<number, number>();
  for (let i = 0; i < 4 * perDay; i++) {
    const t = SYNTHETIC_START + i * step;
    const hour = (t % DAY) / 3_600_000;
    // A daily peak of +20 around 12:00-15:00, flattened on day 4.
    const peak = hour >= 12 && hour < 15 ? 20 : 0;
    const day = Math.floor(i / perDay);
    const v = 100 + (day === 3 ? 0 : peak) + g();
    const verdict = model.observe(t, v);
    if (i < 2 * perDay) assert.equal(verdict, undefined, 'warm-up lasts min_periods days');
    if (verdict && (hour === 13 || hour === 1)) scoreAt.set(i, verdict.score);
  }
  const day3Peak = scoreAt.get(2 * perDay + 13 * 12)!;
  const day4Peak = scoreAt.get(3 * perDay + 13 * 12)!;
  const day4Night = scoreAt.get(3 * perDay + 1 * 12)!;
  assert.ok(day3Peak < 3, `normal afternoon scores ${day3Peak}`);
  assert.ok(day4Peak > 8, `flattened afternoon scores ${day4Peak}`);
  assert.ok(day4Night < 3, `normal night scores ${day4Night}`);
});

test('holt_winters: follows a daily rhythm with trend, flags a spike and a seasonal break', () => {
  const model = new HoltWintersModel({
    seasonMs: DAY,
    stepMs: 10 * MIN,
    alpha: 0.2,
    beta: 0.01,
    gamma: 0.3,
    scaleSmoothing: 0.05,
    clip: 3,
    band: 3,
    direction: 'both',
  });
  const g = gaussian(prng(11));
  const perDay = 144;
  const scores: number[] = [];
  for (let i = 0; i < 5 * perDay; i++) {
    const t = SYNTHETIC_START + i * 10 * MIN;
    const season = 10 * Math.sin((2 * Math.PI * i) / perDay);
    let v = 50 + i * 0.01 + season + g();
    if (i === 3 * perDay + 40) v += 10;
    if (i >= 4 * perDay + 30 && i < 4 * perDay + 42) v -= season; // break at the daily peak
    const verdict = model.observe(t, v);
    if (i < perDay) assert.equal(verdict, undefined, 'the first season is warm-up');
    scores.push(verdict?.score ?? Number.NaN);
  }
  assert.ok(scores[3 * perDay + 40] > 6, `spike ${scores[3 * perDay + 40]}`);
  const breakMax = Math.max(...scores.slice(4 * perDay + 30, 4 * perDay + 42));
  assert.ok(breakMax > 5, `break ${breakMax}`);
  const calm = scores.slice(2 * perDay, 3 * perDay).filter((s) => s > 4.5);
  assert.equal(calm.length, 0, 'a normal day after warm-up raises nothing');
});

test('calibrator: a score far above the usual scores of this series exceeds 1, usual ones stay near 0', () => {
  const cal = new ScoreCalibrator({ samples: 1000, quantile: 0.95, minSamples: 50 });
  const g = gaussian(prng(5));
  let maxUsual = 0;
  for (let i = 0; i < 2000; i++) {
    const c = cal.calibrate(Math.abs(g()));
    if (i < 50) assert.equal(c, undefined);
    else if (i > 1000) maxUsual = Math.max(maxUsual, c!);
  }
  assert.ok(maxUsual < 1.6, `noise alone reaches ${maxUsual}`);
  assert.ok(cal.calibrate(12)! > 3);
});

test('ensemble: model state stays bounded however long the series runs', () => {
  const config = anomalyModelSchema.parse({ type: 'ensemble' });
  const model = modelFactory(config, MIN)();
  const g = gaussian(prng(9));
  let after2w = 0;
  for (let i = 0; i < 5 * 7 * 1440; i++) {
    model.observe(SYNTHETIC_START + i * MIN, 100 + g());
    if (i === 4 * 7 * 1440) after2w = model.stateSize();
  }
  assert.equal(model.stateSize(), after2w, 'state after 5 weeks equals state after 4 weeks');
  assert.ok(after2w < 200_000, `state ${after2w}`);
});

test('synthetic series: injected spikes are found by robust_zscore at 4 sigma with no false alarms', () => {
  const s = syntheticSeries('spikes', {
    seed: 42,
    length: 3 * 288,
    intervalMs: 300_000,
    seasonalAmplitude: 0,
    level: 50,
    noise: 2,
    inject: [
      { kind: 'spike', at: 400, size: 8 },
      { kind: 'spike', at: 600, size: -9 },
    ],
  });
  const config = anomalyModelSchema.parse({ type: 'robust_zscore', window: '1d' });
  const scores = modelScores(config, s.intervalMs, s.times, s.values);
  const q = detectionQuality(scores, s.anomalies, 4, 20);
  assert.equal(q.detected, 2);
  assert.equal(q.falseAlarms, 0);
});
