import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketsToHeatmap, reduceSeries, thresholdColor } from './panel-data.ts';

test('series reduce to one number, ignoring gaps', () => {
  const v = [1, Number.NaN, 3, 2];
  assert.equal(reduceSeries(v), 2);
  assert.equal(reduceSeries(v, 'mean'), 2);
  assert.equal(reduceSeries(v, 'max'), 3);
  assert.equal(reduceSeries(v, 'min'), 1);
  assert.equal(reduceSeries(v, 'sum'), 6);
  assert.ok(Number.isNaN(reduceSeries([])));
});

test('thresholds pick the highest step at or below the value', () => {
  const t = [
    { value: 0.05, color: 'err' },
    { value: 0, color: 'ok' },
    { value: 0.01, color: 'warn' },
  ];
  assert.equal(thresholdColor(0.001, t), 'var(--ok)');
  assert.equal(thresholdColor(0.01, t), 'var(--warn)');
  assert.equal(thresholdColor(0.5, t), 'var(--err)');
  assert.equal(thresholdColor(-1, t), 'var(--ok)');
  assert.equal(thresholdColor(1, [{ value: 0, color: '#123456' }]), '#123456');
  assert.equal(thresholdColor(1, undefined), undefined);
});

test('cumulative buckets become per-bucket cells', () => {
  const s = (le: string, values: number[]) => ({ metric: { le }, times: [1000, 2000], values });
  const h = bucketsToHeatmap([
    s('+Inf', [10, 12]),
    s('0.1', [2, 3]),
    s('1', [7, 3.5]),
    { metric: {}, times: [1000], values: [1] },
  ]);
  assert.deepEqual(h.bounds, ['0.1', '1', '+Inf']);
  assert.deepEqual(h.times, [1000, 2000]);
  assert.deepEqual(h.cells, [
    [2, 3],
    [5, 0.5],
    [3, 8.5],
  ]);
  assert.equal(h.max, 8.5);
});
