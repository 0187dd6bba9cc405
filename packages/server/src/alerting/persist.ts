/**
 * Small durable files for alerting's state (alerts, silences, notification log): a JSON-lines
 * journal that is appended to on every change and rewritten (compacted) from the live state now
 * and then. Appends reach the OS before the call returns, so a killed process loses nothing;
 * `fsync` makes them survive a machine crash too, for the records where that matters.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';

export class Journal<T> {
  private fd: number | undefined;
  /** Lines appended since the last compaction. */
  private appended = 0;

  constructor(
    readonly path: string,
    private readonly options: { readonly fsync: boolean },
  ) {}

  /**
   * Reads every record, skipping a torn last line (a crash mid-append) and lines that are not
   * JSON. `onBadLine` hears about skipped lines other than a torn tail.
   */
  read(onBadLine?: (line: number, text: string) => void): T[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const lines = text.split('\n');
    const out: T[] = [];
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        out.push(JSON.parse(line) as T);
      } catch {
        if (i < lines.length - 1) onBadLine?.(i + 1, line.slice(0, 100));
      }
    });
    this.appended = out.length;
    return out;
  }

  /** Appends records; throws on I/O errors (the caller decides whether to log or fail). */
  append(records: readonly T[]): void {
    if (records.length === 0) return;
    this.fd ??= openSync(this.path, 'a');
    let text = '';
    for (const r of records) text += `${JSON.stringify(r)}\n`;
    writeSync(this.fd, text);
    if (this.options.fsync) fsyncSync(this.fd);
    this.appended += records.length;
  }

  /** Flushes appended lines to the disk (for journals opened without per-append fsync). */
  sync(): void {
    if (this.fd !== undefined) fsyncSync(this.fd);
  }

  /** Lines in the file, so callers can compact when it grows well past the live state. */
  get length(): number {
    return this.appended;
  }

  /** Replaces the file with exactly `records` (write, fsync, rename). */
  rewrite(records: readonly T[]): void {
    this.close();
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      let text = '';
      for (const r of records) text += `${JSON.stringify(r)}\n`;
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    this.appended = records.length;
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}
