/**
 * Resource and scope records, deduplicated: each distinct record (by bytes) gets a small id that
 * pages refer to. The decoded object is kept so every span read back shares one Resource (or
 * scope) object per record, which also lets per-resource work (service name, tag collection) run
 * once.
 */
export interface Interned<T> {
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly value: T;
}

export class RecordInterner<T extends object> {
  private readonly byKey = new Map<string, Interned<T>>();
  private readonly byId = new Map<number, Interned<T>>();
  private readonly byObject = new WeakMap<T, Interned<T>>();
  /** Interned since the last `takePending`: not yet in the database. */
  private pending: Interned<T>[] = [];
  private nextId = 0;

  constructor(
    private readonly encode: (value: T) => Uint8Array,
    private readonly decode: (bytes: Uint8Array) => T,
  ) {}

  /** Registers a record already in the database. */
  load(id: number, bytes: Uint8Array): void {
    const entry = { id, bytes, value: this.decode(bytes) };
    this.byKey.set(keyOf(bytes), entry);
    this.byId.set(id, entry);
    this.byObject.set(entry.value, entry);
    if (id >= this.nextId) this.nextId = id + 1;
  }

  /** The record of an object (encoding it the first time this object is seen). */
  ofValue(value: T): Interned<T> {
    const hit = this.byObject.get(value);
    if (hit) return hit;
    const entry = this.ofBytes(this.encode(value));
    this.byObject.set(value, entry);
    return entry;
  }

  /** The record with these bytes, interning them if new. */
  ofBytes(bytes: Uint8Array): Interned<T> {
    const key = keyOf(bytes);
    let entry = this.byKey.get(key);
    if (!entry) {
      const copy = new Uint8Array(bytes);
      entry = { id: this.nextId++, bytes: copy, value: this.decode(copy) };
      this.byKey.set(key, entry);
      this.byId.set(entry.id, entry);
      this.byObject.set(entry.value, entry);
      this.pending.push(entry);
    }
    return entry;
  }

  get(id: number): Interned<T> {
    const entry = this.byId.get(id);
    if (!entry) throw new Error(`unknown record id ${id}`);
    return entry;
  }

  /** Records interned since the last call, to be written with the next block. */
  takePending(): Interned<T>[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** Puts records back after a failed write. */
  returnPending(entries: readonly Interned<T>[]): void {
    this.pending = [...entries, ...this.pending];
  }
}

function keyOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
