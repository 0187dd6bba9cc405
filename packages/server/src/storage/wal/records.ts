import { crc32 as zlibCrc32 } from 'node:zlib';
import snappy from 'snappy';
import type { Exemplar } from '../../model/exemplar.ts';
import type { Labels } from '../../model/labels.ts';

/**
 * Write-ahead log records. A record on disk is
 *   type u8 | payload length u32 LE | crc32(payload) u32 LE | payload
 * Payloads of sample records are snappy-compressed (flag bit 0x80 in the type); a scrape's or a
 * remote-write request's samples share timestamps and often values, so this roughly halves the
 * log's size for the cost of one native call per append.
 */
export const RECORD_SERIES = 1;
export const RECORD_SAMPLES = 2;
/** Head chunks, in checkpoints only. */
export const RECORD_CHUNKS = 3;
export const RECORD_EXEMPLARS = 4;
const COMPRESSED = 0x80;
export const HEADER_BYTES = 9;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export interface SeriesRecord {
  readonly id: number;
  readonly labels: Labels;
}

/** Series definitions: count u32, then per series id u32, label count u16, and length-prefixed strings. */
export function encodeSeries(series: readonly SeriesRecord[]): Buffer {
  const parts: Uint8Array[] = [];
  let size = 4;
  for (const s of series) {
    size += 6;
    for (const l of s.labels) {
      const n = encoder.encode(l.name);
      const v = encoder.encode(l.value);
      parts.push(n, v);
      size += 8 + n.length + v.length;
    }
  }
  const payload = Buffer.allocUnsafe(size);
  let o = payload.writeUInt32LE(series.length, 0);
  let p = 0;
  for (const s of series) {
    o = payload.writeUInt32LE(s.id, o);
    o = payload.writeUInt16LE(s.labels.length, o);
    for (let i = 0; i < s.labels.length; i++) {
      for (const bytes of [parts[p++], parts[p++]]) {
        o = payload.writeUInt32LE(bytes.length, o);
        payload.set(bytes, o);
        o += bytes.length;
      }
    }
  }
  return frame(RECORD_SERIES, payload);
}

export function decodeSeries(payload: Buffer): SeriesRecord[] {
  const out: SeriesRecord[] = [];
  let o = 0;
  const count = payload.readUInt32LE(o);
  o += 4;
  for (let i = 0; i < count; i++) {
    const id = payload.readUInt32LE(o);
    const n = payload.readUInt16LE(o + 4);
    o += 6;
    const labels: { name: string; value: string }[] = [];
    for (let j = 0; j < n; j++) {
      const nl = payload.readUInt32LE(o);
      const name = decoder.decode(payload.subarray(o + 4, o + 4 + nl));
      o += 4 + nl;
      const vl = payload.readUInt32LE(o);
      const value = decoder.decode(payload.subarray(o + 4, o + 4 + vl));
      o += 4 + vl;
      labels.push({ name, value });
    }
    out.push({ id, labels });
  }
  return out;
}

/** Samples: count u32, then per sample series id u32, timestamp f64, value f64 (bit-exact). */
export function encodeSamples(ids: readonly number[], ts: readonly number[], vs: Float64Array): Buffer {
  const n = ids.length;
  const payload = Buffer.allocUnsafe(4 + n * 20);
  payload.writeUInt32LE(n, 0);
  // Values go through a Float64Array view so NaN payloads (staleness markers) keep their bits.
  const valueBytes = new Uint8Array(vs.buffer, vs.byteOffset, n * 8);
  let o = 4;
  for (let i = 0; i < n; i++) {
    payload.writeUInt32LE(ids[i], o);
    payload.writeDoubleLE(ts[i], o + 4);
    payload.set(valueBytes.subarray(i * 8, i * 8 + 8), o + 12);
    o += 20;
  }
  return frame(RECORD_SAMPLES | COMPRESSED, snappy.compressSync(payload));
}

export interface SamplesRecord {
  readonly ids: Uint32Array;
  readonly ts: Float64Array;
  readonly vs: Float64Array;
}

export function decodeSamples(payload: Buffer): SamplesRecord {
  const n = payload.readUInt32LE(0);
  const ids = new Uint32Array(n);
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  const valueBytes = new Uint8Array(vs.buffer);
  let o = 4;
  for (let i = 0; i < n; i++) {
    ids[i] = payload.readUInt32LE(o);
    ts[i] = payload.readDoubleLE(o + 4);
    valueBytes.set(payload.subarray(o + 12, o + 20), i * 8);
    o += 20;
  }
  return { ids, ts, vs };
}

export interface ChunksRecord {
  readonly id: number;
  readonly chunks: readonly { bytes: Uint8Array; minT: number; maxT: number; count: number }[];
}

/** Head chunks of many series: count u32; per series id u32, chunk count u32; per chunk minT, maxT f64, count u32, length u32, bytes. */
export function encodeChunks(entries: readonly ChunksRecord[]): Buffer {
  let size = 4;
  for (const e of entries) {
    size += 8;
    for (const c of e.chunks) size += 24 + c.bytes.length;
  }
  const payload = Buffer.allocUnsafe(size);
  let o = payload.writeUInt32LE(entries.length, 0);
  for (const e of entries) {
    o = payload.writeUInt32LE(e.id, o);
    o = payload.writeUInt32LE(e.chunks.length, o);
    for (const c of e.chunks) {
      o = payload.writeDoubleLE(c.minT, o);
      o = payload.writeDoubleLE(c.maxT, o);
      o = payload.writeUInt32LE(c.count, o);
      o = payload.writeUInt32LE(c.bytes.length, o);
      payload.set(c.bytes, o);
      o += c.bytes.length;
    }
  }
  return frame(RECORD_CHUNKS, payload);
}

export function decodeChunks(payload: Buffer): ChunksRecord[] {
  const out: ChunksRecord[] = [];
  const n = payload.readUInt32LE(0);
  let o = 4;
  for (let i = 0; i < n; i++) {
    const id = payload.readUInt32LE(o);
    const count = payload.readUInt32LE(o + 4);
    o += 8;
    const chunks = [];
    for (let j = 0; j < count; j++) {
      const minT = payload.readDoubleLE(o);
      const maxT = payload.readDoubleLE(o + 8);
      const samples = payload.readUInt32LE(o + 16);
      const len = payload.readUInt32LE(o + 20);
      o += 24;
      chunks.push({
        minT,
        maxT,
        count: samples,
        bytes: Uint8Array.prototype.slice.call(payload, o, o + len),
      });
      o += len;
    }
    out.push({ id, chunks });
  }
  return out;
}

/** The record types of the metrics WAL. Other WALs (logs, traces) pass their own set to readRecords. */
export const METRICS_RECORD_TYPES: ReadonlySet<number> = new Set([
  RECORD_SERIES,
  RECORD_SAMPLES,
  RECORD_CHUNKS,
  RECORD_EXEMPLARS,
]);

export interface ExemplarRecord {
  readonly id: number;
  readonly exemplar: Exemplar;
}

/** Exemplars: count u32; per exemplar series id u32, timestamp f64, value f64, label count u16, strings. */
export function encodeExemplars(entries: readonly ExemplarRecord[]): Buffer {
  const parts: Uint8Array[] = [];
  let size = 4;
  for (const { exemplar } of entries) {
    size += 22;
    for (const l of exemplar.labels) {
      const n = encoder.encode(l.name);
      const v = encoder.encode(l.value);
      parts.push(n, v);
      size += 8 + n.length + v.length;
    }
  }
  const payload = Buffer.allocUnsafe(size);
  const f64 = new Float64Array(1);
  const f64Bytes = new Uint8Array(f64.buffer);
  let o = payload.writeUInt32LE(entries.length, 0);
  let p = 0;
  for (const { id, exemplar } of entries) {
    o = payload.writeUInt32LE(id, o);
    o = payload.writeDoubleLE(exemplar.timestamp, o);
    f64[0] = exemplar.value; // through a Float64Array so NaN payloads keep their bits
    payload.set(f64Bytes, o);
    o += 8;
    o = payload.writeUInt16LE(exemplar.labels.length, o);
    for (let i = 0; i < exemplar.labels.length; i++) {
      for (const bytes of [parts[p++], parts[p++]]) {
        o = payload.writeUInt32LE(bytes.length, o);
        payload.set(bytes, o);
        o += bytes.length;
      }
    }
  }
  return frame(RECORD_EXEMPLARS, payload);
}

export function decodeExemplars(payload: Buffer): ExemplarRecord[] {
  const out: ExemplarRecord[] = [];
  const f64 = new Float64Array(1);
  const f64Bytes = new Uint8Array(f64.buffer);
  const n = payload.readUInt32LE(0);
  let o = 4;
  for (let i = 0; i < n; i++) {
    const id = payload.readUInt32LE(o);
    const timestamp = payload.readDoubleLE(o + 4);
    f64Bytes.set(payload.subarray(o + 12, o + 20));
    const value = f64[0];
    const count = payload.readUInt16LE(o + 20);
    o += 22;
    const labels: { name: string; value: string }[] = [];
    for (let j = 0; j < count; j++) {
      const nl = payload.readUInt32LE(o);
      const name = decoder.decode(payload.subarray(o + 4, o + 4 + nl));
      o += 4 + nl;
      const vl = payload.readUInt32LE(o);
      const v = decoder.decode(payload.subarray(o + 4, o + 4 + vl));
      o += 4 + vl;
      labels.push({ name, value: v });
    }
    out.push({ id, exemplar: { labels, value, timestamp } });
  }
  return out;
}

/**
 * Frames a payload as a record: type (1..127; bit 0x80 marks snappy compression), length, CRC32.
 * Exported so other write-ahead logs can reuse the framing with record types of their own.
 */
export function frameRecord(type: number, payload: Uint8Array, compress = false): Buffer {
  return compress
    ? frame(
        type | COMPRESSED,
        snappy.compressSync(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)),
      )
    : frame(type, payload);
}

function frame(type: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out.writeUInt8(type, 0);
  out.writeUInt32LE(payload.length, 1);
  out.writeUInt32LE(crc32(payload), 5);
  out.set(payload, HEADER_BYTES);
  return out;
}

export class CorruptRecordError extends Error {}

/**
 * Splits a segment's bytes into records. Stops at the first torn or corrupt record and reports
 * where the valid prefix ends, so the caller can truncate the torn tail a crash left behind.
 */
export function* readRecords(
  bytes: Buffer,
  validTypes: ReadonlySet<number> = METRICS_RECORD_TYPES,
): Generator<{ type: number; payload: Buffer }, { validBytes: number; error?: string }> {
  let o = 0;
  while (o < bytes.length) {
    if (o + HEADER_BYTES > bytes.length) return { validBytes: o, error: 'torn record header' };
    const rawType = bytes[o];
    const len = bytes.readUInt32LE(o + 1);
    const crc = bytes.readUInt32LE(o + 5);
    if (o + HEADER_BYTES + len > bytes.length) return { validBytes: o, error: 'torn record' };
    const body = bytes.subarray(o + HEADER_BYTES, o + HEADER_BYTES + len);
    if (crc32(body) !== crc) return { validBytes: o, error: 'checksum mismatch' };
    const type = rawType & ~COMPRESSED;
    if (!validTypes.has(type)) return { validBytes: o, error: `unknown record type ${rawType}` };
    const payload = rawType & COMPRESSED ? (snappy.uncompressSync(body) as Buffer) : Buffer.from(body);
    yield { type, payload };
    o += HEADER_BYTES + len;
  }
  return { validBytes: o };
}

function crc32(data: Uint8Array): number {
  return zlibCrc32(data) >>> 0;
}
