import { type DuckDBConnection, DuckDBInstance, type DuckDBResultReader, listValue } from '@duckdb/node-api';
import type { TagScope, TagValue } from '../interface.ts';
import type { TagRow } from '../tags.ts';

/**
 * The span store's DuckDB file. All SQL of the traces backend lives here.
 *
 *   blocks(id, min_start, max_end, spans, traces, bytes, wal_segment, services, bloom)
 *       one row per persisted block; wal_segment: the write-ahead-log segment it was cut at
 *   pages(block_id, page, first_trace, last_trace, spans, raw_bytes, data)
 *       a block's spans sorted by trace id and cut into pages (~64 KiB before compression) that
 *       never split a trace unless it alone is bigger; data is deflate-compressed (records.ts)
 *   traces(block_id, trace_id, page_first, page_last, start_ns, end_ns, spans, services,
 *          max_span_ns, root_service, root_name)
 *       one row per trace per block: what search prunes with before reading pages
 *   resources(id, data), scopes(id, data)
 *       deduplicated resource and scope records, referred to by id from pages
 *   tags(block_id, scope, key, type, value)
 *       attribute keys and (bounded) values per block, for the tag APIs
 *
 * Trace ids are HUGEINT: the id's 128 bits as a number minus 2^127, so numeric order is byte
 * order and the value binds as a signed parameter. Rows of a block are written in one transaction
 * together with its blocks row, so a block is either wholly there or absent. Reads use their own
 * connection and never see a block half-written.
 */
export interface BlockRow {
  readonly id: number;
  readonly minStartNs: bigint;
  readonly maxEndNs: bigint;
  readonly spans: number;
  readonly traces: number;
  /** Compressed page bytes plus a per-row estimate for the index tables. */
  readonly bytes: number;
  readonly walSegment: number;
  readonly services: readonly string[];
  readonly bloom: Uint8Array;
}

export interface PageRow {
  readonly page: number;
  readonly firstTrace: bigint;
  readonly lastTrace: bigint;
  readonly spans: number;
  readonly rawBytes: number;
  readonly data: Uint8Array;
}

export interface TraceRow {
  readonly traceId: bigint;
  readonly pageFirst: number;
  readonly pageLast: number;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly spans: number;
  readonly services: readonly string[];
  readonly maxSpanNs: bigint;
  readonly rootService: string | null;
  readonly rootName: string | null;
}

export interface NewBlock {
  readonly block: BlockRow;
  readonly pages: readonly PageRow[];
  readonly traces: readonly TraceRow[];
  readonly tags: readonly TagRow[];
  readonly resources: readonly { id: number; data: Uint8Array }[];
  readonly scopes: readonly { id: number; data: Uint8Array }[];
}

const SCOPE_CODES: Record<TagScope, number> = {
  resource: 0,
  span: 1,
  event: 2,
  link: 3,
  instrumentation: 4,
  intrinsic: 5,
};
const SCOPES_BY_CODE = Object.keys(SCOPE_CODES) as TagScope[];

/** Estimated bytes of a traces row and a tags row, for retention by size. */
const TRACE_ROW_BYTES = 48;
const TAG_ROW_BYTES = 24;

const HALF = 1n << 127n;

/** A trace id (32 hex characters) as its HUGEINT column value. */
export function traceIdToHuge(hex: string): bigint {
  return BigInt(`0x${hex}`) - HALF;
}

/** A HUGEINT column value back to the trace id. */
export function hugeToTraceId(v: bigint): string {
  return (v + HALF).toString(16).padStart(32, '0');
}

export class TraceTables {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly reader: DuckDBConnection,
  ) {}

  static async open(
    path: string,
    options: { memoryLimit?: string; threads?: number } = {},
  ): Promise<TraceTables> {
    const instance = await DuckDBInstance.create(path, {
      memory_limit: options.memoryLimit ?? '256MB',
      threads: String(options.threads ?? 2),
    });
    const writer = await instance.connect();
    await writer.run(
      `CREATE TABLE IF NOT EXISTS blocks (id UINTEGER NOT NULL, min_start BIGINT NOT NULL, max_end BIGINT NOT NULL, spans UINTEGER NOT NULL, traces UINTEGER NOT NULL, bytes UBIGINT NOT NULL, wal_segment UINTEGER NOT NULL, services VARCHAR[] NOT NULL, bloom BLOB NOT NULL)`,
    );
    await writer.run(
      `CREATE TABLE IF NOT EXISTS pages (block_id UINTEGER NOT NULL, page UINTEGER NOT NULL, first_trace HUGEINT NOT NULL, last_trace HUGEINT NOT NULL, spans UINTEGER NOT NULL, raw_bytes UINTEGER NOT NULL, data BLOB NOT NULL)`,
    );
    await writer.run(
      `CREATE TABLE IF NOT EXISTS traces (block_id UINTEGER NOT NULL, trace_id HUGEINT NOT NULL, page_first UINTEGER NOT NULL, page_last UINTEGER NOT NULL, start_ns BIGINT NOT NULL, end_ns BIGINT NOT NULL, spans UINTEGER NOT NULL, services VARCHAR[] NOT NULL, max_span_ns BIGINT NOT NULL, root_service VARCHAR, root_name VARCHAR)`,
    );
    await writer.run(`CREATE TABLE IF NOT EXISTS resources (id UINTEGER NOT NULL, data BLOB NOT NULL)`);
    await writer.run(`CREATE TABLE IF NOT EXISTS scopes (id UINTEGER NOT NULL, data BLOB NOT NULL)`);
    await writer.run(
      `CREATE TABLE IF NOT EXISTS tags (block_id UINTEGER NOT NULL, scope UTINYINT NOT NULL, key VARCHAR NOT NULL, type VARCHAR NOT NULL, value VARCHAR NOT NULL)`,
    );
    const reader = await instance.connect();
    return new TraceTables(instance, writer, reader);
  }

  async loadBlocks(): Promise<BlockRow[]> {
    const r = await this.reader.runAndReadAll(
      'SELECT id, min_start, max_end, spans, traces, bytes, wal_segment, services, bloom FROM blocks ORDER BY id',
    );
    const [ids, mins, maxs, spans, traces, bytes, segs, services, blooms] = columns(r, 9);
    return ids.map((id, i) => ({
      id: id as number,
      minStartNs: mins[i] as bigint,
      maxEndNs: maxs[i] as bigint,
      spans: spans[i] as number,
      traces: traces[i] as number,
      bytes: Number(bytes[i]),
      walSegment: segs[i] as number,
      services: listItems(services[i]),
      bloom: (blooms[i] as { bytes: Uint8Array }).bytes,
    }));
  }

  async loadResources(): Promise<{ id: number; data: Uint8Array }[]> {
    return this.loadRecords('resources');
  }

  async loadScopes(): Promise<{ id: number; data: Uint8Array }[]> {
    return this.loadRecords('scopes');
  }

  private async loadRecords(table: 'resources' | 'scopes'): Promise<{ id: number; data: Uint8Array }[]> {
    const r = await this.reader.runAndReadAll(`SELECT id, data FROM ${table} ORDER BY id`);
    const [ids, data] = columns(r, 2);
    return ids.map((id, i) => ({ id: id as number, data: (data[i] as { bytes: Uint8Array }).bytes }));
  }

  /** Writes a whole block (and the resources and scopes it introduces) in one transaction. */
  async writeBlock(nb: NewBlock): Promise<void> {
    const c = this.writer;
    await c.run('BEGIN TRANSACTION');
    try {
      for (const [table, rows] of [
        ['resources', nb.resources],
        ['scopes', nb.scopes],
      ] as const) {
        if (rows.length === 0) continue;
        const a = await c.createAppender(table);
        for (const r of rows) {
          a.appendUInteger(r.id);
          a.appendBlob(r.data);
          a.endRow();
        }
        a.closeSync();
      }
      const id = nb.block.id;
      if (nb.pages.length > 0) {
        const a = await c.createAppender('pages');
        for (const p of nb.pages) {
          a.appendUInteger(id);
          a.appendUInteger(p.page);
          a.appendHugeInt(p.firstTrace);
          a.appendHugeInt(p.lastTrace);
          a.appendUInteger(p.spans);
          a.appendUInteger(p.rawBytes);
          a.appendBlob(p.data);
          a.endRow();
        }
        a.closeSync();
      }
      if (nb.traces.length > 0) {
        const a = await c.createAppender('traces');
        for (const t of nb.traces) {
          a.appendUInteger(id);
          a.appendHugeInt(t.traceId);
          a.appendUInteger(t.pageFirst);
          a.appendUInteger(t.pageLast);
          a.appendBigInt(t.startNs);
          a.appendBigInt(t.endNs);
          a.appendUInteger(t.spans);
          a.appendList(listValue(t.services as string[]));
          a.appendBigInt(t.maxSpanNs);
          if (t.rootService === null) a.appendNull();
          else a.appendVarchar(t.rootService);
          if (t.rootName === null) a.appendNull();
          else a.appendVarchar(t.rootName);
          a.endRow();
        }
        a.closeSync();
      }
      if (nb.tags.length > 0) {
        const a = await c.createAppender('tags');
        for (const t of nb.tags) {
          a.appendUInteger(id);
          a.appendUTinyInt(SCOPE_CODES[t.scope]);
          a.appendVarchar(t.key);
          a.appendVarchar(t.type);
          a.appendVarchar(t.value);
          a.endRow();
        }
        a.closeSync();
      }
      const b = nb.block;
      const a = await c.createAppender('blocks');
      a.appendUInteger(b.id);
      a.appendBigInt(b.minStartNs);
      a.appendBigInt(b.maxEndNs);
      a.appendUInteger(b.spans);
      a.appendUInteger(b.traces);
      a.appendUBigInt(BigInt(b.bytes));
      a.appendUInteger(b.walSegment);
      a.appendList(listValue(b.services as string[]));
      a.appendBlob(b.bloom);
      a.endRow();
      a.closeSync();
      await c.run('COMMIT');
    } catch (err) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** Estimated stored bytes of a block's index rows (pages are counted exactly). */
  static indexBytes(traces: number, tags: number): number {
    return traces * TRACE_ROW_BYTES + tags * TAG_ROW_BYTES;
  }

  /** Deletes blocks and all their rows in one transaction. */
  async deleteBlocks(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    const c = this.writer;
    const params = { ids: listValue(ids as number[]) };
    await c.run('BEGIN TRANSACTION');
    try {
      for (const table of ['pages', 'traces', 'tags'])
        await c.run(`DELETE FROM ${table} WHERE block_id IN (SELECT unnest($ids::UINTEGER[]))`, params);
      await c.run('DELETE FROM blocks WHERE id IN (SELECT unnest($ids::UINTEGER[]))', params);
      await c.run('COMMIT');
    } catch (err) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** Compressed pages of the given blocks whose trace-id range holds `traceId` (HUGEINT form). */
  async pagesHolding(
    blockIds: readonly number[],
    traceId: bigint,
  ): Promise<{ block: number; data: Uint8Array }[]> {
    if (blockIds.length === 0) return [];
    const r = await this.reader.runAndReadAll(
      `SELECT block_id, data FROM pages WHERE block_id IN (SELECT unnest($ids::UINTEGER[])) AND first_trace <= $t AND last_trace >= $t`,
      { ids: listValue(blockIds as number[]), t: traceId },
    );
    const [blocks, data] = columns(r, 2);
    return blocks.map((b, i) => ({ block: b as number, data: (data[i] as { bytes: Uint8Array }).bytes }));
  }

  /**
   * Page ranges of a block's traces overlapping [startNs, endNs] that have a span of one of
   * `services` (when given) and one at least `minSpanNs` long (when given).
   */
  async matchingPageRanges(
    blockId: number,
    startNs: bigint,
    endNs: bigint,
    services: readonly string[] | undefined,
    minSpanNs: number | undefined,
  ): Promise<{ first: number; last: number }[]> {
    let where = 'block_id = $b AND end_ns >= $s AND start_ns <= $e';
    const params: Record<string, unknown> = { b: blockId, s: startNs, e: endNs };
    if (services) {
      where += ' AND list_has_any(services, $svc::VARCHAR[])';
      params.svc = listValue(services as string[]);
    }
    if (minSpanNs !== undefined) {
      where += ' AND max_span_ns >= $d';
      params.d = BigInt(Math.floor(minSpanNs));
    }
    const r = await this.reader.runAndReadAll(
      `SELECT DISTINCT page_first, page_last FROM traces WHERE ${where} ORDER BY page_first`,
      params as never,
    );
    const [first, last] = columns(r, 2);
    return first.map((f, i) => ({ first: f as number, last: last[i] as number }));
  }

  /** Compressed pages of a block (all of them, or the listed page numbers). */
  async blockPages(
    blockId: number,
    pages?: readonly number[],
  ): Promise<{ page: number; data: Uint8Array }[]> {
    let sql = 'SELECT page, data FROM pages WHERE block_id = $b';
    const params: Record<string, unknown> = { b: blockId };
    if (pages) {
      if (pages.length === 0) return [];
      sql += ' AND page IN (SELECT unnest($p::UINTEGER[]))';
      params.p = listValue(pages as number[]);
    }
    const r = await this.reader.runAndReadAll(`${sql} ORDER BY page`, params as never);
    const [nums, data] = columns(r, 2);
    return nums.map((p, i) => ({ page: p as number, data: (data[i] as { bytes: Uint8Array }).bytes }));
  }

  /** Distinct (scope, key) pairs of the given blocks. */
  async tagNames(blockIds: readonly number[]): Promise<{ scope: TagScope; key: string }[]> {
    if (blockIds.length === 0) return [];
    const r = await this.reader.runAndReadAll(
      'SELECT DISTINCT scope, key FROM tags WHERE block_id IN (SELECT unnest($ids::UINTEGER[]))',
      { ids: listValue(blockIds as number[]) },
    );
    const [scopes, keys] = columns(r, 2);
    return scopes.map((s, i) => ({ scope: SCOPES_BY_CODE[s as number], key: keys[i] as string }));
  }

  /** Distinct typed values of a key in the given scopes and blocks, at most `limit`. */
  async tagValues(
    blockIds: readonly number[],
    scopes: readonly TagScope[],
    key: string,
    limit: number,
  ): Promise<TagValue[]> {
    if (blockIds.length === 0) return [];
    const r = await this.reader.runAndReadAll(
      `SELECT DISTINCT type, value FROM tags WHERE block_id IN (SELECT unnest($ids::UINTEGER[])) AND scope IN (SELECT unnest($sc::UTINYINT[])) AND key = $k AND type <> 'keyword' LIMIT $n`,
      {
        ids: listValue(blockIds as number[]),
        sc: listValue(scopes.map((s) => SCOPE_CODES[s])),
        k: key,
        n: limit,
      },
    );
    const [types, values] = columns(r, 2);
    return types.map((t, i) => ({ type: t as TagValue['type'], value: values[i] as string }));
  }

  /** Bytes the database file holds (used blocks plus its own write-ahead log). */
  async fileBytes(): Promise<number> {
    const rows = (await this.reader.runAndReadAll('PRAGMA database_size')).getRowObjects();
    const r = rows[0] as { block_size: bigint; used_blocks: bigint } | undefined;
    return r ? Number(r.block_size * r.used_blocks) : 0;
  }

  async checkpoint(): Promise<void> {
    await this.writer.run('CHECKPOINT');
  }

  async close(): Promise<void> {
    await this.writer.run('CHECKPOINT').catch(() => undefined);
    this.reader.closeSync();
    this.writer.closeSync();
    this.instance.closeSync();
  }
}

/** Result columns; an empty result has none, so pad with empty arrays. */
function columns(reader: DuckDBResultReader, n: number): unknown[][] {
  const cols = reader.getColumns() as unknown[][];
  while (cols.length < n) cols.push([]);
  return cols;
}

function listItems(v: unknown): string[] {
  return ((v as { items?: unknown[] } | null)?.items ?? []) as string[];
}
