/**
 * Exponential histograms → classic (`le`) buckets.
 *
 * An OTLP exponential histogram at scale `s` has buckets whose boundaries are powers of
 * `base = 2^(2^-s)`: positive bucket `i` counts values in `(base^i, base^(i+1)]`, negative bucket
 * `i` counts values in `[-base^(i+1), -base^i)`, and a zero bucket counts values whose magnitude
 * is at most `zero_threshold`. Lowering the scale by one merges pairs of neighbouring buckets
 * exactly ("perfect subsetting"), so every boundary at a lower scale is also a boundary at every
 * higher scale.
 *
 * The conversion picks a target scale: the data point's own scale, but at most MAX_CLASSIC_SCALE,
 * lowered one step at a time until the populated range needs at most MAX_CLASSIC_BUCKETS finite
 * boundaries. It then emits one classic bucket per boundary between the lowest and highest
 * populated bucket (including empty ones in between, so the set of `le` values is contiguous):
 * negative buckets as `le = -base^i`, the zero bucket as `le = zero_threshold` (only when there
 * are zero-bucket or negative observations), positive buckets as `le = base^(i+1)`, and `+Inf`
 * equal to the point's count. Boundaries are computed as `Math.pow(2, i * 2^-scale)` so the same
 * boundary reached from different scales prints as the same `le` value.
 *
 * Because a cumulative stream only ever widens its populated range, the chosen scale never rises
 * over time, and the `le` values of a lower scale are a subset of those of a higher one: bucket
 * series continue rather than being replaced when the scale drops.
 */

/** Scales outside this range are rejected: OpenTelemetry SDKs produce scales from -10 to 20. */
export const MIN_SCALE = -10;
export const MAX_SCALE = 20;
/** Finest target scale: boundaries ~9% apart (base 2^(1/8)), like Prometheus's default native-histogram resolution. */
export const MAX_CLASSIC_SCALE = 3;
/** Most finite `le` boundaries one converted histogram produces (plus `+Inf`). */
export const MAX_CLASSIC_BUCKETS = 40;
/** Delta accumulation keeps at most this many buckets per sign, downscaling as needed (as SDKs do). */
export const MAX_STATE_BUCKETS = 160;

/** Thrown for an exponential histogram that cannot be converted. */
export class ExponentialHistogramError extends Error {}

/** A dense range of bucket counts: `counts[k]` is bucket `offset + k`. */
export interface DenseBuckets {
  readonly offset: number;
  readonly counts: readonly number[];
}

/** The bucket part of an exponential histogram data point, counts as numbers. */
export interface ExponentialBuckets {
  readonly scale: number;
  readonly zeroCount: number;
  readonly zeroThreshold: number;
  readonly positive: DenseBuckets;
  readonly negative: DenseBuckets;
}

/** Classic buckets: finite upper bounds in ascending order with their cumulative counts. */
export interface ClassicBuckets {
  readonly bounds: number[];
  readonly cumulativeCounts: number[];
}

/** Checks the parts of a data point the conversion relies on; throws ExponentialHistogramError. */
export function validateExponentialBuckets(h: ExponentialBuckets): void {
  if (!Number.isInteger(h.scale) || h.scale < MIN_SCALE || h.scale > MAX_SCALE) {
    throw new ExponentialHistogramError(
      `scale ${h.scale} is outside the supported range ${MIN_SCALE}..${MAX_SCALE}`,
    );
  }
  if (!(h.zeroThreshold >= 0) || !Number.isFinite(h.zeroThreshold)) {
    throw new ExponentialHistogramError(
      `zero_threshold ${h.zeroThreshold} is not a finite non-negative number`,
    );
  }
  // The specification asks consumers to reject bucket indexes whose boundaries fall outside
  // float64: the lower boundary must be finite, the upper one above the smallest subnormal.
  const step = 2 ** -h.scale;
  for (const [sign, b] of [
    ['positive', h.positive],
    ['negative', h.negative],
  ] as const) {
    const range = populatedRange(b);
    if (range && ((range[0] + 1) * step <= -1075 || range[1] * step >= 1024)) {
      throw new ExponentialHistogramError(
        `${sign} bucket indexes ${range[0]}..${range[1]} at scale ${h.scale} lie outside the float64 range`,
      );
    }
  }
}

/** The lowest and highest bucket index with a non-zero count, or undefined when all are zero. */
function populatedRange(b: DenseBuckets): [number, number] | undefined {
  let first = -1;
  let last = -1;
  for (let k = 0; k < b.counts.length; k++) {
    if (b.counts[k] !== 0) {
      if (first < 0) first = k;
      last = k;
    }
  }
  return first < 0 ? undefined : [b.offset + first, b.offset + last];
}

/** The bucket index at a scale `d` steps lower: 2^d neighbours merge into one. */
function downscaledIndex(index: number, d: number): number {
  return d === 0 ? index : Math.floor(index / 2 ** d);
}

function rangeWidth(range: [number, number] | undefined, d: number): number {
  return range ? downscaledIndex(range[1], d) - downscaledIndex(range[0], d) + 1 : 0;
}

/** `base^index` at `scale`, computed so equal boundaries from different scales are equal doubles. */
export function exponentialBoundary(scale: number, index: number): number {
  return 2 ** (scale >= 0 ? index / 2 ** scale : index * 2 ** -scale);
}

/** The scale the classic buckets will use; see the module comment. */
export function classicScale(h: ExponentialBuckets): number {
  const pos = populatedRange(h.positive);
  const neg = populatedRange(h.negative);
  const zero = h.zeroCount > 0 || neg !== undefined ? 1 : 0;
  let target = Math.min(h.scale, MAX_CLASSIC_SCALE);
  while (
    target > MIN_SCALE &&
    rangeWidth(pos, h.scale - target) + rangeWidth(neg, h.scale - target) + zero > MAX_CLASSIC_BUCKETS
  ) {
    target--;
  }
  return target;
}

/** Sums the counts of `b` into buckets `d` scale steps lower, over the populated range only. */
function mergeDown(b: DenseBuckets, range: [number, number], d: number): Float64Array {
  const lo = downscaledIndex(range[0], d);
  const merged = new Float64Array(downscaledIndex(range[1], d) - lo + 1);
  for (let k = range[0] - b.offset; k <= range[1] - b.offset; k++) {
    merged[downscaledIndex(b.offset + k, d) - lo] += b.counts[k];
  }
  return merged;
}

/** Converts the buckets of one (cumulative) data point; `+Inf` is the caller's (the point's count). */
export function exponentialToClassic(h: ExponentialBuckets): ClassicBuckets {
  const scale = classicScale(h);
  const d = h.scale - scale;
  const bounds: number[] = [];
  const cumulativeCounts: number[] = [];
  let cumulative = 0;
  let previous = Number.NEGATIVE_INFINITY;
  // A boundary that overflows, underflows to zero or repeats the previous one is skipped; its
  // count is still included in the next boundary's cumulative count (or in +Inf).
  const emit = (bound: number, isZeroBucket = false) => {
    if (Number.isFinite(bound) && bound > previous && (bound !== 0 || isZeroBucket)) {
      bounds.push(bound);
      cumulativeCounts.push(cumulative);
      previous = bound;
    }
  };

  const neg = populatedRange(h.negative);
  if (neg) {
    const counts = mergeDown(h.negative, neg, d);
    const lo = downscaledIndex(neg[0], d);
    for (let k = counts.length - 1; k >= 0; k--) {
      cumulative += counts[k];
      emit(-exponentialBoundary(scale, lo + k));
    }
  }
  cumulative += h.zeroCount;
  if (h.zeroCount > 0 || neg) emit(h.zeroThreshold, true);
  const pos = populatedRange(h.positive);
  if (pos) {
    const counts = mergeDown(h.positive, pos, d);
    const lo = downscaledIndex(pos[0], d);
    for (let k = 0; k < counts.length; k++) {
      cumulative += counts[k];
      emit(exponentialBoundary(scale, lo + k + 1));
    }
  }
  return { bounds, cumulativeCounts };
}

/**
 * A running sum of delta exponential histograms (the bucket part; count and sum are the caller's).
 * Points at different scales merge at the lower scale; the state downscales further whenever a
 * sign would need more than MAX_STATE_BUCKETS buckets, so its size stays bounded.
 */
export class ExponentialAccumulator {
  private scale: number;
  private zeroCount = 0;
  private zeroThreshold = 0;
  private positive = new Map<number, number>();
  private negative = new Map<number, number>();

  constructor(first: ExponentialBuckets) {
    this.scale = first.scale;
    this.add(first);
  }

  add(h: ExponentialBuckets): void {
    if (h.scale < this.scale) this.downscale(this.scale - h.scale);
    const d = h.scale - this.scale;
    addDense(this.positive, h.positive, d);
    addDense(this.negative, h.negative, d);
    this.zeroCount += h.zeroCount;
    this.zeroThreshold = Math.max(this.zeroThreshold, h.zeroThreshold);
    while (
      this.scale > MIN_SCALE &&
      (mapWidth(this.positive) > MAX_STATE_BUCKETS || mapWidth(this.negative) > MAX_STATE_BUCKETS)
    ) {
      this.downscale(1);
    }
  }

  /** The accumulated buckets in the data point shape. */
  snapshot(): ExponentialBuckets {
    return {
      scale: this.scale,
      zeroCount: this.zeroCount,
      zeroThreshold: this.zeroThreshold,
      positive: toDense(this.positive),
      negative: toDense(this.negative),
    };
  }

  private downscale(d: number): void {
    this.positive = downscaleMap(this.positive, d);
    this.negative = downscaleMap(this.negative, d);
    this.scale -= d;
  }
}

function addDense(into: Map<number, number>, b: DenseBuckets, d: number): void {
  for (let k = 0; k < b.counts.length; k++) {
    const c = b.counts[k];
    if (c === 0) continue;
    const index = downscaledIndex(b.offset + k, d);
    into.set(index, (into.get(index) ?? 0) + c);
  }
}

function downscaleMap(m: Map<number, number>, d: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const [index, c] of m) {
    const j = downscaledIndex(index, d);
    out.set(j, (out.get(j) ?? 0) + c);
  }
  return out;
}

function mapWidth(m: Map<number, number>): number {
  if (m.size === 0) return 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const index of m.keys()) {
    if (index < lo) lo = index;
    if (index > hi) hi = index;
  }
  return hi - lo + 1;
}

function toDense(m: Map<number, number>): DenseBuckets {
  if (m.size === 0) return { offset: 0, counts: [] };
  let lo = Number.POSITIVE_INFINITY;
  for (const index of m.keys()) if (index < lo) lo = index;
  const counts = new Array<number>(mapWidth(m)).fill(0);
  for (const [index, c] of m) counts[index - lo] = c;
  return { offset: lo, counts };
}
