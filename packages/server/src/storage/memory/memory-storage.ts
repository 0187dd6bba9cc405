import type { SeriesExemplars } from '../../model/exemplar.ts';
import { compareLabels, formatLabels, type Labels, labelsKey } from '../../model/labels.ts';
import type { Matcher } from '../../model/matcher.ts';
import type { SeriesSamples } from '../../model/sample.ts';
import { addExemplars, ExemplarStore, exemplarsOf } from '../exemplars.ts';
import { PostingsIndex } from '../index/postings.ts';
import type {
  AppendResult,
  CardinalityStats,
  LabelQuery,
  MetricMetadata,
  MetricsStats,
  MetricsStorage,
  RejectReason,
  SelectHints,
} from '../interface.ts';
import { cardinalityFromIndex, MetadataStore, mergeMatcherSets } from '../shared.ts';

/**
 * A metrics storage that keeps everything in memory and persists nothing. It is the reference
 * implementation of the seam (simple enough to be obviously right) and what the PromQL
 * conformance scripts load data into. Not for production: nothing survives a restart.
 */
export class MemoryStorage implements MetricsStorage {
  private readonly index = new PostingsIndex();
  private readonly idByKey = new Map<string, number>();
  private readonly data: { ts: Float64Array; vs: Float64Array; n: number }[] = [];
  private readonly meta = new MetadataStore();
  private readonly exemplars = new ExemplarStore(100_000);
  private samples = 0;

  async append(batch: readonly SeriesSamples[]): Promise<AppendResult> {
    let accepted = 0;
    let seriesAdded = 0;
    const rejected = new Map<RejectReason, { count: number; example: string }>();
    const reject = (reason: RejectReason, example: string) => {
      const r = rejected.get(reason);
      if (r) r.count++;
      else rejected.set(reason, { count: 1, example });
    };
    for (const s of batch) {
      const before = this.data.length;
      const id = this.idFor(s.labels);
      if (this.data.length > before) seriesAdded++;
      const d = this.data[id];
      for (let i = 0; i < s.timestamps.length; i++) {
        const t = s.timestamps[i];
        const v = s.values[i];
        if (d.n > 0 && t <= d.ts[d.n - 1]) {
          const where = formatLabels(s.labels);
          if (t < d.ts[d.n - 1])
            reject('out_of_order', `${where}: sample at ${t} older than ${d.ts[d.n - 1]}`);
          else if (Object.is(v, d.vs[d.n - 1]) || (Number.isNaN(v) && Number.isNaN(d.vs[d.n - 1])))
            accepted++;
          else reject('duplicate_timestamp', `${where}: sample at ${t} has a different value`);
          continue;
        }
        if (d.n === d.ts.length) {
          const ts = new Float64Array(d.n * 2);
          ts.set(d.ts);
          const vs = new Float64Array(d.n * 2);
          vs.set(d.vs);
          d.ts = ts;
          d.vs = vs;
        }
        d.ts[d.n] = t;
        d.vs[d.n] = v;
        d.n++;
        accepted++;
        this.samples++;
      }
    }
    return {
      accepted,
      seriesAdded,
      rejected: [...rejected].map(([reason, r]) => ({ reason, count: r.count, example: r.example })),
    };
  }

  async appendExemplars(batch: readonly SeriesExemplars[]): Promise<AppendResult> {
    return addExemplars(this.exemplars, batch, (labels) => this.idFor(labels)).result;
  }

  async selectExemplars(
    matcherSets: readonly (readonly Matcher[])[],
    minT: number,
    maxT: number,
  ): Promise<SeriesExemplars[]> {
    return exemplarsOf(
      this.exemplars,
      mergeMatcherSets(matcherSets, (ms) => this.index.select(ms)),
      minT,
      maxT,
      (id) => this.index.labels(id)!,
    );
  }

  private idFor(labels: Labels): number {
    const key = labelsKey(labels);
    let id = this.idByKey.get(key);
    if (id === undefined) {
      id = this.data.length;
      this.idByKey.set(key, id);
      this.index.add(id, labels);
      this.data.push({ ts: new Float64Array(16), vs: new Float64Array(16), n: 0 });
    }
    return id;
  }

  async select(matchers: readonly Matcher[], hints: SelectHints): Promise<SeriesSamples[]> {
    const out: SeriesSamples[] = [];
    for (const id of this.index.select(matchers)) {
      const d = this.data[id];
      const lo = lowerBound(d.ts, d.n, hints.minT);
      const hi = lowerBound(d.ts, d.n, hints.maxT + 1);
      if (hi <= lo) continue;
      out.push({
        labels: this.index.labels(id)!,
        timestamps: d.ts.slice(lo, hi),
        values: d.vs.slice(lo, hi),
      });
    }
    out.sort((a, b) => compareLabels(a.labels, b.labels));
    return hints.limit ? out.slice(0, hints.limit) : out;
  }

  private matchingIds(query: LabelQuery): number[] {
    return mergeMatcherSets(query.matchers, (ms) => this.index.select(ms)).filter((id) => {
      const d = this.data[id];
      const lo = lowerBound(d.ts, d.n, query.minT);
      return lo < d.n && d.ts[lo] <= query.maxT;
    });
  }

  async series(query: LabelQuery): Promise<Labels[]> {
    const out = this.matchingIds(query).map((id) => this.index.labels(id)!);
    out.sort(compareLabels);
    return query.limit ? out.slice(0, query.limit) : out;
  }

  async labelNames(query: LabelQuery): Promise<string[]> {
    const names = this.index.labelNames(this.matchingIds(query));
    return query.limit ? names.slice(0, query.limit) : names;
  }

  async labelValues(name: string, query: LabelQuery): Promise<string[]> {
    const values = this.index.labelValues(name, this.matchingIds(query));
    return query.limit ? values.slice(0, query.limit) : values;
  }

  setMetadata(entries: readonly MetricMetadata[]): void {
    this.meta.set(entries);
  }

  metadata(metric?: string, limit?: number): Map<string, MetricMetadata[]> {
    return this.meta.get(metric, limit);
  }

  stats(): MetricsStats {
    let minT = Number.POSITIVE_INFINITY;
    let maxT = Number.NEGATIVE_INFINITY;
    for (const d of this.data) {
      if (d.n === 0) continue;
      minT = Math.min(minT, d.ts[0]);
      maxT = Math.max(maxT, d.ts[d.n - 1]);
    }
    return {
      headSeries: this.index.size,
      headSamples: this.samples,
      headMinTime: minT,
      headMaxTime: maxT,
      storageBytes: 0,
      totalSeries: this.index.size,
    };
  }

  cardinality(limit: number): CardinalityStats {
    return cardinalityFromIndex(this.index, limit);
  }

  async close(): Promise<void> {}
}

/** First index in ts[0..n) whose value is >= t. */
export function lowerBound(ts: Float64Array, n: number, t: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
