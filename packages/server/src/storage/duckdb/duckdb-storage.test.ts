import { pino } from 'pino';
import { tempDir } from '../../testutil/vigil.ts';
import type { MetricsStorage } from '../interface.ts';
import { runMetricsStorageTests } from '../storagetest/suite.ts';
import { DuckDBMetricsStorage, type DuckDBStorageOptions } from './duckdb-storage.ts';

export function duckOptions(
  dataDir: string,
  overrides: Partial<DuckDBStorageOptions> = {},
): DuckDBStorageOptions {
  return {
    dataDir,
    retention: 15 * 86_400_000,
    retentionBytes: 0,
    outOfOrderWindow: 0,
    blockDuration: 2 * 3_600_000,
    maxFutureSkew: 10 * 60_000,
    maxSeries: 0,
    maxSeriesPerMetric: 0,
    logger: pino({ level: 'silent' }),
    ...overrides,
  };
}

runMetricsStorageTests({
  name: 'duckdb',
  open: async () => {
    const dir = tempDir();
    let storage: MetricsStorage = await DuckDBMetricsStorage.open(duckOptions(dir.path));
    return {
      get storage() {
        return storage;
      },
      async reopen() {
        await storage.close();
        storage = await DuckDBMetricsStorage.open(duckOptions(dir.path));
        return storage;
      },
      async cleanup() {
        await storage.close();
        dir.remove();
      },
    };
  },
});
