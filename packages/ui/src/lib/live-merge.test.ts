import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeLive } from './live-merge.ts';
import type { RangeSeries } from './prom.ts';

const a = { __name__: 'x', job: 'a' };
const b = { __name__: 'x', job: 'b' };

test('appends new points, replacing the re-sent last step', () => {
  const out = mergeLive(
    [{ metric: a, times: [1000, 2000, 3000], values: [1, 2, 3] }],
    [
      {
        metric: { job: 'a', __name__: 'x' },
        values: [
          [3000, '30'],
          [4000, '4'],
        ],
      },
    ],
    0,
  );
  assert.deepEqual(out, [{ metric: a, times: [1000, 2000, 3000, 4000], values: [1, 2, 30, 4] }]);
});

test('new series are added; special values parse; the window slides and empties drop out', () => {
  const out = mergeLive(
    [
      { metric: a, times: [1000, 2000], values: [1, 2] },
      { metric: b, times: [500], values: [5] },
    ],
    [
      {
        metric: { __name__: 'y' },
        values: [
          [3000, 'NaN'],
          [4000, '+Inf'],
        ],
      },
    ],
    1500,
  );
  assert.equal(out.length, 2);
  assert.deepEqual(out[0], { metric: a, times: [2000], values: [2] });
  assert.deepEqual(out[1].times, [3000, 4000]);
  assert.ok(Number.isNaN(out[1].values[0]));
  assert.equal(out[1].values[1], Number.POSITIVE_INFINITY);
});

test('a long run stays bounded by the window', () => {
  let series: RangeSeries[] = [{ metric: a, times: [0], values: [0] }];
  for (let t = 1000; t <= 1_000_000; t += 1000) {
    series = mergeLive(
      series,
      [
        {
          metric: a,
          values: [
            [t - 1000, '0'],
            [t, '1'],
          ],
        },
      ],
      t - 60_000,
    );
  }
  assert.equal(series[0].times.length, 61);
  assert.equal(series[0].times[0], 940_000);
});
