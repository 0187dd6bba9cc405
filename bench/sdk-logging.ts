/**
 * Logging throughput: @vigil/node's logger (pino + trace correlation + redaction + debug
 * sampling) vs plain pino with the same base fields, in one run (a benchmark, not a test):
 *
 *   npm run build -w @vigil/node && node --import tsx bench/sdk-logging.ts
 *
 * Every line is logged inside a sampled span with a request id, the way a request handler logs,
 * so @vigil/node adds trace_id, span_id, trace_flags and request_id to each line. Two sinks:
 * a stream that drops lines (the loggers' own CPU cost) and /dev/null through pino's
 * synchronous destination (a write(2) per line, as logging to a file or pipe costs).
 * Rounds alternate; the median round is reported. Throughput is per CPU second.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
// The built package, as apps run it (npm run build -w @vigil/node first): running the sources
// through tsx would add its keep-names wrappers to every closure.
import { correlationFields, createLogging, withRequestId } from '@vigil/node';
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
  // What apps do today to correlate pino with OpenTelemetry (@opentelemetry/instrumentation-pino
  // adds the same fields through a mixin): the anchor for the cost of correlation itself.
  const mixin = pino({ base: BASE, mixin: () => correlationFields() ?? {} }, destination());
  const vigil = createLogging({
    level: 'info',
    base: BASE,
    redact: {},
    sampling: {},
    destination: destination(),
  }).logger;
  return { plain, mixin, vigil };
}

// CPU time of this process (the loggers write synchronously on this thread), which other load on
// the machine disturbs less than wall time.
function run(log: pino.Logger): number {
  const start = process.cpuUsage();
  for (let i = 0; i < LINES; i++) log.info({ orderId: i, sku: 'sku-42', amount: 19.99 }, 'order placed');
  const used = process.cpuUsage(start);
  return LINES / ((used.user + used.system) / 1e6);
}

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const tracer = new BasicTracerProvider().getTracer('bench');

const sinks: [string, () => DestinationStream][] = [
  ['dropping stream', () => ({ write: () => {} })],
  ['/dev/null (pino.destination, sync)', () => pino.destination({ dest: '/dev/null', sync: true })],
];

console.log(`node ${process.version}, ${LINES.toLocaleString()} lines per round, median of ${ROUNDS}`);
console.log(
  '| sink | plain pino | pino + correlation mixin | @vigil/node | @vigil/node vs plain pino | @vigil/node vs pino + mixin |\n| --- | ---: | ---: | ---: | ---: | ---: |',
);
for (const [name, destination] of sinks) {
  const { plain, mixin, vigil } = loggers(destination);
  const p: number[] = [];
  const m: number[] = [];
  const v: number[] = [];
  await tracer.startActiveSpan('request', async (span) => {
    await context.with(withRequestId(context.active(), 'req-123'), async () => {
      for (let r = 0; r < WARMUP + ROUNDS; r++) {
        const pr = run(plain);
        const mr = run(mixin);
        const vr = run(vigil);
        if (r >= WARMUP) {
          p.push(pr);
          m.push(mr);
          v.push(vr);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    span.end();
  });
  const mp = median(p);
  const mm = median(m);
  const mv = median(v);
  const rate = (x: number) => `${Math.round(x).toLocaleString()} lines/s`;
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  console.log(
    `| ${name} | ${rate(mp)} | ${rate(mm)} | ${rate(mv)} | ${pct(mv / mp - 1)} | ${pct(mv / mm - 1)} |`,
  );
}
