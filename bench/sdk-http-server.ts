/**
 * The hello-world service measured by bench/sdk-http.ts, in one of three modes (argv[2]):
 *
 * - `plain`: node:http, no instrumentation.
 * - `vigil`: the same handler wrapped by `obs.http.node()` with @vigil/node as shipped: a sampled
 *   server span per request exported over OTLP (to the bench's sink, argv[3]), RED metrics with
 *   exemplars, request id, and an access log line (to /dev/null, so the terminal is not measured).
 * - `vigil-unexported`: as `vigil`, but spans are not exported (OTEL_TRACES_EXPORTER=none), to
 *   tell the OpenTelemetry SDK's export cost from the rest.
 * - `vigil-metrics`: `traces: false` and no access log: RED metrics, context and request id only.
 * - `context-only`: no middleware, only OpenTelemetry's AsyncLocalStorage context manager and one
 *   `context.with()` per request: what context propagation alone costs any instrumented service.
 *
 * Prints `{"port":N}` once listening. On a line `cpu` on stdin it prints the process's CPU time
 * (µs, all threads) and the requests served so far, so the bench can compute CPU per request.
 *
 * With argv[4] = `inprocess` it serves nothing: it calls the handler directly with synthetic
 * requests (no sockets, no syscalls) and prints the median CPU time per call, which isolates the
 * middleware's own cost from the network stack and from a noisy machine.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { createInterface } from 'node:readline';
// The built package, as apps run it (npm run build -w @vigil/node first): running the sources
// through tsx would add its keep-names wrappers to every closure the middleware creates.
import { observe } from '@vigil/node';
import { pino } from 'pino';

const mode = process.argv[2] ?? 'plain';
const sink = process.argv[3] ?? 'http://127.0.0.1:4318';
let served = 0;

const hello = (_req: IncomingMessage, res: ServerResponse) => {
  served++;
  res.setHeader('content-type', 'text/plain');
  if (process.argv[4] !== 'inprocess') res.end('hello world');
};

let handler: (req: IncomingMessage, res: ServerResponse) => unknown = hello;
if (mode === 'vigil' || mode === 'vigil-metrics' || mode === 'vigil-unexported') {
  const full = mode !== 'vigil-metrics';
  const obs = observe({
    service: 'bench',
    endpoint: sink,
    traces: full ? { exporter: mode === 'vigil' ? 'otlp' : 'none' } : false,
    metrics: { otlp: false },
    logs: {
      otlp: false,
      destination: pino.destination({ dest: '/dev/null', sync: false }),
    },
    http: { accessLog: full },
  });
  handler = obs.http.node(hello, { route: () => '/hello' });
} else if (mode === 'context-only') {
  // No middleware: only OpenTelemetry's AsyncLocalStorage context manager, which every
  // OpenTelemetry-instrumented Node service runs (the cost of context propagation itself).
  const { context } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  handler = (req, res) => context.with(context.active(), () => hello(req, res));
} else if (mode !== 'plain') {
  throw new Error(`unknown mode ${mode}: use plain, context-only, vigil, vigil-unexported or vigil-metrics`);
}

if (process.argv[4] === 'inprocess') {
  // The loop yields every 256 calls, as a server's event loop does between requests, so the
  // asynchronous log destination writes its buffered lines (one write(2) per batch, as in a
  // server) and the span processor gets its turns.
  const socket = new Socket();
  const call = () => {
    const req = new IncomingMessage(socket);
    req.method = 'GET';
    req.url = '/hello';
    req.headers = { host: '127.0.0.1:3000', 'user-agent': 'bench' };
    const res = new ServerResponse(req);
    handler(req, res);
    res.emit('finish');
  };
  const perCall: number[] = [];
  for (let round = 0; round < 9; round++) {
    const n = 100_000;
    const start = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      call();
      if ((i & 255) === 255) await new Promise((r) => setImmediate(r));
    }
    const used = process.cpuUsage(start);
    if (round >= 2) perCall.push((used.user + used.system) / n);
    await new Promise((r) => setImmediate(r));
  }
  perCall.sort((a, b) => a - b);
  process.stdout.write(`${JSON.stringify({ cpuMicrosPerCall: perCall[Math.floor(perCall.length / 2)] })}\n`);
  process.exit(0);
}

const server = createServer(handler);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'cpu') return;
  const { user, system } = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpuMicros: user + system, served })}\n`);
});
process.stdin.on('end', () => process.exit(0));
