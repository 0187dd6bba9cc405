import type { Labels } from '../../../model/labels.ts';
import type { SeriesSamples } from '../../../model/sample.ts';

/**
 * Collects samples per series in any order and hands them out as SeriesSamples in time order.
 *
 * Built for batches where most series get one sample: samples go into two growing Float64Arrays
 * shared by all series, and build() lays them out series by series in one buffer each for
 * timestamps and values, handing out subarray views. (A pair of typed arrays per series made
 * garbage collection dominate the translation.) Values stay in Float64Arrays throughout, so
 * staleness markers keep their NaN bit pattern.
 */
export class SeriesBuilder {
  // Two levels: the long key of a point's base labels (looked up once per series, a flat string
  // after the first lookup) and a short suffix (metric name, le); one concatenated key per sample
  // would be hashed afresh every time.
  private readonly ids = new Map<string, Map<string, number>>();
  private readonly labels: Labels[] = [];
  private seriesOf: Int32Array = new Int32Array(1024);
  private timestamps: Float64Array = new Float64Array(1024);
  private values: Float64Array = new Float64Array(1024);
  private length = 0;

  /** Number of distinct series so far. */
  get size(): number {
    return this.labels.length;
  }

  /**
   * Adds a sample. `group` and `member` together identify the series (equal keys, equal label
   * sets); `labels` is called only the first time the pair is seen.
   */
  add(group: string, member: string, labels: () => Labels, timestampMs: number, value: number): void {
    let members = this.ids.get(group);
    if (members === undefined) {
      members = new Map();
      this.ids.set(group, members);
    }
    let id = members.get(member);
    if (id === undefined) {
      id = this.labels.length;
      members.set(member, id);
      this.labels.push(labels());
    }
    if (this.length === this.timestamps.length) this.grow();
    this.seriesOf[this.length] = id;
    this.timestamps[this.length] = timestampMs;
    this.values[this.length] = value;
    this.length++;
  }

  /**
   * The series with their samples sorted by time (stable: equal timestamps keep their order).
   * The arrays are views into two buffers owned by the caller from now on.
   */
  build(): SeriesSamples[] {
    const n = this.labels.length;
    // Counting sort by series keeps each series' samples in arrival order.
    const start = new Int32Array(n + 1);
    for (let i = 0; i < this.length; i++) start[this.seriesOf[i] + 1]++;
    for (let s = 0; s < n; s++) start[s + 1] += start[s];
    const next = start.slice(0, n);
    const timestamps = new Float64Array(this.length);
    const values = new Float64Array(this.length);
    for (let i = 0; i < this.length; i++) {
      const at = next[this.seriesOf[i]]++;
      timestamps[at] = this.timestamps[i];
      values[at] = this.values[i];
    }
    const out: SeriesSamples[] = new Array(n);
    for (let s = 0; s < n; s++) {
      const from = start[s];
      const to = start[s + 1];
      sortByTime(timestamps, values, from, to);
      out[s] = {
        labels: this.labels[s],
        timestamps: timestamps.subarray(from, to),
        values: values.subarray(from, to),
      };
    }
    return out;
  }

  private grow(): void {
    const size = this.timestamps.length * 2;
    const seriesOf = new Int32Array(size);
    seriesOf.set(this.seriesOf);
    const timestamps = new Float64Array(size);
    timestamps.set(this.timestamps);
    const values = new Float64Array(size);
    values.set(this.values);
    this.seriesOf = seriesOf;
    this.timestamps = timestamps;
    this.values = values;
  }
}

/** Sorts one series' slice by time, stably; almost always it is sorted already (or one sample). */
function sortByTime(timestamps: Float64Array, values: Float64Array, from: number, to: number): void {
  let sorted = true;
  for (let i = from + 1; i < to && sorted; i++) sorted = timestamps[i] >= timestamps[i - 1];
  if (sorted) return;
  const order = Array.from({ length: to - from }, (_, i) => from + i).sort(
    (a, b) => timestamps[a] - timestamps[b] || a - b,
  );
  const t = Float64Array.from(order, (i) => timestamps[i]);
  const v = new Float64Array(order.length);
  for (let i = 0; i < order.length; i++) v[i] = values[order[i]];
  timestamps.set(t, from);
  values.set(v, from);
}
