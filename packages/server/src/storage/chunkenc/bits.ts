/**
 * Bit-level writer over byte arrays, most significant bit first, as the Gorilla
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
