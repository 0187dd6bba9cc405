// In-process pipeline cost: fast decode → traces signal → store, no HTTP.
import { pino } from 'pino';
import { mkdtempSync } from 'node:fs';
import { parseConfig } from '../src/config/load.ts';
import { createMetricsSink } from '../src/ingest/metrics-sink.ts';
import { tracesSignal, hasFastTracePath } from '../src/ingest/otlp/traces/signal.ts';
import { MemoryStorage } from '../src/storage/memory/memory-storage.ts';
import { SelfMetrics } from '../src/self/metrics.ts';
import { startTraces } from '../src/traces/index.ts';
import { makeTemplate, stamp, SPANS_PER_REQUEST } from '../../../bench/workload/traces.ts';
const N = Number(process.argv[2] ?? 400);
const mode = process.argv[3] ?? 'fast';
const config = parseConfig('', 'x.yml');
const self = new SelfMetrics();
const logger = pino({ level: 'warn' });
const sink = createMetricsSink(new MemoryStorage() as never, config.limits, self);
const traces = await startTraces({ dataDir: mkdtempSync('/tmp/inproc-'), config: config.traces, logger, self, metrics: sink, maxBodyBytes: 1 << 26, now: Date.now });
const signal = tracesSignal(traces.spans!, { sink, logger, self, limits: config.limits, maxBodyBytes: 1 << 26, now: Date.now } as never);
if (!hasFastTracePath(signal)) throw new Error('no fast path');
const templates = Array.from({ length: 8 }, (_, i) => makeTemplate(100 + i, Date.now() - 3600_000));
const { fromBinary } = await import('@bufbuild/protobuf');
const cpu0 = process.cpuUsage(); const t0 = Date.now();
let inflight: Promise<unknown>[] = [];
for (let n = 0; n < N; n++) {
  const t = templates[n % 8];
  const body = stamp(t, n, 100, Buffer.alloc(t.body.length));
  const p = mode === 'fast' ? signal.handleDecoded(signal.decodeProtobuf(body)) : signal.handle(fromBinary(signal.requestSchema, body));
  inflight.push(p);
  if (inflight.length >= 8) { await Promise.all(inflight); inflight = []; }
}
await Promise.all(inflight);
const cpu = process.cpuUsage(cpu0); const wall = (Date.now() - t0) / 1000;
const spans = N * SPANS_PER_REQUEST;
console.log(mode, 'spans/s wall', Math.round(spans / wall), 'cpu µs/span', ((cpu.user + cpu.system) / spans).toFixed(1));
await traces.stop();
