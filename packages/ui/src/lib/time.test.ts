import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  autoStep,
  describeRange,
  formatDuration,
  formatTime,
  parseDuration,
  parseTimeExpr,
  resolveRange,
} from './time.ts';

test('parseDuration reads Prometheus durations and bare seconds', () => {
  const f = (s: string, want: number | undefined) => assert.equal(parseDuration(s), want, s);
  f('5m', 300_000);
  f('1h30m', 5_400_000);
  f('500ms', 500);
  f('1d', 86_400_000);
  f('2w', 1_209_600_000);
  f('15', 15_000);
  f('1.5', 1500);
  f('', undefined);
  f('5 minutes', undefined);
  f('m5', undefined);
  f('1h-', undefined);
});

test('formatDuration writes the shortest exact duration', () => {
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(3_600_000), '1h');
  assert.equal(formatDuration(15_000), '15s');
  assert.equal(formatDuration(1500), '1s500ms');
  assert.equal(formatDuration(0), '0s');
});

test('parseTimeExpr: now, now±duration, epoch ms, ISO dates; undefined for anything else', () => {
  const now = Date.UTC(2024, 4, 1, 12, 0, 0);
  assert.equal(parseTimeExpr('now', now), now);
  assert.equal(parseTimeExpr('now-1h', now), now - 3_600_000);
  assert.equal(parseTimeExpr('now - 5m', now), now - 300_000);
  assert.equal(parseTimeExpr('now+1d', now), now + 86_400_000);
  assert.equal(parseTimeExpr('1714564800000', now), 1714564800000);
  assert.equal(parseTimeExpr('2024-05-01T12:00:00Z', now), now);
  assert.equal(parseTimeExpr('yesterday', now), undefined);
  assert.equal(parseTimeExpr('now-soon', now), undefined);
  assert.equal(parseTimeExpr('2024-13-45T99:00Z', now), undefined);
});

test('resolveRange names the end it cannot read and refuses an empty range', () => {
  const now = 1_000_000_000_000;
  assert.deepEqual(resolveRange({ from: 'now-1h', to: 'now' }, now), { start: now - 3_600_000, end: now });
  assert.throws(() => resolveRange({ from: 'then', to: 'now' }, now), /start time "then"/);
  assert.throws(() => resolveRange({ from: 'now-1h', to: 'later' }, now), /end time "later"/);
  assert.throws(() => resolveRange({ from: 'now', to: 'now-1h' }, now), /after its start/);
});

test('autoStep rounds up to a tidy step and respects the minimum', () => {
  assert.equal(autoStep(3_600_000, 500), 10_000); // 7.2s → 10s
  assert.equal(autoStep(6 * 3_600_000, 500), 60_000); // 43.2s → 1m
  assert.equal(autoStep(60_000, 500), 1000); // below the minimum
  assert.equal(autoStep(30 * 86_400_000, 500), 7_200_000); // 1h26m → 2h
  assert.equal(autoStep(2000 * 86_400_000, 500), 4 * 86_400_000); // beyond the list: whole days
});

test('formatTime in UTC, and describeRange for quick and absolute ranges', () => {
  const t = Date.UTC(2024, 0, 2, 3, 4, 5, 6);
  assert.equal(formatTime(t, true), '2024-01-02 03:04:05');
  assert.equal(formatTime(t, true, { millis: true }), '2024-01-02 03:04:05.006');
  assert.equal(describeRange({ from: 'now-1h', to: 'now' }, true), 'Last 1 hour');
  assert.equal(describeRange({ from: 'now-90m', to: 'now' }, true), 'Last 90m');
  assert.equal(
    describeRange({ from: String(t), to: String(t + 3_600_000) }, true),
    '2024-01-02 03:04 → 2024-01-02 04:04',
  );
});
