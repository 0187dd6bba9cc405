/**
 * A bounded sliding window of samples that answers median and MAD queries cheaply: values are
 * kept twice, in arrival order (a ring, for eviction) and sorted (for order statistics).
 * Insertion and eviction cost O(n) moves in the sorted copy; median is O(1) and MAD O(n).
 * Memory grows with the samples held (doubling), up to 24 bytes per sample of capacity.
 */

/** The factor that turns a MAD into a consistent estimate of a normal distribution's sigma. */
export const MAD_TO_SIGMA = 1.4826;

export class RollingWindow {
  private times: Float64Array;
  private ring: Float64Array;
  private sorted: Float64Array;
  private head = 0;
  private count = 0;

  /** `capacity` samples at most; older ones are evicted first. */
  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`window capacity must be at least 1, got ${capacity}`);
    const initial = Math.min(capacity, 16);
    this.times = new Float64Array(initial);
    this.ring = new Float64Array(initial);
    this.sorted = new Float64Array(initial);
  }

  get size(): number {
    return this.count;
  }

  /** Time (ms) of the oldest sample kept, or undefined when empty. */
  oldestTime(): number | undefined {
    return this.count === 0 ? undefined : this.times[this.head];
  }

  /** Time (ms) of the newest sample kept, or undefined when empty. */
  newestTime(): number | undefined {
    return this.count === 0 ? undefined : this.times[(this.head + this.count - 1) % this.ring.length];
  }

  /** The i-th oldest value (0 = oldest). */
  at(i: number): number {
    return this.ring[(this.head + i) % this.ring.length];
  }

  /** Adds a sample, evicting the oldest when full; returns the evicted value or undefined. */
  push(t: number, v: number): number | undefined {
    let evicted: number | undefined;
    if (this.count === this.capacity) evicted = this.shift();
    else if (this.count === this.ring.length) this.grow();
    const slot = (this.head + this.count) % this.ring.length;
    this.times[slot] = t;
    this.ring[slot] = v;
    this.count++;
    this.insertSorted(v);
    return evicted;
  }

  /** Removes and returns the oldest value. */
  shift(): number | undefined {
    if (this.count === 0) return undefined;
    const v = this.ring[this.head];
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
    this.removeSorted(v);
    return v;
  }

  /** Drops samples older than `minT` (ms). */
  evictBefore(minT: number): void {
    while (this.count > 0 && this.times[this.head] < minT) this.shift();
  }

  private grow(): void {
    const size = Math.min(this.capacity, this.ring.length * 2);
    const times = new Float64Array(size);
    const ring = new Float64Array(size);
    for (let i = 0; i < this.count; i++) {
      const j = (this.head + i) % this.ring.length;
      times[i] = this.times[j];
      ring[i] = this.ring[j];
    }
    const sorted = new Float64Array(size);
    sorted.set(this.sorted.subarray(0, this.count));
    this.times = times;
    this.ring = ring;
    this.sorted = sorted;
    this.head = 0;
  }

  /** Bytes allocated. */
  get bytes(): number {
    return this.ring.length * 24;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  /** The median of the values kept; NaN when empty. */
  median(): number {
    return medianOfSorted(this.sorted, this.count);
  }

  /** The median absolute deviation from `center` (default the median); NaN when empty. */
  mad(center = this.median()): number {
    return madOfSorted(this.sorted, this.count, center);
  }

  /** The q-quantile (0..1) of the values kept, by linear interpolation; NaN when empty. */
  quantile(q: number): number {
    const n = this.count;
    if (n === 0) return Number.NaN;
    const pos = q * (n - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(n - 1, lo + 1);
    return this.sorted[lo] + (this.sorted[hi] - this.sorted[lo]) * (pos - lo);
  }

  private insertSorted(v: number): void {
    // count already includes v; the sorted part holds count - 1 values.
    const n = this.count - 1;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    this.sorted.copyWithin(lo + 1, lo, n);
    this.sorted[lo] = v;
  }

  private removeSorted(v: number): void {
    // count already excludes v; the sorted part still holds count + 1 values.
    const n = this.count + 1;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    this.sorted.copyWithin(lo, lo + 1, n);
  }
}

/** Median of the first n values of a sorted array; NaN when n is 0. */
export function medianOfSorted(sorted: ArrayLike<number>, n: number): number {
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Median of |x - center| over the first n values of a sorted array, in O(n): the deviations
 * left of center are decreasing and those right of it increasing, so two pointers walking outward
 * from center visit them in ascending order.
 */
export function madOfSorted(sorted: ArrayLike<number>, n: number, center: number): number {
  if (n === 0) return Number.NaN;
  let right = 0;
  while (right < n && sorted[right] < center) right++;
  let left = right - 1;
  const want = n % 2 === 1 ? [n >> 1] : [(n >> 1) - 1, n >> 1];
  let k = 0;
  let sum = 0;
  let found = 0;
  while (found < want.length) {
    const dl = left >= 0 ? center - sorted[left] : Number.POSITIVE_INFINITY;
    const dr = right < n ? sorted[right] - center : Number.POSITIVE_INFINITY;
    let d: number;
    if (dl <= dr) {
      d = dl;
      left--;
    } else {
      d = dr;
      right++;
    }
    if (k === want[found]) {
      sum += d;
      found++;
    }
    k++;
  }
  return sum / want.length;
}

/** Median of an unsorted list (copied, not changed); NaN when empty. */
export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  return medianOfSorted(sorted, sorted.length);
}
