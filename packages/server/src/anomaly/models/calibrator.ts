/**
 * Puts a model's scores on a scale that means the same for every series: how far a score lies
 * above the usual high scores of this series (a high quantile of its recent scores), in units of
 * the distance from that quantile to the largest score of the recent past. 0 = nothing unusual
 * for this series; 1 = as unusual as the most unusual moment in the calibration window; above 1 =
 * a new record. Heavy-tailed series, which produce big z-scores all the time, are thereby judged
 * against themselves, which is what lets an ensemble compare and combine different models.
 *
 * State is small and fixed: the window's maximum is tracked exactly per block (32 block maxima),
 * and the quantile comes from a log-bucketed histogram whose counts decay with the same memory.
 */

const BLOCKS = 32;
/** Histogram bucket edges grow by this ratio, from MIN_EDGE up to beyond the largest score. */
const RATIO = 1.05;
const MIN_EDGE = 0.01;
const BUCKETS = Math.ceil(Math.log(1e4 / MIN_EDGE) / Math.log(RATIO)) + 2;

export interface CalibratorOptions {
  /** How many recent scores the calibration reflects. */
  readonly samples: number;
  /** The quantile of recent scores that counts as "usual" (e.g. 0.95). */
  readonly quantile: number;
  /** No calibrated score until this many scores were seen. */
  readonly minSamples: number;
}

export class ScoreCalibrator {
  private readonly blockSize: number;
  private readonly blockMax = new Float64Array(BLOCKS);
  private block = 0;
  private inBlock = 0;
  private readonly hist = new Float64Array(BUCKETS);
  private weight = 1;
  private total = 0;
  private seen = 0;
  private readonly decay: number;

  constructor(private readonly o: CalibratorOptions) {
    this.blockSize = Math.max(1, Math.ceil(o.samples / BLOCKS));
    this.decay = 1 - 1 / Math.max(2, o.samples);
  }

  /** Calibrates `score` against the scores seen before it, then remembers it; undefined while warming up. */
  calibrate(score: number): number | undefined {
    let out: number | undefined;
    if (this.seen >= this.o.minSamples) {
      const usual = this.quantile(this.o.quantile);
      const max = this.max();
      const span = Math.max(max - usual, 1e-9);
      out = Math.max(0, (score - usual) / span);
    }
    this.add(score);
    return out;
  }

  private add(score: number): void {
    this.seen++;
    if (this.inBlock === this.blockSize) {
      this.block = (this.block + 1) % BLOCKS;
      this.blockMax[this.block] = 0;
      this.inBlock = 0;
    }
    if (this.inBlock === 0 || score > this.blockMax[this.block]) this.blockMax[this.block] = score;
    this.inBlock++;
    // Decay by raising the weight of new samples instead of shrinking every bucket; renormalise
    // before the numbers grow large.
    this.weight /= this.decay;
    if (this.weight > 1e100) {
      for (let i = 0; i < BUCKETS; i++) this.hist[i] /= this.weight;
      this.total /= this.weight;
      this.weight = 1;
    }
    this.hist[bucketOf(score)] += this.weight;
    this.total += this.weight;
  }

  private max(): number {
    let m = 0;
    const filled = Math.min(BLOCKS, Math.ceil(this.seen / this.blockSize));
    for (let i = 0; i < filled; i++) if (this.blockMax[i] > m) m = this.blockMax[i];
    return m;
  }

  private quantile(q: number): number {
    let above = (1 - q) * this.total;
    for (let b = BUCKETS - 1; b > 0; b--) {
      if (this.hist[b] >= above) {
        // Interpolate inside the bucket, geometrically.
        const lo = edge(b);
        const frac = 1 - above / this.hist[b];
        return lo * RATIO ** frac;
      }
      above -= this.hist[b];
    }
    return 0;
  }

  /** Numbers held. */
  stateSize(): number {
    return BLOCKS + BUCKETS;
  }
}

/** Bucket 0 holds scores below MIN_EDGE; bucket b ≥ 1 holds [MIN_EDGE·RATIO^(b−1), MIN_EDGE·RATIO^b). */
function bucketOf(score: number): number {
  if (!(score >= MIN_EDGE)) return 0;
  return Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(score / MIN_EDGE) / Math.log(RATIO)));
}

function edge(b: number): number {
  return MIN_EDGE * RATIO ** (b - 1);
}
