/**
 * Helpers for the StatsD tests: free ports, polling for asynchronous (UDP) results, and reading
 * stored series and self-metrics.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { formatLabels } from '../../model/labels.ts';
import { newMatcher } from '../../model/matcher.ts';
import { isStaleNaN } from '../../model/sample.ts';
import type { MetricsStorage } from '../../storage/interface.ts';

/** A port that is free on 127.0.0.1 for both UDP and TCP at the time of the call. */
export async function freeUdpAndTcpPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const port = (server.address() as net.AddressInfo).port;
    const udp = dgram.createSocket('udp4');
    const free = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (free) {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      return port;
    }
  }
  throw new Error('found no port free for both UDP and TCP on 127.0.0.1');
}

/** Retries `check` until it stops throwing; after `timeoutMs` the last failure is thrown. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Every stored sample of every series of one metric: `series → values in time order`. */
export async function storedSeries(
  storage: MetricsStorage,
  metric: string,
): Promise<Record<string, (number | 'stale')[]>> {
  const series = await storage.select([newMatcher('=', '__name__', metric)], {
    minT: 0,
    maxT: Date.now() + 365 * 24 * 3600_000,
  });
  const out: Record<string, (number | 'stale')[]> = {};
  for (const s of series) {
    out[formatLabels(s.labels)] = Array.from(s.values, (v) => (isStaleNaN(v) ? 'stale' : v));
  }
  return out;
}

/** The newest stored value of each series of one metric. */
export async function latestValues(
  storage: MetricsStorage,
  metric: string,
): Promise<Record<string, number | 'stale'>> {
  const out: Record<string, number | 'stale'> = {};
  for (const [series, values] of Object.entries(await storedSeries(storage, metric))) {
    out[series] = values[values.length - 1];
  }
  return out;
}

/** The value of one sample line in Prometheus text format, e.g. `x_total{reason="y"}`; 0 if absent. */
export function selfMetricValue(text: string, series: string): number {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return 0;
}
