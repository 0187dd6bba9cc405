/**
 * Per-request overhead of @vigil/node's HTTP middleware (a benchmark, not a test):
 *
 *   node --import tsx bench/sdk-http.ts [--seconds 5] [--rounds 5] [--connections 16]
 *
 * autocannon (in this process) against a node:http hello world (a child process,
 * bench/sdk-http-server.ts) without and with `obs.http.node()`. Rounds alternate between the
 * modes; medians are reported. Two measures of the overhead:
 * - server CPU per request (all of the server's threads, from process.cpuUsage()), with minus
 *   without: what each request costs the service, independent of how loaded the machine is;
 * - 1/throughput, with minus without: the same seen from the client, with the server saturated.
 * The spans go to an OTLP sink in this process that answers 200 and drops them. Then each mode
 * once more without sockets (the handler called directly, see sdk-http-server.ts): the
 * middleware's CPU per request (span export and log writes included, as the loop yields like a
 * server's), which a loaded machine disturbs least.
 *
 * Runs the built package: `npm run build -w @vigil/node` first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '16' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
const MODES = ['plain', 'context-only', 'vigil-metrics', 'vigil-unexported', 'vigil'] as const;
type Mode = (typeof MODES)[number];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// The OTLP sink: reads each export and answers with an empty (valid) protobuf response.
let exports = 0;
const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    exports++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
const sinkUrl = `http://127.0.0.1:${(sink.address() as { port: number }).port}`;

interface Server {
  child: ChildProcess;
  port: number;
  next(): Promise<Record<string, number>>;
}

async function start(mode: Mode, inprocess = false): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      new URL('./sdk-http-server.ts', import.meta.url).pathname,
      mode,
      sinkUrl,
      ...(inprocess ? ['inprocess'] : []),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`the ${mode} server exited`);
    return JSON.parse(value) as Record<string, number>;
  };
  if (inprocess) return { child, port: 0, next };
  const { port } = await next();
  return { child, port, next };
}

async function cpu(server: Server): Promise<{ cpuMicros: number; served: number }> {
  server.child.stdin!.write('cpu\n');
  return (await server.next()) as { cpuMicros: number; served: number };
}

async function load(server: Server, seconds: number): Promise<{ rps: number; cpuPerRequest: number }> {
  const before = await cpu(server);
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}/hello`,
    connections: CONNECTIONS,
    duration: seconds,
  });
  const after = await cpu(server);
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors`);
  }
  const served = after.served - before.served;
  return {
    rps: result.requests.total / seconds,
    cpuPerRequest: (after.cpuMicros - before.cpuMicros) / served,
  };
}

const servers = new Map<Mode, Server>();
for (const mode of MODES) servers.set(mode, await start(mode));
const results = new Map<Mode, { rps: number[]; cpu: number[] }>(MODES.map((m) => [m, { rps: [], cpu: [] }]));
try {
  for (const mode of MODES) await load(servers.get(mode)!, 2); // warm-up: JIT, connections
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of MODES) {
      const { rps, cpuPerRequest } = await load(servers.get(mode)!, SECONDS);
      results.get(mode)!.rps.push(rps);
      results.get(mode)!.cpu.push(cpuPerRequest);
    }
  }
} finally {
  for (const s of servers.values()) s.child.kill('SIGTERM');
}
const inprocess = new Map<Mode, number>();
for (const mode of MODES) {
  const s = await start(mode, true);
  inprocess.set(mode, (await s.next()).cpuMicrosPerCall);
}
sink.close();

const plain = results.get('plain')!;
const basePerRequest = 1e6 / median(plain.rps);
const baseCpu = median(plain.cpu);
console.log(
  `node ${process.version}, autocannon ${CONNECTIONS} connections, ${SECONDS} s per round, median of ${ROUNDS} rounds; ${exports} OTLP exports received`,
);
console.log(
  '| server | requests/s | server CPU per request | overhead (CPU) | overhead (1/throughput) | middleware alone (CPU, no sockets) |\n| --- | ---: | ---: | ---: | ---: | ---: |',
);
for (const mode of MODES) {
  const r = results.get(mode)!;
  const rps = median(r.rps);
  const c = median(r.cpu);
  const label = {
    plain: 'node:http hello world',
    'context-only': '+ OpenTelemetry context manager only (no middleware)',
    vigil: '+ obs.http.node() (span exported, RED metrics, access log)',
    'vigil-metrics': '+ obs.http.node(), traces: false, no access log',
    'vigil-unexported': '+ obs.http.node(), spans sampled but not exported, access log',
  }[mode];
  const over = (x: number) => (mode === 'plain' ? '' : `${x.toFixed(1)} µs`);
  const alone = inprocess.get(mode)! - inprocess.get('plain')!;
  console.log(
    `| ${label} | ${Math.round(rps).toLocaleString()} | ${c.toFixed(1)} µs | ${over(c - baseCpu)} | ${over(1e6 / rps - basePerRequest)} | ${over(alone)} |`,
  );
}
