/**
 * Log storage and LogQL benchmark, in process (no HTTP): writes a realistic mix of JSON and
 * plain lines into the DuckDB log store, compacts it as a running server would, and reports
 * bytes per line on disk (beside the anchor: the same lines in Loki-style chunks, each stream's
 * lines cut into 256 KiB blocks compressed with snappy, Loki 3's default chunk encoding, and
 * with gzip) and the latency of three queries:
 *
 *   needle search    {env=~".+"} |= "<rare token>" over every line (limit 100)
 *   json filter      {service="svc-1"} | json | status >= 500 over 1h (limit 1000)
 *   rate by service  sum by (service) (rate({env=~".+"}[5m])) over 1h, step 60s
 *
 *   node --import tsx bench/logs-query.ts [--lines 5000000] [--runs 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import snappy from 'snappy';
import { LogQLEngine } from '../packages/server/src/logql/engine.ts';
import { labelsFromRecord } from '../packages/server/src/model/labels.ts';
import type { LogRecord } from '../packages/server/src/model/log.ts';
import { DuckDBLogStore } from '../packages/server/src/storage/logs/duckdb/duckdb-log-store.ts';
import { logWorkload } from './logs-workload.ts';

const { values: args } = parseArgs({
  options: { lines: { type: 'string', default: '5000000' }, runs: { type: 'string', default: '5' } },
});
const total = Number(args.lines);
const runs = Number(args.runs);
const dir = mkdtempSync(join(tmpdir(), 'vigil-logs-bench-'));
const HOUR = 3_600_000_000_000n;
// Two hours of data ending 3h ago, so every partition is old enough to be compacted.
const endNs = ((BigInt(Date.now()) * 1_000_000n) / HOUR) * HOUR - 3n * HOUR;
const startNs = endNs - 2n * HOUR;
const spacing = (2n * HOUR) / BigInt(total);
let now = Date.now();
const store = await DuckDBLogStore.open({
  dataDir: dir,
  partitionDurationMs: 3_600_000,
  logger: pino({ level: 'warn' }),
  memoryLimit: '1GB',
  compactAfterMs: 60_000,
  now: () => now,
});
try {
  const w = logWorkload();
  const labels = w.streams.map((s) => labelsFromRecord(s));
  const needleAt = Math.floor(total * 0.37);
  let rawBytes = 0;
  // The anchor: Loki cuts each stream's entries into blocks of ~256 KiB and compresses each
  // block; an entry in a block is its timestamp (varint), its length (uvarint) and the line.
  const BLOCK = 256 * 1024;
  const blocks = w.streams.map(() => ({ parts: [] as Buffer[], bytes: 0 }));
  const anchor = { snappy: 0, gzip: 0 };
  const closeBlock = (b: { parts: Buffer[]; bytes: number }) => {
    if (b.parts.length === 0) return;
    const data = Buffer.concat(b.parts);
    anchor.snappy += snappy.compressSync(data).length;
    anchor.gzip += gzipSync(data).length;
    b.parts = [];
    b.bytes = 0;
  };
  const entry = (tsNs: bigint, line: string): Buffer => {
    const text = Buffer.from(line);
    const head: number[] = [];
    for (let v = tsNs << 1n; ; v >>= 7n) {
      if (v < 128n) {
        head.push(Number(v));
        break;
      }
      head.push(Number(v & 127n) | 128);
    }
    for (let v = text.length; ; v >>>= 7) {
      if (v < 128) {
        head.push(v);
        break;
      }
      head.push((v & 127) | 128);
    }
    return Buffer.concat([Buffer.from(head), text]);
  };
  let batch: LogRecord[] = [];
  let i = 0;
  const t0 = performance.now();
  for (const l of w.lines(total, startNs, spacing)) {
    const line = i === needleAt ? `${l.line} needle=zq7xk3` : l.line;
    rawBytes += Buffer.byteLength(line);
    const block = blocks[l.stream];
    const e = entry(l.tsNs, line);
    block.parts.push(e);
    block.bytes += e.length;
    if (block.bytes >= BLOCK) closeBlock(block);
    batch.push({
      timestampNs: l.tsNs,
      observedTimestampNs: 0n,
      severityNumber: 0,
      severityText: '',
      body: line,
      labels: labels[l.stream],
      metadata: [],
      traceId: l.traceId,
      spanId: '',
    });
    i++;
    if (batch.length === 50_000) {
      await store.append(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await store.append(batch);
  for (const b of blocks) closeBlock(b);
  const writeSeconds = (performance.now() - t0) / 1000;
  await store.checkpoint();
  const beforeCompaction = await store.refreshSize();
  const c0 = performance.now();
  now += 3_600_000;
  await store.compactDue();
  const compactSeconds = (performance.now() - c0) / 1000;
  await store.checkpoint();
  const bytes = await store.refreshSize();
  console.log(
    `lines: ${total}, raw line bytes: ${(rawBytes / 1e6).toFixed(1)} MB (${(rawBytes / total).toFixed(1)} B/line)`,
  );
  console.log(
    `store append (in process, 50k-line transactions): ${Math.round(total / writeSeconds)} lines/s`,
  );
  console.log(
    `on disk before compaction: ${(beforeCompaction / 1e6).toFixed(1)} MB (${(beforeCompaction / total).toFixed(1)} B/line, ${(rawBytes / beforeCompaction).toFixed(1)}x)`,
  );
  console.log(
    `on disk after compaction: ${(bytes / 1e6).toFixed(1)} MB (${(bytes / total).toFixed(1)} B/line, ${(rawBytes / bytes).toFixed(1)}x), compaction ${compactSeconds.toFixed(1)}s`,
  );
  for (const [name, b] of Object.entries(anchor)) {
    console.log(
      `anchor, Loki-style 256 KiB blocks per stream, ${name}: ${(b / 1e6).toFixed(1)} MB (${(b / total).toFixed(1)} B/line, ${(rawBytes / b).toFixed(1)}x); Vigil after compaction / anchor = ${(bytes / b).toFixed(2)}`,
    );
  }

  const engine = new LogQLEngine(store, { limits: { timeoutMs: 600_000 } });
  const time = async (
    name: string,
    query: string,
    params: Parameters<LogQLEngine['query']>[1],
    check: (o: Awaited<ReturnType<LogQLEngine['query']>>) => string,
  ) => {
    const ms: number[] = [];
    let info = '';
    for (let r = 0; r < runs; r++) {
      const s = performance.now();
      const out = await engine.query(query, params);
      ms.push(performance.now() - s);
      info = check(out);
    }
    ms.sort((a, b) => a - b);
    console.log(
      `${name}: median ${ms[Math.floor(ms.length / 2)].toFixed(0)} ms, best ${ms[0].toFixed(0)} ms (${info}) — ${query}`,
    );
  };
  await time(
    'needle search',
    '{env=~".+"} |= "needle=zq7xk3"',
    { startNs, endNs, direction: 'backward', limit: 100, stepMs: 0, instant: false },
    (o) => `${o.type === 'streams' ? o.entries.length : 0} hit, ${o.stats.linesScanned} lines read`,
  );
  const hourStart = startNs + HOUR / 2n;
  await time(
    'json filter',
    '{service="svc-1"} | json | status >= 500',
    {
      startNs: hourStart,
      endNs: hourStart + HOUR,
      direction: 'backward',
      limit: 1000,
      stepMs: 0,
      instant: false,
    },
    (o) => `${o.type === 'streams' ? o.entries.length : 0} lines, ${o.stats.linesScanned} read`,
  );
  await time(
    'rate by service',
    'sum by (service) (rate({env=~".+"}[5m]))',
    {
      startNs: hourStart,
      endNs: hourStart + HOUR,
      direction: 'forward',
      limit: 0,
      stepMs: 60_000,
      instant: false,
    },
    (o) =>
      `${o.type === 'metric' && o.value.type === 'matrix' ? o.value.series.length : 0} series, ${o.stats.linesScanned} lines read`,
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
