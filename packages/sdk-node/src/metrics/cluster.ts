/**
 * Aggregation across node:cluster workers, over the IPC channel cluster already has. The primary
 * asks each connected worker for its metrics (a worker answers with its own and its threads');
 * a worker that serves /metrics itself can ask the primary for the whole cluster's. Messages are
 * tagged so they never collide with the app's own IPC messages.
 */
import cluster, { type Worker } from 'node:cluster';
import { reportError } from '../errors.ts';
import { singleton } from '../shared.ts';
import type { SourceSnapshot } from './aggregate.ts';

const TAG = 'vigil:metrics:v1';

type Request = { tag: typeof TAG; kind: 'collect' | 'aggregate'; id: number };
type Reply = { tag: typeof TAG; kind: 'sources'; id: number; sources?: SourceSnapshot[]; error?: string };

function isOurs(m: unknown): m is Request | Reply {
  return typeof m === 'object' && m !== null && (m as { tag?: unknown }).tag === TAG;
}

/**
 * Makes this cluster worker answer the primary's collection requests with `sources()` (its own
 * metrics and its worker threads'). Listening keeps the IPC channel referenced, as any 'message'
 * listener does; a worker ends as usual with `process.disconnect()` or `worker.disconnect()`.
 */
export function answerClusterCollection(sources: () => Promise<SourceSnapshot[]>): void {
  if (!cluster.isWorker || typeof process.send !== 'function') return;
  singleton('cluster.responder', () => {
    const onMessage = (m: unknown) => {
      if (!isOurs(m) || m.kind !== 'collect') return;
      sources().then(
        (s) => process.send?.({ tag: TAG, kind: 'sources', id: m.id, sources: s } satisfies Reply),
        (err) => {
          reportError(err, 'collecting metrics for the cluster primary');
          process.send?.({ tag: TAG, kind: 'sources', id: m.id, error: String(err) } satisfies Reply);
        },
      );
    };
    process.on('message', onMessage);
    return onMessage;
  });
}

let nextId = 1;

/** Asks each connected worker for its metrics; waits at most `timeoutMs`. Primary only. */
export async function collectClusterWorkers(timeoutMs: number): Promise<SourceSnapshot[]> {
  if (!cluster.isPrimary || !cluster.workers) return [];
  const workers = Object.values(cluster.workers).filter((w): w is Worker => !!w && w.isConnected());
  const results = await Promise.all(workers.map((w) => askWorker(w, timeoutMs)));
  return results.flat();
}

function askWorker(worker: Worker, timeoutMs: number): Promise<SourceSnapshot[]> {
  const id = nextId++;
  return new Promise((resolve) => {
    const done = (sources: SourceSnapshot[]) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      resolve(sources);
    };
    const onMessage = (m: unknown) => {
      if (!isOurs(m) || m.kind !== 'sources' || m.id !== id) return;
      // Worker ids prefix each source so perWorker series stay apart.
      done(
        (m.sources ?? []).map((s) => ({
          id: `${worker.id}${s.id === 'self' ? '' : `/${s.id}`}`,
          families: s.families,
        })),
      );
    };
    const timer = setTimeout(() => done([]), timeoutMs);
    worker.on('message', onMessage);
    try {
      worker.send({ tag: TAG, kind: 'collect', id } satisfies Request);
    } catch (err) {
      reportError(err, `asking cluster worker ${worker.id} for metrics`);
      done([]);
    }
  });
}

/**
 * Lets workers ask this primary for the whole cluster's metrics (so any worker can serve
 * /metrics). `aggregate()` returns the primary's and every worker's sources.
 */
export function serveClusterAggregate(aggregate: () => Promise<SourceSnapshot[]>): void {
  if (!cluster.isPrimary) return;
  singleton('cluster.primary', () => {
    const onMessage = (worker: Worker, m: unknown) => {
      if (!isOurs(m) || m.kind !== 'aggregate') return;
      aggregate().then(
        (sources) => worker.send({ tag: TAG, kind: 'sources', id: m.id, sources } satisfies Reply),
        (err) => worker.send({ tag: TAG, kind: 'sources', id: m.id, error: String(err) } satisfies Reply),
      );
    };
    cluster.on('message', onMessage);
    return onMessage;
  });
}

/**
 * From a worker: the whole cluster's metrics, gathered by the primary. Undefined when the
 * primary does not answer within `timeoutMs` (e.g. it does not run @vigil/node).
 */
export function requestClusterAggregate(timeoutMs: number): Promise<SourceSnapshot[] | undefined> {
  if (!cluster.isWorker || typeof process.send !== 'function') return Promise.resolve(undefined);
  const id = nextId++;
  return new Promise((resolve) => {
    const onMessage = (m: unknown) => {
      if (!isOurs(m) || m.kind !== 'sources' || m.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve(m.error ? undefined : m.sources);
    };
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      resolve(undefined);
    }, timeoutMs);
    process.on('message', onMessage);
    process.send?.({ tag: TAG, kind: 'aggregate', id } satisfies Request);
  });
}
