import { mkdir, open as openFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBResultReader,
  type DuckDBType,
  type DuckDBValue,
  listValue,
  UHUGEINT,
} from '@duckdb/node-api';
import type { Logger } from 'pino';
import { sharedLabels } from '../../../model/intern.ts';
import { compareLabels, type Label, type Labels, labelsKey } from '../../../model/labels.ts';
import type { LogRecord } from '../../../model/log.ts';
import { PostingsIndex } from '../../index/postings.ts';
import type {
  BucketQuery,
  LogRow,
  LogSelect,
  LogStats,
  LogStore,
  LogStoreStats,
  StreamBuckets,
  StreamQuery,
  StreamVolume,
} from '../interface.ts';
import { ConnectionPool } from './pool.ts';
import { ident, lineFilterSql, PARTITION_COLUMNS, sqlString } from './sql.ts';

export interface DuckDBLogStoreOptions {
  readonly dataDir: string;
  /** Length of a time partition (one table each) in ms; retention deletes whole partitions. */
  readonly partitionDurationMs: number;
  readonly logger: Logger;
  /** DuckDB's memory limit, e.g. "512MB". */
  readonly memoryLimit?: string;
  readonly threads?: number;
  /**
   * A partition whose window ended this long ago (ms) is rewritten once, sorted by time bucket and
   * stream, which compresses better and lets scans skip more; 0 turns compaction off.
   */
  readonly compactAfterMs?: number;
  /** How often to look for partitions to compact (ms); default one minute. */
  readonly compactionInterval?: number;
  readonly now?: () => number;
}

/**
 * One time partition, records with startNs <= ts < endNs: a table while it is written to, a
 * Parquet file once compacted, both when lines arrived after compaction (until the next one).
 */
interface Partition {
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly table: string;
  /** Whether the table exists (false once compaction moved everything to Parquet). */
  hasTable: boolean;
  /** The compacted Parquet file's name in the data directory, if any. */
  parquet: string | undefined;
  /** Bytes of that file (DuckDB's own size does not include it). */
  parquetBytes: number;
  /** Rows appended (approximate after a crash: recounted on open). */
  rows: number;
  /** Ids of the streams with records in this partition. */
  readonly streams: Set<number>;
}

interface PendingAppend {
  readonly records: readonly LogRecord[];
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Connections that write appends. With two, one transaction fills (on the main thread) while the
 * other commits (fsync, in DuckDB's threads), so ingest does not stall on every commit.
 */
const WRITE_LANES = 2;
/**
 * While one lane commits, the other starts only once this many rows are queued: every commit
 * costs a write-ahead-log flush and an fsync, so many small transactions would cost more than
 * waiting a moment for a bigger one.
 */
const MIN_OVERLAP_ROWS = 4000;
/** Rows a scan aims to fetch per query; slices grow and shrink to stay near it. */
const SLICE_TARGET_ROWS = 8_000;
/** Above this many stream ids a scan filters streams after reading instead of in SQL. */
const MAX_ID_LIST = 20_000;
/** Time bucket that compaction groups rows by before sorting by stream, in ns (5 minutes). */
const COMPACT_BUCKET_NS = 300_000_000_000n;
const NS_PER_MS = 1_000_000n;
/** A compacted partition's file name: the table's name and a generation. */
const PARQUET_NAME = /^(logs_[0-9]+)\.[0-9]+\.parquet$/;
/**
 * The partition columns from a compacted file (Parquet has no 128-bit integers: two halves),
 * plus each line's length in bytes, so that counting queries never decompress the lines.
 */
const PARQUET_COLUMNS =
  'stream_id, ts, observed_ts, severity, severity_text, line, metadata, ' +
  '(trace_hi::UHUGEINT << 64) | trace_lo::UHUGEINT AS trace_id, span_id, line_bytes';
/** The same columns as written into the file. */
const TO_PARQUET_COLUMNS =
  'stream_id, ts, observed_ts, severity, severity_text, line, metadata, ' +
  '(trace_id >> 64)::UBIGINT AS trace_hi, (trace_id & 18446744073709551615::UHUGEINT)::UBIGINT AS trace_lo, ' +
  'span_id, strlen(line)::UINTEGER AS line_bytes';
/**
 * Rows per Parquet row group. Row groups are the unit a time-range scan can skip; pages (the
 * unit of compression) stay large enough either way: 16k rows cost 2% in size against DuckDB's
 * default 122,880, and made the time-sliced scans of log queries faster.
 */
const PARQUET_ROW_GROUP = 16_384;

/**
 * Log storage in one DuckDB file (`logs.duckdb`):
 *
 *   streams(id, labels)           every stream's label set; loaded into a postings index on open
 *   logs_<unix seconds>           one table per time partition (PARTITION_COLUMNS), rows in
 *                                 arrival order
 *   meta(key, value)              'parquet' → the file each compacted partition lives in
 *
 * and beside it `logs_<unix seconds>.<n>.parquet`: compaction moves a partition whose window
 * has ended into a Parquet file, sorted by (5-minute bucket, stream, time), ZSTD-compressed per
 * page. Pages are far larger than what DuckDB's own string compression works on, so this is
 * about 3× smaller (see BENCHMARKS.md), and DuckDB still scans it with filters pushed down.
 *
 * Appends are group-committed: appends issued while both write lanes are busy join the next
 * transaction, and each promise resolves when its transaction has committed (DuckDB fsyncs its
 * write-ahead log on commit), so an acknowledged record survives `kill -9`. New streams and new
 * partition tables are committed first, one batch at a time, so that the two lanes' data
 * transactions only ever append rows and never conflict.
 *
 * Bodies and metadata use DuckDB's ZSTD string compression (storage version 1.2+) until then;
 * trace and span ids are integers. A scan filters by stream id, time and the pushed-down line filters in
 * SQL, slicing the time range so that each query returns a bounded number of rows.
 */
export class DuckDBLogStore implements LogStore {
  private readonly index = new PostingsIndex();
  private readonly idByKey = new Map<string, number>();
  private readonly idByLabels = new WeakMap<Labels, number>();
  private nextStreamId = 0;
  private readonly partitions = new Map<bigint, Partition>();
  private queue: PendingAppend[] = [];
  /** Records in the queue. */
  private queuedRows = 0;
  /** Write connections not running a transaction. */
  private readonly freeLanes: DuckDBConnection[];
  /** Batches being written. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Set while maintenance needs the tables to itself: no new batch starts. */
  private held: Promise<void> | undefined;
  /** Serialises the registration of new streams and partitions across lanes. */
  private registering: Promise<unknown> = Promise.resolve();
  /** Label pairs as stored (JSON), per shared label array: metadata repeats a lot. */
  private readonly encoded = new WeakMap<Labels, string>();
  private maintenance: Promise<unknown> = Promise.resolve();
  private compactionTimer: NodeJS.Timeout | undefined;
  private cachedBytes = 0;
  private closed = false;
  private readonly partitionNs: bigint;
  private readonly now: () => number;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly lanes: readonly DuckDBConnection[],
    private readonly readers: ConnectionPool,
    private readonly options: DuckDBLogStoreOptions,
  ) {
    this.freeLanes = [...lanes];
    this.partitionNs = BigInt(Math.max(1, Math.round(options.partitionDurationMs))) * NS_PER_MS;
    this.now = options.now ?? Date.now;
  }

  static async open(options: DuckDBLogStoreOptions): Promise<DuckDBLogStore> {
    await mkdir(options.dataDir, { recursive: true });
    const path = join(options.dataDir, 'logs.duckdb');
    const instance = await DuckDBInstance.create(path, {
      memory_limit: options.memoryLimit ?? '512MB',
      threads: String(options.threads ?? 2),
      // ZSTD compression of strings needs the 1.2 storage format.
      storage_compatibility_version: 'v1.2.0',
    });
    let writer: DuckDBConnection | undefined;
    const lanes: DuckDBConnection[] = [];
    try {
      writer = await instance.connect();
      for (let i = 0; i < WRITE_LANES; i++) lanes.push(await instance.connect());
      await writer.run(`CREATE TABLE IF NOT EXISTS streams (id UINTEGER NOT NULL, labels VARCHAR NOT NULL)`);
      await writer.run(`CREATE TABLE IF NOT EXISTS meta (key VARCHAR NOT NULL, value VARCHAR NOT NULL)`);
      const readers = await ConnectionPool.create(instance, 2);
      const store = new DuckDBLogStore(instance, writer, lanes, readers, options);
      await store.load();
      return store;
    } catch (err) {
      for (const l of lanes) l.closeSync();
      writer?.closeSync();
      instance.closeSync();
      throw err;
    }
  }

  private async load(): Promise<void> {
    const started = Date.now();
    const streams = await this.writer.runAndReadAll('SELECT id, labels FROM streams ORDER BY id');
    const [ids, texts] = columns(streams, 2) as [number[], string[]];
    for (let i = 0; i < ids.length; i++) this.addStream(ids[i], decodePairs(texts[i]));
    const files = new Map<string, string>();
    for (const file of columns(
      await this.writer.runAndReadAll(`SELECT value FROM meta WHERE key = 'parquet'`),
      1,
    )[0] as string[]) {
      const m = PARQUET_NAME.exec(file);
      if (m) files.set(m[1], file);
    }
    // Files a compaction wrote but never committed (it was killed) are not part of the store.
    for (const name of await readdir(this.options.dataDir)) {
      if (/^logs_[0-9]+\..*parquet/.test(name) && files.get(name.split('.')[0]) !== name) {
        await unlink(join(this.options.dataDir, name)).catch(() => undefined);
      }
    }
    const tables = new Set(
      columns(
        await this.writer.runAndReadAll(
          `SELECT table_name FROM duckdb_tables() WHERE regexp_full_match(table_name, 'logs_[0-9]+')`,
        ),
        1,
      )[0] as string[],
    );
    for (const name of new Set([...tables, ...files.keys()])) {
      const startNs = BigInt(name.slice(5)) * 1_000_000_000n;
      const file = files.get(name);
      const p: Partition = {
        startNs,
        endNs: startNs + this.partitionNs,
        table: name,
        hasTable: tables.has(name),
        parquet: file,
        parquetBytes: file ? (await stat(join(this.options.dataDir, file))).size : 0,
        rows: 0,
        streams: new Set(),
      };
      const counts = await this.writer.runAndReadAll(
        `SELECT stream_id, count(*)::DOUBLE FROM ${this.source(p)} GROUP BY stream_id`,
      );
      const [sids, ns] = columns(counts, 2) as [number[], number[]];
      for (let i = 0; i < sids.length; i++) {
        p.streams.add(sids[i]);
        p.rows += ns[i];
      }
      this.partitions.set(startNs, p);
    }
    await this.refreshSize();
    this.options.logger.info(
      { streams: this.index.size, partitions: this.partitions.size, ms: Date.now() - started },
      'log storage opened',
    );
    if ((this.options.compactAfterMs ?? 0) > 0) {
      this.compactionTimer = setInterval(
        () => void this.compactDue(),
        this.options.compactionInterval ?? 60_000,
      );
      this.compactionTimer.unref();
    }
  }

  /** What a query reads a partition from: its table, its Parquet file, or both. */
  private source(p: Partition): string {
    if (!p.parquet) return ident(p.table);
    const file = `SELECT ${PARQUET_COLUMNS} FROM read_parquet(${sqlString(join(this.options.dataDir, p.parquet))})`;
    return p.hasTable
      ? `(${file} UNION ALL SELECT *, strlen(line)::UINTEGER FROM ${ident(p.table)})`
      : `(${file})`;
  }

  /** The SQL for a line's length in bytes in a partition's source. */
  private lineBytes(p: Partition): string {
    return p.parquet ? 'line_bytes' : 'strlen(line)';
  }

  private addStream(id: number, given: Labels): Labels {
    const labels = sharedLabels.labels(given);
    this.index.add(id, labels);
    this.idByKey.set(labelsKey(labels), id);
    if (id >= this.nextStreamId) this.nextStreamId = id + 1;
    return labels;
  }

  /** The labels of a stream id, for readers. */
  streamLabels(id: number): Labels | undefined {
    return this.index.labels(id);
  }

  /** How many streams exist, for the active-streams limit and self-metrics. */
  get streamCount(): number {
    return this.index.size;
  }

  /** The id a label set has, or undefined for a stream never stored. */
  streamId(labels: Labels): number | undefined {
    const cached = this.idByLabels.get(labels);
    if (cached !== undefined) return cached;
    const id = this.idByKey.get(labelsKey(labels));
    if (id !== undefined) this.idByLabels.set(labels, id);
    return id;
  }

  append(records: readonly LogRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('log storage is closed'));
    if (records.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ records, resolve, reject });
      this.queuedRows += records.length;
      this.pump();
    });
  }

  /** Starts a transaction on every free lane for what is queued. */
  private pump(): void {
    while (!this.held && this.queue.length > 0 && this.freeLanes.length > 0) {
      if (this.inFlight.size > 0 && this.queuedRows < MIN_OVERLAP_ROWS) return;
      const lane = this.freeLanes.pop()!;
      const batch = this.queue;
      this.queue = [];
      this.queuedRows = 0;
      const run: Promise<void> = this.writeBatch(lane, batch).finally(() => {
        this.freeLanes.push(lane);
        this.inFlight.delete(run);
        this.pump();
      });
      this.inFlight.add(run);
    }
  }

  /** Resolves once no batch is being written (new ones may start after). */
  private async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /**
   * Runs a task with appends held: batches in flight finish first, queued ones wait until the
   * task is done. For maintenance that replaces or drops partition tables.
   */
  private async exclusive<T>(task: () => Promise<T>): Promise<T> {
    while (this.held) await this.held;
    let release!: () => void;
    this.held = new Promise<void>((r) => {
      release = r;
    });
    try {
      await this.settled();
      return await task();
    } finally {
      this.held = undefined;
      release();
      this.pump();
    }
  }

  /** Writes one batch in one transaction and settles its appends' promises; never rejects. */
  private async writeBatch(lane: DuckDBConnection, batch: readonly PendingAppend[]): Promise<void> {
    try {
      await this.write(lane, batch);
      for (const b of batch) b.resolve();
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }

  /** The stored JSON of a label list, computed once per shared array. */
  private encodedPairs(labels: Labels): string {
    let text = this.encoded.get(labels);
    if (text === undefined) {
      text = encodePairs(labels);
      this.encoded.set(labels, text);
    }
    return text;
  }

  private async write(lane: DuckDBConnection, batch: readonly PendingAppend[]): Promise<void> {
    const byPartition = new Map<bigint, { ids: number[]; records: LogRecord[] }>();
    const unknown: Labels[] = [];
    for (const { records } of batch) {
      for (const r of records) {
        const start = this.partitionStart(r.timestampNs);
        let group = byPartition.get(start);
        if (!group) {
          group = { ids: [], records: [] };
          byPartition.set(start, group);
        }
        const id = this.streamId(r.labels);
        if (id === undefined) unknown.push(r.labels);
        group.ids.push(id ?? -1);
        group.records.push(r);
      }
    }
    const missing = [...byPartition.keys()].filter((start) => !this.partitions.get(start)?.hasTable);
    if (unknown.length > 0 || missing.length > 0) {
      await this.register(lane, unknown, missing);
      for (const group of byPartition.values()) {
        for (let i = 0; i < group.ids.length; i++) {
          if (group.ids[i] < 0) group.ids[i] = this.streamId(group.records[i].labels)!;
        }
      }
    }

    await lane.run('BEGIN TRANSACTION');
    try {
      for (const [start, group] of byPartition) {
        const p = this.partitions.get(start);
        if (!p?.hasTable) {
          throw new Error('a log partition was deleted while lines for it were being written');
        }
        const a = await lane.createAppender(p.table);
        const { ids, records } = group;
        for (let i = 0; i < records.length; i++) {
          const r = records[i];
          a.appendUInteger(ids[i]);
          a.appendBigInt(r.timestampNs);
          a.appendBigInt(r.observedTimestampNs);
          a.appendUTinyInt(r.severityNumber >= 0 && r.severityNumber <= 255 ? r.severityNumber : 0);
          a.appendVarchar(r.severityText);
          a.appendVarchar(r.body);
          a.appendVarchar(r.metadata.length > 0 ? this.encodedPairs(r.metadata) : '');
          if (r.traceId) a.appendUHugeInt(BigInt(`0x${r.traceId}`));
          else a.appendNull();
          if (r.spanId) a.appendUBigInt(BigInt(`0x${r.spanId}`));
          else a.appendNull();
          a.endRow();
        }
        a.closeSync();
      }
      await lane.run('COMMIT');
    } catch (err) {
      await lane.run('ROLLBACK').catch(() => undefined);
      throw err;
    }

    // Committed: make it visible to readers.
    for (const [start, group] of byPartition) {
      const p = this.partitions.get(start);
      if (!p) continue;
      p.rows += group.records.length;
      for (const id of group.ids) p.streams.add(id);
    }
  }

  /**
   * Commits the streams and partition tables a batch needs that do not exist yet, one batch at a
   * time (the lanes would otherwise race to create the same ones). A stream is known to readers
   * from then on; it has no lines until a data transaction commits some.
   */
  private register(
    lane: DuckDBConnection,
    labels: readonly Labels[],
    starts: readonly bigint[],
  ): Promise<void> {
    const run = this.registering.then(async () => {
      const newStreams: { id: number; labels: Labels }[] = [];
      const pending = new Set<string>();
      for (const l of labels) {
        if (this.streamId(l) !== undefined) continue;
        const key = labelsKey(l);
        if (pending.has(key)) continue;
        pending.add(key);
        newStreams.push({ id: this.nextStreamId + newStreams.length, labels: l });
      }
      const tables = starts.filter((start) => !this.partitions.get(start)?.hasTable);
      if (newStreams.length === 0 && tables.length === 0) return;
      await lane.run('BEGIN TRANSACTION');
      try {
        if (newStreams.length > 0) {
          const a = await lane.createAppender('streams');
          for (const s of newStreams) {
            a.appendUInteger(s.id);
            a.appendVarchar(encodePairs(s.labels));
            a.endRow();
          }
          a.closeSync();
        }
        for (const start of tables) {
          await lane.run(`CREATE TABLE IF NOT EXISTS ${ident(tableName(start))} ${PARTITION_COLUMNS}`);
        }
        await lane.run('COMMIT');
      } catch (err) {
        await lane.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
      for (const s of newStreams) {
        const shared = this.addStream(s.id, s.labels);
        this.idByLabels.set(s.labels, s.id);
        this.idByLabels.set(shared, s.id);
      }
      for (const start of tables) {
        const p = this.partitions.get(start);
        if (p) p.hasTable = true;
        else {
          this.partitions.set(start, {
            startNs: start,
            endNs: start + this.partitionNs,
            table: tableName(start),
            hasTable: true,
            parquet: undefined,
            parquetBytes: 0,
            rows: 0,
            streams: new Set(),
          });
        }
      }
    });
    this.registering = run.catch(() => undefined);
    return run;
  }

  private partitionStart(ts: bigint): bigint {
    const r = ts % this.partitionNs;
    return ts - (r < 0n ? r + this.partitionNs : r);
  }

  /** Partitions overlapping [startNs, endNs), oldest first. */
  private overlapping(startNs: bigint, endNs: bigint): Partition[] {
    const out: Partition[] = [];
    for (const p of this.partitions.values()) if (p.startNs < endNs && p.endNs > startNs) out.push(p);
    return out.sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
  }

  async *select(query: LogSelect): AsyncIterable<readonly LogRow[]> {
    const ids = this.index.select(query.matchers);
    if (ids.length === 0 || query.endNs <= query.startNs) return;
    const wanted = new Set(ids);
    let parts = this.overlapping(query.startNs, query.endNs).filter((p) => {
      for (const id of p.streams) if (wanted.has(id)) return true;
      return false;
    });
    if (query.direction === 'backward') parts = parts.reverse();
    const filterSql = lineFilterSql(query.lineFilters ?? []);
    if (query.lineFilters?.length && filterSql === undefined) {
      throw new Error('a line filter could not be pushed down to storage; the caller must apply it');
    }
    for (const p of parts) {
      const inPartition = ids.filter((id) => p.streams.has(id));
      const idClause =
        inPartition.length === p.streams.size
          ? ''
          : inPartition.length <= MAX_ID_LIST
            ? ` AND stream_id IN (SELECT unnest($ids::UINTEGER[]))`
            : '';
      const keep =
        idClause === '' && inPartition.length !== p.streams.size ? new Set(inPartition) : undefined;
      const lo = query.startNs > p.startNs ? query.startNs : p.startNs;
      const hi = query.endNs < p.endNs ? query.endNs : p.endNs;
      const span = hi - lo;
      // First guess: the slice that would hold the target row count if rows were spread evenly.
      let slice = p.rows > 0 ? (span * BigInt(SLICE_TARGET_ROWS)) / BigInt(Math.max(1, p.rows)) + 1n : span;
      let cursor = query.direction === 'forward' ? lo : hi;
      while (query.direction === 'forward' ? cursor < hi : cursor > lo) {
        query.signal?.throwIfAborted();
        let from: bigint;
        let to: bigint;
        if (query.direction === 'forward') {
          from = cursor;
          to = cursor + slice < hi ? cursor + slice : hi;
          cursor = to;
        } else {
          to = cursor;
          from = cursor - slice > lo ? cursor - slice : lo;
          cursor = from;
        }
        const rows = await this.readSlice(p, from, to, query, idClause, inPartition, filterSql, keep);
        if (rows === undefined) break; // partition deleted by retention meanwhile
        if (rows.length > 0) yield rows;
        if (rows.length < SLICE_TARGET_ROWS / 4) slice *= 4n;
        else if (rows.length > SLICE_TARGET_ROWS * 4 && slice > 1n) slice /= 2n;
      }
    }
  }

  private async readSlice(
    p: Partition,
    from: bigint,
    to: bigint,
    query: LogSelect,
    idClause: string,
    ids: readonly number[],
    filterSql: string | undefined,
    keep: Set<number> | undefined,
  ): Promise<LogRow[] | undefined> {
    const full = (query.body ?? 'full') === 'full';
    const sql = () =>
      `SELECT stream_id, ts, observed_ts, severity, severity_text, ${full ? 'line' : "''"}, ${this.lineBytes(p)}::DOUBLE, ` +
      `${query.withoutMetadata ? "''" : 'metadata'}, lpad(lower(hex(trace_id)), 32, '0'), lpad(lower(hex(span_id)), 16, '0') ` +
      `FROM ${this.source(p)} WHERE ts >= $from AND ts < $to${idClause}` +
      `${filterSql ? ` AND ${filterSql}` : ''} ORDER BY ts ${query.direction === 'forward' ? 'ASC' : 'DESC'}, stream_id`;
    const params: Record<string, bigint | ReturnType<typeof listValue>> = { from, to };
    if (idClause) params.ids = listValue(ids as number[]);
    const reader = await this.readPartition(p, sql, params);
    if (!reader) return undefined;
    return this.toRows(reader, keep);
  }

  /**
   * Runs a query on one partition; undefined when retention deleted the partition meanwhile.
   * The SQL is built at run time, and built again once if compaction swapped the partition's
   * table or file while the query waited or ran.
   */
  private async readPartition(
    p: Partition,
    sql: () => string,
    params: Record<string, DuckDBValue>,
    types?: Record<string, DuckDBType | undefined>,
  ): Promise<DuckDBResultReader | undefined> {
    for (let attempt = 0; ; attempt++) {
      const source = this.source(p);
      try {
        return await this.readers.run(sql(), params, types);
      } catch (err) {
        if (!this.partitions.has(p.startNs)) return undefined;
        if (attempt === 0 && this.source(p) !== source) continue;
        throw err;
      }
    }
  }

  private toRows(reader: DuckDBResultReader, keep: Set<number> | undefined): LogRow[] {
    const [sid, ts, obs, sev, sevText, line, bytes, meta, trace, span] = columns(reader, 10) as [
      number[],
      bigint[],
      bigint[],
      number[],
      string[],
      string[],
      number[],
      string[],
      (string | null)[],
      (string | null)[],
    ];
    const out: LogRow[] = [];
    for (let i = 0; i < sid.length; i++) {
      if (keep && !keep.has(sid[i])) continue;
      const labels = this.index.labels(sid[i]);
      if (!labels) continue;
      out.push({
        labels,
        timestampNs: ts[i],
        observedTimestampNs: obs[i],
        severityNumber: sev[i],
        severityText: sevText[i],
        body: line[i],
        bodyBytes: bytes[i],
        metadata: meta[i] === '' ? [] : decodePairs(meta[i]),
        traceId: trace[i] ?? '',
        spanId: span[i] ?? '',
      });
    }
    return out;
  }

  async countBuckets(query: BucketQuery): Promise<StreamBuckets[]> {
    const ids = this.index.select(query.matchers);
    if (ids.length === 0 || query.endNs <= query.startNs) return [];
    const filterSql = lineFilterSql(query.lineFilters ?? []);
    if (query.lineFilters?.length && filterSql === undefined) {
      throw new Error('a line filter could not be pushed down to storage; the caller must apply it');
    }
    const wanted = new Set(ids);
    const acc = new Map<number, Map<number, [number, number]>>();
    for (const p of this.overlapping(query.startNs, query.endNs)) {
      query.signal?.throwIfAborted();
      const inPartition = ids.filter((id) => p.streams.has(id));
      if (inPartition.length === 0) continue;
      const idClause =
        inPartition.length === p.streams.size
          ? ''
          : inPartition.length <= MAX_ID_LIST
            ? ' AND stream_id IN (SELECT unnest($ids::UINTEGER[]))'
            : '';
      const params: Record<string, bigint | ReturnType<typeof listValue>> = {
        from: query.startNs,
        to: query.endNs,
      };
      if (idClause) params.ids = listValue(inPartition);
      // Origin and width are inlined (they are bigints, not user text): as parameters in the
      // grouping expression they made this query 5-8× slower (bench/logs-query.ts, rate).
      const bucket = `((ts - ${BigInt(query.originNs)} - 1) // ${BigInt(query.bucketNs)})::DOUBLE`;
      const reader = await this.readPartition(
        p,
        () =>
          `SELECT stream_id, ${bucket} AS b, count(*)::DOUBLE, sum(${this.lineBytes(p)})::DOUBLE ` +
          `FROM ${this.source(p)} WHERE ts >= $from AND ts < $to${idClause}${filterSql ? ` AND ${filterSql}` : ''} GROUP BY 1, 2`,
        params,
      );
      if (!reader) continue;
      const [sid, b, n, bytes] = columns(reader, 4) as [number[], number[], number[], number[]];
      for (let i = 0; i < sid.length; i++) {
        if (!wanted.has(sid[i])) continue;
        let m = acc.get(sid[i]);
        if (!m) {
          m = new Map();
          acc.set(sid[i], m);
        }
        const prev = m.get(b[i]);
        if (prev) {
          prev[0] += n[i];
          prev[1] += bytes[i];
        } else m.set(b[i], [n[i], bytes[i]]);
      }
    }
    const out: StreamBuckets[] = [];
    for (const [id, m] of acc) {
      const labels = this.index.labels(id);
      if (!labels) continue;
      const keys = [...m.keys()].sort((x, y) => x - y);
      out.push({
        labels,
        buckets: keys,
        counts: keys.map((k) => m.get(k)![0]),
        bytes: keys.map((k) => m.get(k)![1]),
      });
    }
    return out.sort((a, b) => compareLabels(a.labels, b.labels));
  }

  /** Stream ids matching any matcher list that have records in the range, with their partitions. */
  private matchingStreams(query: StreamQuery): { ids: number[]; parts: Partition[] } {
    const parts = this.overlapping(query.startNs, query.endNs);
    const active = new Set<number>();
    for (const p of parts) for (const id of p.streams) active.add(id);
    const sets = query.matchers.length > 0 ? query.matchers : [[]];
    const ids = new Set<number>();
    for (const ms of sets) for (const id of this.index.select(ms)) if (active.has(id)) ids.add(id);
    return { ids: [...ids].sort((a, b) => a - b), parts };
  }

  async series(query: StreamQuery): Promise<Labels[]> {
    const { ids } = this.matchingStreams(query);
    return ids.map((id) => this.index.labels(id)!).sort(compareLabels);
  }

  async labelNames(query: StreamQuery): Promise<string[]> {
    return this.index.labelNames(this.matchingStreams(query).ids);
  }

  async labelValues(name: string, query: StreamQuery): Promise<string[]> {
    return this.index.labelValues(name, this.matchingStreams(query).ids);
  }

  async stats(query: StreamQuery): Promise<LogStats> {
    const volume = await this.volume(query);
    let entries = 0;
    let bytes = 0;
    for (const v of volume) {
      entries += v.entries;
      bytes += v.bytes;
    }
    const { parts } = this.matchingStreams(query);
    return { streams: volume.length, chunks: parts.length, entries, bytes };
  }

  async volume(query: StreamQuery): Promise<StreamVolume[]> {
    const { ids, parts } = this.matchingStreams(query);
    if (ids.length === 0) return [];
    const totals = new Map<number, { entries: number; bytes: number }>();
    for (const p of parts) {
      const inPartition = ids.filter((id) => p.streams.has(id));
      if (inPartition.length === 0) continue;
      const idClause =
        inPartition.length === p.streams.size ? '' : ' AND stream_id IN (SELECT unnest($ids::UINTEGER[]))';
      const params: Record<string, bigint | ReturnType<typeof listValue>> = {
        from: query.startNs,
        to: query.endNs,
      };
      if (idClause) params.ids = listValue(inPartition);
      const reader = await this.readPartition(
        p,
        () =>
          `SELECT stream_id, count(*)::DOUBLE, sum(${this.lineBytes(p)})::DOUBLE FROM ${this.source(p)} WHERE ts >= $from AND ts < $to${idClause} GROUP BY stream_id`,
        params,
      );
      if (!reader) continue;
      const [sid, n, b] = columns(reader, 3) as [number[], number[], number[]];
      for (let i = 0; i < sid.length; i++) {
        const t = totals.get(sid[i]) ?? { entries: 0, bytes: 0 };
        t.entries += n[i];
        t.bytes += b[i];
        totals.set(sid[i], t);
      }
    }
    const out: StreamVolume[] = [];
    for (const [id, t] of totals) {
      const labels = this.index.labels(id);
      if (labels) out.push({ labels, entries: t.entries, bytes: t.bytes });
    }
    return out.sort((a, b) => compareLabels(a.labels, b.labels));
  }

  async traceRecords(traceId: string, startNs: bigint, endNs: bigint, limit: number): Promise<LogRow[]> {
    if (!/^[0-9a-f]{32}$/.test(traceId)) return [];
    const id = BigInt(`0x${traceId}`);
    const out: LogRow[] = [];
    for (const p of this.overlapping(startNs, endNs)) {
      if (out.length >= limit) break;
      const reader = await this.readPartition(
        p,
        () =>
          `SELECT stream_id, ts, observed_ts, severity, severity_text, line, ${this.lineBytes(p)}::DOUBLE, metadata, ` +
          `lpad(lower(hex(trace_id)), 32, '0'), lpad(lower(hex(span_id)), 16, '0') FROM ${this.source(p)} ` +
          `WHERE trace_id = $trace AND ts >= $from AND ts < $to ORDER BY ts, stream_id LIMIT ${Math.max(0, limit - out.length)}`,
        { trace: id, from: startNs, to: endNs },
        { trace: UHUGEINT },
      );
      if (!reader) continue;
      out.push(...this.toRows(reader, undefined));
    }
    return out;
  }

  applyRetention(beforeNs: bigint, maxBytes: number): Promise<{ deletedPartitions: number }> {
    return this.serialized(async () => {
      let deleted = 0;
      const ordered = [...this.partitions.values()].sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
      for (const p of ordered) {
        if (p.endNs > beforeNs) break;
        await this.dropPartition(p);
        deleted++;
      }
      if (deleted > 0) await this.writer.run('CHECKPOINT');
      await this.refreshSize();
      if (maxBytes > 0) {
        // Keep the newest partition: it is being written to.
        for (const p of ordered.slice(deleted, -1)) {
          if (this.cachedBytes <= maxBytes) break;
          await this.dropPartition(p);
          deleted++;
          await this.writer.run('CHECKPOINT');
          await this.refreshSize();
        }
      }
      return { deletedPartitions: deleted };
    });
  }

  private async dropPartition(p: Partition): Promise<void> {
    // Appends in flight may still write into this partition: let them finish first.
    await this.exclusive(async () => {
      this.partitions.delete(p.startNs);
      await this.writer.run(`DROP TABLE IF EXISTS ${ident(p.table)}`);
      if (p.parquet) {
        await this.writer.run(`DELETE FROM meta WHERE key = 'parquet' AND value = $f`, { f: p.parquet });
        await unlink(join(this.options.dataDir, p.parquet)).catch(() => undefined);
      }
    });
    this.options.logger.info({ partition: p.table }, 'retention deleted a log partition');
  }

  /** Runs maintenance (retention, compaction) one task at a time. */
  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.maintenance.then(task, task);
    this.maintenance = run.catch(() => undefined);
    return run;
  }

  /** Rewrites partitions whose window ended more than compactAfterMs ago, sorted for compression. */
  compactDue(): Promise<number> {
    return this.serialized(async () => {
      const after = BigInt(Math.round(this.options.compactAfterMs ?? 0)) * NS_PER_MS;
      const nowNs = BigInt(this.now()) * NS_PER_MS;
      let n = 0;
      for (const p of [...this.partitions.values()]) {
        if (this.closed) break;
        if (!p.hasTable || p.endNs + after > nowNs) continue;
        try {
          await this.compact(p);
          n++;
        } catch (err) {
          this.options.logger.error(
            { err, partition: p.table },
            'compacting a log partition failed; will retry',
          );
        }
      }
      return n;
    });
  }

  /**
   * Moves one partition into a new Parquet file sorted by (5-minute bucket, stream, time): its
   * table and any earlier file are read in one snapshot and written out while appends go on;
   * then, with appends held, the new file replaces both unless lines arrived meanwhile (the
   * next round tries again). The file is fsynced and renamed into place before the commit that
   * names it, so a kill at any point leaves either the old state or the new one.
   */
  private async compact(p: Partition): Promise<void> {
    const started = Date.now();
    const file = `${p.table}.${started}.parquet`;
    const path = join(this.options.dataDir, file);
    const tmp = `${path}.tmp`;
    const source = this.source(p);
    await this.writer.run('BEGIN TRANSACTION');
    let copied: number;
    try {
      copied = Number(
        columns(await this.writer.runAndReadAll(`SELECT count(*)::DOUBLE FROM ${source}`), 1)[0][0] ?? 0,
      );
      await this.writer.run(
        `COPY (SELECT ${TO_PARQUET_COLUMNS} FROM ${source} ORDER BY ts // ${COMPACT_BUCKET_NS}, stream_id, ts) ` +
          `TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${PARQUET_ROW_GROUP})`,
      );
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    } finally {
      await this.writer.run('COMMIT').catch(() => undefined);
    }
    await fsyncPath(tmp);
    await rename(tmp, path);
    await fsyncPath(this.options.dataDir);
    const replaced = await this.exclusive(async () => {
      const now = Number(
        columns(await this.writer.runAndReadAll(`SELECT count(*)::DOUBLE FROM ${this.source(p)}`), 1)[0][0] ??
          0,
      );
      if (now !== copied || !this.partitions.has(p.startNs)) return false;
      const old = p.parquet;
      await this.writer.run('BEGIN TRANSACTION');
      try {
        await this.writer.run(`DROP TABLE IF EXISTS ${ident(p.table)}`);
        if (old) await this.writer.run(`DELETE FROM meta WHERE key = 'parquet' AND value = $f`, { f: old });
        await this.writer.run(`INSERT INTO meta VALUES ('parquet', $f)`, { f: file });
        await this.writer.run('COMMIT');
      } catch (err) {
        await this.writer.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
      p.parquet = file;
      p.parquetBytes = (await stat(path)).size;
      p.hasTable = false;
      if (old) await unlink(join(this.options.dataDir, old)).catch(() => undefined);
      return true;
    });
    if (!replaced) {
      await unlink(path).catch(() => undefined);
      this.options.logger.info({ partition: p.table }, 'lines arrived during compaction; will retry');
      return;
    }
    // Frees the dropped table's blocks; not needed for correctness (a later checkpoint does it).
    await this.writer.run('CHECKPOINT').catch(() => undefined);
    await this.refreshSize();
    this.options.logger.info(
      { partition: p.table, rows: p.rows, bytes: p.parquetBytes, ms: Date.now() - started },
      'compacted a log partition',
    );
  }

  storeStats(): LogStoreStats {
    let oldest: bigint | undefined;
    let newest: bigint | undefined;
    for (const p of this.partitions.values()) {
      if (oldest === undefined || p.startNs < oldest) oldest = p.startNs;
      if (newest === undefined || p.endNs > newest) newest = p.endNs;
    }
    return {
      streams: this.index.size,
      partitions: this.partitions.size,
      storageBytes: this.cachedBytes,
      oldestNs: oldest,
      newestNs: newest,
    };
  }

  /** Re-reads the bytes the database occupies (used blocks and its write-ahead log). */
  async refreshSize(): Promise<number> {
    const rows = (await this.writer.runAndReadAll('PRAGMA database_size')).getRowObjects();
    const r = rows[0] as { block_size: bigint; used_blocks: bigint } | undefined;
    let wal = 0;
    try {
      wal = (await stat(join(this.options.dataDir, 'logs.duckdb.wal'))).size;
    } catch {
      // no WAL right after a checkpoint
    }
    let files = 0;
    for (const p of this.partitions.values()) files += p.parquetBytes;
    this.cachedBytes = (r ? Number(r.block_size * r.used_blocks) : 0) + wal + files;
    return this.cachedBytes;
  }

  /** Writes everything to the database file (for benchmarks and tests measuring size). */
  async checkpoint(): Promise<void> {
    await this.settled();
    await this.writer.run('CHECKPOINT');
    await this.refreshSize();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.compactionTimer);
    await this.settled();
    await this.maintenance;
    await this.settled();
    await this.writer.run('CHECKPOINT').catch(() => undefined);
    await this.readers.close();
    for (const l of this.lanes) l.closeSync();
    this.writer.closeSync();
    this.instance.closeSync();
  }
}

/** Flushes a file or directory to disk, so that a rename after it survives a crash. */
async function fsyncPath(path: string): Promise<void> {
  const handle = await openFile(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function tableName(startNs: bigint): string {
  return `logs_${startNs / 1_000_000_000n}`;
}

/** Result columns; an empty result has none, so pad with empty arrays. */
function columns(reader: DuckDBResultReader, n: number): unknown[][] {
  const cols = reader.getColumns() as unknown[][];
  while (cols.length < n) cols.push([]);
  return cols;
}

/** Label pairs as a JSON array [name, value, name, value, ...]. */
function encodePairs(labels: Labels): string {
  const flat: string[] = [];
  for (const l of labels) flat.push(l.name, l.value);
  return JSON.stringify(flat);
}

function decodePairs(text: string): Labels {
  const flat = JSON.parse(text) as string[];
  const out: Label[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ name: flat[i], value: flat[i + 1] });
  return out;
}
