/**
 * Log ingest benchmark: lines per second a running Vigil stores (acknowledged, durable) over
 * Loki's push API in protobuf+snappy and over OTLP/HTTP protobuf, with the realistic JSON/plain
 * mix of logs-workload.ts, 1000 lines per request, `concurrency` senders.
 *
 *   node --import tsx bench/logs-ingest.ts [--lines 1000000] [--concurrency 4] [--profile DIR]
 *
 * Requests are encoded before the clock starts, so the numbers are the server's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { create, toBinary } from '@bufbuild/protobuf';
import { ExportLogsServiceRequestSchema } from '../packages/server/src/gen/opentelemetry/proto/collector/logs/v1/logs_service_pb.ts';
import { compressPushRequest } from '../packages/server/src/ingest/loki/testutil.ts';
import {
  cpuSeconds,
  freePort,
  startProcess,
  stopProcess,
  vigilServeArgs,
  waitForHttp,
  watchRss,
} from './lib/processes.ts';
import { logWorkload } from './logs-workload.ts';

const { values: args } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    concurrency: { type: 'string', default: '4' },
    // Writes a V8 CPU profile of the server into this directory (node --cpu-prof).
    profile: { type: 'string' },
  },
});
const total = Number(args.lines);
const concurrency = Number(args.concurrency);
const PER_REQUEST = 1000;

function lokiRequests(startNs: bigint): Buffer[] {
  const w = logWorkload();
  const labelText = w.streams.map(
    (s) =>
      `{${Object.entries(s)
        .map(([k, v]) => `${k}="${v}"`)
        .join(', ')}}`,
  );
  const out: Buffer[] = [];
  let batch: { stream: number; ts: bigint; line: string; trace: string }[] = [];
  const flush = () => {
    const byStream = new Map<number, { ts: bigint; line: string; metadata?: [string, string][] }[]>();
    for (const l of batch) {
      let list = byStream.get(l.stream);
      if (!list) {
        list = [];
        byStream.set(l.stream, list);
      }
      list.push({ ts: l.ts, line: l.line, metadata: l.trace ? [['trace_id', l.trace]] : undefined });
    }
    out.push(compressPushRequest([...byStream].map(([s, entries]) => ({ labels: labelText[s], entries }))));
    batch = [];
  };
  for (const l of w.lines(total, startNs, 1_000_000n)) {
    batch.push({ stream: l.stream, ts: l.tsNs, line: l.line, trace: l.traceId });
    if (batch.length === PER_REQUEST) flush();
  }
  if (batch.length > 0) flush();
  return out;
}

function otlpRequests(startNs: bigint): Uint8Array[] {
  const w = logWorkload(10, 5, 7);
  const out: Uint8Array[] = [];
  let batch: { stream: number; ts: bigint; line: string; trace: string }[] = [];
  const flush = () => {
    const byStream = new Map<number, typeof batch>();
    for (const l of batch) {
      const list = byStream.get(l.stream) ?? [];
      list.push(l);
      byStream.set(l.stream, list);
    }
    const request = create(ExportLogsServiceRequestSchema, {
      resourceLogs: [...byStream].map(([s, lines]) => ({
        resource: {
          attributes: Object.entries(w.streams[s]).map(([k, v]) => ({
            key: k === 'service' ? 'service.name' : k === 'pod' ? 'k8s.pod.name' : 'deployment.environment',
            value: { value: { case: 'stringValue' as const, value: v } },
          })),
        },
        scopeLogs: [
          {
            scope: { name: 'bench' },
            logRecords: lines.map((l) => ({
              timeUnixNano: l.ts,
              severityNumber: 9,
              severityText: 'INFO',
              body: { value: { case: 'stringValue' as const, value: l.line } },
              traceId: l.trace ? Buffer.from(l.trace, 'hex') : new Uint8Array(),
            })),
          },
        ],
      })),
    });
    out.push(toBinary(ExportLogsServiceRequestSchema, request));
    batch = [];
  };
  for (const l of w.lines(total, startNs, 1_000_000n)) {
    batch.push({ stream: l.stream, ts: l.tsNs, line: l.line, trace: l.traceId });
    if (batch.length === PER_REQUEST) flush();
  }
  if (batch.length > 0) flush();
  return out;
}

async function send(url: string, bodies: readonly Uint8Array[], contentType: string): Promise<number> {
  let next = 0;
  let failed = 0;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= bodies.length) return;
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: bodies[i],
      });
      if (res.status !== 204 && res.status !== 200) {
        failed++;
        if (failed === 1) console.error(`request failed: ${res.status} ${await res.text()}`);
      } else await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failed > 0) throw new Error(`${failed} requests failed`);
  return (performance.now() - started) / 1000;
}

const dir = mkdtempSync(join(tmpdir(), 'vigil-logs-ingest-'));
const port = await freePort();
const configPath = join(dir, 'config.yml');
const { writeFileSync } = await import('node:fs');
// The lines are hours old, so a running compaction would move their partitions to Parquet
// during the run; that is maintenance, not ingest, and is measured in logs-query.ts.
writeFileSync(configPath, 'logs:\n  compact_after: 0s\n  limits:\n    max_active_streams: 100000\n');
const child = startProcess(process.execPath, [
  ...(args.profile ? ['--cpu-prof', '--cpu-prof-dir', args.profile] : []),
  ...vigilServeArgs({ port, dataDir: join(dir, 'data'), config: configPath }),
]);
try {
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/-/ready`);
  const rss = watchRss(child.pid!);
  const hour = 3_600_000_000_000n;
  const base = BigInt(Date.now() - 3 * 3_600_000) * 1_000_000n;
  const loki = lokiRequests(base);
  let cpu = cpuSeconds(child.pid!);
  const lokiSeconds = await send(`${url}/loki/api/v1/push`, loki, 'application/x-protobuf');
  let used = cpuSeconds(child.pid!) - cpu;
  console.log(
    `Loki push protobuf+snappy: ${total} lines in ${lokiSeconds.toFixed(1)}s = ${Math.round(total / lokiSeconds)} lines/s (${loki.length} requests, concurrency ${concurrency}); server CPU ${used.toFixed(1)}s = ${Math.round(total / used)} lines per CPU-second`,
  );
  const otlp = otlpRequests(base + hour);
  cpu = cpuSeconds(child.pid!);
  const otlpSeconds = await send(`${url}/v1/logs`, otlp, 'application/x-protobuf');
  used = cpuSeconds(child.pid!) - cpu;
  console.log(
    `OTLP/HTTP protobuf: ${total} lines in ${otlpSeconds.toFixed(1)}s = ${Math.round(total / otlpSeconds)} lines/s (${otlp.length} requests, concurrency ${concurrency}); server CPU ${used.toFixed(1)}s = ${Math.round(total / used)} lines per CPU-second`,
  );
  console.log(`peak RSS ${(rss.peak() / 1e6).toFixed(0)} MB`);
  rss.stop();
} finally {
  await stopProcess(child);
  rmSync(dir, { recursive: true, force: true });
}
