/**
 * Per-node evaluation state shared across steps (Prometheus's EvalNodeHelper): the step time,
 * the output vector, and caches that must survive from one step to the next. Output samples come
 * from a pool that is recycled every step: a function's result is only valid until the evaluator
 * has copied it, at the end of the step.
 */
import type { Labels } from '../../model/labels.ts';
import type { Annotations } from './annotations.ts';
import type { Sample, Vector } from './values.ts';

/** State for one node, kept across the steps of one evaluation. */
export class EvalNodeHelper {
  /** Evaluation time of the current step (ms). */
  ts = 0;
  /** Output vector; functions append to it with push(). */
  readonly out: Vector = [];
  private readonly pool: Sample[] = [];
  private used = 0;
  /** Number of distinct matching signatures of a vector/vector operation. */
  numSigs = 0;
  /** Cache of result label sets for binary operations, by the identity of both sides' labels. */
  resultMetric: Map<Labels, Map<Labels, Labels>> | undefined;
  /** Free-form per-node caches for functions (histogram_quantile buckets, label builders...). */
  readonly cache = new Map<string, unknown>();

  constructor(
    readonly delayedNameRemoval: boolean,
    readonly annos: Annotations,
  ) {}

  /** Starts a new step: empties the output and recycles pooled samples. */
  reset(ts: number): void {
    this.ts = ts;
    this.out.length = 0;
    this.used = 0;
  }

  /** A pooled sample, valid until the next reset(). */
  sample(metric: Labels, f: number, dropName: boolean, t = this.ts): Sample {
    let s = this.pool[this.used];
    if (s === undefined) {
      s = { metric, f, t, dropName };
      this.pool.push(s);
    } else {
      s.metric = metric;
      s.f = f;
      s.t = t;
      s.dropName = dropName;
    }
    this.used++;
    return s;
  }

  /** Appends a pooled sample to the output. */
  push(metric: Labels, f: number, dropName: boolean): void {
    this.out.push(this.sample(metric, f, dropName));
  }
}
