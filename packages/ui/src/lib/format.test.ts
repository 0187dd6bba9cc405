import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLegend, formatSeriesName, formatShort, formatValue, parseSampleValue } from './format.ts';

test('formatShort: SI suffixes, small numbers, integers, special values', () => {
  const f = (v: number, want: string) => assert.equal(formatShort(v), want, String(v));
  f(0, '0');
  f(42, '42');
  f(1234, '1.23k');
  f(1_500_000, '1.5M');
  f(-2500, '-2.5k');
  f(0.5, '0.5');
  f(0.000123, '123µ');
  f(1.23456, '1.23');
  f(Number.NaN, 'NaN');
  f(Number.POSITIVE_INFINITY, '+Inf');
  f(Number.NEGATIVE_INFINITY, '-Inf');
});

test('formatValue applies units', () => {
  const f = (v: number, unit: string, want: string) =>
    assert.equal(formatValue(v, unit), want, `${v} ${unit}`);
  f(0.25, 'percentunit', '25%');
  f(99.5, 'percent', '99.5%');
  f(1536, 'bytes', '1.5 KiB');
  f(1500, 'decbytes', '1.5 kB');
  f(0.0123, 's', '12.3ms');
  f(250, 'ms', '250ms');
  f(12.5, 'reqps', '12.5 req/s');
  f(3, 'widgets', '3 widgets');
  assert.equal(formatValue(null), '–');
});

test('series names as Prometheus writes them; legend templates', () => {
  const m = { __name__: 'up', job: 'api', instance: 'a:1' };
  assert.equal(formatSeriesName(m), 'up{instance="a:1", job="api"}');
  assert.equal(formatSeriesName({ __name__: 'up' }), 'up');
  assert.equal(formatSeriesName({}), '{}');
  assert.equal(formatSeriesName({ path: 'say "hi"\\' }), '{path="say \\"hi\\"\\\\"}');
  assert.equal(formatLegend(m, '{{job}} on {{ instance }}'), 'api on a:1');
  assert.equal(formatLegend(m, '{{missing}}x'), 'x');
  assert.equal(formatLegend(m), 'up{instance="a:1", job="api"}');
});

test('parseSampleValue reads the API strings', () => {
  assert.equal(parseSampleValue('1.5'), 1.5);
  assert.equal(parseSampleValue('+Inf'), Number.POSITIVE_INFINITY);
  assert.equal(parseSampleValue('-Inf'), Number.NEGATIVE_INFINITY);
  assert.ok(Number.isNaN(parseSampleValue('NaN')));
});
