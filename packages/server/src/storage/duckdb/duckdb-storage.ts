import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { SeriesExemplars } from '../../model/exemplar.ts';
import { sharedLabels } from '../../model/intern.ts';
import {
  compareLabels,
  formatLabels,
  type Labels,
  labelsEqual,
  labelsHash,
  metricName,
} from '../../model/labels.ts';
import type { Matcher } from '../../model/matcher.ts';
import type { SeriesSamples } from '../../model/sample.ts';
import type { SelfMetrics } from '../../self/metrics.ts';
import { decodeXorChunk, encodeChunk, MAX_CHUNK_SAMPLES } from '../chunkenc/xor.ts';
import { addExemplars, ExemplarStore, exemplarsOf } from '../exemplars.ts';
import { AppendOutcome, Head, type HeadChunk, type MemSeries } from '../head/head.ts';
import { PostingsIndex } from '../index/postings.ts';
import type {
  AppendOptions,
  AppendResult,
  CardinalityStats,
  LabelQuery,
  MetricMetadata,
  MetricsStats,
  MetricsStorage,
  SelectHints,
} from '../interface.ts';
import { cardinalityFromIndex, MetadataStore, mergeMatcherSets } from '../shared.ts';
import {
  decodeChunks,
  decodeExemplars,
  decodeSamples,
  decodeSeries,
  encodeChunks,
  encodeExemplars,
  encodeSamples,
  encodeSeries,
  RECORD_CHUNKS,
  RECORD_EXEMPLARS,
  RECORD_SAMPLES,
  RECORD_SERIES,
  readRecords,
} from '../wal/records.ts';
import {
  deleteUpTo,
  listWal,
  readCheckpoint,
  readSegment,
  truncateSegment,
  WalWriter,
  walBytes,
  writeCheckpoint,
} from '../wal/wal.ts';
import { type ChunkRow, DuckBlocks } from './blocks.ts';

/** Series per DuckDB transaction when persisting a window: bounds the memory a persist needs. */
const PERSIST_BATCH_SERIES = 10_000;

export interface DuckDBStorageOptions {
  readonly dataDir: string;
  /** Delete data older than this (ms, relative to the newest sample). */
  readonly retention: number;
  /** Delete the oldest data while storage is bigger than this (bytes); 0 = no limit. */
  readonly retentionBytes: number;
  readonly outOfOrderWindow: number;
  readonly blockDuration: number;
  /** Reject samples more than this far ahead of `now()` (ms). */
  readonly maxFutureSkew: number;
  /** 0 = unlimited. */
  readonly maxSeries: number;
  readonly maxSeriesPerMetric: number;
  readonly logger: Logger;
  readonly self?: SelfMetrics;
  readonly now?: () => number;
  /** Exemplars kept (newest across all series), as Prometheus's --storage.tsdb.max-exemplars; default 100,000. */
  readonly maxExemplars?: number;
  /** How often retention runs (ms); default one minute. */
  readonly retentionInterval?: number;
}

/**
 * The default metrics backend: an in-memory head of recent samples with a write-ahead log for
 * durability, and older data as compressed chunks in one DuckDB file (duckdb/blocks.ts).
 *
 *   append → validate against the head → WAL (group-committed fsync) → acknowledged
 *   every block window (default 2h) once the head spans 1.5 windows: the oldest window's chunks
 *   are written to DuckDB in one transaction, a checkpoint of the rest of the head is written,
 *   and the WAL segments before it are deleted.
 *
 * On start: series and persisted_until from DuckDB, the head from the newest checkpoint, then
 * the WAL segments after it are replayed, with a torn tail (from a crash mid-write) cut off.
 */
export class DuckDBMetricsStorage implements MetricsStorage {
  private readonly index = new PostingsIndex();
  /** Series ids by labelsHash; a hit is confirmed with labelsEqual, collisions share an array. */
  private readonly idsByHash = new Map<number, number | number[]>();
  private readonly idByLabels = new WeakMap<Labels, number>();
  private readonly seriesPerMetric = new Map<string, number>();
  private readonly meta = new MetadataStore();
  private readonly exemplars: ExemplarStore;
  private readonly head: Head;
  private wal!: WalWriter;
  private nextId = 0;
  /** Largest series id whose labels are in DuckDB's series table. */
  private persistedSeriesMax = -1;
  /** End of the newest window in DuckDB; the head refuses samples before it. */
  private persistedUntil = Number.NEGATIVE_INFINITY;
  /** Chunks on their way from the head to DuckDB; selects read them until the commit. */
  private inFlight = new Map<number, HeadChunk[]>();
  private persisting: Promise<void> | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private retentionRunning: Promise<void> | undefined;
  private cachedBytes = 0;
  private closed = false;
  private readonly now: () => number;
  private readonly walDir: string;
  private readonly metrics: StorageMetrics | undefined;

  private constructor(
    private readonly blocks: DuckBlocks,
    private readonly options: DuckDBStorageOptions,
  ) {
    this.head = new Head({
      blockDuration: options.blockDuration,
      outOfOrderWindow: options.outOfOrderWindow,
    });
    this.exemplars = new ExemplarStore(options.maxExemplars ?? 100_000);
    this.now = options.now ?? Date.now;
    this.walDir = join(options.dataDir, 'wal');
    this.metrics = options.self ? new StorageMetrics(options.self, this) : undefined;
  }

  static async open(options: DuckDBStorageOptions): Promise<DuckDBMetricsStorage> {
    await mkdir(options.dataDir, { recursive: true });
    const blocks = await DuckBlocks.open(join(options.dataDir, 'metrics.duckdb'));
    const storage = new DuckDBMetricsStorage(blocks, options);
    try {
      await storage.load();
    } catch (err) {
      await blocks.close();
      throw err;
    }
    return storage;
  }

  private async load(): Promise<void> {
    const started = Date.now();
    for (const { id, labels } of await this.blocks.loadSeries()) this.addSeries(id, labels);
    this.persistedSeriesMax = this.nextId - 1;
    const until = await this.blocks.getMeta('persisted_until');
    if (until !== undefined) this.persistedUntil = Number(until);
    // Chunks past the sealed time are from a persist a crash interrupted; the WAL still has them.
    const unsealed = await this.blocks.dropUnsealed(this.persistedUntil);
    if (unsealed > 0)
      this.options.logger.warn(
        { chunks: unsealed },
        'removed chunks of an interrupted persist; they are replayed from the write-ahead log',
      );
    this.head.minValidTime = this.persistedUntil;
    this.meta.set(await this.blocks.loadMetadata());

    const { segments, checkpoint } = await listWal(this.walDir);
    let replayed = 0;
    if (checkpoint !== undefined)
      replayed += this.replay(await readCheckpoint(this.walDir, checkpoint), 'checkpoint').samples;
    const toReplay = segments.filter((s) => checkpoint === undefined || s > checkpoint);
    for (let i = 0; i < toReplay.length; i++) {
      const n = toReplay[i];
      const result = this.replay(await readSegment(this.walDir, n), `segment ${n}`);
      replayed += result.samples;
      if (result.error !== undefined) {
        // A torn tail is what kill -9 during a write leaves: those bytes were never acknowledged.
        this.options.logger.warn(
          { segment: n, validBytes: result.validBytes, error: result.error },
          'write-ahead log segment ends with an incomplete record; cutting it off (it was never acknowledged)',
        );
        await truncateSegment(this.walDir, n, result.validBytes);
        if (i < toReplay.length - 1) {
          this.options.logger.error(
            { segment: n },
            'write-ahead log is corrupt before its last segment; later segments are ignored',
          );
          await deleteUpTo(this.walDir, -1);
          break;
        }
      }
    }
    const last = Math.max(checkpoint ?? 0, ...segments, 0);
    this.wal = await WalWriter.create(this.walDir, last + 1);
    this.wal.onFlush = (seconds) => this.metrics?.walFsync.observe(seconds);
    await this.refreshSize();
    this.options.logger.info(
      {
        series: this.index.size,
        headSeries: this.head.series.size,
        replayedSamples: replayed,
        persistedUntil: Number.isFinite(this.persistedUntil)
          ? new Date(this.persistedUntil).toISOString()
          : null,
        ms: Date.now() - started,
      },
      'metrics storage opened',
    );
    this.retentionTimer = setInterval(
      () => void this.runRetention(),
      this.options.retentionInterval ?? 60_000,
    );
    this.retentionTimer.unref();
    this.maybePersist();
  }

  /** Applies one WAL segment or checkpoint to the head. */
  private replay(bytes: Buffer, what: string): { samples: number; validBytes: number; error?: string } {
    let samples = 0;
    const records = readRecords(bytes);
    for (;;) {
      const next = records.next();
      if (next.done) return { samples, ...next.value };
      const { type, payload } = next.value;
      try {
        if (type === RECORD_SERIES) {
          for (const { id, labels } of decodeSeries(payload)) this.addSeries(id, labels);
        } else if (type === RECORD_SAMPLES) {
          const { ids, ts, vs } = decodeSamples(payload);
          for (let i = 0; i < ids.length; i++) {
            const labels = this.index.labels(ids[i]);
            if (!labels || ts[i] < this.head.minValidTime) continue;
            const series = this.head.getOrCreate(ids[i], labels);
            if (this.head.appendSample(series, ts[i], vs[i]) === 'ok') samples++;
          }
        } else if (type === RECORD_EXEMPLARS) {
          for (const { id, exemplar } of decodeExemplars(payload)) {
            if (this.index.labels(id)) this.exemplars.add(id, exemplar);
          }
        } else if (type === RECORD_CHUNKS) {
          for (const { id, chunks } of decodeChunks(payload)) {
            const labels = this.index.labels(id);
            if (!labels) continue;
            const kept = chunks.filter((c) => c.maxT >= this.head.minValidTime);
            if (kept.length === 0) continue;
            this.head.restore(this.head.getOrCreate(id, labels), kept);
            for (const c of kept) samples += c.count;
          }
        }
      } catch (err) {
        throw new Error(`cannot replay write-ahead log ${what} in ${this.walDir}: ${(err as Error).message}`);
      }
    }
  }

  private addSeries(id: number, given: Labels): void {
    if (this.index.labels(id)) return;
    const labels = sharedLabels.labels(given);
    this.index.add(id, labels);
    const h = labelsHash(labels);
    const prev = this.idsByHash.get(h);
    this.idsByHash.set(h, prev === undefined ? id : Array.isArray(prev) ? [...prev, id] : [prev, id]);
    const name = metricName(labels);
    this.seriesPerMetric.set(name, (this.seriesPerMetric.get(name) ?? 0) + 1);
    if (id >= this.nextId) this.nextId = id + 1;
  }

  private findId(labels: Labels): number | undefined {
    const entry = this.idsByHash.get(labelsHash(labels));
    if (entry === undefined) return undefined;
    for (const id of Array.isArray(entry) ? entry : [entry]) {
      const known = this.index.labels(id);
      if (known && labelsEqual(known, labels)) return id;
    }
    return undefined;
  }

  private forgetId(id: number, labels: Labels): void {
    const h = labelsHash(labels);
    const entry = this.idsByHash.get(h);
    if (entry === id) this.idsByHash.delete(h);
    else if (Array.isArray(entry)) {
      const rest = entry.filter((x) => x !== id);
      if (rest.length === 1) this.idsByHash.set(h, rest[0]);
      else this.idsByHash.set(h, rest);
    }
  }

  /**
   * The id of the series with these labels, creating it (and recording it in `outcome`) when new;
   * -1 when a series limit refuses it. Decoders hand out the same Labels object for a series they
   * have seen, so an identity lookup answers most calls without building the labels key.
   */
  private resolveId(labels: Labels, outcome: AppendOutcome): number {
    const cached = this.idByLabels.get(labels);
    if (cached !== undefined && this.index.labels(cached) !== undefined) return cached;
    const id = this.findId(labels);
    if (id !== undefined) {
      this.idByLabels.set(labels, id);
      return id;
    }
    const { maxSeries, maxSeriesPerMetric } = this.options;
    if (maxSeries > 0 && this.index.size >= maxSeries) return -1;
    if (maxSeriesPerMetric > 0 && (this.seriesPerMetric.get(metricName(labels)) ?? 0) >= maxSeriesPerMetric) {
      return -1;
    }
    const created = this.nextId;
    this.addSeries(created, labels);
    this.idByLabels.set(labels, created);
    outcome.newSeries.push({ id: created, labels });
    return created;
  }

  async append(batch: readonly SeriesSamples[], options?: AppendOptions): Promise<AppendResult> {
    if (this.closed) throw new Error('metrics storage is closed');
    const outcome = new AppendOutcome();
    const maxValid = this.now() + this.options.maxFutureSkew;
    for (const series of batch) {
      const id = this.resolveId(series.labels, outcome);
      if (id >= 0) this.head.appendSeries(id, series, outcome, maxValid);
      else if (series.timestamps.length > 0) {
        outcome.reject(
          'series_limit',
          series.timestamps.length,
          `${formatLabels(series.labels)}: series limit reached (limits.max_series / limits.max_series_per_metric); no new series are accepted`,
        );
      }
    }
    const records: Buffer[] = [];
    if (outcome.newSeries.length > 0) records.push(encodeSeries(outcome.newSeries));
    if (outcome.ids.length > 0) records.push(encodeSamples(outcome.ids, outcome.ts, outcome.vs));
    const written = this.wal.append(records);
    if (options?.durable === false) {
      written.catch((err) =>
        this.options.logger.error(
          { err: (err as Error).message },
          'writing computed samples (rule results) to the WAL failed; they are in memory but would be lost on a crash',
        ),
      );
    } else {
      await written;
    }
    this.maybePersist();
    return {
      accepted: outcome.accepted,
      seriesAdded: outcome.newSeries.length,
      rejected: [...outcome.rejected].map(([reason, r]) => ({ reason, count: r.count, example: r.example })),
    };
  }

  async appendExemplars(batch: readonly SeriesExemplars[]): Promise<AppendResult> {
    if (this.closed) throw new Error('metrics storage is closed');
    const outcome = new AppendOutcome();
    const { result, accepted } = addExemplars(this.exemplars, batch, (labels) =>
      this.resolveId(labels, outcome),
    );
    const records: Buffer[] = [];
    if (outcome.newSeries.length > 0) records.push(encodeSeries(outcome.newSeries));
    if (accepted.length > 0) records.push(encodeExemplars(accepted));
    await this.wal.append(records);
    return { ...result, seriesAdded: outcome.newSeries.length };
  }

  async selectExemplars(
    matcherSets: readonly (readonly Matcher[])[],
    minT: number,
    maxT: number,
  ): Promise<SeriesExemplars[]> {
    const ids = mergeMatcherSets(matcherSets, (ms) => this.index.select(ms));
    return exemplarsOf(this.exemplars, ids, minT, maxT, (id) => this.index.labels(id) ?? []);
  }

  /** Moves old windows to DuckDB once the head spans more than 1.5 block windows (as Prometheus). */
  private maybePersist(): void {
    if (this.persisting || this.closed) return;
    const span = this.head.maxTime - this.head.minTime;
    if (!(span > this.options.blockDuration * 1.5)) return;
    this.persisting = this.persistLoop()
      .catch((err) =>
        this.options.logger.error({ err }, 'moving head data to long-term storage failed; will retry'),
      )
      .finally(() => {
        this.persisting = undefined;
      });
  }

  private async persistLoop(): Promise<void> {
    while (!this.closed && this.head.maxTime - this.head.minTime > this.options.blockDuration * 1.5) {
      await this.persistBefore(this.head.windowStart(this.head.minTime) + this.options.blockDuration);
    }
  }

  /**
   * Persists every head sample older than `before` (a window boundary). Series are written in
   * batches, so memory stays bounded whatever the head's size; the window is sealed last.
   */
  private async persistBefore(before: number): Promise<void> {
    const started = process.hrtime.bigint();
    // From here on the head refuses samples in the persisted range, so none can be lost.
    this.head.minValidTime = Math.max(this.head.minValidTime, before);
    const oldSegment = await this.wal.rotate();
    const taken = [...this.head.takeBefore(before)].sort((a, b) => a[0].id - b[0].id);
    for (const [series, chunks] of taken) this.inFlight.set(series.id, chunks);
    const maxId = this.nextId - 1;
    let chunkRows = 0;
    try {
      // Series rows are small: all new ones go with the first batch.
      const newSeries: { id: number; labels: Labels }[] = [];
      for (let id = this.persistedSeriesMax + 1; id <= maxId; id++) {
        const labels = this.index.labels(id);
        if (labels) newSeries.push({ id, labels });
      }
      for (let i = 0; i === 0 || i < taken.length; i += PERSIST_BATCH_SERIES) {
        const rows = this.toChunkRows(taken.slice(i, i + PERSIST_BATCH_SERIES));
        await this.blocks.writeBatch(i === 0 ? newSeries : [], rows);
        chunkRows += rows.length;
      }
      this.persistedSeriesMax = Math.max(this.persistedSeriesMax, maxId);
      await this.blocks.setPersistedUntil(before);
      await this.blocks.saveMetadata(this.meta.all());
      await this.blocks.checkpoint();
    } catch (err) {
      // Put the chunks back so nothing is lost, and drop the batches already written.
      for (const [series, chunks] of taken) this.head.restore(series, chunks);
      this.inFlight.clear();
      await this.blocks.dropUnsealed(this.persistedUntil).catch(() => undefined);
      throw err;
    }
    this.persistedUntil = Math.max(this.persistedUntil, before);
    this.inFlight.clear();
    await this.writeHeadCheckpoint(oldSegment);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.metrics?.persist.observe(seconds);
    this.metrics?.persistedChunks.inc(chunkRows);
    this.options.logger.info(
      { before: new Date(before).toISOString(), chunks: chunkRows, series: taken.length, seconds },
      'moved head data to long-term storage',
    );
    await this.refreshSize();
  }

  /** One row per series per window: the window's head chunks merged into one chunk. */
  private toChunkRows(taken: readonly [MemSeries, HeadChunk[]][]): ChunkRow[] {
    const rows: ChunkRow[] = [];
    for (const [series, chunks] of taken) {
      let i = 0;
      while (i < chunks.length) {
        const window = this.head.windowStart(chunks[i].minT);
        let j = i;
        let total = 0;
        while (
          j < chunks.length &&
          this.head.windowStart(chunks[j].minT) === window &&
          total + chunks[j].count <= MAX_CHUNK_SAMPLES
        ) {
          total += chunks[j].count;
          j++;
        }
        if (j === i + 1) {
          const c = chunks[i];
          rows.push({ seriesId: series.id, minT: c.minT, maxT: c.maxT, count: c.count, bytes: c.bytes });
        } else {
          const ts = new Float64Array(total);
          const vs = new Float64Array(total);
          let n = 0;
          for (let k = i; k < j; k++) n = decodeXorChunk(chunks[k].bytes, ts, vs, n);
          rows.push({
            seriesId: series.id,
            minT: ts[0],
            maxT: ts[n - 1],
            count: n,
            bytes: encodeChunk(ts, vs, 0, n),
          });
        }
        i = j;
      }
    }
    return rows;
  }

  /** Writes the head as checkpoint `segment` and deletes the WAL before it. */
  private async writeHeadCheckpoint(segment: number): Promise<void> {
    const unpersisted: { id: number; labels: Labels }[] = [];
    for (let id = this.persistedSeriesMax + 1; id < this.nextId; id++) {
      const labels = this.index.labels(id);
      if (labels) unpersisted.push({ id, labels });
    }
    const entries = [...this.head.series.values()].map((s) => ({ id: s.id, chunks: s.allChunks() }));
    const records: Buffer[] = [];
    if (unpersisted.length > 0) records.push(encodeSeries(unpersisted));
    for (let i = 0; i < entries.length; i += 10_000) records.push(encodeChunks(entries.slice(i, i + 10_000)));
    // Exemplars live only in memory and the WAL (as in Prometheus): carry them into the checkpoint.
    const exemplars = [...this.exemplars.all()];
    for (let i = 0; i < exemplars.length; i += 10_000)
      records.push(encodeExemplars(exemplars.slice(i, i + 10_000)));
    await writeCheckpoint(this.walDir, segment, records);
    await deleteUpTo(this.walDir, segment);
  }

  async select(matchers: readonly Matcher[], hints: SelectHints): Promise<SeriesSamples[]> {
    const ids = this.index.select(matchers);
    if (ids.length === 0) return [];
    const { minT, maxT } = hints;
    const persisted = minT < this.persistedUntil ? await this.blocks.selectChunks(ids, minT, maxT) : [];
    hints.signal?.throwIfAborted();
    const out: SeriesSamples[] = [];
    let p = 0;
    for (const id of ids) {
      while (p < persisted.length && persisted[p].seriesId < id) p++;
      const parts: { ts: Float64Array; vs: Float64Array; n: number }[] = [];
      while (p < persisted.length && persisted[p].seriesId === id) {
        const c = persisted[p++];
        const ts = new Float64Array(c.count);
        const vs = new Float64Array(c.count);
        parts.push({ ts, vs, n: decodeXorChunk(c.bytes, ts, vs, 0, minT, maxT) });
      }
      for (const c of this.inFlight.get(id) ?? []) {
        if (c.maxT < minT || c.minT > maxT) continue;
        const ts = new Float64Array(c.count);
        const vs = new Float64Array(c.count);
        parts.push({ ts, vs, n: decodeXorChunk(c.bytes, ts, vs, 0, minT, maxT) });
      }
      const mem = this.head.series.get(id);
      if (mem && mem.lastT >= minT) parts.push(this.head.read(mem, minT, maxT));
      const merged = mergeParts(parts);
      if (merged) out.push({ labels: this.index.labels(id)!, timestamps: merged.ts, values: merged.vs });
    }
    out.sort((a, b) => compareLabels(a.labels, b.labels));
    return hints.limit && out.length > hints.limit ? out.slice(0, hints.limit) : out;
  }

  /** Ids matching the query that have samples in its time range. */
  private async matchingIds(query: LabelQuery): Promise<number[]> {
    const ids = mergeMatcherSets(query.matchers, (ms) => this.index.select(ms));
    const unbounded = query.minT <= -8.64e15 && query.maxT >= 8.64e15;
    if (unbounded) return ids;
    const persisted =
      query.minT < this.persistedUntil ? await this.blocks.seriesWithData(query.minT, query.maxT) : undefined;
    return ids.filter((id) => {
      if (persisted?.has(id)) return true;
      const mem = this.head.series.get(id);
      if (mem && mem.minT <= query.maxT && mem.lastT >= query.minT) return true;
      const flying = this.inFlight.get(id);
      return flying?.some((c) => c.minT <= query.maxT && c.maxT >= query.minT) ?? false;
    });
  }

  async series(query: LabelQuery): Promise<Labels[]> {
    const out = (await this.matchingIds(query)).map((id) => this.index.labels(id)!);
    out.sort(compareLabels);
    return query.limit ? out.slice(0, query.limit) : out;
  }

  async labelNames(query: LabelQuery): Promise<string[]> {
    const everything = query.matchers.length === 0 && query.minT <= -8.64e15 && query.maxT >= 8.64e15;
    const names = this.index.labelNames(everything ? undefined : await this.matchingIds(query));
    return query.limit ? names.slice(0, query.limit) : names;
  }

  async labelValues(name: string, query: LabelQuery): Promise<string[]> {
    const everything = query.matchers.length === 0 && query.minT <= -8.64e15 && query.maxT >= 8.64e15;
    const values = this.index.labelValues(name, everything ? undefined : await this.matchingIds(query));
    return query.limit ? values.slice(0, query.limit) : values;
  }

  setMetadata(entries: readonly MetricMetadata[]): void {
    this.meta.set(entries);
  }

  metadata(metric?: string, limit?: number): Map<string, MetricMetadata[]> {
    return this.meta.get(metric, limit);
  }

  stats(): MetricsStats {
    return {
      headSeries: this.head.series.size,
      headSamples: this.head.sampleCount,
      headMinTime: this.head.minTime,
      headMaxTime: this.head.maxTime,
      storageBytes: this.cachedBytes,
      totalSeries: this.index.size,
    };
  }

  cardinality(limit: number): CardinalityStats {
    return cardinalityFromIndex(this.index, limit);
  }

  /**
   * Deletes data past retention: chunks older than `retention` before the newest sample, then
   * the oldest windows while storage exceeds `retentionBytes`, then series left without data.
   */
  runRetention(): Promise<void> {
    this.retentionRunning ??= this.retentionOnce()
      .catch((err) => this.options.logger.error({ err }, 'retention failed; will retry'))
      .finally(() => {
        this.retentionRunning = undefined;
      });
    return this.retentionRunning;
  }

  private async retentionOnce(): Promise<void> {
    if (this.closed) return;
    const newest = Math.max(this.head.maxTime, this.persistedUntil);
    if (!Number.isFinite(newest)) return;
    let deleted = await this.blocks.deleteChunksBefore(newest - this.options.retention);
    if (this.options.retentionBytes > 0) {
      while ((await this.logicalBytes()) > this.options.retentionBytes) {
        const oldest = await this.blocks.oldestChunkTime();
        if (oldest === undefined) break;
        const n = await this.blocks.deleteChunksBefore(
          this.head.windowStart(oldest) + this.options.blockDuration,
        );
        if (n === 0) break;
        deleted += n;
      }
    }
    if (deleted > 0) {
      const orphans = await this.blocks.deleteOrphanSeries(new Set(this.head.series.keys()));
      const gone = new Set(orphans.filter((id) => id <= this.persistedSeriesMax));
      for (const id of gone) {
        const labels = this.index.labels(id);
        if (!labels) continue;
        this.forgetId(id, labels);
        const name = metricName(labels);
        this.seriesPerMetric.set(name, (this.seriesPerMetric.get(name) ?? 1) - 1);
      }
      this.index.remove(gone);
      this.metrics?.retentionDeleted.inc(deleted);
      this.options.logger.info({ chunks: deleted, series: gone.size }, 'retention deleted old data');
      await this.blocks.checkpoint();
    }
    await this.refreshSize();
  }

  /** The size retention by size compares with `retentionBytes`: chunk and series bytes plus the WAL. */
  async logicalBytes(): Promise<number> {
    return (await this.blocks.logicalBytes()) + (await walBytes(this.walDir));
  }

  /** Bytes in use: DuckDB's used blocks (freed blocks are reused, so they do not count) plus the WAL. */
  private async refreshSize(): Promise<void> {
    this.cachedBytes = (await this.blocks.sizeBytes()) + (await walBytes(this.walDir));
  }

  /** Resolves when background persistence and retention that are running now have finished. */
  async settle(): Promise<void> {
    while (this.persisting || this.retentionRunning) {
      await this.persisting;
      await this.retentionRunning;
    }
  }

  /**
   * Moves everything in the head to DuckDB, as if every window were complete; afterwards the head
   * refuses samples older than the newest one it had. For benchmarks and backups, not routine use.
   */
  async compactHead(): Promise<void> {
    await this.persisting;
    if (!Number.isFinite(this.head.maxTime)) return;
    await this.persistBefore(this.head.maxTime + 1);
    await this.blocks.checkpoint();
    await this.refreshSize();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.retentionTimer);
    await this.persisting;
    await this.retentionRunning;
    // A checkpoint of the head makes the next start fast: no WAL replay.
    const segment = await this.wal.rotate();
    await this.wal.close();
    await this.writeHeadCheckpoint(segment);
    await this.blocks.saveMetadata(this.meta.all());
    await this.blocks.close();
  }
}

/** Concatenates sample runs, merging and de-duplicating only when they overlap in time. */
function mergeParts(
  parts: readonly { ts: Float64Array; vs: Float64Array; n: number }[],
): { ts: Float64Array; vs: Float64Array } | undefined {
  const nonEmpty = parts.filter((p) => p.n > 0);
  if (nonEmpty.length === 0) return undefined;
  if (nonEmpty.length === 1) {
    const p = nonEmpty[0];
    return { ts: p.ts.subarray(0, p.n), vs: p.vs.subarray(0, p.n) };
  }
  nonEmpty.sort((a, b) => a.ts[0] - b.ts[0]);
  let total = 0;
  let ordered = true;
  for (let i = 0; i < nonEmpty.length; i++) {
    total += nonEmpty[i].n;
    if (i > 0 && nonEmpty[i].ts[0] <= nonEmpty[i - 1].ts[nonEmpty[i - 1].n - 1]) ordered = false;
  }
  const ts = new Float64Array(total);
  const vs = new Float64Array(total);
  if (ordered) {
    let k = 0;
    for (const p of nonEmpty) {
      ts.set(p.ts.subarray(0, p.n), k);
      vs.set(p.vs.subarray(0, p.n), k);
      k += p.n;
    }
    return { ts, vs };
  }
  // Overlapping runs (out-of-order writes across windows): sort by time, first value wins.
  const idx: [number, number][] = [];
  nonEmpty.forEach((p, pi) => {
    for (let i = 0; i < p.n; i++) idx.push([pi, i]);
  });
  idx.sort((a, b) => nonEmpty[a[0]].ts[a[1]] - nonEmpty[b[0]].ts[b[1]]);
  let k = 0;
  for (const [pi, i] of idx) {
    const t = nonEmpty[pi].ts[i];
    if (k > 0 && ts[k - 1] === t) continue;
    ts[k] = t;
    vs[k] = nonEmpty[pi].vs[i];
    k++;
  }
  return { ts: ts.subarray(0, k), vs: vs.subarray(0, k) };
}

/** The storage's self-metrics. */
class StorageMetrics {
  readonly walFsync;
  readonly persist;
  readonly persistedChunks;
  readonly retentionDeleted;

  constructor(self: SelfMetrics, storage: DuckDBMetricsStorage) {
    this.walFsync = self.histogram(
      'vigil_storage_wal_fsync_duration_seconds',
      'Duration of write-ahead log write+fsync (one per group commit).',
      [],
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    );
    this.persist = self.histogram(
      'vigil_storage_persist_duration_seconds',
      'Duration of moving a head window to long-term storage.',
    );
    this.persistedChunks = self.counter(
      'vigil_storage_persisted_chunks_total',
      'Chunks written to long-term storage.',
    );
    this.retentionDeleted = self.counter(
      'vigil_storage_retention_deleted_chunks_total',
      'Chunks deleted by retention.',
    );
    const headSeries = self.gauge('vigil_storage_head_series', 'Series with samples in the in-memory head.');
    const headSamples = self.gauge('vigil_storage_head_samples', 'Samples in the in-memory head.');
    const series = self.gauge('vigil_storage_series', 'Series known to storage (head and long-term).');
    const bytes = self.gauge(
      'vigil_storage_bytes',
      'Bytes on disk used by metrics storage (DuckDB file and write-ahead log).',
    );
    headSeries.collect(() => {
      const s = storage.stats();
      headSeries.set(s.headSeries);
      headSamples.set(s.headSamples);
      series.set(s.totalSeries);
      bytes.set(s.storageBytes);
    });
  }
}
