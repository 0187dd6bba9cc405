import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { runSpanStoreTests } from '../storetest/suite.ts';
import { DuckDBSpanStore, pageBatches } from './span-store.ts';

const clock = { now: Date.UTC(2026, 0, 1, 0, 30) };

runSpanStoreTests({
  name: 'duckdb',
  open: (dir) =>
    DuckDBSpanStore.open({
      dataDir: dir,
      logger: pino({ level: 'silent' }),
      now: () => clock.now,
      limits: { maxAttributes: 128, maxKeyBytes: 256, maxValueBytes: 65536, maxFutureSkewMs: 600_000 },
      retentionMs: 3_600_000,
      retentionBytes: 0,
    }),
  persist: (store) => store.persist(true),
  retention: async (store, nowMs) => {
    clock.now = nowMs;
    try {
      await store.runRetention();
    } finally {
      clock.now = Date.UTC(2026, 0, 1, 0, 30);
    }
  },
});

test('scan batches never split a trace, start small and grow', () => {
  // 40 one-page traces, then a trace over pages 40-45 that a batch boundary must not cut.
  const ranges = [
    ...Array.from({ length: 40 }, (_, i) => ({ first: i, last: i })),
    { first: 40, last: 45 },
    { first: 45, last: 45 },
    { first: 46, last: 46 },
  ];
  const batches = pageBatches(ranges);
  assert.deepEqual(
    batches.flat(),
    Array.from({ length: 47 }, (_, i) => i),
    'every page once, in order',
  );
  assert.equal(batches[0].length, 8);
  assert.equal(batches[1].length, 16);
  for (const b of batches) {
    for (const r of ranges) {
      const inside = b.filter((p) => p >= r.first && p <= r.last).length;
      assert.ok(inside === 0 || inside === r.last - r.first + 1, `range ${r.first}-${r.last} is whole`);
    }
  }
  // Overlapping ranges listed out of order are merged, not read twice.
  assert.deepEqual(
    pageBatches([
      { first: 3, last: 4 },
      { first: 1, last: 3 },
    ]),
    [[1, 2, 3, 4]],
  );
});
