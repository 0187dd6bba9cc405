import {
  type Exemplar,
  exemplarLabelLength,
  MAX_EXEMPLAR_LABEL_LENGTH,
  type SeriesExemplars,
} from '../model/exemplar.ts';
import { compareLabels, formatLabels, type Labels } from '../model/labels.ts';
import type { AppendResult, RejectReason } from './interface.ts';

/**
 * The newest `capacity` exemplars across all series, as Prometheus's circular exemplar storage
 * keeps them: a ring buffer, with each series' entries listed oldest first so that evicting the
 * globally oldest exemplar also drops the oldest of its series. Memory is bounded by capacity.
 */
export class ExemplarStore {
  private readonly seriesOf: Int32Array;
  private readonly times: Float64Array;
  private readonly values: Float64Array;
  private readonly labelSets: (Labels | undefined)[];
  /** Ring positions of each series' exemplars, oldest first. */
  private readonly bySeries = new Map<number, number[]>();
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.seriesOf = new Int32Array(capacity);
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
    this.labelSets = new Array(capacity);
  }

  get count(): number {
    return this.size;
  }

  /**
   * Adds an exemplar of series `id`. Returns 'ok', 'duplicate' (same as the series' newest:
   * ignored), or 'out_of_order' (older than the series' newest).
   */
  add(id: number, e: Exemplar): 'ok' | 'duplicate' | 'out_of_order' {
    if (this.capacity === 0) return 'ok';
    const list = this.bySeries.get(id);
    if (list && list.length > 0) {
      const last = list[list.length - 1];
      const lastT = this.times[last];
      if (e.timestamp < lastT) return 'out_of_order';
      if (
        e.timestamp === lastT &&
        Object.is(e.value, this.values[last]) &&
        sameLabels(e.labels, this.labelSets[last]!)
      ) {
        return 'duplicate';
      }
      if (e.timestamp === lastT) return 'out_of_order';
    }
    const pos = this.next;
    if (this.size === this.capacity) {
      // Evict the oldest exemplar, which is the first of its series.
      const victim = this.seriesOf[pos];
      const victimList = this.bySeries.get(victim);
      victimList?.shift();
      if (victimList && victimList.length === 0) this.bySeries.delete(victim);
    } else {
      this.size++;
    }
    this.seriesOf[pos] = id;
    this.times[pos] = e.timestamp;
    this.values[pos] = e.value;
    this.labelSets[pos] = e.labels;
    const own = this.bySeries.get(id);
    if (own) own.push(pos);
    else this.bySeries.set(id, [pos]);
    this.next = (pos + 1) % this.capacity;
    return 'ok';
  }

  /** Exemplars of series `id` in [minT, maxT], oldest first. */
  select(id: number, minT: number, maxT: number): Exemplar[] {
    const out: Exemplar[] = [];
    for (const pos of this.bySeries.get(id) ?? []) {
      const t = this.times[pos];
      if (t < minT || t > maxT) continue;
      out.push({ labels: this.labelSets[pos]!, value: this.values[pos], timestamp: t });
    }
    return out;
  }

  /** Series that have exemplars. */
  seriesIds(): IterableIterator<number> {
    return this.bySeries.keys();
  }

  /** Every stored exemplar with its series, oldest first (for checkpoints). */
  *all(): Generator<{ id: number; exemplar: Exemplar }> {
    for (let k = 0; k < this.size; k++) {
      const pos = (this.next - this.size + k + this.capacity) % this.capacity;
      yield {
        id: this.seriesOf[pos],
        exemplar: { labels: this.labelSets[pos]!, value: this.values[pos], timestamp: this.times[pos] },
      };
    }
  }
}

function sameLabels(a: Labels, b: Labels): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].name !== b[i].name || a[i].value !== b[i].value) return false;
  return true;
}

/**
 * Adds a batch to `store` with Prometheus's rules: exemplar labels at most 128 characters, per
 * series in time order, an exact repeat of the newest ignored. `resolve` gives (or creates) the
 * series id; -1 refuses the series (limits). Returns the result and the accepted records (for
 * the write-ahead log).
 */
export function addExemplars(
  store: ExemplarStore,
  batch: readonly SeriesExemplars[],
  resolve: (labels: Labels) => number,
): { result: AppendResult; accepted: { id: number; exemplar: Exemplar }[] } {
  const rejected = new Map<RejectReason, { count: number; example: string }>();
  const reject = (reason: RejectReason, example: string) => {
    const r = rejected.get(reason);
    if (r) r.count++;
    else rejected.set(reason, { count: 1, example });
  };
  const accepted: { id: number; exemplar: Exemplar }[] = [];
  let count = 0;
  for (const series of batch) {
    if (series.exemplars.length === 0) continue;
    const id = resolve(series.labels);
    for (const e of series.exemplars) {
      if (id < 0) {
        reject('series_limit', `${formatLabels(series.labels)}: series limit reached`);
        continue;
      }
      if (exemplarLabelLength(e.labels) > MAX_EXEMPLAR_LABEL_LENGTH) {
        reject(
          'exemplar_invalid',
          `${formatLabels(series.labels)}: exemplar labels are longer than ${MAX_EXEMPLAR_LABEL_LENGTH} characters`,
        );
        continue;
      }
      const status = store.add(id, e);
      if (status === 'out_of_order') {
        reject(
          'exemplar_out_of_order',
          `${formatLabels(series.labels)}: exemplar at ${e.timestamp} is out of order`,
        );
        continue;
      }
      count++;
      if (status === 'ok') accepted.push({ id, exemplar: e });
    }
  }
  return {
    result: {
      accepted: count,
      seriesAdded: 0,
      rejected: [...rejected].map(([reason, r]) => ({ reason, count: r.count, example: r.example })),
    },
    accepted,
  };
}

/** The selectExemplars answer for the given series ids: sorted by labels, only series with exemplars in range. */
export function exemplarsOf(
  store: ExemplarStore,
  ids: readonly number[],
  minT: number,
  maxT: number,
  labelsOf: (id: number) => Labels,
): SeriesExemplars[] {
  const out: SeriesExemplars[] = [];
  for (const id of ids) {
    const exemplars = store.select(id, minT, maxT);
    if (exemplars.length > 0) out.push({ labels: labelsOf(id), exemplars });
  }
  return out.sort((a, b) => compareLabels(a.labels, b.labels));
}
