/**
 * Traces benchmark: span ingest over OTLP/HTTP protobuf, bytes per span on disk, trace-by-id and
 * TraceQL search latency, on a realistic workload (bench/workload/traces.ts: 10-span traces over
 * 5 services, 10–20 attributes per span, events).
 *
 *   node --import tsx bench/traces-ingest.ts [--spans 5000000] [--concurrency 8] [--lookups 300]
 *
 * Vigil runs from the bundle (as `npm start` does) in a child process. Ingest rate is spans
 * accepted per second of wall time; bytes per span is the traces directory after a clean
 * shutdown (which writes every span into a block); latencies are measured over HTTP after a
 * restart, so nothing is served from the head.
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  cpuSeconds,
  duBytes,
  freePort,
  startProcess,
  stopProcess,
  vigilServeArgs,
  waitForHttp,
  watchRss,
} from './lib/processes.ts';
import {
  makeTemplate,
  SPANS_PER_REQUEST,
  SPANS_PER_TRACE,
  stamp,
  type Template,
  traceIdsOf,
} from './workload/traces.ts';

const { values: args } = parseArgs({
  options: {
    spans: { type: 'string', default: '5000000' },
    concurrency: { type: 'string', default: '8' },
    lookups: { type: 'string', default: '300' },
    templates: { type: 'string', default: '16' },
    'no-build': { type: 'boolean', default: false },
    'server-dir': { type: 'string' },
  },
});
const totalSpans = Number(args.spans);
const concurrency = Number(args.concurrency);
const root = new URL('..', import.meta.url).pathname;
// The server to run: this checkout, or another one (--server-dir) to measure a variant.
const serverDir = args['server-dir'] ?? join(root, 'packages/server');
if (!args['no-build']) execSync('npm run --silent build', { cwd: serverDir, stdio: 'inherit' });

const requests = Math.ceil(totalSpans / SPANS_PER_REQUEST);
// Requests move forward 100 ms each, ending about now.
const STEP_MS = 100;
const baseMs = Date.now() - requests * STEP_MS - 60_000;
const templates: Template[] = Array.from({ length: Number(args.templates) }, (_, i) =>
  makeTemplate(1000 + i, baseMs),
);
const templateOf = (n: number) => templates[n % templates.length];
const otlpBytesPerSpan = templates[0].body.length / SPANS_PER_REQUEST;
console.error(
  `workload: ${requests} requests × ${SPANS_PER_REQUEST} spans, ${otlpBytesPerSpan.toFixed(0)} OTLP bytes/span`,
);

const dir = mkdtempSync(join(tmpdir(), 'vigil-traces-bench-'));
const configPath = join(dir, 'vigil.yml');
writeFileSync(configPath, 'server:\n  log_level: warn\n');

async function start(): Promise<{ url: string; child: ReturnType<typeof startProcess> }> {
  const port = await freePort();
  const child = startProcess(process.execPath, [
    ...vigilServeArgs({
      port,
      dataDir: join(dir, 'data'),
      config: configPath,
      bin: join(serverDir, 'bin/vigil.mjs'),
    }),
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/-/ready`);
  return { url, child };
}

/** The server's mean WAL fsync time so far (s), from its self-metrics: how slow the disk was. */
async function meanFsyncSeconds(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return value('vigil_traces_wal_fsync_seconds_sum') / value('vigil_traces_wal_fsync_seconds_count');
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

try {
  // ---- ingest
  let server = await start();
  const rss = watchRss(server.child.pid!);
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const started = process.hrtime.bigint();
  const cpuBefore = cpuSeconds(server.child.pid!);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const buffers = templates.map((t) => Buffer.alloc(t.body.length));
      for (let n = next++; n < requests; n = next++) {
        const t = templateOf(n);
        const body = stamp(t, n, STEP_MS, buffers[n % templates.length]);
        const res = await fetch(`${server.url}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body,
        });
        const reply = new Uint8Array(await res.arrayBuffer());
        if (res.status !== 200 || reply.length > 0) {
          failed++;
          firstError ??= `${res.status} ${Buffer.from(reply).toString().slice(0, 300)}`;
        }
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const spansPerSecond = (requests * SPANS_PER_REQUEST) / seconds;
  // Spans per CPU-second of the server: what the code costs, whatever else the machine is doing.
  const serverCpu = cpuSeconds(server.child.pid!) - cpuBefore;
  const spansPerCpuSecond = (requests * SPANS_PER_REQUEST) / serverCpu;
  const fsyncMs = (await meanFsyncSeconds(server.url)) * 1000;
  const peakIngestRss = rss.peak();
  console.error(
    `ingested in ${seconds.toFixed(1)}s: ${fmt(spansPerSecond)} spans/s, ${fmt(spansPerCpuSecond)} spans per server CPU-second, mean WAL fsync ${fsyncMs.toFixed(1)} ms, ${failed} failed${firstError ? ` (${firstError})` : ''}`,
  );

  // ---- bytes on disk after a clean shutdown (everything in blocks)
  const stopStarted = Date.now();
  await stopProcess(server.child);
  rss.stop();
  const diskBytes = duBytes(join(dir, 'data', 'traces'));
  const bytesPerSpan = diskBytes / (requests * SPANS_PER_REQUEST);
  console.error(
    `shutdown (persisting the head) took ${Date.now() - stopStarted} ms; ${fmt(diskBytes / 2 ** 20, 1)} MiB on disk`,
  );

  // ---- queries after a restart
  server = await start();
  const lookups = Number(args.lookups);
  const latencies: number[] = [];
  let wrong = 0;
  for (let i = 0; i < lookups; i++) {
    const n = Math.floor(((i * 7919) % lookups) * (requests / lookups));
    const ids = traceIdsOf(templateOf(n), n);
    const id = ids[i % ids.length];
    const t0 = process.hrtime.bigint();
    const res = await fetch(`${server.url}/api/traces/${id}`, {
      headers: { accept: 'application/protobuf' },
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (res.status !== 200 || bytes.length < SPANS_PER_TRACE * 100) wrong++;
  }
  latencies.sort((a, b) => a - b);

  const startS = Math.floor(baseMs / 1000) - 60;
  const endS = Math.ceil(Date.now() / 1000) + 60;
  const searches: { name: string; q: string }[] = [
    { name: 'errors in one service', q: '{ resource.service.name = "payments" && status = error }' },
    { name: 'attribute and duration', q: '{ span.app.tenant = "tenant-7" && duration > 50ms }' },
    {
      name: 'structural',
      q: '{ resource.service.name = "gateway" } >> { resource.service.name = "payments" && status = error }',
    },
    { name: 'aggregate', q: '{ span.http.response.status_code = 500 } | count() > 1' },
    { name: 'no match (full scan)', q: '{ span.app.request_id = "no-such-id" }' },
  ];
  const searchResults: { name: string; q: string; ms: number; found: number; inspected: number }[] = [];
  for (const s of searches) {
    const times: number[] = [];
    let found = 0;
    let inspected = 0;
    for (let r = 0; r < 3; r++) {
      const t0 = process.hrtime.bigint();
      const res = await fetch(
        `${server.url}/api/search?q=${encodeURIComponent(s.q)}&start=${startS}&end=${endS}&limit=20`,
      );
      const body = (await res.json()) as { traces: unknown[]; metrics: { inspectedTraces: number } };
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      found = body.traces.length;
      inspected = body.metrics.inspectedTraces;
    }
    times.sort((a, b) => a - b);
    searchResults.push({ ...s, ms: times[1], found, inspected });
  }
  await stopProcess(server.child);

  console.log(`\nTraces benchmark, ${fmt(requests * SPANS_PER_REQUEST)} spans (${concurrency} senders):\n`);
  console.log(
    '| spans/s (OTLP/HTTP protobuf) | spans per server CPU-second | mean WAL fsync (ms) | failed | bytes/span on disk | OTLP bytes/span | peak RSS (MiB) |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  console.log(
    `| ${fmt(spansPerSecond)} | ${fmt(spansPerCpuSecond)} | ${fsyncMs.toFixed(1)} | ${failed} | ${fmt(bytesPerSpan, 1)} | ${fmt(otlpBytesPerSpan)} | ${fmt(peakIngestRss / 2 ** 20)} |`,
  );
  console.log(
    `\nTrace by id (${lookups} lookups, protobuf): median ${fmt(quantile(latencies, 0.5), 1)} ms, p90 ${fmt(quantile(latencies, 0.9), 1)} ms, p99 ${fmt(quantile(latencies, 0.99), 1)} ms, max ${fmt(latencies[latencies.length - 1], 1)} ms; ${wrong} wrong\n`,
  );
  console.log(
    '| TraceQL search (limit 20, whole time range) | median ms | traces found | traces inspected |',
  );
  console.log('| --- | ---: | ---: | ---: |');
  for (const r of searchResults)
    console.log(`| \`${r.q}\` | ${fmt(r.ms)} | ${r.found} | ${fmt(r.inspected)} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
