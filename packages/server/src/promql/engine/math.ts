/**
 * Numeric helpers shared by functions and aggregations, ported from Prometheus so results match
 * to the last bit where Prometheus is careful (Kahan-Neumaier sums, quantile interpolation,
 * classic-histogram quantiles and fractions).
 */

/** Kahan-Neumaier compensated addition (util/kahansum.Inc): returns [sum, compensation]. */
export function kahanInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  let nc = c;
  if (t === Number.POSITIVE_INFINITY || t === Number.NEGATIVE_INFINITY) nc = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) nc += sum - t + inc;
  else nc += inc - t + sum;
  return [t, nc];
}

/**
 * The q-quantile of `values` (sorted in place), interpolating between neighbours. NaN for no
 * values or q NaN; -Inf for q < 0; +Inf for q > 1. NaN values sort first, as in Prometheus.
 */
export function quantile(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  values.sort(nanFirstAscending);
  const n = values.length;
  const rank = q * (n - 1);
  const lowerIndex = Math.max(0, Math.floor(rank));
  const upperIndex = Math.min(n - 1, lowerIndex + 1);
  const weight = rank - Math.floor(rank);
  return values[lowerIndex] * (1 - weight) + values[upperIndex] * weight;
}

/** Ascending order with NaN first (vectorByValueHeap). */
export function nanFirstAscending(a: number, b: number): number {
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  if (an || bn) return an && bn ? 0 : an ? -1 : 1;
  return a - b;
}

/** util/almost.Equal with Prometheus's tolerance handling. */
export function almostEqual(a: number, b: number, epsilon: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  const minNormal = 2.2250738585072014e-308;
  if (a === 0 || b === 0 || absSum < minNormal) return diff < epsilon * minNormal;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

/** A classic histogram bucket: cumulative count up to an upper bound. */
export interface Bucket {
  upperBound: number;
  count: number;
}

function sortBuckets(buckets: Bucket[]): void {
  buckets.sort((a, b) => (a.upperBound < b.upperBound ? -1 : a.upperBound > b.upperBound ? 1 : 0));
}

/** Merges buckets with the same upper bound; input sorted. */
function coalesceBuckets(buckets: Bucket[]): Bucket[] {
  let last = { ...buckets[0] };
  let i = 0;
  const out = buckets;
  for (let k = 1; k < buckets.length; k++) {
    const b = buckets[k];
    if (b.upperBound === last.upperBound) last.count += b.count;
    else {
      out[i] = last;
      last = { ...b };
      i++;
    }
  }
  out[i] = last;
  out.length = i + 1;
  return out;
}

/** Whether bucket counts had to be made monotonic, and where (for the info annotation). */
export interface MonotonicityFix {
  forced: boolean;
  minBucket: number;
  maxBucket: number;
  maxDiff: number;
}

/** Removes decreases between successive cumulative counts (ensureMonotonicAndIgnoreSmallDeltas). */
function ensureMonotonic(buckets: Bucket[], tolerance: number): MonotonicityFix {
  const fix: MonotonicityFix = {
    forced: false,
    minBucket: Number.POSITIVE_INFINITY,
    maxBucket: Number.NEGATIVE_INFINITY,
    maxDiff: 0,
  };
  let prev = buckets[0].count;
  for (let i = 1; i < buckets.length; i++) {
    const curr = buckets[i].count;
    if (curr === prev) continue;
    if (almostEqual(prev, curr, tolerance)) {
      buckets[i].count = prev;
      continue;
    }
    if (curr < prev) {
      buckets[i].count = prev;
      fix.forced = true;
      if (buckets[i].upperBound < fix.minBucket) fix.minBucket = buckets[i].upperBound;
      if (buckets[i].upperBound > fix.maxBucket) fix.maxBucket = buckets[i].upperBound;
      if (prev - curr > fix.maxDiff) fix.maxDiff = prev - curr;
      continue;
    }
    prev = curr;
  }
  return fix;
}

/** Go's sort.Search over [0, n). */
function search(n: number, pred: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (!pred(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** histogram_quantile over classic buckets (Prometheus's BucketQuantile). */
export function bucketQuantile(
  q: number,
  bucketsIn: Bucket[],
): { value: number; fix: MonotonicityFix | undefined } {
  if (Number.isNaN(q)) return { value: Number.NaN, fix: undefined };
  if (q < 0) return { value: Number.NEGATIVE_INFINITY, fix: undefined };
  if (q > 1) return { value: Number.POSITIVE_INFINITY, fix: undefined };
  sortBuckets(bucketsIn);
  if (bucketsIn[bucketsIn.length - 1].upperBound !== Number.POSITIVE_INFINITY)
    return { value: Number.NaN, fix: undefined };
  const buckets = coalesceBuckets(bucketsIn);
  const fix = ensureMonotonic(buckets, 1e-12);
  if (buckets.length < 2) return { value: Number.NaN, fix };
  const observations = buckets[buckets.length - 1].count;
  if (observations === 0) return { value: Number.NaN, fix };
  let rank = q * observations;
  const b = search(buckets.length - 1, (i) => buckets[i].count >= rank);
  if (b === buckets.length - 1) return { value: buckets[buckets.length - 2].upperBound, fix };
  if (b === 0 && buckets[0].upperBound <= 0) return { value: buckets[0].upperBound, fix };
  let bucketStart = 0;
  const bucketEnd = buckets[b].upperBound;
  let count = buckets[b].count;
  if (b > 0) {
    bucketStart = buckets[b - 1].upperBound;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return { value: bucketStart + (bucketEnd - bucketStart) * (rank / count), fix };
}

/** histogram_fraction over classic buckets (Prometheus's BucketFraction). */
export function bucketFraction(lower: number, upper: number, bucketsIn: Bucket[]): number {
  sortBuckets(bucketsIn);
  if (bucketsIn[bucketsIn.length - 1].upperBound !== Number.POSITIVE_INFINITY) return Number.NaN;
  const buckets = coalesceBuckets(bucketsIn);
  const count = buckets[buckets.length - 1].count;
  if (count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return Number.NaN;
  if (lower >= upper) return 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  let lowerBound = buckets[0].upperBound <= 0 ? Number.NEGATIVE_INFINITY : 0;
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i];
    if (i > 0) lowerBound = buckets[i - 1].upperBound;
    const upperBound = b.upperBound;
    const interpolateLinearly = (v: number): number => {
      if (lowerBound === Number.NEGATIVE_INFINITY) return b.count;
      return rank + ((b.count - rank) * (v - lowerBound)) / (upperBound - lowerBound);
    };
    if (!lowerSet && lowerBound >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lowerBound >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lowerBound < lower && upperBound > lower) {
      lowerRank = interpolateLinearly(lower);
      lowerSet = true;
    }
    if (!upperSet && lowerBound < upper && upperBound > upper) {
      upperRank = interpolateLinearly(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank = b.count;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / count;
}
