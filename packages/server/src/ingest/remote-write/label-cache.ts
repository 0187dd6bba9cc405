import type { Labels } from '../../model/labels.ts';

/**
 * Label sets by the raw bytes of their encoded `Label` fields, so a series seen before costs one
 * hash of its bytes and one comparison instead of decoding and sorting ~10 strings. Senders
 * re-send the same series every scrape interval with identical bytes, so after the first round
 * nearly every lookup hits.
 *
 * Keys are hashed by hand (murmur3's mixing over 4-byte words) rather than used as latin1 string
 * keys of a Map: bench/remote-write-decode.ts measured the string route at about twice the cost
 * (slicing a ~300-char string per series, V8 hashing it, and the garbage). Key bytes are copied
 * into one slab per generation, and every hit compares all bytes, so a hash collision can never
 * hand a series someone else's labels.
 *
 * Bounded by two generations: lookups try the young one, then the old one (copying the entry
 * into the young one); when the young one reaches its entry or byte limit it becomes the old one
 * and the previous old one is dropped. Series sent at least once per generation stay cached;
 * memory is at most twice the limits.
 *
 * A value is either the label set or the message explaining why the bytes are not a valid one.
 */
export class LabelCache {
  private young: Generation;
  private old: Generation;

  constructor(
    private readonly maxEntries: number,
    private readonly maxKeyBytes: number,
  ) {
    this.young = new Generation(0);
    this.old = new Generation(0);
  }

  /** The cached value for the key bytes `src[start, end)` with hash `hash` (from hashKey). */
  get(hash: number, src: DataView, start: number, end: number): Labels | string | undefined {
    const hit = this.young.find(hash, src, start, end);
    if (hit !== undefined) return hit.value;
    const old = this.old.find(hash, src, start, end);
    if (old === undefined) return undefined;
    this.set(hash, src, start, end, old.value);
    return old.value;
  }

  set(hash: number, src: DataView, start: number, end: number, value: Labels | string): void {
    const length = end - start;
    if (this.maxEntries === 0 || length > this.maxKeyBytes) return;
    if (this.young.entries >= this.maxEntries || this.young.used + length > this.maxKeyBytes) {
      this.old = this.young;
      this.young = new Generation(Math.min(this.maxKeyBytes, this.old.used));
    }
    this.young.add(hash, src, start, end, value, this.maxKeyBytes);
  }

  /** Entries held now, both generations (an entry promoted from old counts once per generation). */
  get size(): number {
    return this.young.entries + this.old.entries;
  }
}

interface Entry {
  readonly offset: number;
  readonly length: number;
  readonly value: Labels | string;
  readonly next: Entry | undefined;
}

class Generation {
  private readonly map = new Map<number, Entry>();
  private slab: Uint8Array;
  private view: DataView;
  used = 0;
  entries = 0;

  constructor(initialBytes: number) {
    this.slab = new Uint8Array(initialBytes);
    this.view = new DataView(this.slab.buffer);
  }

  find(hash: number, src: DataView, start: number, end: number): Entry | undefined {
    for (let e = this.map.get(hash); e !== undefined; e = e.next) {
      if (e.length === end - start && this.sameBytes(e.offset, src, start, end)) return e;
    }
    return undefined;
  }

  add(
    hash: number,
    src: DataView,
    start: number,
    end: number,
    value: Labels | string,
    maxBytes: number,
  ): void {
    const length = end - start;
    if (this.used + length > this.slab.length) {
      const grown = new Uint8Array(
        Math.min(maxBytes, Math.max(this.slab.length * 2, this.used + length, 1 << 16)),
      );
      grown.set(this.slab.subarray(0, this.used));
      this.slab = grown;
      this.view = new DataView(grown.buffer);
    }
    this.slab.set(new Uint8Array(src.buffer, src.byteOffset + start, length), this.used);
    this.map.set(hash, { offset: this.used, length, value, next: this.map.get(hash) });
    this.used += length;
    this.entries++;
  }

  private sameBytes(offset: number, src: DataView, start: number, end: number): boolean {
    const view = this.view;
    let i = start;
    let o = offset;
    for (; i + 4 <= end; i += 4, o += 4) if (view.getInt32(o, true) !== src.getInt32(i, true)) return false;
    for (; i < end; i++, o++) if (view.getUint8(o) !== src.getUint8(i)) return false;
    return true;
  }
}

/**
 * A 30-bit hash of `src[start, end)` (30 bits so V8 keeps it a small integer as a Map key):
 * murmur3's 32-bit block mixing and finaliser, seeded with the length.
 */
export function hashKey(src: DataView, start: number, end: number): number {
  let h = end - start;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    let k = src.getInt32(i, true);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  for (let shift = 0; i < end; i++, shift += 8) k |= src.getUint8(i) << shift;
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 0x3fffffff;
}
