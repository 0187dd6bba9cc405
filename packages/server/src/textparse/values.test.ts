import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatGoFloat, formatOpenMetricsFloat, parseFloatValue } from './values.ts';

test('parseFloatValue follows Go ParseFloat without hex floats or separators', () => {
  const ok: [string, number][] = [
    ['1', 1],
    ['-1.5', -1.5],
    ['+.5', 0.5],
    ['5.', 5],
    ['1.e3', 1000],
    ['1E-3', 0.001],
    ['007', 7],
    ['Inf', Number.POSITIVE_INFINITY],
    ['+inf', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['INFINITY', Number.POSITIVE_INFINITY],
    ['1e-400', 0],
  ];
  for (const [text, want] of ok) assert.equal(parseFloatValue(text), want, text);
  assert.ok(Number.isNaN(parseFloatValue('NaN') as number));
  assert.ok(Number.isNaN(parseFloatValue('nan') as number));
  for (const bad of [
    '',
    '.',
    'e5',
    '+nan',
    '0x10',
    '0x1p3',
    '1_000',
    'infinit',
    '1e',
    '1e+',
    ' 1',
    '--1',
    'Infinityy',
  ]) {
    assert.equal(typeof parseFloatValue(bad), 'string', bad);
  }
  assert.match(parseFloatValue('1e309') as string, /out of the float64 range/);
});

test('formatGoFloat matches Go strconv.FormatFloat(f, g, -1, 64)', () => {
  const cases: [number, string][] = [
    [1, '1'],
    [0.25, '0.25'],
    [100000, '100000'],
    [1e6, '1e+06'],
    [1234567.5, '1.2345675e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [1e21, '1e+21'],
    [1e100, '1e+100'],
    [-2.5, '-2.5'],
    [123456, '123456'],
    [5e-324, '5e-324'],
    [Number.POSITIVE_INFINITY, '+Inf'],
  ];
  for (const [f, want] of cases) assert.equal(formatGoFloat(f), want, String(f));
});

test('formatOpenMetricsFloat appends .0 to integral values', () => {
  assert.equal(formatOpenMetricsFloat(1), '1.0');
  assert.equal(formatOpenMetricsFloat(0), '0.0');
  assert.equal(formatOpenMetricsFloat(-1), '-1.0');
  assert.equal(formatOpenMetricsFloat(100000), '100000.0');
  assert.equal(formatOpenMetricsFloat(1e6), '1e+06');
  assert.equal(formatOpenMetricsFloat(0.005), '0.005');
  assert.equal(formatOpenMetricsFloat(Number.NaN), 'NaN');
  assert.equal(formatOpenMetricsFloat(Number.NEGATIVE_INFINITY), '-Inf');
});

test('formatGoFloat output parses back to the same number', () => {
  fc.assert(
    fc.property(fc.double({ noNaN: true }), (f) => {
      const back = parseFloatValue(formatGoFloat(f));
      assert.ok(Object.is(back, f) || (f === 0 && back === 0), `${f} → ${formatGoFloat(f)} → ${back}`);
    }),
    { numRuns: 2000 },
  );
});
