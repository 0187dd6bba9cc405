import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDuration } from './duration.ts';

// Cases from Prometheus's model.Duration tests (prometheus/common model/time_test.go): years and
// weeks are printed only when they divide the duration exactly.
const CASES: [string, string][] = [
  ['0', '0s'],
  ['324ms', '324ms'],
  ['3s', '3s'],
  ['5m', '5m'],
  ['1h', '1h'],
  ['4d', '4d'],
  ['4d1h', '4d1h'],
  ['14d', '2w'],
  ['3w', '3w'],
  ['3w2d1h', '23d1h'],
  ['30d', '30d'],
  ['10y', '10y'],
  ['1y1d', '366d'],
  ['1h30m500ms', '1h30m500ms'],
];

test('durations print as Prometheus prints them', () => {
  for (const [text, printed] of CASES) {
    const ms = parseDuration(text);
    assert.notEqual(ms, undefined, text);
    assert.equal(formatDuration(ms!), printed, text);
    assert.equal(parseDuration(printed), ms, `${printed} reads back`);
  }
  assert.equal(formatDuration(-90_000), '-1m30s');
});

test('text that is not a Prometheus duration is refused', () => {
  for (const bad of ['', '1', '1.5h', 'h', '1m1h', '-1s', '1s1s'])
    assert.equal(parseDuration(bad), undefined, bad);
});
