/**
 * The rules engine's view of PromQL: a QueryFunc (Prometheus's rules.QueryFunc) that runs an
 * instant query and returns a vector, built from the engine by engineQueryFunc (Prometheus's
 * EngineQueryFunc). Rules never see the engine or storage otherwise.
 */
import type { Labels } from '../model/labels.ts';
import type { Engine, Queryable } from '../promql/index.ts';

/** One sample of an instant vector: labels, time (ms) and value. */
export interface RuleSample {
  readonly labels: Labels;
  readonly t: number;
  readonly value: number;
}

/** Runs an instant query at `timeMs`; rejects with an Error whose message is PromQL's. */
export type QueryFunc = (query: string, timeMs: number, signal?: AbortSignal) => Promise<RuleSample[]>;

/**
 * Instant queries through the engine. A scalar becomes one sample without labels; any other
 * result type is an error ("rule result is not a vector or scalar").
 */
export function engineQueryFunc(engine: Engine, queryable: Queryable): QueryFunc {
  return async (query, timeMs, signal) => {
    const { result } = await engine.instantQuery(queryable, query, timeMs, { signal });
    switch (result.type) {
      case 'vector':
        return result.samples.map((s) => ({ labels: s.metric, t: s.t, value: s.v }));
      case 'scalar':
        return [{ labels: [], t: result.t, value: result.v }];
      default:
        throw new Error('rule result is not a vector or scalar');
    }
  };
}
