import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alignSeries, nearestIndex, stackColumns } from './chart-data.ts';

test('series on the same timestamps share the x column', () => {
  const times = [1000, 2000, 3000];
  const a = alignSeries([
    { name: 'a', times, values: [1, 2, 3] },
    { name: 'b', times: [...times], values: [4, Number.NaN, 6] },
  ]);
  assert.deepEqual(a.xs, [1, 2, 3]);
  assert.deepEqual(a.ys, [
    [1, 2, 3],
    [4, null, 6],
  ]);
});

test('series with different timestamps align on their union, with gaps', () => {
  const a = alignSeries([
    { name: 'a', times: [1000, 3000], values: [1, 3] },
    { name: 'b', times: [2000, 3000, 4000], values: [20, 30, Number.POSITIVE_INFINITY] },
  ]);
  assert.deepEqual(a.xs, [1, 2, 3, 4]);
  assert.deepEqual(a.ys, [
    [1, null, 3, null],
    [null, 20, 30, null],
  ]);
  assert.deepEqual(alignSeries([]), { xs: [], ys: [] });
});

test('stacking sums visible series; gaps stay gaps; hidden series are skipped', () => {
  const ys = [
    [1, 1, null],
    [2, null, 2],
    [10, 10, 10],
  ];
  assert.deepEqual(stackColumns(ys, [true, true, true]), [
    [1, 1, null],
    [3, null, 2],
    [13, 11, 12],
  ]);
  assert.deepEqual(stackColumns(ys, [true, false, true]), [
    [1, 1, null],
    [2, null, 2],
    [11, 11, 10],
  ]);
});

test('nearestIndex finds the closest x', () => {
  const xs = [10, 20, 30];
  assert.equal(nearestIndex(xs, 0), 0);
  assert.equal(nearestIndex(xs, 14), 0);
  assert.equal(nearestIndex(xs, 16), 1);
  assert.equal(nearestIndex(xs, 99), 2);
  assert.equal(nearestIndex([], 5), -1);
});
