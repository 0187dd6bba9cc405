import { pino } from 'pino';
import { runSpanStoreTests } from '../storetest/suite.ts';
import { DuckDBSpanStore } from './span-store.ts';

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
