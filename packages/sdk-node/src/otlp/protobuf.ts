/**
 * A minimal protobuf writer: just the wire types OTLP metrics need. Nested messages are written
 * into their own writer and copied in with their length, which is simple and fast enough for a
 * payload built once per export interval.
 */

const encoder = new TextEncoder();

/** Builds one protobuf message. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private pos = 0;
  private readonly view = () => new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  private varint(v: number): void {
    this.ensure(10);
    // Numbers up to 2^53 without BigInt: 7 bits at a time.
    while (v > 0x7f) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** A non-negative integer field (uint32/uint64/enum/int32 >= 0). Zero is skipped (proto3 default). */
  uint(field: number, v: number): this {
    if (v === 0) return this;
    this.tag(field, 0);
    this.varint(v);
    return this;
  }

  /** A signed 64-bit integer field (varint, two's complement), always written (for oneofs). */
  int64(field: number, v: number): this {
    this.tag(field, 0);
    if (v >= 0) {
      this.varint(v);
      return this;
    }
    let u = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (u > 0x7fn) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
    return this;
  }

  /** A bool field (false is skipped unless `always`, as oneof members must be present). */
  bool(field: number, v: boolean, always = false): this {
    if (!v && !always) return this;
    this.tag(field, 0);
    this.varint(v ? 1 : 0);
    return this;
  }

  /** A double field, written even when zero when `always` (oneof members must be present). */
  double(field: number, v: number, always = false): this {
    if (v === 0 && !always && !Object.is(v, -0)) return this;
    this.tag(field, 1);
    this.ensure(8);
    this.view().setFloat64(this.pos, v, true);
    this.pos += 8;
    return this;
  }

  /** A fixed64 field from a non-negative integer or bigint (zero skipped). */
  fixed64(field: number, v: number | bigint): this {
    if (v === 0 || v === 0n) return this;
    this.tag(field, 1);
    this.ensure(8);
    this.view().setBigUint64(this.pos, BigInt(v), true);
    this.pos += 8;
    return this;
  }

  /** A string field (empty skipped unless `always`). */
  string(field: number, s: string, always = false): this {
    if (s === '' && !always) return this;
    return this.bytes(field, encoder.encode(s), always);
  }

  /** A bytes field (empty skipped unless `always`). */
  bytes(field: number, b: Uint8Array, always = false): this {
    if (b.length === 0 && !always) return this;
    this.tag(field, 2);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** A nested message field, written by `build`. Written even when empty. */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const w = new ProtoWriter();
    build(w);
    const b = w.finish();
    this.tag(field, 2);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** A packed repeated double field. */
  packedDoubles(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    this.tag(field, 2);
    this.varint(values.length * 8);
    this.ensure(values.length * 8);
    const view = this.view();
    for (let i = 0; i < values.length; i++) view.setFloat64(this.pos + i * 8, values[i], true);
    this.pos += values.length * 8;
    return this;
  }

  /** A packed repeated fixed64 field from non-negative integers. */
  packedFixed64(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    this.tag(field, 2);
    this.varint(values.length * 8);
    this.ensure(values.length * 8);
    const view = this.view();
    for (let i = 0; i < values.length; i++) view.setBigUint64(this.pos + i * 8, BigInt(values[i]), true);
    this.pos += values.length * 8;
    return this;
  }

  /** The encoded bytes (a view of the internal buffer; do not write afterwards). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** Hex string to bytes (trace and span ids). */
export function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** Unix milliseconds to nanoseconds, exactly. */
export function msToNanos(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}
