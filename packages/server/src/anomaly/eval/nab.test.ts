import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  NAB_PROFILES,
  normalizedScore,
  optimizeThreshold,
  parseNabProfiles,
  probationaryRows,
  scaledSigmoid,
  scoreCorpus,
  scoreFile,
  windowsToRows,
} from './nab.ts';
import { parseNabCsv } from './nab-data.ts';

const NAB = join(import.meta.dirname, '../../../../../../shared/datasets/nab');

test('scaled sigmoid and probation follow NAB', () => {
  assert.ok(Math.abs(scaledSigmoid(-1) - 0.98661) < 1e-5);
  assert.equal(scaledSigmoid(0), 0);
  assert.ok(Math.abs(scaledSigmoid(1) + 0.98661) < 1e-5);
  assert.equal(scaledSigmoid(3.5), -1);
  assert.equal(probationaryRows(1000), 150);
  assert.equal(probationaryRows(22695), 750);
});

test('a hand-computed file: early TP, FP before the window, softened FP after it, probation ignored', () => {
  const scores = new Float64Array(100);
  scores[10] = 1; // in probation (first 15 rows): ignored
  scores[30] = 1; // before any window: -A_FP
  scores[50] = 1; // first row of window [50, 59]: +A_TP
  scores[55] = 1; // later in the same window: adds nothing
  scores[70] = 1; // 11 rows after the window of width 10: A_FP * sigma(11/9)
  const file = { name: 'x', scores, windows: [[50, 59]] as [number, number][] };
  const after = 0.11 * (2 / (1 + Math.exp((5 * 11) / 9)) - 1);
  const r = scoreFile(file, 0.5, NAB_PROFILES.standard);
  assert.ok(Math.abs(r.score - (1 - 0.11 + after)) < 1e-12, `score ${r.score}`);
  assert.deepEqual([r.tp, r.fp, r.windowsDetected], [2, 2, 1]);
  // Detecting only late in the window earns less than A_TP: y = -(59 - 57 + 1) / 10.
  const late = { ...file, scores: new Float64Array(100).fill(0).map((_, i) => (i === 57 ? 1 : 0)) };
  const lateScore = scoreFile(late, 0.5, NAB_PROFILES.standard).score;
  assert.ok(Math.abs(lateScore - scaledSigmoid(-0.3) / scaledSigmoid(-1)) < 1e-12);
  // Missing the window costs A_FN; normalisation maps null to 0 and perfect to 100.
  assert.equal(scoreFile(file, 2, NAB_PROFILES.reward_low_FN_rate).score, -2);
  assert.equal(normalizedScore(-1, 1, NAB_PROFILES.standard), 0);
  assert.equal(normalizedScore(1, 1, NAB_PROFILES.standard), 100);
});

test('the threshold sweep finds the best corpus score, as scoring at that threshold confirms', () => {
  const files = [0, 1, 2].map((k) => {
    const scores = new Float64Array(200).map((_, i) => ((i * 7919 + k * 104729) % 1000) / 1000);
    scores[120 + k] = 0.999;
    return { name: `f${k}`, scores, windows: [[110, 140]] as [number, number][] };
  });
  for (const profile of Object.values(NAB_PROFILES)) {
    const best = optimizeThreshold(files, profile);
    assert.ok(Math.abs(scoreCorpus(files, best.threshold, profile).score - best.score) < 1e-9);
    for (const th of [0.2, 0.5, 0.9, 0.95, 0.99, 1.1])
      assert.ok(scoreCorpus(files, th, profile).score <= best.score + 1e-9);
  }
});

test('profiles parse from NAB config format', () => {
  const p = parseNabProfiles(
    '{"standard":{"CostMatrix":{"tpWeight":1,"fnWeight":1,"fpWeight":0.11,"tnWeight":1}}}',
  );
  assert.deepEqual(p.standard, { tp: 1, fp: 0.11, fn: 1 });
});

test('reproduces the published per-file scores of Numenta HTM on nyc_taxi and rogue_agent_key_hold', (t) => {
  if (!existsSync(NAB)) return t.skip('no ../shared/datasets/nab');
  const windows = JSON.parse(readFileSync(join(NAB, 'labels/combined_windows.json'), 'utf8'));
  const profiles = parseNabProfiles(readFileSync(join(NAB, 'config/profiles.json'), 'utf8'));
  // Expected values and thresholds from the dataset README ("Published result files").
  const cases = [
    [
      'nyc_taxi',
      { standard: 2.43572773247, reward_low_FP_rate: 2.32572773247, reward_low_FN_rate: 1.43572773247 },
    ],
    [
      'rogue_agent_key_hold',
      { standard: -1.11370102385, reward_low_FP_rate: -1.33370102385, reward_low_FN_rate: -2.11370102385 },
    ],
  ] as const;
  const thresholds = {
    standard: 0.542187690735,
    reward_low_FP_rate: 0.575195503235,
    reward_low_FN_rate: 0.542187690735,
  };
  for (const [name, expected] of cases) {
    const file = `realKnownCause/${name}.csv`;
    const { times, columns } = parseNabCsv(
      readFileSync(join(NAB, `results/numenta/realKnownCause/numenta_${name}.csv`), 'utf8'),
    );
    const nab = { name: file, scores: columns.anomaly_score, windows: windowsToRows(times, windows[file]) };
    for (const [profile, want] of Object.entries(expected)) {
      const got = scoreFile(nab, thresholds[profile as keyof typeof thresholds], profiles[profile]).score;
      assert.ok(Math.abs(got - want) < 1e-9, `${name} ${profile}: ${got} != ${want}`);
    }
  }
});
