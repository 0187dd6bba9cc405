import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflateRaw, inflateRaw } from 'node:zlib';
import type { Logger } from 'pino';
import { type InstrumentationScope, type Resource, type Span, serviceName } from '../../../model/span.ts';
import type { SelfMetrics } from '../../../self/metrics.ts';
import { frameRecord, readRecords } from '../../wal/records.ts';
import {
  deleteUpTo,
  listWal,
  readCheckpoint,
  readSegment,
  segmentName,
  truncateSegment,
  WalWriter,
  writeCheckpoint,
} from '../../wal/wal.ts';
import type {
  SpanLimits,
  SpanStore,
  TagScope,
  TagValue,
  TimeRangeNs,
  TracePart,
  TraceScanRequest,
  TraceStoreStats,
} from '../interface.ts';
import {
  decodeResourceRecord,
  decodeScopeRecord,
  EncodedSpan,
  encodeResourceRecord,
  encodeScopeRecord,
  spanBytes,
} from '../otlp/span-codec.ts';
import { fromHex } from '../otlp/wire.ts';
import { TagCollector } from '../tags.ts';
import { TraceIdBloom } from './bloom.ts';
import { Head, type HeadSpan, type HeadTrace } from './head.ts';
import { type Interned, RecordInterner } from './interner.ts';
import {
  type BatchSpan,
  decodeSpanBatch,
  encodePage,
  encodeSpanBatch,
  type PageSpan,
  pageSpanSize,
  RECORD_SPAN_BATCH,
  readPage,
  TRACE_RECORD_TYPES,
} from './records.ts';
import { type BlockRow, type PageRow, type TraceRow, TraceTables, traceIdToHuge } from './tables.ts';

const deflateAsync = promisify(deflateRaw);
/** Block tags are collected from one span in this many (plus every root span). */
const TAG_SAMPLE_EVERY = 8;
const inflateAsync = promisify(inflateRaw);

export interface DuckDBSpanStoreOptions {
  readonly dataDir: string;
  readonly logger: Logger;
  readonly self?: SelfMetrics;
  /** Server clock, Unix ms. */
  readonly now?: () => number;
  readonly limits: SpanLimits;
  /** Blocks whose newest span ended longer ago than this are deleted (ms); 0 keeps everything. */
  readonly retentionMs: number;
  /** Oldest blocks are deleted while storage is bigger than this (bytes); 0 = no limit. */
  readonly retentionBytes: number;
  /** A block is cut when the head holds this many spans (default 200,000) ... */
  readonly maxHeadSpans?: number;
  /** ... or this many span bytes (default 128 MiB) ... */
  readonly maxHeadBytes?: number;
  /** ... or its oldest trace arrived this long ago (ms, default 30 s). */
  readonly maxHeadAgeMs?: number;
  /**
   * A timed cut takes traces that got no span for this long (ms, default 5 s) or are older than
   * maxHeadAgeMs × 4, so traces mostly land whole in one block; a cut for size takes everything.
   */
  readonly traceIdleMs?: number;
  /** Uncompressed page size (default 64 KiB). */
  readonly pageBytes?: number;
  /** How often the head age and retention are checked (ms; defaults 5 s and 60 s). */
  readonly checkIntervalMs?: number;
  readonly retentionIntervalMs?: number;
}

interface LoadedBlock {
  readonly row: BlockRow;
  readonly bloom: TraceIdBloom;
  readonly services: ReadonlySet<string>;
}

/**
 * The default span store: a write-ahead log and an in-memory head for recent spans, and blocks of
 * compressed pages in one DuckDB file (tables.ts) for the rest.
 *
 *   append → WAL record (group-committed fsync) → head → acknowledged
 *   when the head is big or old: its spans (traces idle for a while, or everything when it is
 *   big) become a block: sorted by trace id, cut into deflate-compressed pages, with a trace-id
 *   Bloom filter, one index row per trace and the block's attribute tags, all in one transaction;
 *   the head's remaining spans go to a WAL checkpoint and older WAL segments are deleted.
 *
 * Trace by id: the head, then the blocks whose Bloom filter may hold the id, reading only the
 * pages whose trace-id range covers it. Scans prune blocks by time and service, then traces by
 * the per-trace index rows, and read only the pages holding what is left.
 *
 * On start: blocks from DuckDB; the checkpoint cut with the newest block, then the WAL segments
 * after it, are replayed into the head (a torn tail from a crash is cut off: never acknowledged).
 */
export class DuckDBSpanStore implements SpanStore {
  readonly limits: SpanLimits;
  private readonly head = new Head();
  /** Traces being written as a block: still served from memory until the block is committed. */
  private flushing: Map<string, HeadTrace> | undefined;
  private blocks: LoadedBlock[] = [];
  private nextBlockId = 1;
  private readonly resources = new RecordInterner<Resource>(encodeResourceRecord, decodeResourceRecord);
  private readonly scopes = new RecordInterner<InstrumentationScope>(encodeScopeRecord, decodeScopeRecord);
  private readonly services = new Map<number, string>();
  private wal!: WalWriter;
  private readonly walDir: string;
  private seq = 0;
  private readonly inflight = new Map<number, Promise<void>>();
  /**
   * Set while a persist rotates the WAL: appends that start then wait before writing, so that
   * every record of an earlier append is in a segment at or before the cut and none of a later
   * one is (the WAL would otherwise put a record queued during the rotation's flush into the
   * old segment, which the persist then deletes).
   */
  private walGate: Promise<void> | undefined;
  private persisting: Promise<void> | undefined;
  private retentionRunning: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  private blockSpans = 0;
  private blockBytes = 0;
  private headTags: { generation: number; tags: TagCollector } | undefined;
  private readonly now: () => number;
  private readonly metrics: StoreMetrics | undefined;
  private readonly maxHeadSpans: number;
  private readonly maxHeadBytes: number;
  private readonly maxHeadAgeMs: number;
  private readonly traceIdleMs: number;
  private readonly pageBytes: number;

  private constructor(
    private readonly tables: TraceTables,
    private readonly options: DuckDBSpanStoreOptions,
  ) {
    this.limits = options.limits;
    this.now = options.now ?? Date.now;
    this.walDir = join(options.dataDir, 'wal');
    this.maxHeadSpans = options.maxHeadSpans ?? 200_000;
    this.maxHeadBytes = options.maxHeadBytes ?? 128 * 1024 * 1024;
    this.maxHeadAgeMs = options.maxHeadAgeMs ?? 30_000;
    this.traceIdleMs = options.traceIdleMs ?? 5_000;
    this.pageBytes = options.pageBytes ?? 64 * 1024;
    this.metrics = options.self ? new StoreMetrics(options.self, this) : undefined;
  }

  static async open(options: DuckDBSpanStoreOptions): Promise<DuckDBSpanStore> {
    await mkdir(options.dataDir, { recursive: true });
    const tables = await TraceTables.open(join(options.dataDir, 'traces.duckdb'));
    const store = new DuckDBSpanStore(tables, options);
    try {
      await store.load();
    } catch (err) {
      await tables.close().catch(() => undefined);
      throw err;
    }
    return store;
  }

  private async load(): Promise<void> {
    const started = Date.now();
    for (const r of await this.tables.loadResources()) this.resources.load(r.id, r.data);
    for (const s of await this.tables.loadScopes()) this.scopes.load(s.id, s.data);
    let sealed: number | undefined;
    for (const row of await this.tables.loadBlocks()) {
      this.addBlock(row);
      if (sealed === undefined || row.walSegment > sealed) sealed = row.walSegment;
      if (row.id >= this.nextBlockId) this.nextBlockId = row.id + 1;
    }

    // Checkpoints other than the sealed one belong to persists that did not commit.
    const { segments } = await listWal(this.walDir);
    for (const name of await readdir(this.walDir).catch(() => [] as string[])) {
      const m = /^checkpoint\.(\d{8})(\.tmp)?$/.exec(name);
      if (m && (m[2] || Number(m[1]) !== sealed)) await rm(join(this.walDir, name), { force: true });
    }
    let replayed = 0;
    if (sealed !== undefined) {
      try {
        replayed += this.replay(await readCheckpoint(this.walDir, sealed), `checkpoint ${sealed}`).spans;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    const toReplay = segments.filter((s) => sealed === undefined || s > sealed);
    for (let i = 0; i < toReplay.length; i++) {
      const n = toReplay[i];
      const result = this.replay(await readSegment(this.walDir, n), `segment ${n}`);
      replayed += result.spans;
      if (result.error !== undefined) {
        // A torn tail is what kill -9 during a write leaves: those bytes were never acknowledged.
        this.options.logger.warn(
          { segment: n, validBytes: result.validBytes, error: result.error },
          'traces write-ahead log segment ends with an incomplete record; cutting it off (it was never acknowledged)',
        );
        await truncateSegment(this.walDir, n, result.validBytes);
        if (i < toReplay.length - 1) {
          this.options.logger.error(
            { segment: n },
            'traces write-ahead log is corrupt before its last segment',
          );
          break;
        }
      }
    }
    if (sealed !== undefined) await deleteUpTo(this.walDir, sealed);
    const last = Math.max(sealed ?? 0, ...segments, 0);
    this.wal = await WalWriter.create(this.walDir, last + 1);
    this.wal.onFlush = (seconds) => this.metrics?.walFsync.observe(seconds);
    this.options.logger.info(
      {
        blocks: this.blocks.length,
        spans: this.blockSpans,
        replayedSpans: replayed,
        ms: Date.now() - started,
      },
      'span storage opened',
    );
    this.timers.push(
      setInterval(() => this.maybePersist('age'), this.options.checkIntervalMs ?? 5_000),
      setInterval(() => void this.runRetention(), this.options.retentionIntervalMs ?? 60_000),
    );
    for (const t of this.timers) t.unref();
  }

  /** Replays one WAL segment or checkpoint into the head. */
  private replay(bytes: Buffer, what: string): { spans: number; validBytes: number; error?: string } {
    const it = readRecords(bytes, TRACE_RECORD_TYPES);
    let spans = 0;
    for (;;) {
      const next = it.next();
      if (next.done) return { spans, ...next.value };
      if (next.value.type !== RECORD_SPAN_BATCH) continue;
      try {
        spans += this.addBatchToHead(decodeSpanBatch(next.value.payload), this.seq++);
      } catch (err) {
        this.options.logger.error({ err, what }, 'skipping an unreadable span batch in the write-ahead log');
      }
    }
  }

  private addBatchToHead(batch: ReturnType<typeof decodeSpanBatch>, seq: number): number {
    const resources = batch.resources.map((b) => this.internResource(this.resources.ofBytes(b)));
    const scopes = batch.scopes.map((b) => this.scopes.ofBytes(b));
    const now = this.now();
    for (const s of batch.spans) {
      const resource = resources[s.resource];
      const scope = scopes[s.scope];
      const span = new EncodedSpan(s.bytes, resource.value, scope.value);
      this.head.add(span.traceId, headSpan(span, s.bytes, resource.id, scope.id, seq), now);
    }
    return batch.spans.length;
  }

  private internResource(entry: Interned<Resource>): Interned<Resource> {
    if (!this.services.has(entry.id)) this.services.set(entry.id, serviceName(entry.value));
    return entry;
  }

  private addBlock(row: BlockRow): void {
    this.blocks.push({ row, bloom: TraceIdBloom.fromBytes(row.bloom), services: new Set(row.services) });
    this.blockSpans += row.spans;
    this.blockBytes += row.bytes;
  }

  // -------------------------------------------------------------------------------------------
  // Writes

  async append(spans: readonly Span[]): Promise<void> {
    if (this.closed) throw new Error('span storage is closed');
    if (spans.length === 0) return;
    const seq = this.seq++;
    const work = this.appendDurably(spans, seq);
    this.inflight.set(seq, work);
    try {
      await work;
    } finally {
      this.inflight.delete(seq);
    }
    this.maybePersist('size');
    // Back-pressure: while a block is being written, a head already twice its limit makes
    // appends wait instead of growing memory without bound.
    if (this.persisting && this.head.spans > 2 * this.maxHeadSpans) await this.persisting;
  }

  private async appendDurably(spans: readonly Span[], seq: number): Promise<void> {
    const resourceIndex = new Map<number, number>();
    const scopeIndex = new Map<number, number>();
    const resources: Uint8Array[] = [];
    const scopes: Uint8Array[] = [];
    const batchSpans: BatchSpan[] = [];
    const entries: { traceId: string; span: HeadSpan }[] = [];
    for (const span of spans) {
      const res = this.internResource(this.resources.ofValue(span.resource));
      const scope = this.scopes.ofValue(span.scope);
      let ri = resourceIndex.get(res.id);
      if (ri === undefined) {
        ri = resources.length;
        resources.push(res.bytes);
        resourceIndex.set(res.id, ri);
      }
      let si = scopeIndex.get(scope.id);
      if (si === undefined) {
        si = scopes.length;
        scopes.push(scope.bytes);
        scopeIndex.set(scope.id, si);
      }
      const bytes = spanBytes(span);
      batchSpans.push({ resource: ri, scope: si, bytes });
      entries.push({ traceId: span.traceId, span: headSpan(span, bytes, res.id, scope.id, seq) });
    }
    const record = frameRecord(
      RECORD_SPAN_BATCH,
      encodeSpanBatch({ resources, scopes, spans: batchSpans }),
      true,
    );
    while (this.walGate) await this.walGate;
    await this.wal.append([record]);
    const now = this.now();
    for (const e of entries) this.head.add(e.traceId, e.span, now);
    this.metrics?.appended.inc(spans.length);
  }

  /** Starts a persist when the head is over its limits ('size') or its oldest trace is old ('age'). */
  private maybePersist(trigger: 'size' | 'age'): void {
    if (this.persisting || this.closed || this.head.spans === 0) return;
    const full = this.head.spans >= this.maxHeadSpans || this.head.bytes >= this.maxHeadBytes;
    if (trigger === 'size' && !full) return;
    if (!full) {
      const oldest = this.head.oldestAppendMs();
      if (oldest === undefined || this.now() - oldest < this.maxHeadAgeMs) return;
    }
    void this.persist(full).catch((err) => this.options.logger.error({ err }, 'writing a span block failed'));
  }

  /**
   * Writes head spans to a new block: all of them when `all`, else the traces idle for
   * traceIdleMs or first seen more than 4 × maxHeadAgeMs ago. Resolves when done (or when there
   * was nothing to write); one persist runs at a time.
   */
  persist(all: boolean): Promise<void> {
    if (this.persisting) return this.persisting;
    this.persisting = this.doPersist(all).finally(() => {
      this.persisting = undefined;
    });
    return this.persisting;
  }

  private async doPersist(all: boolean): Promise<void> {
    const started = process.hrtime.bigint();
    // Appends before the cut finish (their records are then in segments ≤ the rotated one and
    // their spans in the head); appends after it wait at the gate and go to the next segment.
    const cutSeq = this.seq;
    let openGate!: () => void;
    this.walGate = new Promise((resolve) => {
      openGate = resolve;
    });
    let segment: number;
    try {
      await Promise.allSettled([...this.inflight].filter(([s]) => s < cutSeq).map(([, p]) => p));
      segment = await this.wal.rotate();
    } finally {
      this.walGate = undefined;
      openGate();
    }
    const now = this.now();
    const taken = this.head.take(
      (t) =>
        all || now - t.lastAppendMs >= this.traceIdleMs || now - t.firstAppendMs >= 4 * this.maxHeadAgeMs,
      cutSeq,
    );
    if (taken.size === 0) return;
    this.flushing = taken;
    const newResources = this.resources.takePending();
    const newScopes = this.scopes.takePending();
    try {
      const block = await this.buildBlock(taken, segment);
      // The checkpoint holds the head spans that are in segments ≤ `segment` but not in the
      // block. It is only used once the block row (which names `segment`) is committed.
      await writeCheckpoint(this.walDir, segment, this.checkpointRecords(cutSeq));
      await this.tables.writeBlock({
        ...block,
        resources: newResources.map((r) => ({ id: r.id, data: r.bytes })),
        scopes: newScopes.map((s) => ({ id: s.id, data: s.bytes })),
      });
      this.addBlock(block.block);
      this.flushing = undefined;
      await deleteUpTo(this.walDir, segment);
      this.metrics?.persist.labels().observeSince(started);
      this.options.logger.debug(
        {
          block: block.block.id,
          spans: block.block.spans,
          traces: block.block.traces,
          bytes: block.block.bytes,
        },
        'span block written',
      );
    } catch (err) {
      this.head.restore(taken);
      this.resources.returnPending(newResources);
      this.scopes.returnPending(newScopes);
      await rm(join(this.walDir, `checkpoint.${segmentName(segment)}`), { force: true }).catch(
        () => undefined,
      );
      throw err;
    } finally {
      this.flushing = undefined;
    }
  }

  /** WAL records of the head spans appended before `beforeSeq`, in batches of ~4 MiB. */
  private checkpointRecords(beforeSeq: number): Buffer[] {
    const records: Buffer[] = [];
    let resources: Uint8Array[] = [];
    let scopes: Uint8Array[] = [];
    let spans: BatchSpan[] = [];
    let resIndex = new Map<number, number>();
    let scopeIndex = new Map<number, number>();
    let bytes = 0;
    const flush = () => {
      if (spans.length === 0) return;
      records.push(frameRecord(RECORD_SPAN_BATCH, encodeSpanBatch({ resources, scopes, spans }), true));
      resources = [];
      scopes = [];
      spans = [];
      resIndex = new Map();
      scopeIndex = new Map();
      bytes = 0;
    };
    for (const t of this.head.traces.values()) {
      for (const s of t.spans) {
        if (s.seq >= beforeSeq) continue;
        let ri = resIndex.get(s.resource);
        if (ri === undefined) {
          ri = resources.length;
          resources.push(this.resources.get(s.resource).bytes);
          resIndex.set(s.resource, ri);
        }
        let si = scopeIndex.get(s.scope);
        if (si === undefined) {
          si = scopes.length;
          scopes.push(this.scopes.get(s.scope).bytes);
          scopeIndex.set(s.scope, si);
        }
        spans.push({ resource: ri, scope: si, bytes: s.bytes });
        bytes += s.bytes.length;
        if (bytes >= 4 * 1024 * 1024) flush();
      }
    }
    flush();
    return records;
  }

  private async buildBlock(
    taken: Map<string, HeadTrace>,
    segment: number,
  ): Promise<{
    block: BlockRow;
    pages: PageRow[];
    traces: TraceRow[];
    tags: ReturnType<TagCollector['rows']>;
  }> {
    const ids = [...taken.keys()].sort();
    const id = this.nextBlockId++;
    const bloom = TraceIdBloom.forItems(ids.length);
    const tags = new TagCollector();
    const blockServices = new Set<string>();
    const traces: TraceRow[] = [];
    const rawPages: { spans: PageSpan[]; size: number; first: string; last: string }[] = [];
    let page: PageSpan[] = [];
    let pageSize = 0;
    let pageFirst = '';
    let spanCount = 0;
    let tracesSinceYield = 0;
    let minStart: bigint | undefined;
    let maxEnd: bigint | undefined;
    const cutPage = (last: string) => {
      if (page.length === 0) return;
      rawPages.push({ spans: page, size: pageSize, first: pageFirst, last });
      page = [];
      pageSize = 0;
    };
    for (const traceId of ids) {
      const t = taken.get(traceId)!;
      bloom.add(traceId);
      const idBytes = fromHex(traceId);
      const spans = t.spans
        .slice()
        .sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
      const services = new Set<string>();
      let maxSpan = 0n;
      let rootService: string | null = null;
      let rootName: string | null = null;
      const pageFirstOfTrace = rawPages.length;
      for (const s of spans) {
        if (page.length === 0) pageFirst = traceId;
        // A trace bigger than four pages is split; otherwise pages end at trace boundaries.
        if (pageSize >= 4 * this.pageBytes) {
          cutPage(traceId);
          pageFirst = traceId;
        }
        page.push({ traceId: idBytes, resource: s.resource, scope: s.scope, bytes: s.bytes });
        pageSize += pageSpanSize(s.bytes.length);
        const service = this.services.get(s.resource) ?? 'unknown_service';
        services.add(service);
        const d = s.endNs - s.startNs;
        if (d > maxSpan) maxSpan = d;
        // Tags come from a sample of the spans (every eighth, and every root): decoding every
        // span's attributes would cost as much as ingesting it. Resources are all collected.
        const sampled = s.root || spanCount % TAG_SAMPLE_EVERY === 0;
        spanCount++;
        if (!sampled) {
          tags.addResourceOnce(this.resources.get(s.resource).value);
          continue;
        }
        const span = new EncodedSpan(
          s.bytes,
          this.resources.get(s.resource).value,
          this.scopes.get(s.scope).value,
        );
        if (s.root) {
          rootService = service;
          rootName = span.name;
        }
        tags.addSpan(span, service);
      }
      if (++tracesSinceYield >= 1000) {
        // Let appends and queries run between slices of a big block.
        tracesSinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (minStart === undefined || t.minStartNs < minStart) minStart = t.minStartNs;
      if (maxEnd === undefined || t.maxEndNs > maxEnd) maxEnd = t.maxEndNs;
      for (const s of services) blockServices.add(s);
      traces.push({
        traceId: traceIdToHuge(traceId),
        pageFirst: pageFirstOfTrace,
        pageLast: rawPages.length,
        startNs: t.minStartNs,
        endNs: t.maxEndNs,
        spans: spans.length,
        services: [...services],
        maxSpanNs: maxSpan,
        rootService,
        rootName,
      });
      if (pageSize >= this.pageBytes) cutPage(traceId);
    }
    cutPage(ids[ids.length - 1]);
    const compressed = await Promise.all(
      rawPages.map((p) => deflateAsync(encodePage(p.spans, p.size), { level: 1 })),
    );
    let bytes = 0;
    const pages: PageRow[] = rawPages.map((p, i) => {
      bytes += compressed[i].length;
      return {
        page: i,
        firstTrace: traceIdToHuge(p.first),
        lastTrace: traceIdToHuge(p.last),
        spans: p.spans.length,
        rawBytes: p.size,
        data: compressed[i],
      };
    });
    const tagRows = tags.rows();
    bytes += TraceTables.indexBytes(traces.length, tagRows.length);
    return {
      block: {
        id,
        minStartNs: minStart ?? 0n,
        maxEndNs: maxEnd ?? 0n,
        spans: spanCount,
        traces: traces.length,
        bytes,
        walSegment: segment,
        services: [...blockServices].sort(),
        bloom: bloom.bits,
      },
      pages,
      traces,
      tags: tagRows,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Reads

  async trace(traceId: string, range?: TimeRangeNs): Promise<Span[]> {
    const id = traceId.toLowerCase();
    const out: Span[] = [];
    for (const t of [this.head.traces.get(id), this.flushing?.get(id)]) {
      if (t && overlaps(t.minStartNs, t.maxEndNs, range)) for (const s of t.spans) out.push(this.spanOf(s));
    }
    const candidates = this.blocks
      .filter((b) => overlaps(b.row.minStartNs, b.row.maxEndNs, range) && b.bloom.mayContain(id))
      .map((b) => b.row.id);
    if (candidates.length > 0) {
      const idBytes = fromHex(id);
      const pages = await this.tables.pagesHolding(candidates, traceIdToHuge(id));
      const inflated = await Promise.all(pages.map((p) => inflateAsync(p.data)));
      for (const page of inflated) readPage(page, (ps) => out.push(this.pageSpanOf(ps)), idBytes);
    }
    return dedupeAndSort(out);
  }

  async *scan(request: TraceScanRequest): AsyncIterable<readonly TracePart[]> {
    const services = request.services ? new Set(request.services) : undefined;
    // Newest first: the head, the block being written, then blocks by their newest span.
    for (const source of [this.head.traces, this.flushing]) {
      if (!source) continue;
      const parts: TracePart[] = [];
      for (const [traceId, t] of source) {
        if (!overlaps(t.minStartNs, t.maxEndNs, request)) continue;
        if (services && !t.spans.some((s) => services.has(this.services.get(s.resource) ?? ''))) continue;
        if (
          request.minSpanDurationNs !== undefined &&
          !t.spans.some((s) => Number(s.endNs - s.startNs) >= request.minSpanDurationNs!)
        )
          continue;
        parts.push({ traceId, spans: t.spans.map((s) => this.spanOf(s)) });
      }
      parts.sort((a, b) => compareNewest(a, b));
      if (parts.length > 0) yield parts;
      if (request.signal?.aborted) return;
    }
    const blocks = this.blocks
      .filter((b) => overlaps(b.row.minStartNs, b.row.maxEndNs, request))
      .filter((b) => !services || [...services].some((s) => b.services.has(s)))
      .sort((a, b) =>
        a.row.maxEndNs > b.row.maxEndNs ? -1 : a.row.maxEndNs < b.row.maxEndNs ? 1 : b.row.id - a.row.id,
      );
    for (const block of blocks) {
      if (request.signal?.aborted || this.closed) return;
      const ranges = await this.tables.matchingPageRanges(
        block.row.id,
        request.startNs,
        request.endNs,
        request.services,
        request.minSpanDurationNs,
      );
      if (ranges.length === 0) continue;
      for (const batch of pageBatches(ranges)) {
        if (request.signal?.aborted || this.closed) return;
        const parts = await this.readScanBatch(block.row.id, batch, request, services);
        if (parts.length > 0) yield parts;
      }
    }
  }

  /** The traces on some pages of a block that overlap the request and have a wanted service. */
  private async readScanBatch(
    blockId: number,
    pageNumbers: number[],
    request: TraceScanRequest,
    services: ReadonlySet<string> | undefined,
  ): Promise<TracePart[]> {
    const pages = await this.tables.blockPages(blockId, pageNumbers);
    const byTrace = new Map<string, Span[]>();
    for (const p of pages) {
      const raw = await inflateAsync(p.data);
      readPage(raw, (ps) => {
        const span = this.pageSpanOf(ps);
        let list = byTrace.get(span.traceId);
        if (!list) {
          list = [];
          byTrace.set(span.traceId, list);
        }
        list.push(span);
      });
    }
    const parts: TracePart[] = [];
    for (const [traceId, spans] of byTrace) {
      let min = spans[0].startTimeUnixNano;
      let max = spans[0].endTimeUnixNano;
      for (const s of spans) {
        if (s.startTimeUnixNano < min) min = s.startTimeUnixNano;
        if (s.endTimeUnixNano > max) max = s.endTimeUnixNano;
      }
      if (!overlaps(min, max, request)) continue;
      if (services && !spans.some((s) => services.has(serviceName(s.resource)))) continue;
      parts.push({ traceId, spans });
    }
    parts.sort((a, b) => compareNewest(a, b));
    return parts;
  }

  async tagNames(range: TimeRangeNs): Promise<ReadonlyMap<TagScope, readonly string[]>> {
    const names = new Map<TagScope, Set<string>>();
    for (const [scope, keys] of this.headTagCollector().names()) names.set(scope, new Set(keys));
    for (const { scope, key } of await this.tables.tagNames(this.blockIdsIn(range))) {
      let set = names.get(scope);
      if (!set) {
        set = new Set();
        names.set(scope, set);
      }
      set.add(key);
    }
    const out = new Map<TagScope, readonly string[]>();
    for (const [scope, keys] of names) out.set(scope, [...keys].sort());
    return out;
  }

  async tagValues(
    scope: TagScope | undefined,
    key: string,
    range: TimeRangeNs,
    limit: number,
  ): Promise<readonly TagValue[]> {
    const seen = new Map<string, TagValue>();
    for (const v of this.headTagCollector().values(scope, key)) {
      if (seen.size >= limit) break;
      seen.set(`${v.type}\x00${v.value}`, v);
    }
    if (seen.size < limit) {
      const scopes: TagScope[] = scope ? [scope] : ['span', 'resource'];
      for (const v of await this.tables.tagValues(this.blockIdsIn(range), scopes, key, limit)) {
        if (seen.size >= limit) break;
        seen.set(`${v.type}\x00${v.value}`, v);
      }
    }
    return [...seen.values()];
  }

  /** Tags of the spans in memory, recomputed at most when the head changed. */
  private headTagCollector(): TagCollector {
    if (this.headTags?.generation === this.head.generation) return this.headTags.tags;
    const tags = new TagCollector();
    for (const source of [this.head.traces, this.flushing]) {
      if (!source) continue;
      for (const t of source.values()) {
        for (const s of t.spans) tags.addSpan(this.spanOf(s), this.services.get(s.resource));
      }
    }
    this.headTags = { generation: this.head.generation, tags };
    return tags;
  }

  private blockIdsIn(range: TimeRangeNs): number[] {
    return this.blocks.filter((b) => overlaps(b.row.minStartNs, b.row.maxEndNs, range)).map((b) => b.row.id);
  }

  private spanOf(s: HeadSpan): Span {
    return new EncodedSpan(s.bytes, this.resources.get(s.resource).value, this.scopes.get(s.scope).value);
  }

  private pageSpanOf(ps: PageSpan): Span {
    return new EncodedSpan(ps.bytes, this.resources.get(ps.resource).value, this.scopes.get(ps.scope).value);
  }

  stats(): TraceStoreStats {
    return { spans: this.head.spans + (this.flushingSpans() ?? 0) + this.blockSpans, bytes: this.blockBytes };
  }

  private flushingSpans(): number | undefined {
    if (!this.flushing) return undefined;
    let n = 0;
    for (const t of this.flushing.values()) n += t.spans.length;
    return n;
  }

  /** Spans held in memory (head and the block being written). */
  headSpans(): number {
    return this.head.spans + (this.flushingSpans() ?? 0);
  }

  blockCount(): number {
    return this.blocks.length;
  }

  // -------------------------------------------------------------------------------------------
  // Retention and shutdown

  /** Deletes blocks past retention (by age of their newest span, then by total size). */
  runRetention(): Promise<void> {
    this.retentionRunning ??= this.doRetention()
      .catch((err) => this.options.logger.error({ err }, 'traces retention failed'))
      .finally(() => {
        this.retentionRunning = undefined;
      });
    return this.retentionRunning;
  }

  private async doRetention(): Promise<void> {
    if (this.closed) return;
    const drop = new Set<number>();
    if (this.options.retentionMs > 0) {
      const cutoff = BigInt(Math.floor(this.now() - this.options.retentionMs)) * 1_000_000n;
      for (const b of this.blocks) if (b.row.maxEndNs < cutoff) drop.add(b.row.id);
    }
    if (this.options.retentionBytes > 0) {
      let total = this.blocks.reduce((sum, b) => sum + (drop.has(b.row.id) ? 0 : b.row.bytes), 0);
      const oldestFirst = [...this.blocks].sort((a, b) => (a.row.maxEndNs < b.row.maxEndNs ? -1 : 1));
      for (const b of oldestFirst) {
        if (total <= this.options.retentionBytes) break;
        if (drop.has(b.row.id)) continue;
        drop.add(b.row.id);
        total -= b.row.bytes;
      }
    }
    if (drop.size === 0) return;
    await this.tables.deleteBlocks([...drop]);
    const kept: LoadedBlock[] = [];
    for (const b of this.blocks) {
      if (drop.has(b.row.id)) {
        this.blockSpans -= b.row.spans;
        this.blockBytes -= b.row.bytes;
        this.metrics?.deletedBlocks.inc();
      } else kept.push(b);
    }
    this.blocks = kept;
    await this.tables.checkpoint();
    this.options.logger.info({ blocks: drop.size }, 'deleted span blocks past retention');
  }

  /** Writes every span in memory to a block, then closes the WAL and the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.allSettled([...this.inflight.values()]);
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await this.retentionRunning;
    await this.persisting?.catch(() => undefined);
    if (this.head.spans > 0) {
      await this.persist(true).catch((err) =>
        this.options.logger.error(
          { err },
          'could not write the last span block; the write-ahead log keeps it',
        ),
      );
    }
    await this.wal.close();
    await this.tables.close();
  }
}

function headSpan(span: Span, bytes: Uint8Array, resource: number, scope: number, seq: number): HeadSpan {
  return {
    bytes,
    resource,
    scope,
    startNs: span.startTimeUnixNano,
    endNs: span.endTimeUnixNano,
    root: span.parentSpanId === '',
    seq,
  };
}

function overlaps(start: bigint, end: bigint, range: TimeRangeNs | undefined): boolean {
  return !range || (end >= range.startNs && start <= range.endNs);
}

function compareNewest(a: TracePart, b: TracePart): number {
  const sa = a.spans[0]?.startTimeUnixNano ?? 0n;
  const sb = b.spans[0]?.startTimeUnixNano ?? 0n;
  return sa > sb ? -1 : sa < sb ? 1 : 0;
}

/** Drops exact re-deliveries of a span (same id, start and bytes length) and sorts by start time. */
function dedupeAndSort(spans: Span[]): Span[] {
  const seen = new Set<string>();
  const out: Span[] = [];
  for (const s of spans) {
    const key = `${s.spanId}:${s.startTimeUnixNano}:${s.endTimeUnixNano}:${s.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(s);
  }
  return out.sort((a, b) =>
    a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : 0,
  );
}

class StoreMetrics {
  readonly appended;
  readonly walFsync;
  readonly persist;
  readonly deletedBlocks;

  constructor(self: SelfMetrics, store: DuckDBSpanStore) {
    this.appended = self.counter('vigil_traces_stored_spans_total', 'Spans written to span storage.');
    this.walFsync = self.histogram(
      'vigil_traces_wal_fsync_seconds',
      'Time to write and fsync a group of span batches to the traces write-ahead log.',
    );
    this.persist = self.histogram(
      'vigil_traces_block_write_seconds',
      'Time to turn head spans into a compressed block in DuckDB.',
    );
    this.deletedBlocks = self.counter(
      'vigil_traces_blocks_deleted_total',
      'Span blocks deleted by retention (age or size).',
    );
    const head = self.gauge('vigil_traces_head_spans', 'Spans held in memory, not yet in a block.');
    head.collect(() => head.set(store.headSpans()));
    const blocks = self.gauge('vigil_traces_blocks', 'Span blocks in storage.');
    blocks.collect(() => blocks.set(store.blockCount()));
    const bytes = self.gauge(
      'vigil_traces_storage_bytes',
      'Bytes of span blocks (compressed pages and index rows).',
    );
    bytes.collect(() => bytes.set(store.stats().bytes));
  }
}

/**
 * Page numbers to read for a scan, in batches that never split a trace (a cut only falls where
 * no wanted trace spans it). Batches start small, so a search that finds enough traces early
 * stops after reading little, and double up to 256 pages, so a full scan makes few queries.
 */
export function pageBatches(ranges: readonly { first: number; last: number }[]): number[][] {
  const sorted = [...ranges].sort((a, b) => a.first - b.first);
  const out: number[][] = [];
  let size = 8;
  let current: number[] = [];
  let maxLast = -1;
  for (const r of sorted) {
    if (current.length >= size && r.first > maxLast) {
      out.push(current);
      current = [];
      size = Math.min(size * 2, 256);
    }
    for (let p = Math.max(r.first, maxLast + 1); p <= r.last; p++) current.push(p);
    maxLast = Math.max(maxLast, r.last);
  }
  if (current.length > 0) out.push(current);
  return out;
}
