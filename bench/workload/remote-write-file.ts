/**
 * Pre-encodes the node_exporter-like workload as remote-write requests in one file, so the
 * benchmark's sender spends its CPU on sending, not encoding: [u32 LE length][snappy(WriteRequest)]...
 * Each request carries one sample for each of `seriesPerRequest` series at one timestamp, the
 * shape of Prometheus's steady-state remote write.
 */
import { createWriteStream, existsSync, renameSync } from 'node:fs';
import { open } from 'node:fs/promises';
import snappy from 'snappy';
import { ValueGenerator, WORKLOAD_VERSION, workloadSeries } from './node-exporter.ts';

export interface WorkloadParams {
  readonly hosts: number;
  readonly steps: number;
  readonly intervalMs: number;
  readonly startMs: number;
  readonly seriesPerRequest: number;
}

const encoder = new TextEncoder();

function varint(buf: Buffer, o: number, v: number): number {
  while (v >= 0x80) {
    buf[o++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[o++] = v;
  return o;
}

function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** Encoded `Label` entries of one TimeSeries (field 1, repeated). */
function encodeLabels(labels: readonly [string, string][]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of labels) {
    const n = encoder.encode(name);
    const v = encoder.encode(value);
    const inner = 1 + varintSize(n.length) + n.length + 1 + varintSize(v.length) + v.length;
    const b = Buffer.alloc(1 + varintSize(inner) + inner);
    let o = 0;
    b[o++] = 0x0a;
    o = varint(b, o, inner);
    b[o++] = 0x0a;
    o = varint(b, o, n.length);
    b.set(n, o);
    o += n.length;
    b[o++] = 0x12;
    o = varint(b, o, v.length);
    b.set(v, o);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

export function workloadPath(dir: string, p: WorkloadParams): string {
  return `${dir}/rw-v${WORKLOAD_VERSION}-${p.hosts}h-${p.steps}x${p.intervalMs}ms-${p.startMs}-${p.seriesPerRequest}.bin`;
}

export async function ensureWorkloadFile(
  dir: string,
  p: WorkloadParams,
): Promise<{ path: string; samples: number; requests: number }> {
  const path = workloadPath(dir, p);
  const series = workloadSeries(p.hosts);
  const requestsPerStep = Math.ceil(series.length / p.seriesPerRequest);
  const info = { path, samples: series.length * p.steps, requests: requestsPerStep * p.steps };
  if (existsSync(path)) return info;

  const labelBytes = series.map((s) => encodeLabels(s.labels));
  const values = new Float64Array(series.length);
  const gen = new ValueGenerator(series);
  const out = createWriteStream(`${path}.tmp`);
  const scratch = Buffer.alloc(64 * 1024 * 1024);
  for (let step = 0; step < p.steps; step++) {
    gen.next(values);
    const t = p.startMs + step * p.intervalMs;
    for (let first = 0; first < series.length; first += p.seriesPerRequest) {
      let o = 0;
      for (let i = first; i < Math.min(series.length, first + p.seriesPerRequest); i++) {
        const sampleInner = 1 + 8 + 1 + varintSize(t);
        const tsInner = labelBytes[i].length + 1 + varintSize(sampleInner) + sampleInner;
        scratch[o++] = 0x0a; // WriteRequest.timeseries
        o = varint(scratch, o, tsInner);
        scratch.set(labelBytes[i], o);
        o += labelBytes[i].length;
        scratch[o++] = 0x12; // TimeSeries.samples
        o = varint(scratch, o, sampleInner);
        scratch[o++] = 0x09; // Sample.value (fixed64)
        scratch.writeDoubleLE(values[i], o);
        o += 8;
        scratch[o++] = 0x10; // Sample.timestamp (varint)
        o = varint(scratch, o, t);
      }
      const body = snappy.compressSync(scratch.subarray(0, o));
      const len = Buffer.alloc(4);
      len.writeUInt32LE(body.length, 0);
      if (!out.write(len) || !out.write(body)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
  renameSync(`${path}.tmp`, path);
  return info;
}

/** Reads the requests back one by one; `want(i)` false skips request i without reading its body. */
export async function* readWorkload(
  path: string,
  want: (index: number) => boolean = () => true,
): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    let pos = 0;
    const header = Buffer.alloc(4);
    for (let i = 0; pos < size; i++) {
      await fh.read(header, 0, 4, pos);
      const len = header.readUInt32LE(0);
      if (want(i)) {
        const body = Buffer.allocUnsafe(len);
        await fh.read(body, 0, len, pos + 4);
        yield body;
      }
      pos += 4 + len;
    }
  } finally {
    await fh.close();
  }
}
