/**
 * The Numenta Anomaly Benchmark's scoring, re-implemented from its documented rules (NAB v1.1,
 * the dataset README in ../shared/datasets/nab): probationary period, anomaly windows, the
 * scaled sigmoid that rewards early detection and softens false positives just after a window,
 * the three cost profiles, normalisation against the null and perfect detectors, and the
 * corpus-wide threshold sweep.
 */

/** A scoring profile's weights (config/profiles.json). */
export interface NabProfile {
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
}

/** The three standard profiles. */
export const NAB_PROFILES: Readonly<
  Record<'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate', NabProfile>
> = {
  standard: { tp: 1.0, fp: 0.11, fn: 1.0 },
  reward_low_FP_rate: { tp: 1.0, fp: 0.22, fn: 1.0 },
  reward_low_FN_rate: { tp: 1.0, fp: 0.11, fn: 2.0 },
};

/** Reads profiles from NAB's config/profiles.json text. */
export function parseNabProfiles(json: string): Record<string, NabProfile> {
  const raw = JSON.parse(json) as Record<string, { CostMatrix: Record<string, number> }>;
  const out: Record<string, NabProfile> = {};
  for (const [name, p] of Object.entries(raw)) {
    const c = p.CostMatrix;
    out[name] = { tp: c.tpWeight, fp: c.fpWeight, fn: c.fnWeight };
  }
  return out;
}

/** One data file prepared for scoring: its per-row detector scores and its windows as row ranges. */
export interface NabFile {
  readonly name: string;
  /** Detector output per row, in [0, 1]. */
  readonly scores: ArrayLike<number>;
  /** Inclusive [first, last] row index of each window, sorted, non-overlapping. */
  readonly windows: readonly (readonly [number, number])[];
}

/** Rows ignored at the start of a file of n rows. */
export function probationaryRows(n: number): number {
  return Math.min(Math.floor(0.15 * n), 750);
}

/** NAB's scaled sigmoid: 2 / (1 + e^(5y)) − 1, forced to −1 beyond y = 3. */
export function scaledSigmoid(y: number): number {
  if (y > 3) return -1;
  return 2 / (1 + Math.exp(5 * y)) - 1;
}

/**
 * The score a detection at each row would earn under `profile`: inside a window the sigmoid of
 * its position (A_TP at the window's first row, less later on); outside, −A_FP before the first
 * window and a penalty growing with the distance from the preceding window afterwards.
 * Also returns each row's window index (−1 outside).
 */
export function rowScores(
  n: number,
  windows: NabFile['windows'],
  profile: NabProfile,
): { score: Float64Array; window: Int32Array } {
  const score = new Float64Array(n);
  const window = new Int32Array(n).fill(-1);
  const sigmaAtMinus1 = scaledSigmoid(-1);
  let w = 0;
  let prev: readonly [number, number] | undefined;
  for (let i = 0; i < n; i++) {
    while (w < windows.length && windows[w][1] < i) prev = windows[w++];
    const cur = w < windows.length && windows[w][0] <= i ? windows[w] : undefined;
    if (cur) {
      const [l, r] = cur;
      const width = r - l + 1;
      score[i] = (profile.tp * scaledSigmoid(-(r - i + 1) / width)) / sigmaAtMinus1;
      window[i] = w;
    } else if (prev) {
      const [l, r] = prev;
      const width = r - l + 1;
      score[i] = profile.fp * scaledSigmoid((i - r) / (width - 1));
    } else {
      score[i] = -profile.fp;
    }
  }
  return { score, window };
}

/** Counts and score of one file (or the corpus) at one threshold. */
export interface NabResult {
  /** Raw score S. */
  readonly score: number;
  /** Rows detected inside / outside windows, and rows not detected inside / outside (probation excluded). */
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
  /** Windows with at least one detection, and all windows. */
  readonly windowsDetected: number;
  readonly windows: number;
}

/** Scores one file at threshold θ (a row is a detection iff its score ≥ θ). */
export function scoreFile(file: NabFile, threshold: number, profile: NabProfile): NabResult {
  const n = file.scores.length;
  const probation = probationaryRows(n);
  const { score, window } = rowScores(n, file.windows, profile);
  const best = new Float64Array(file.windows.length).fill(Number.NEGATIVE_INFINITY);
  let s = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = probation; i < n; i++) {
    const detected = file.scores[i] >= threshold;
    const w = window[i];
    if (w >= 0) {
      if (detected) {
        tp++;
        if (score[i] > best[w]) best[w] = score[i];
      } else fn++;
    } else if (detected) {
      fp++;
      s += score[i];
    } else tn++;
  }
  let windowsDetected = 0;
  for (const b of best) {
    if (b === Number.NEGATIVE_INFINITY) s -= profile.fn;
    else {
      s += b;
      windowsDetected++;
    }
  }
  return { score: s, tp, fp, fn, tn, windowsDetected, windows: file.windows.length };
}

/** Scores every file at one threshold and sums. */
export function scoreCorpus(files: readonly NabFile[], threshold: number, profile: NabProfile): NabResult {
  let total: NabResult = { score: 0, tp: 0, fp: 0, fn: 0, tn: 0, windowsDetected: 0, windows: 0 };
  for (const f of files) {
    const r = scoreFile(f, threshold, profile);
    total = {
      score: total.score + r.score,
      tp: total.tp + r.tp,
      fp: total.fp + r.fp,
      fn: total.fn + r.fn,
      tn: total.tn + r.tn,
      windowsDetected: total.windowsDetected + r.windowsDetected,
      windows: total.windows + r.windows,
    };
  }
  return total;
}

/** 100 · (S − S_null) / (S_perfect − S_null): perfect = 100, detecting nothing = 0. */
export function normalizedScore(raw: number, windows: number, profile: NabProfile): number {
  const perfect = profile.tp * windows;
  const nul = -profile.fn * windows;
  return (100 * (raw - nul)) / (perfect - nul);
}

/**
 * The threshold that maximises the corpus score, as NAB's current optimiser finds it: every
 * distinct detector score is tried in descending order, starting from 1.1 (nothing detected);
 * on ties the highest threshold wins. Runs in O(rows · log rows).
 */
export function optimizeThreshold(
  files: readonly NabFile[],
  profile: NabProfile,
): { threshold: number; score: number } {
  // Every scorable row: its detector score, the score it would earn, its window (global index).
  let total = 0;
  for (const f of files) total += f.scores.length - probationaryRows(f.scores.length);
  const det = new Float64Array(total);
  const earn = new Float64Array(total);
  const win = new Int32Array(total);
  let k = 0;
  let windowBase = 0;
  for (const f of files) {
    const n = f.scores.length;
    const { score, window } = rowScores(n, f.windows, profile);
    for (let i = probationaryRows(n); i < n; i++, k++) {
      det[k] = f.scores[i];
      earn[k] = score[i];
      win[k] = window[i] >= 0 ? windowBase + window[i] : -1;
    }
    windowBase += f.windows.length;
  }
  const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => det[b] - det[a]);
  const best = new Float64Array(windowBase).fill(Number.NEGATIVE_INFINITY);
  let s = -profile.fn * windowBase;
  let bestScore = s;
  let bestThreshold = 1.1;
  for (let i = 0; i < order.length; ) {
    const theta = det[order[i]];
    for (; i < order.length && det[order[i]] === theta; i++) {
      const r = order[i];
      const w = win[r];
      if (w < 0) s += earn[r];
      else if (earn[r] > best[w]) {
        s += earn[r] - (best[w] === Number.NEGATIVE_INFINITY ? -profile.fn : best[w]);
        best[w] = earn[r];
      }
    }
    if (s > bestScore) {
      bestScore = s;
      bestThreshold = theta;
    }
  }
  return { threshold: bestThreshold, score: bestScore };
}

/** Parses a NAB timestamp (`2014-07-01 00:00:00`, optionally `.000000`) as UTC milliseconds. */
export function parseNabTime(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)?$/.exec(text.trim());
  if (!m) throw new Error(`not a NAB timestamp: ${JSON.stringify(text)}`);
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

/** Turns windows given as timestamps into inclusive row ranges of a file with these row times. */
export function windowsToRows(
  times: ArrayLike<number>,
  windows: readonly (readonly [string, string])[],
): [number, number][] {
  const index = new Map<number, number>();
  for (let i = 0; i < times.length; i++) index.set(times[i], i);
  return windows.map(([a, b]) => {
    const l = index.get(parseNabTime(a));
    const r = index.get(parseNabTime(b));
    if (l === undefined || r === undefined)
      throw new Error(`window ${a} .. ${b} does not match rows of the file`);
    return [l, r];
  });
}
