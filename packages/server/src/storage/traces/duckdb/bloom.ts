/**
 * A Bloom filter over trace ids, one per block: trace-by-id asks every block's filter (in memory,
 * ~1.2 bytes per trace) and reads only the blocks that may hold the trace, as Tempo does with its
 * per-block bloom filters. About 1% false positives at 10 bits and 7 hashes per trace.
 */
const BITS_PER_ITEM = 10;
const HASHES = 7;

export class TraceIdBloom {
  private constructor(readonly bits: Uint8Array) {}

  /** An empty filter sized for `items` trace ids. */
  static forItems(items: number): TraceIdBloom {
    const bytes = Math.max(8, Math.ceil((Math.max(1, items) * BITS_PER_ITEM) / 8));
    return new TraceIdBloom(new Uint8Array(bytes));
  }

  /** A filter from its stored bytes. */
  static fromBytes(bits: Uint8Array): TraceIdBloom {
    return new TraceIdBloom(bits);
  }

  add(traceId: string): void {
    const n = this.bits.length * 8;
    const [h1, h2] = hashes(traceId);
    for (let i = 0; i < HASHES; i++) {
      const bit = (h1 + i * h2) % n;
      this.bits[bit >>> 3] |= 1 << (bit & 7);
    }
  }

  mayContain(traceId: string): boolean {
    const n = this.bits.length * 8;
    const [h1, h2] = hashes(traceId);
    for (let i = 0; i < HASHES; i++) {
      const bit = (h1 + i * h2) % n;
      if ((this.bits[bit >>> 3] & (1 << (bit & 7))) === 0) return false;
    }
    return true;
  }
}

/**
 * Two independent 32-bit FNV-1a hashes of the id text. The id is hashed rather than its bits
 * used directly because ids are not always random: Zipkin's 64-bit ids arrive zero-padded.
 */
function hashes(id: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return [a >>> 0, (b | 1) >>> 0];
}
