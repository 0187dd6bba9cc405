/** Pieces every metrics backend shares: metadata bookkeeping, matcher-set unions, cardinality. */
import type { Matcher } from '../model/matcher.ts';
import type { PostingsIndex } from './index/postings.ts';
import type { CardinalityStats, MetricMetadata } from './interface.ts';

export class MetadataStore {
  private readonly byMetric = new Map<string, MetricMetadata[]>();

  set(entries: readonly MetricMetadata[]): void {
    for (const e of entries) {
      const list = this.byMetric.get(e.metric);
      if (!list) {
        this.byMetric.set(e.metric, [e]);
        continue;
      }
      const i = list.findIndex((x) => x.type === e.type);
      if (i >= 0) list[i] = e;
      else list.push(e);
    }
  }

  get(metric?: string, limit?: number): Map<string, MetricMetadata[]> {
    if (metric !== undefined) {
      const list = this.byMetric.get(metric);
      return new Map(list ? [[metric, list.slice()]] : []);
    }
    const out = new Map<string, MetricMetadata[]>();
    for (const [name, list] of this.byMetric) {
      if (limit && out.size >= limit) break;
      out.set(name, list.slice());
    }
    return out;
  }

  all(): MetricMetadata[] {
    return [...this.byMetric.values()].flat();
  }
}

/** Sorted, de-duplicated union of the ids selected by each matcher list; no lists means all ids. */
export function mergeMatcherSets(
  sets: readonly (readonly Matcher[])[],
  select: (matchers: readonly Matcher[]) => number[],
): number[] {
  if (sets.length === 0) return select([]);
  if (sets.length === 1) return select(sets[0]);
  const ids = new Set<number>();
  for (const ms of sets) for (const id of select(ms)) ids.add(id);
  return [...ids].sort((a, b) => a - b);
}

/** Prometheus's /api/v1/status/tsdb statistics computed from a postings index. */
export function cardinalityFromIndex(index: PostingsIndex, limit: number): CardinalityStats {
  const top = (entries: { name: string; value: number }[]) =>
    entries.sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : 1)).slice(0, limit);
  const byMetric: { name: string; value: number }[] = [];
  const valueCount: { name: string; value: number }[] = [];
  const memory: { name: string; value: number }[] = [];
  const pairs: { name: string; value: number }[] = [];
  for (const [name, values] of index.entries()) {
    valueCount.push({ name, value: values.size });
    let bytes = 0;
    for (const [value, list] of values) {
      bytes += value.length;
      pairs.push({ name: `${name}=${value}`, value: list.length });
      if (name === '__name__') byMetric.push({ name: value, value: list.length });
    }
    memory.push({ name, value: bytes });
  }
  return {
    seriesCountByMetricName: top(byMetric),
    labelValueCountByLabelName: top(valueCount),
    memoryInBytesByLabelName: top(memory),
    seriesCountByLabelValuePair: top(pairs),
  };
}
