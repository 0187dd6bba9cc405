/**
 * StatsD throughput (a benchmark, not a test): `node --import tsx bench/statsd-throughput.ts`
 *
 * 1. parse + aggregate in-process, no sockets;
 * 2. UDP end to end through startStatsd into in-memory storage, with packet loss reported;
 * 3. the cost of one flush of many series.
 */
import { spawn } from 'node:child_process';
import { pino } from 'pino';
import { parseConfig } from '../packages/server/src/config/load.ts';
import { createMetricsSink } from '../packages/server/src/ingest/metrics-sink.ts';
import { StatsdAggregator } from '../packages/server/src/ingest/statsd/aggregator.ts';
import { startStatsd } from '../packages/server/src/ingest/statsd/index.ts';
import {
  ALL_TAG_FORMATS,
  parseStatsdLine,
  type StatsdSample,
} from '../packages/server/src/ingest/statsd/line-parser.ts';
import { selfMetricValue } from '../packages/server/src/ingest/statsd/testutil.ts';
import { SelfMetrics } from '../packages/server/src/self/metrics.ts';
import { MemoryStorage } from '../packages/server/src/storage/memory/memory-storage.ts';

const TYPES = ['c', 'g', 'ms', 'h'];

/** Realistic lines: four types, three DogStatsD tags, `series` distinct series. */
function makeLines(count: number, series: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const s = i % series;
    const type = TYPES[s % TYPES.length];
    lines.push(
      `app.${type}.metric_${s % 250}:${(i % 97) + 0.5}|${type}|#env:prod,host:h${s % 40},route:/r${s % 7}`,
    );
  }
  return lines;
}

function benchParseAggregate(): void {
  const lines = makeLines(1_000_000, 10_000);
  const agg = new StatsdAggregator({ maxSeries: 1_000_000, seriesTtlMs: 0, buckets: [0.01, 0.1, 1, 10] });
  const visitor = {
    sample: (s: StatsdSample) => void agg.add(s, 0),
    error: (reason: string) => {
      throw new Error(reason);
    },
    tagErrors: () => {},
    ignored: () => {},
  };
  for (let round = 0; round < 2; round++) {
    const started = performance.now();
    for (const line of lines) parseStatsdLine(line, ALL_TAG_FORMATS, visitor);
    const ms = performance.now() - started;
    console.log(
      `parse+aggregate: ${lines.length} lines in ${ms.toFixed(0)} ms = ${Math.round(lines.length / (ms / 1000)).toLocaleString()} lines/s (round ${round + 1})`,
    );
  }
  const started = performance.now();
  const snapshot = agg.flush(1, 1);
  console.log(
    `flush snapshot: ${agg.statsdSeriesCount} StatsD series → ${snapshot.batch.length} Prometheus series in ${(performance.now() - started).toFixed(0)} ms`,
  );
}

/** A sender in another process, so that it does not compete with the receiver's event loop. */
function senderScript(host: string, port: number, linesPerSecond: number, seconds: number): string {
  // Lines are batched into ~1400-byte datagrams, as clients with a send buffer (hot-shots
  // maxBufferSize) send them, and paced in 10 ms ticks.
  return `
    const dgram = require('node:dgram');
    const TYPES = ['c', 'g', 'ms', 'h'];
    const socket = dgram.createSocket('udp4');
    let i = 0;
    const total = ${linesPerSecond * seconds};
    const perTick = ${Math.round(linesPerSecond / 100)};
    const nextLine = () => {
      const s = i % 10000, type = TYPES[s % 4];
      i++;
      return 'app.' + type + '.metric_' + (s % 250) + ':' + ((i % 97) + 0.5) + '|' + type +
        '|#env:prod,host:h' + (s % 40) + ',route:/r' + (s % 7);
    };
    const started = Date.now();
    let tick = 0;
    const timer = setInterval(() => {
      // Catch up on ticks the timer fell behind on, so the average rate is what was asked for.
      const due = Math.min(total, Math.round(((Date.now() - started) / 1000) * ${linesPerSecond}));
      let current = [], size = 0;
      while (i < due) {
        const line = nextLine();
        if (size + line.length + 1 > 1400) { socket.send(Buffer.from(current.join('\\n')), ${port}, '${host}'); current = []; size = 0; }
        current.push(line); size += line.length + 1;
      }
      if (current.length) socket.send(Buffer.from(current.join('\\n')), ${port}, '${host}');
      if (i >= total) { clearInterval(timer); setTimeout(() => socket.close(), 50); }
    }, 10);`;
}

async function benchUdp(): Promise<void> {
  const storage = new MemoryStorage();
  const self = new SelfMetrics();
  const limits = parseConfig('', 'bench.yml').limits;
  const config = parseConfig(
    JSON.stringify({
      statsd: { udp_listen: '127.0.0.1:0', flush_interval: '10s', udp_receive_buffer: '4MB' },
    }),
    'bench.yml',
  ).statsd!;
  const server = await startStatsd(
    {
      sink: createMetricsSink(storage, limits, self),
      logger: pino({ level: 'silent' }),
      self,
      limits,
      maxBodyBytes: 1 << 20,
      now: Date.now,
    },
    config,
  );
  const at = server.udpAddress!.lastIndexOf(':');
  const host = server.udpAddress!.slice(0, at);
  const port = Number(server.udpAddress!.slice(at + 1));
  const received = () => selfMetricValue(self.render(), 'vigil_statsd_lines_total{transport="udp"}');
  const seconds = 3;
  for (const rate of [25_000, 50_000, 100_000, 200_000, 400_000]) {
    const before = received();
    const child = spawn(process.execPath, ['-e', senderScript(host, port, rate, seconds)], {
      stdio: 'inherit',
    });
    await new Promise((resolve) => child.on('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 300)); // let the socket buffer drain
    const got = received() - before;
    const sent = rate * seconds;
    console.log(
      `UDP at ${rate.toLocaleString()} lines/s for ${seconds}s: ${got}/${sent} received, ${(100 * (1 - got / sent)).toFixed(2)}% lost`,
    );
  }
  const flushStarted = performance.now();
  await server.stop();
  console.log(
    `final flush to in-memory storage: ${selfMetricValue(self.render(), 'vigil_statsd_series')} series in ${(performance.now() - flushStarted).toFixed(0)} ms`,
  );
}

benchParseAggregate();
await benchUdp();
