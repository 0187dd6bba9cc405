import { type DuckDBConnection, DuckDBInstance, type DuckDBResultReader, listValue } from '@duckdb/node-api';
import type { Label, Labels } from '../../model/labels.ts';
import type { MetricMetadata } from '../interface.ts';

/**
 * Long-term metrics storage in one DuckDB file. Samples live as compressed chunks (see
 * chunkenc/xor.ts), one row per series per block window:
 *
 *   series(id, labels)                       labels as a JSON array [name, value, name, value, ...]
 *   chunks(series_id, min_t, max_t, samples, size, data)   size = bytes of data
 *   meta(key, value)                         persisted_until: the end of the last persisted window
 *   metadata(metric, type, help, unit)
 *
 * Rows are inserted window by window in series-id order, so DuckDB's zone maps on min_t/max_t
 * and series_id prune most row groups for a time- and series-bounded select.
 * All SQL of this backend lives in this file.
 */
export interface ChunkRow {
  readonly seriesId: number;
  readonly minT: number;
  readonly maxT: number;
  readonly count: number;
  readonly bytes: Uint8Array;
}

/** Above this many series ids a select filters by time only and drops other series in JS. */
const MAX_ID_LIST = 20_000;

export class DuckBlocks {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {}

  static async open(
    path: string,
    options: { memoryLimit?: string; threads?: number } = {},
  ): Promise<DuckBlocks> {
    const instance = await DuckDBInstance.create(path, {
      memory_limit: options.memoryLimit ?? '256MB',
      threads: String(options.threads ?? 2),
    });
    const conn = await instance.connect();
    // Checkpoint when we say so (after each persisted window), not whenever DuckDB's WAL passes
    // 16MB: checkpoints between the batches of one window left ~40% of the file as free blocks.
    await conn.run(`SET wal_autocheckpoint = '4GB'`);
    await conn.run(`CREATE TABLE IF NOT EXISTS series (id UINTEGER NOT NULL, labels VARCHAR NOT NULL)`);
    await conn.run(
      `CREATE TABLE IF NOT EXISTS chunks (series_id UINTEGER NOT NULL, min_t BIGINT NOT NULL, max_t BIGINT NOT NULL, samples INTEGER NOT NULL, size INTEGER NOT NULL, data BLOB NOT NULL)`,
    );
    await conn.run(`CREATE TABLE IF NOT EXISTS meta (key VARCHAR NOT NULL, value VARCHAR NOT NULL)`);
    await conn.run(
      `CREATE TABLE IF NOT EXISTS metadata (metric VARCHAR NOT NULL, type VARCHAR NOT NULL, help VARCHAR NOT NULL, unit VARCHAR NOT NULL)`,
    );
    return new DuckBlocks(instance, conn);
  }

  async loadSeries(): Promise<{ id: number; labels: Labels }[]> {
    const reader = await this.conn.runAndReadAll('SELECT id, labels FROM series ORDER BY id');
    const [ids, texts] = columns(reader, 2) as [number[], string[]];
    const out: { id: number; labels: Labels }[] = new Array(ids.length);
    for (let i = 0; i < ids.length; i++) out[i] = { id: ids[i], labels: decodeLabels(texts[i]) };
    return out;
  }

  async getMeta(key: string): Promise<string | undefined> {
    const reader = await this.conn.runAndReadAll('SELECT value FROM meta WHERE key = $key', { key });
    const rows = reader.getRows();
    return rows.length ? String(rows[0][0]) : undefined;
  }

  /**
   * Writes a batch of new series and chunks in one transaction. A window is persisted in several
   * batches (bounded memory) and then sealed with `setPersistedUntil`; chunks at or after the
   * sealed time come from a persist that did not finish and are removed on open
   * (`dropUnsealed`), so a crash midway leaves no duplicates.
   */
  async writeBatch(
    newSeries: readonly { id: number; labels: Labels }[],
    chunks: readonly ChunkRow[],
  ): Promise<void> {
    await this.conn.run('BEGIN TRANSACTION');
    try {
      if (newSeries.length > 0) {
        const a = await this.conn.createAppender('series');
        for (const s of newSeries) {
          a.appendUInteger(s.id);
          a.appendVarchar(encodeLabels(s.labels));
          a.endRow();
        }
        a.closeSync();
      }
      if (chunks.length > 0) {
        const a = await this.conn.createAppender('chunks');
        for (const c of chunks) {
          a.appendUInteger(c.seriesId);
          a.appendBigInt(BigInt(c.minT));
          a.appendBigInt(BigInt(c.maxT));
          a.appendInteger(c.count);
          a.appendInteger(c.bytes.length);
          a.appendBlob(c.bytes);
          a.endRow();
        }
        a.closeSync();
      }
      await this.conn.run('COMMIT');
    } catch (err) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** Seals everything written before `t`: from now on the head refuses samples older than it. */
  async setPersistedUntil(t: number): Promise<void> {
    await this.conn.run('BEGIN TRANSACTION');
    await this.conn.run(`DELETE FROM meta WHERE key = 'persisted_until'`);
    await this.conn.run(`INSERT INTO meta VALUES ('persisted_until', $v)`, { v: String(t) });
    await this.conn.run('COMMIT');
  }

  /** Removes chunks of a persist that did not complete (at or after the sealed time). */
  async dropUnsealed(persistedUntil: number): Promise<number> {
    const t = Number.isFinite(persistedUntil) ? persistedUntil : -8.64e15;
    const result = await this.conn.run('DELETE FROM chunks WHERE max_t >= $t', { t: toBig(t) });
    return result.rowsChanged;
  }

  /** Chunks overlapping [minT, maxT] of the given series (all series when ids is undefined), by series then time. */
  async selectChunks(ids: readonly number[] | undefined, minT: number, maxT: number): Promise<ChunkRow[]> {
    const params: Record<string, ReturnType<typeof listValue> | bigint> = {
      minT: toBig(minT),
      maxT: toBig(maxT),
    };
    let where = 'max_t >= $minT AND min_t <= $maxT';
    let keep: Set<number> | undefined;
    if (ids) {
      if (ids.length === 0) return [];
      if (ids.length <= MAX_ID_LIST) {
        where += ' AND series_id IN (SELECT unnest($ids::UINTEGER[]))';
        params.ids = listValue(ids as number[]);
      } else {
        keep = new Set(ids);
      }
    }
    const reader = await this.conn.runAndReadAll(
      `SELECT series_id, min_t, max_t, samples, data FROM chunks WHERE ${where} ORDER BY series_id, min_t`,
      params,
    );
    const [sid, mins, maxs, counts, blobs] = columns(reader, 5) as [
      number[],
      bigint[],
      bigint[],
      number[],
      { bytes: Uint8Array }[],
    ];
    const out: ChunkRow[] = [];
    for (let i = 0; i < sid.length; i++) {
      if (keep && !keep.has(sid[i])) continue;
      out.push({
        seriesId: sid[i],
        minT: Number(mins[i]),
        maxT: Number(maxs[i]),
        count: counts[i],
        bytes: blobs[i].bytes,
      });
    }
    return out;
  }

  /** Ids of series with persisted samples in [minT, maxT]. */
  async seriesWithData(minT: number, maxT: number): Promise<Set<number>> {
    const reader = await this.conn.runAndReadAll(
      'SELECT DISTINCT series_id FROM chunks WHERE max_t >= $minT AND min_t <= $maxT',
      { minT: toBig(minT), maxT: toBig(maxT) },
    );
    return new Set(columns(reader, 1)[0] as number[]);
  }

  /** Deletes chunks whose samples are all older than `before`. Returns how many rows went. */
  async deleteChunksBefore(before: number): Promise<number> {
    const result = await this.conn.run('DELETE FROM chunks WHERE max_t < $t', { t: toBig(before) });
    return result.rowsChanged;
  }

  /** The oldest persisted sample time, or undefined when nothing is persisted. */
  async oldestChunkTime(): Promise<number | undefined> {
    const rows = (await this.conn.runAndReadAll('SELECT min(min_t) FROM chunks')).getRows();
    const v = rows[0]?.[0];
    return v === null || v === undefined ? undefined : Number(v);
  }

  /** Deletes series rows without chunks, except `keep` (series still in the head). Returns the deleted ids. */
  async deleteOrphanSeries(keep: ReadonlySet<number>): Promise<number[]> {
    const reader = await this.conn.runAndReadAll(
      'SELECT id FROM series WHERE id NOT IN (SELECT DISTINCT series_id FROM chunks)',
    );
    const orphans = (columns(reader, 1)[0] as number[]).filter((id) => !keep.has(id));
    if (orphans.length > 0) {
      await this.conn.run('DELETE FROM series WHERE id IN (SELECT unnest($ids::UINTEGER[]))', {
        ids: listValue(orphans),
      });
    }
    return orphans;
  }

  /**
   * What retention by size counts: the bytes of every chunk and series row (with a fixed
   * per-row overhead). DuckDB reuses the blocks that deletes free but rarely shrinks its file,
   * so its used-block count moves in coarse steps; the logical size is what deletes reduce.
   */
  async logicalBytes(): Promise<number> {
    const rows = (
      await this.conn.runAndReadAll(
        'SELECT (SELECT coalesce(sum(size) + count(*) * 24, 0) FROM chunks) + (SELECT coalesce(sum(length(labels)) + count(*) * 8, 0) FROM series)',
      )
    ).getRows();
    return Number(rows[0][0]);
  }

  /** Bytes the database occupies: used blocks plus its own write-ahead log. */
  async sizeBytes(): Promise<number> {
    const rows = (await this.conn.runAndReadAll('PRAGMA database_size')).getRowObjects();
    const r = rows[0] as { block_size: bigint; used_blocks: bigint; wal_size: string } | undefined;
    if (!r) return 0;
    return Number(r.block_size * r.used_blocks) + parseSize(r.wal_size);
  }

  async checkpoint(): Promise<void> {
    await this.conn.run('CHECKPOINT');
  }

  async saveMetadata(entries: readonly MetricMetadata[]): Promise<void> {
    await this.conn.run('BEGIN TRANSACTION');
    try {
      await this.conn.run('DELETE FROM metadata');
      const a = await this.conn.createAppender('metadata');
      for (const e of entries) {
        a.appendVarchar(e.metric);
        a.appendVarchar(e.type);
        a.appendVarchar(e.help);
        a.appendVarchar(e.unit);
        a.endRow();
      }
      a.closeSync();
      await this.conn.run('COMMIT');
    } catch (err) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  async loadMetadata(): Promise<MetricMetadata[]> {
    const rows = (await this.conn.runAndReadAll('SELECT metric, type, help, unit FROM metadata')).getRows();
    return rows.map(([metric, type, help, unit]) => ({
      metric: String(metric),
      type: String(type) as MetricMetadata['type'],
      help: String(help),
      unit: String(unit),
    }));
  }

  async close(): Promise<void> {
    await this.conn.run('CHECKPOINT').catch(() => undefined);
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/** Result columns; an empty result has none, so pad with empty arrays. */
function columns(reader: DuckDBResultReader, n: number): unknown[][] {
  const cols = reader.getColumns() as unknown[][];
  while (cols.length < n) cols.push([]);
  return cols;
}

function toBig(t: number): bigint {
  // Unbounded API ranges arrive as ±8.64e15 ms; BIGINT holds them.
  return BigInt(Math.trunc(t));
}

export function encodeLabels(labels: Labels): string {
  const flat: string[] = [];
  for (const l of labels) flat.push(l.name, l.value);
  return JSON.stringify(flat);
}

export function decodeLabels(text: string): Labels {
  const flat = JSON.parse(text) as string[];
  const out: Label[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ name: flat[i], value: flat[i + 1] });
  return out;
}

function parseSize(text: string): number {
  const m = /^([\d.]+)\s*(bytes|KiB|MiB|GiB|TiB|KB|MB|GB|TB)?/.exec(text);
  if (!m) return 0;
  const units: Record<string, number> = {
    bytes: 1,
    KiB: 1024,
    MiB: 1024 ** 2,
    GiB: 1024 ** 3,
    TiB: 1024 ** 4,
    KB: 1e3,
    MB: 1e6,
    GB: 1e9,
    TB: 1e12,
  };
  return Number(m[1]) * (units[m[2] ?? 'bytes'] ?? 1);
}
