/**
 * A decoder for Loki's push request, protobuf (pkg/push/push.proto), written by hand: the message
 * is small and this is the hot path of Loki-protocol ingest.
 *
 *   PushRequest       { repeated StreamAdapter streams = 1; }
 *   StreamAdapter     { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
 *   EntryAdapter      { Timestamp timestamp = 1; string line = 2; repeated LabelPairAdapter structuredMetadata = 3; }
 *   LabelPairAdapter  { string name = 1; string value = 2; }
 *   Timestamp         { int64 seconds = 1; int32 nanos = 2; }
 *
 * Unknown fields are skipped as protobuf requires. Every malformed input throws
 * LokiPushDecodeError, never anything else.
 */
import { type Label, labelsFromPairs } from '../../model/labels.ts';
import type { PushEntry, PushStream } from './decoded.ts';
import { LokiPushDecodeError } from './errors.ts';
import { parseLabelString } from './labels.ts';

const decoder = new TextDecoder('utf-8', { fatal: true });

class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new LokiPushDecodeError('truncated varint');
      const b = this.buf[this.pos++];
      if (shift < 49) result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
    }
    throw new LokiPushDecodeError('varint is longer than 10 bytes');
  }

  /**
   * A varint of at most 7 bytes (below 2^49, so exact) as a number, without the BigInt
   * arithmetic of varint64; undefined, with nothing consumed, for a longer one.
   */
  shortVarint(): number | undefined {
    const start = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 7 && this.pos < this.end; i++) {
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    this.pos = start;
    return undefined;
  }

  /** A varint as a signed 64-bit integer (two's complement), exactly. */
  varint64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new LokiPushDecodeError('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asIntN(64, result);
      shift += 7n;
    }
    throw new LokiPushDecodeError('varint is longer than 10 bytes');
  }

  /** The [start, end) of a length-delimited field. */
  bytes(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    const end = start + len;
    if (end > this.end)
      throw new LokiPushDecodeError('length-delimited field runs past the end of its message');
    this.pos = end;
    return [start, end];
  }

  string(): string {
    const [s, e] = this.bytes();
    try {
      return decoder.decode(this.buf.subarray(s, e));
    } catch {
      throw new LokiPushDecodeError('a string field is not valid UTF-8');
    }
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.bytes();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new LokiPushDecodeError(`unsupported wire type ${wireType}`);
    }
    if (this.pos > this.end)
      throw new LokiPushDecodeError('fixed-size field runs past the end of its message');
  }
}

/** Decodes an uncompressed PushRequest. */
export function decodePushProto(buf: Uint8Array): PushStream[] {
  const r = new Reader(buf, 0, buf.length);
  const streams: PushStream[] = [];
  while (!r.done) {
    const tag = r.varint();
    if (tag >>> 3 === 1 && (tag & 7) === 2) {
      const [s, e] = r.bytes();
      streams.push(decodeStream(new Reader(buf, s, e)));
    } else r.skip(tag & 7);
  }
  return streams;
}

function decodeStream(r: Reader): PushStream {
  let labelText: string | undefined;
  const entries: PushEntry[] = [];
  while (!r.done) {
    const tag = r.varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === 2) labelText = r.string();
    else if (field === 2 && wire === 2) {
      const [s, e] = r.bytes();
      entries.push(decodeEntry(new Reader(r.buf, s, e)));
    } else r.skip(wire);
  }
  if (labelText === undefined) throw new LokiPushDecodeError('a stream has no labels');
  return { labels: parseLabelString(labelText), entries };
}

function decodeEntry(r: Reader): PushEntry {
  let timestampNs = 0n;
  let line = '';
  let metadata: Label[] | undefined;
  while (!r.done) {
    const tag = r.varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === 2) {
      const [s, e] = r.bytes();
      timestampNs = decodeTimestamp(new Reader(r.buf, s, e));
    } else if (field === 2 && wire === 2) line = r.string();
    else if (field === 3 && wire === 2) {
      const [s, e] = r.bytes();
      metadata ??= [];
      metadata.push(decodeLabelPair(new Reader(r.buf, s, e)));
    } else r.skip(wire);
  }
  return { timestampNs, line, metadata: metadata ? labelsFromPairs(metadata) : [] };
}

function decodeTimestamp(r: Reader): bigint {
  // Every timestamp passes here: present-day seconds and nanos take the number fast path;
  // negative or huge values (10-byte varints) the exact BigInt one.
  let seconds: number | bigint = 0;
  let nanos: number | bigint = 0;
  while (!r.done) {
    const tag = r.varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === 0) seconds = r.shortVarint() ?? r.varint64();
    else if (field === 2 && wire === 0) {
      const n = r.shortVarint();
      // int32: the low 32 bits, signed (ToInt32 is exact for integers below 2^53).
      nanos = n !== undefined ? n | 0 : BigInt.asIntN(32, r.varint64());
    } else r.skip(wire);
  }
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
}

function decodeLabelPair(r: Reader): Label {
  let name = '';
  let value = '';
  while (!r.done) {
    const tag = r.varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === 2) name = r.string();
    else if (field === 2 && wire === 2) value = r.string();
    else r.skip(wire);
  }
  return { name, value };
}
