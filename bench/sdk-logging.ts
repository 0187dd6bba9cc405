/**
 * Logging throughput: @vigil/node's logger (pino + trace correlation + redaction + debug
 * sampling) vs plain pino with the same base fields, in one run (a benchmark, not a test):
 *
 *   node --import tsx bench/sdk-logging.ts
 *
 * Every line is logged inside a sampled span with a request id, the way a request handler logs,
 * so @vigil/node adds trace_id, span_id, trace_flags and request_id to each line. Two sinks:
 * a stream that drops lines (the loggers' own CPU cost) and /dev/null through pino's
 * synchronous destination (a write(2) per line, as logging to a file or pipe costs).
 * Rounds alternate; the median round is reported.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
// The built package, as apps run it (npm run build -w @vigil/node first): running the sources
// through tsx would add its keep-names wrappers to every closure.
import { createLogging, withRequestId } from '@vigil/node';
import { type DestinationStream, pino } from 'pino';

const LINES = 200_000;
const ROUNDS = 7;
const WARMUP = 2;
const BASE = { service: 'checkout', version: '1.4.2', env: 'prod', pid: process.pid, hostname: 'bench' };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function loggers(destination: () => DestinationStream) {
  const plain = pino({ base: BASE }, destination());
  const vigil = createLogging({
    level: 'info',
    base: BASE,
    redact: {},
    sampling: {},
    destination: destination(),
  }).logger;
  return { plain, vigil };
}

function run(log: pino.Logger): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < LINES; i++) log.info({ orderId: i, sku: 'sku-42', amount: 19.99 }, 'order placed');
  return LINES / (Number(process.hrtime.bigint() - start) / 1e9);
}

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const tracer = new BasicTracerProvider().getTracer('bench');

const sinks: [string, () => DestinationStream][] = [
  ['dropping stream', () => ({ write: () => {} })],
  ['/dev/null (pino.destination, sync)', () => pino.destination({ dest: '/dev/null', sync: true })],
];

console.log(`node ${process.version}, ${LINES.toLocaleString()} lines per round, median of ${ROUNDS}`);
console.log('| sink | plain pino | @vigil/node | @vigil/node vs pino |\n| --- | ---: | ---: | ---: |');
for (const [name, destination] of sinks) {
  const { plain, vigil } = loggers(destination);
  const p: number[] = [];
  const v: number[] = [];
  await tracer.startActiveSpan('request', async (span) => {
    await context.with(withRequestId(context.active(), 'req-123'), async () => {
      for (let r = 0; r < WARMUP + ROUNDS; r++) {
        const pr = run(plain);
        const vr = run(vigil);
        if (r >= WARMUP) {
          p.push(pr);
          v.push(vr);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    span.end();
  });
  const mp = median(p);
  const mv = median(v);
  console.log(
    `| ${name} | ${Math.round(mp).toLocaleString()} lines/s | ${Math.round(mv).toLocaleString()} lines/s | ${((mv / mp - 1) * 100).toFixed(1)}% |`,
  );
}
