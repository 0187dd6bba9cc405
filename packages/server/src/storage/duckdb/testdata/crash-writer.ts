/**
 * Child process for the crash test: appends batches to a DuckDB storage as fast as it can and
 * prints one line per acknowledged batch ("acked <n>") until the parent kills it with SIGKILL.
 * Argument: the data directory.
 */
import { pino } from 'pino';
import { labelsFromRecord } from '../../../model/labels.ts';
import { DuckDBMetricsStorage } from '../duckdb-storage.ts';

const dataDir = process.argv[2];
const storage = await DuckDBMetricsStorage.open({
  dataDir,
  retention: 365 * 86_400_000,
  retentionBytes: 0,
  outOfOrderWindow: 0,
  blockDuration: 3_600_000,
  maxFutureSkew: 1e15,
  maxSeries: 0,
  maxSeriesPerMetric: 0,
  logger: pino({ level: 'silent' }),
});
// Batch n writes 50 series at t = n * 15s (so windows get persisted along the way), value n.
for (let n = 0; ; n++) {
  const batch = [];
  for (let s = 0; s < 50; s++) {
    batch.push({
      labels: labelsFromRecord({ __name__: 'crash_test', series: String(s) }),
      timestamps: new Float64Array([n * 15_000]),
      values: new Float64Array([n]),
    });
  }
  const r = await storage.append(batch);
  if (r.accepted !== 50) throw new Error(`batch ${n} accepted ${r.accepted}`);
  process.stdout.write(`acked ${n}\n`);
}
