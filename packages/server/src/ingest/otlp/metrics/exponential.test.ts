import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  classicScale,
  ExponentialAccumulator,
  type ExponentialBuckets,
  exponentialBoundary,
  exponentialToClassic,
  MAX_CLASSIC_BUCKETS,
  MAX_CLASSIC_SCALE,
  MAX_SCALE,
  MAX_STATE_BUCKETS,
  MIN_SCALE,
  validateExponentialBuckets,
} from './exponential.ts';

const buckets = fc.record({
  offset: fc.integer({ min: -2000, max: 2000 }),
  counts: fc.array(fc.nat({ max: 1000 }), { maxLength: 200 }),
});

/** Histograms the translator accepts (bucket boundaries within float64). */
const histogram: fc.Arbitrary<ExponentialBuckets> = fc
  .record({
    scale: fc.integer({ min: MIN_SCALE, max: MAX_SCALE }),
    zeroCount: fc.nat({ max: 1000 }),
    zeroThreshold: fc.constant(0),
    positive: buckets,
    negative: buckets,
  })
  .filter((h) => {
    try {
      validateExponentialBuckets(h);
      return true;
    } catch {
      return false;
    }
  });

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * The cumulative count at the target-scale boundary of positive index `u` (bound base_s^u),
 * computed in index space: source bucket i lies below it iff (i+1) <= u * 2^d.
 */
function referencePositive(h: ExponentialBuckets, d: number, u: number): number {
  let c = h.zeroCount + sum(h.negative.counts);
  h.positive.counts.forEach((n, k) => {
    if (h.positive.offset + k + 1 <= u * 2 ** d) c += n;
  });
  return c;
}

/** Same for the negative boundary -base_s^u: source negative bucket i lies below it iff i >= u * 2^d. */
function referenceNegative(h: ExponentialBuckets, d: number, u: number): number {
  let c = 0;
  h.negative.counts.forEach((n, k) => {
    if (h.negative.offset + k >= u * 2 ** d) c += n;
  });
  return c;
}

test('classic buckets are exact: each boundary counts exactly the source buckets below it', () => {
  fc.assert(
    fc.property(histogram, (h) => {
      const { bounds, cumulativeCounts } = exponentialToClassic(h);
      const s = classicScale(h);
      const d = h.scale - s;
      assert.ok(s <= MAX_CLASSIC_SCALE && s <= h.scale);
      assert.ok(bounds.length <= MAX_CLASSIC_BUCKETS + 1);
      for (let i = 0; i < bounds.length; i++) {
        const b = bounds[i];
        assert.ok(Number.isFinite(b));
        if (i > 0) {
          assert.ok(b > bounds[i - 1], 'bounds strictly increase');
          assert.ok(cumulativeCounts[i] >= cumulativeCounts[i - 1], 'counts never decrease');
        }
        if (b > 0) {
          const u = Math.round(Math.log2(b) * 2 ** s);
          assert.equal(exponentialBoundary(s, u), b);
          assert.equal(cumulativeCounts[i], referencePositive(h, d, u), `le=${b}`);
        } else if (b < 0) {
          const u = Math.round(Math.log2(-b) * 2 ** s);
          assert.equal(-exponentialBoundary(s, u), b);
          assert.equal(cumulativeCounts[i], referenceNegative(h, d, u), `le=${b}`);
        } else {
          assert.equal(cumulativeCounts[i], h.zeroCount + sum(h.negative.counts), 'le=0');
        }
      }
    }),
    { numRuns: 300 },
  );
});

test('a boundary reached from different scales is the same double (stable le values)', () => {
  for (let s = MIN_SCALE; s < MAX_SCALE; s++) {
    for (let u = -300; u <= 300; u++) {
      assert.equal(exponentialBoundary(s + 1, 2 * u), exponentialBoundary(s, u), `scale ${s} index ${u}`);
    }
  }
});

test('the target scale only drops as a cumulative histogram widens', () => {
  fc.assert(
    fc.property(histogram, fc.nat({ max: 50 }), fc.nat({ max: 50 }), (h, extendLow, extendHigh) => {
      // Same data plus one observation further out on each end.
      const wider: ExponentialBuckets = {
        ...h,
        positive: {
          offset: h.positive.offset - extendLow - 1,
          counts: [
            1,
            ...new Array(extendLow).fill(0),
            ...h.positive.counts,
            ...new Array(extendHigh).fill(0),
            1,
          ],
        },
      };
      assert.ok(classicScale(wider) <= classicScale(h));
    }),
    { numRuns: 200 },
  );
});

test('accumulated deltas convert like the sum of the points, with bounded state', () => {
  fc.assert(
    fc.property(fc.array(histogram, { minLength: 1, maxLength: 5 }), (points) => {
      const acc = new ExponentialAccumulator(points[0]);
      for (const p of points.slice(1)) acc.add(p);
      const total = acc.snapshot();
      assert.ok(total.positive.counts.length <= MAX_STATE_BUCKETS);
      assert.ok(total.negative.counts.length <= MAX_STATE_BUCKETS);
      assert.ok(total.scale <= Math.min(...points.map((p) => p.scale)));
      assert.equal(sum(total.positive.counts), sum(points.map((p) => sum(p.positive.counts))));
      assert.equal(sum(total.negative.counts), sum(points.map((p) => sum(p.negative.counts))));
      assert.equal(total.zeroCount, sum(points.map((p) => p.zeroCount)));
      // Every point's positive bucket lands in the state bucket that covers it.
      for (const p of points) {
        const d = p.scale - total.scale;
        p.positive.counts.forEach((n, k) => {
          if (n === 0) return;
          const j = Math.floor((p.positive.offset + k) / 2 ** d);
          assert.ok(total.positive.counts[j - total.positive.offset] >= n);
        });
      }
    }),
    { numRuns: 200 },
  );
});

test('buckets beyond float64 are refused', () => {
  const h = (scale: number, offset: number): ExponentialBuckets => ({
    scale,
    zeroCount: 0,
    zeroThreshold: 0,
    positive: { offset, counts: [1] },
    negative: { offset: 0, counts: [] },
  });
  assert.throws(() => validateExponentialBuckets(h(0, 1024)), /outside the float64 range/);
  assert.throws(() => validateExponentialBuckets(h(0, -1076)), /outside the float64 range/);
  validateExponentialBuckets(h(0, 1023));
  validateExponentialBuckets(h(0, -1075));
  assert.throws(() => validateExponentialBuckets(h(21, 0)), /scale 21/);
});

test('zero threshold and overflowing boundaries', () => {
  // Scale -10: bucket 0 is (1, 2^1024], whose upper bound overflows; its count goes to +Inf only.
  const h: ExponentialBuckets = {
    scale: -10,
    zeroCount: 2,
    zeroThreshold: 0.5,
    positive: { offset: -1, counts: [3, 4] },
    negative: { offset: 0, counts: [] },
  };
  assert.deepEqual(exponentialToClassic(h), { bounds: [0.5, 1], cumulativeCounts: [2, 5] });
});
