/**
 * Vigil's anomaly models on the Numenta Anomaly Benchmark (NAB v1.1 corpus and labels in
 * ../shared/datasets/nab), scored with NAB's rules (packages/server/src/anomaly/eval/nab.ts):
 * windows, the scaled sigmoid, the three profiles of config/profiles.json, normalisation, and one
 * corpus-wide threshold per detector and profile found by NAB's exhaustive sweep.
 *
 *   node --import tsx bench/anomaly-nab.ts [--nab ../shared/datasets/nab] [--only <detector>] [--per-file]
 *
 * Each detector is one of the models an anomaly rule can use, run exactly as the server runs it
 * (one sample at a time, no look-ahead); the rule interval is the file's median sampling step, so
 * windows are given as multiples of it. NAB wants a score in [0, 1] per row: anomaly_score s maps
 * to s / (s + 3) (monotone, so only the threshold's position changes), and rows still in warm-up
 * score 0. Prints, per detector, the normalised score under each profile beside the published
 * scoreboard, plus precision (share of detected rows inside a window) and recall (share of windows
 * with a detection) at the standard profile's threshold.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { detectorScores, medianStep, NAB_DETECTORS } from '../packages/server/src/anomaly/eval/detectors.ts';
import {
  type NabProfile,
  normalizedScore,
  optimizeThreshold,
  scoreCorpus,
} from '../packages/server/src/anomaly/eval/nab.ts';
import {
  loadNabCorpus,
  loadNabProfiles,
  loadNabScoreboard,
} from '../packages/server/src/anomaly/eval/nab-data.ts';

const { values: args } = parseArgs({
  options: {
    nab: { type: 'string', default: join(import.meta.dirname, '../../shared/datasets/nab') },
    only: { type: 'string' },
    'per-file': { type: 'boolean', default: false },
  },
});
const root = args.nab!;
if (!existsSync(join(root, 'labels', 'combined_windows.json'))) {
  console.error(`NAB corpus not found in ${root}; pass --nab <dir>`);
  process.exit(1);
}

const corpus = loadNabCorpus(root);
const profiles = loadNabProfiles(root);
const board = loadNabScoreboard(root);
const windows = corpus.reduce((n, f) => n + f.windows.length, 0);
console.log(
  `NAB corpus: ${corpus.length} files, ${corpus.reduce((n, f) => n + f.values.length, 0)} rows, ${windows} windows`,
);

const detectors = NAB_DETECTORS.filter((d) => !args.only || d.name === args.only);
const rows: string[] = [];
for (const d of detectors) {
  const started = performance.now();
  const files = corpus.map((f) => ({
    name: f.name,
    scores: detectorScores(d, medianStep(f.times), f.times, f.values),
    windows: f.windows,
  }));
  const ms = performance.now() - started;
  const result: Record<string, { score: number; threshold: number }> = {};
  for (const [name, p] of Object.entries(profiles)) {
    const { threshold, score } = optimizeThreshold(files, p);
    result[name] = { threshold, score: normalizedScore(score, windows, p) };
  }
  const std = profiles.standard as NabProfile;
  const at = scoreCorpus(files, result.standard.threshold, std);
  const precision = at.tp + at.fp > 0 ? at.tp / (at.tp + at.fp) : 0;
  const recall = at.windowsDetected / at.windows;
  rows.push(
    `| ${d.name} | ${fmt(result.standard.score)} | ${fmt(result.reward_low_FP_rate.score)} | ${fmt(result.reward_low_FN_rate.score)} | ${(precision * 100).toFixed(1)}% | ${(recall * 100).toFixed(1)}% (${at.windowsDetected}/${at.windows}) | ${at.fp} | ${(ms / 1000).toFixed(1)} |`,
  );
  console.log(rows[rows.length - 1]);
  if (args['per-file']) {
    for (const f of files) {
      const r = scoreCorpus([f], result.standard.threshold, std);
      console.log(
        `   ${f.name}: S=${r.score.toFixed(3)} windows ${r.windowsDetected}/${r.windows} fp rows ${r.fp}`,
      );
    }
  }
}

console.log(
  '\n| detector | standard | reward low FP | reward low FN | precision (rows) | recall (windows) | FP rows | run time (s) |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(r);
console.log('\nPublished scoreboard (results/final_results.json):\n');
console.log('| detector | standard | reward low FP | reward low FN |');
console.log('| --- | ---: | ---: | ---: |');
for (const name of [
  'ARTime',
  'numenta',
  'contextOSE',
  'earthgeckoSkyline',
  'knncad',
  'relativeEntropy',
  'randomCutForest',
  'twitterADVec',
  'windowedGaussian',
  'skyline',
  'random',
  'null',
]) {
  const b = board[name];
  if (b)
    console.log(
      `| ${name} | ${fmt(b.standard)} | ${fmt(b.reward_low_FP_rate)} | ${fmt(b.reward_low_FN_rate)} |`,
    );
}

function fmt(n: number): string {
  return n.toFixed(1);
}
