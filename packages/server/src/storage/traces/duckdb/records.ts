/**
 * Byte layouts of the span store: write-ahead-log batches and block pages. Both hold spans as
 * their OTLP Span message bytes (otlp/span-codec.ts) next to the ids of their resource and scope
 * records, so nothing is re-encoded between ingest, the log, pages and protobuf responses.
 *
 *   batch   (a WAL record payload, also checkpoint records):
 *     u32 resources, then per resource: u32 length, resource record bytes
 *     u32 scopes,    then per scope:    u32 length, scope record bytes
 *     u32 spans,     then per span:     u32 resource index, u32 scope index, u32 length, span bytes
 *   page    (a block's unit of compression, spans of whole traces sorted by trace id):
 *     per span: 16-byte trace id, u32 resource id, u32 scope id, u32 length, span bytes
 *
 * Lengths are little-endian. Readers return views into the buffer they are given.
 */

/** The WAL record type of a span batch (storage/wal/records.ts frames it). */
export const RECORD_SPAN_BATCH = 1;
export const TRACE_RECORD_TYPES: ReadonlySet<number> = new Set([RECORD_SPAN_BATCH]);

/** Thrown when stored bytes are not what this module wrote (a corrupt file). */
export class CorruptDataError extends Error {}

export interface BatchSpan {
  readonly resource: number;
  readonly scope: number;
  readonly bytes: Uint8Array;
}

export interface SpanBatch {
  readonly resources: readonly Uint8Array[];
  readonly scopes: readonly Uint8Array[];
  readonly spans: readonly BatchSpan[];
}

export function encodeSpanBatch(batch: SpanBatch): Buffer {
  let size = 12;
  for (const r of batch.resources) size += 4 + r.length;
  for (const s of batch.scopes) size += 4 + s.length;
  for (const s of batch.spans) size += 12 + s.bytes.length;
  const out = Buffer.allocUnsafe(size);
  let o = out.writeUInt32LE(batch.resources.length, 0);
  for (const r of batch.resources) {
    o = out.writeUInt32LE(r.length, o);
    out.set(r, o);
    o += r.length;
  }
  o = out.writeUInt32LE(batch.scopes.length, o);
  for (const s of batch.scopes) {
    o = out.writeUInt32LE(s.length, o);
    out.set(s, o);
    o += s.length;
  }
  o = out.writeUInt32LE(batch.spans.length, o);
  for (const s of batch.spans) {
    o = out.writeUInt32LE(s.resource, o);
    o = out.writeUInt32LE(s.scope, o);
    o = out.writeUInt32LE(s.bytes.length, o);
    out.set(s.bytes, o);
    o += s.bytes.length;
  }
  return out;
}

export function decodeSpanBatch(payload: Buffer): SpanBatch {
  let o = 0;
  const need = (n: number) => {
    if (o + n > payload.length) throw new CorruptDataError('span batch is truncated');
  };
  const u32 = () => {
    need(4);
    const v = payload.readUInt32LE(o);
    o += 4;
    return v;
  };
  const bytes = (n: number) => {
    need(n);
    const b = payload.subarray(o, o + n);
    o += n;
    return b;
  };
  const resources: Uint8Array[] = [];
  for (let i = u32(); i > 0; i--) resources.push(bytes(u32()));
  const scopes: Uint8Array[] = [];
  for (let i = u32(); i > 0; i--) scopes.push(bytes(u32()));
  const spans: BatchSpan[] = [];
  for (let i = u32(); i > 0; i--) {
    const resource = u32();
    const scope = u32();
    if (resource >= resources.length || scope >= scopes.length) {
      throw new CorruptDataError('span batch refers to a resource or scope it does not hold');
    }
    spans.push({ resource, scope, bytes: bytes(u32()) });
  }
  return { resources, scopes, spans };
}

export interface PageSpan {
  /** The trace id's 16 bytes. */
  readonly traceId: Uint8Array;
  readonly resource: number;
  readonly scope: number;
  readonly bytes: Uint8Array;
}

const PAGE_HEADER = 28;

/** Bytes a span takes in a page. */
export function pageSpanSize(spanBytes: number): number {
  return PAGE_HEADER + spanBytes;
}

/** Writes spans (already in page order) into one page buffer of `size` bytes. */
export function encodePage(spans: readonly PageSpan[], size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  for (const s of spans) {
    out.set(s.traceId, o);
    o = out.writeUInt32LE(s.resource, o + 16);
    o = out.writeUInt32LE(s.scope, o);
    o = out.writeUInt32LE(s.bytes.length, o);
    out.set(s.bytes, o);
    o += s.bytes.length;
  }
  if (o !== size) throw new Error(`page size mismatch: wrote ${o} of ${size} bytes`);
  return out;
}

/**
 * Calls `visit` for each span of a page; `only` (16 bytes) skips spans of other traces without
 * looking at their bytes.
 */
export function readPage(page: Uint8Array, visit: (span: PageSpan) => void, only?: Uint8Array): void {
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  let o = 0;
  while (o < page.length) {
    if (o + PAGE_HEADER > page.length) throw new CorruptDataError('page is truncated');
    const len = view.getUint32(o + 24, true);
    const end = o + PAGE_HEADER + len;
    if (end > page.length) throw new CorruptDataError('page span runs past the end of the page');
    if (!only || sameId(page, o, only)) {
      visit({
        traceId: page.subarray(o, o + 16),
        resource: view.getUint32(o + 16, true),
        scope: view.getUint32(o + 20, true),
        bytes: page.subarray(o + PAGE_HEADER, end),
      });
    }
    o = end;
  }
}

function sameId(page: Uint8Array, o: number, id: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (page[o + i] !== id[i]) return false;
  return true;
}
