import type { Labels } from '../../model/labels.ts';
import type { Matcher } from '../../model/matcher.ts';

/**
 * The series index: for every label name and value, the sorted list of ids of the series that
 * carry it (postings), as in Prometheus's TSDB index. Selecting series by matchers intersects
 * postings instead of scanning every series.
 *
 * Ids are small non-negative integers handed out by the owner in increasing order, so appending
 * keeps each list sorted.
 */
export class PostingsIndex {
  private readonly byName = new Map<string, Map<string, number[]>>();
  /** Dense by id (ids are small integers); holes where series were removed. */
  private readonly labelsById: (Labels | undefined)[] = [];
  private count = 0;
  /** Every id, sorted; the starting set when no matcher narrows the selection. */
  private allIds: number[] = [];

  get size(): number {
    return this.count;
  }

  labels(id: number): Labels | undefined {
    return this.labelsById[id];
  }

  /** Adds a series. Ids usually grow, which keeps this an append; a smaller id is inserted in order. */
  add(id: number, labels: Labels): void {
    if (this.labelsById[id] !== undefined) return;
    while (this.labelsById.length < id) this.labelsById.push(undefined);
    this.labelsById[id] = labels;
    this.count++;
    insertSorted(this.allIds, id);
    for (const { name, value } of labels) {
      let values = this.byName.get(name);
      if (!values) {
        values = new Map();
        this.byName.set(name, values);
      }
      const list = values.get(value);
      if (list) insertSorted(list, id);
      else values.set(value, [id]);
    }
  }

  /** Removes series (after retention deleted all their data). Cost is linear in the index size. */
  remove(ids: ReadonlySet<number>): void {
    if (ids.size === 0) return;
    for (const id of ids) {
      if (this.labelsById[id] === undefined) continue;
      this.labelsById[id] = undefined;
      this.count--;
    }
    this.allIds = this.allIds.filter((id) => !ids.has(id));
    for (const [name, values] of this.byName) {
      for (const [value, list] of values) {
        const kept = list.filter((id) => !ids.has(id));
        if (kept.length === 0) values.delete(value);
        else if (kept.length !== list.length) values.set(value, kept);
      }
      if (values.size === 0) this.byName.delete(name);
    }
  }

  /** Sorted ids of the series matching every matcher. */
  select(matchers: readonly Matcher[]): number[] {
    const lists: number[][] = [];
    const filters: Matcher[] = [];
    for (const m of matchers) {
      if (m.matches('')) {
        // Also matches series without the label: cannot be answered from postings alone.
        filters.push(m);
        continue;
      }
      const list = this.postingsFor(m);
      if (list.length === 0) return [];
      lists.push(list);
    }
    let ids: number[];
    if (lists.length === 0) ids = this.allIds;
    else {
      lists.sort((a, b) => a.length - b.length);
      ids = lists[0];
      for (let i = 1; i < lists.length && ids.length > 0; i++) ids = intersect(ids, lists[i]);
    }
    if (filters.length === 0) return ids === this.allIds || lists.length === 1 ? ids.slice() : ids;
    return ids.filter((id) => {
      const labels = this.labelsById[id]!;
      return filters.every((m) => m.matches(labelValueOf(labels, m.name)));
    });
  }

  /** Union of the postings of every value of `m.name` that `m` accepts (m must not match ""). */
  private postingsFor(m: Matcher): number[] {
    const values = this.byName.get(m.name);
    if (!values) return [];
    if (m.type === '=') return values.get(m.value) ?? [];
    const literals = m.type === '=~' ? m.regex?.literals : undefined;
    const matched: number[][] = [];
    if (literals) {
      for (const v of literals) {
        const list = values.get(v);
        if (list) matched.push(list);
      }
    } else {
      for (const [value, list] of values) if (m.matches(value)) matched.push(list);
    }
    return unionAll(matched);
  }

  labelNames(ids?: readonly number[]): string[] {
    if (!ids) return [...this.byName.keys()].sort();
    const names = new Set<string>();
    for (const id of ids) for (const l of this.labelsById[id] ?? []) names.add(l.name);
    return [...names].sort();
  }

  labelValues(name: string, ids?: readonly number[]): string[] {
    if (!ids) return [...(this.byName.get(name)?.keys() ?? [])].sort();
    const values = new Set<string>();
    for (const id of ids) {
      const v = labelValueOf(this.labelsById[id] ?? [], name);
      if (v !== '') values.add(v);
    }
    return [...values].sort();
  }

  /** Every label name with its values and their posting sizes; for cardinality statistics. */
  entries(): IterableIterator<[string, Map<string, number[]>]> {
    return this.byName.entries();
  }
}

function insertSorted(list: number[], id: number): void {
  if (list.length === 0 || list[list.length - 1] < id) {
    list.push(id);
    return;
  }
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, id);
}

function labelValueOf(labels: Labels, name: string): string {
  for (const l of labels) if (l.name === name) return l.value;
  return '';
}

export function intersect(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x === y) {
      out.push(x);
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out;
}

function unionAll(lists: number[][]): number[] {
  if (lists.length === 0) return [];
  if (lists.length === 1) return lists[0];
  let total = 0;
  for (const l of lists) total += l.length;
  const out = new Array<number>(total);
  let k = 0;
  for (const l of lists) for (const id of l) out[k++] = id;
  out.sort((a, b) => a - b);
  // Lists of different values of one label are disjoint, so no duplicates to remove.
  return out;
}
