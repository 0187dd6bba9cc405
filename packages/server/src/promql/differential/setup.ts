/**
 * Starts the pair the differential tests compare, a real Prometheus 2.42 and an in-process Vigil,
 * and loads the same data set into both by remote write.
 */
import type { TestContext } from 'node:test';
import { startTestVigil } from '../../testutil/vigil.ts';
import { buildDataset, type DatasetSeries } from './dataset.ts';
import { encodeDataset, sendDataset } from './remote-write.ts';
import { startPrometheus } from './systems.ts';

/** Both systems, loaded; stopped when the test ends. */
export interface LoadedPair {
  readonly prometheusUrl: string;
  readonly vigilUrl: string;
  /** First scrape time of the data set (ms, a whole hour two hours before the test started). */
  readonly startMs: number;
  readonly dataset: readonly DatasetSeries[];
}

/**
 * Starts both systems (registering their shutdown on `t`) and sends them the data set. The data
 * starts two whole hours before now, so it is recent enough for both systems' retention and old
 * enough that nothing is "in the future".
 */
export async function startLoadedPair(t: TestContext): Promise<LoadedPair> {
  // One after the other, so that whichever started is stopped even when the other fails.
  const prometheus = await startPrometheus();
  t.after(() => prometheus.stop());
  const vigil = await startTestVigil();
  t.after(() => vigil.stop());
  const startMs = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
  const dataset = buildDataset(startMs);
  const bodies = encodeDataset(dataset, 5 * 60_000);
  try {
    await Promise.all([
      sendDataset('Prometheus', `${prometheus.url}/api/v1/write`, bodies),
      sendDataset('Vigil', `${vigil.url}/api/v1/write`, bodies),
    ]);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nPrometheus log:\n${prometheus.stderr().slice(-3000)}`);
  }
  return { prometheusUrl: prometheus.url, vigilUrl: vigil.url, startMs, dataset };
}
