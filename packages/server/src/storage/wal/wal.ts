import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  truncate,
} from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The write-ahead log: numbered segment files in one directory, plus checkpoints. Appends are
 * group-committed: every append issued while a write+fdatasync is in flight joins the next one,
 * so concurrent senders share one fsync, and each append's promise resolves only once its bytes
 * are on disk. That is what makes an acknowledged write survive `kill -9`.
 *
 * Files: `wal/00000001`, `wal/00000002`, ... and `wal/checkpoint.00000007` (the head as it was
 * after segments up to 7; those segments are deleted once it is written).
 */
export class WalWriter {
  private fh: FileHandle | undefined;
  private segment = 0;
  private size = 0;
  private pending: Buffer[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** Serialises file operations: flushes and rotations run one after another. */
  private chain: Promise<void> = Promise.resolve();
  private flushScheduled = false;
  /** Observed after each fsync, for self-metrics. */
  onFlush: ((seconds: number, bytes: number) => void) | undefined;

  private constructor(readonly dir: string) {}

  /** Opens a new segment numbered after every existing one. */
  static async create(dir: string, firstSegment: number): Promise<WalWriter> {
    await mkdir(dir, { recursive: true });
    const w = new WalWriter(dir);
    await w.openSegment(firstSegment);
    return w;
  }

  get currentSegment(): number {
    return this.segment;
  }

  get segmentBytes(): number {
    return this.size;
  }

  /** Queues records; resolves once they are durable. */
  append(records: readonly Buffer[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      for (const r of records) this.pending.push(r);
      this.waiters.push({ resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        this.chain = this.chain.then(() => this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const buffers = this.pending;
    const waiters = this.waiters;
    this.pending = [];
    this.waiters = [];
    if (buffers.length === 0) return;
    const started = process.hrtime.bigint();
    try {
      const fh = this.fh!;
      let bytes = 0;
      for (const b of buffers) bytes += b.length;
      await fh.writev(buffers);
      await fh.datasync();
      this.size += bytes;
      this.onFlush?.(Number(process.hrtime.bigint() - started) / 1e9, bytes);
      for (const w of waiters) w.resolve();
    } catch (err) {
      for (const w of waiters) w.reject(err);
    }
  }

  /**
   * Starts a new segment. Everything appended before this call is in the old segment (or
   * earlier) once the returned promise resolves; resolves with the old segment's number.
   */
  rotate(): Promise<number> {
    const result = this.chain.then(async () => {
      await this.flush();
      const old = this.segment;
      await this.fh?.close();
      await this.openSegment(old + 1);
      return old;
    });
    this.chain = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async openSegment(n: number): Promise<void> {
    this.segment = n;
    this.fh = await open(join(this.dir, segmentName(n)), 'a');
    this.size = 0;
    await syncDir(this.dir);
  }

  async close(): Promise<void> {
    await this.chain;
    await this.flush();
    await this.fh?.close();
    this.fh = undefined;
  }
}

export function segmentName(n: number): string {
  return String(n).padStart(8, '0');
}

export interface WalFiles {
  /** Segment numbers, ascending. */
  readonly segments: number[];
  /** The newest checkpoint's segment number, if any. */
  readonly checkpoint: number | undefined;
}

export async function listWal(dir: string): Promise<WalFiles> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { segments: [], checkpoint: undefined };
  }
  const segments: number[] = [];
  let checkpoint: number | undefined;
  for (const name of names) {
    if (/^\d{8}$/.test(name)) segments.push(Number(name));
    const m = /^checkpoint\.(\d{8})$/.exec(name);
    if (m && (checkpoint === undefined || Number(m[1]) > checkpoint)) checkpoint = Number(m[1]);
  }
  segments.sort((a, b) => a - b);
  return { segments, checkpoint };
}

export async function readSegment(dir: string, n: number): Promise<Buffer> {
  return readFile(join(dir, segmentName(n)));
}

export async function readCheckpoint(dir: string, n: number): Promise<Buffer> {
  return readFile(join(dir, `checkpoint.${segmentName(n)}`));
}

/** Cuts a torn tail off a segment (what a crash mid-write leaves). */
export async function truncateSegment(dir: string, n: number, validBytes: number): Promise<void> {
  await truncate(join(dir, segmentName(n)), validBytes);
}

/** Writes a checkpoint atomically: temp file, fsync, rename, fsync of the directory. */
export async function writeCheckpoint(dir: string, n: number, records: readonly Buffer[]): Promise<void> {
  const final = join(dir, `checkpoint.${segmentName(n)}`);
  const tmp = `${final}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writev(records as Buffer[]);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, final);
  await syncDir(dir);
}

/** Deletes segments numbered ≤ n and checkpoints older than n. */
export async function deleteUpTo(dir: string, n: number): Promise<void> {
  const { segments } = await listWal(dir);
  for (const s of segments) if (s <= n) await rm(join(dir, segmentName(s)), { force: true });
  for (const name of await readdir(dir)) {
    const m = /^checkpoint\.(\d{8})(\.tmp)?$/.exec(name);
    if (m && (Number(m[1]) < n || m[2])) await rm(join(dir, name), { force: true });
  }
}

export async function walBytes(dir: string): Promise<number> {
  let total = 0;
  try {
    for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  } catch {
    // no WAL directory yet
  }
  return total;
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
