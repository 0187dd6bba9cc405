/**
 * Bit-level writer and reader over byte arrays, most significant bit first, as the Gorilla
 * encoding needs. Values wider than 32 bits are passed as (hi, lo) 32-bit halves because JS
 * bitwise operators work on 32 bits.
 */
export class BitWriter {
  bytes: Uint8Array;
  /** Number of bits written. */
  bitLength = 0;

  constructor(initialBytes = 32) {
    this.bytes = new Uint8Array(initialBytes);
  }

  private ensure(extraBits: number): void {
    const needed = (this.bitLength + extraBits + 7) >>> 3;
    if (needed <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < needed) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes);
    this.bytes = next;
  }

  writeBit(bit: number): void {
    this.ensure(1);
    if (bit) this.bytes[this.bitLength >>> 3] |= 0x80 >>> (this.bitLength & 7);
    this.bitLength++;
  }

  /** Writes the low `n` bits of `value` (0 ≤ n ≤ 32). */
  writeBits(value: number, n: number): void {
    if (n === 0) return;
    this.ensure(n);
    let remaining = n;
    const v = n === 32 ? value >>> 0 : (value & ((1 << n) - 1)) >>> 0;
    while (remaining > 0) {
      const pos = this.bitLength >>> 3;
      const free = 8 - (this.bitLength & 7);
      const take = Math.min(free, remaining);
      const shift = remaining - take;
      const chunk = (v >>> shift) & ((1 << take) - 1);
      this.bytes[pos] |= chunk << (free - take);
      this.bitLength += take;
      remaining -= take;
    }
  }

  /** Writes the low `n` bits (0 ≤ n ≤ 64) of the 64-bit value hi:lo. */
  writeBits64(hi: number, lo: number, n: number): void {
    if (n > 32) {
      this.writeBits(hi, n - 32);
      this.writeBits(lo, 32);
    } else {
      this.writeBits(lo, n);
    }
  }

  /** The written bytes (a view, valid until the next write). */
  finish(): Uint8Array {
    return this.bytes.subarray(0, (this.bitLength + 7) >>> 3);
  }
}

export class ChunkFormatError extends Error {}

/**
 * Reads bits most significant first. Keeps up to 32 bits in an accumulator and refills it a byte
 * at a time, so a read is a shift and a mask; this is the inner loop of every query over chunks.
 */
export class BitReader {
  private pos = 0;
  /** The low `accBits` bits (at most 31) are the next bits of the stream. */
  private acc = 0;
  private accBits = 0;

  constructor(private readonly bytes: Uint8Array) {}

  // At most 31 bits are held, so the accumulator stays a small integer (V8 boxes larger ones).
  private refill(): void {
    const bytes = this.bytes;
    while (this.accBits <= 23 && this.pos < bytes.length) {
      this.acc = (this.acc << 8) | bytes[this.pos++];
      this.accBits += 8;
    }
  }

  readBit(): number {
    if (this.accBits === 0) {
      this.refill();
      if (this.accBits === 0) throw new ChunkFormatError('chunk ends early');
    }
    this.accBits--;
    return (this.acc >>> this.accBits) & 1;
  }

  /** Reads `n` bits (0 ≤ n ≤ 32) as an unsigned number. */
  readBits(n: number): number {
    if (n === 0) return 0;
    if (n > 23) {
      const hi = this.readBits(n - 16);
      return hi * 0x10000 + this.readBits(16);
    }
    if (this.accBits < n) {
      this.refill();
      if (this.accBits < n) throw new ChunkFormatError('chunk ends early');
    }
    this.accBits -= n;
    const out = (this.acc >>> this.accBits) & ((1 << n) - 1);
    this.acc &= (1 << this.accBits) - 1;
    return out;
  }
}
