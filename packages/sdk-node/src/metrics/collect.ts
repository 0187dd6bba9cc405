/**
 * One exposition for the whole app: this thread's registry plus, where they exist, the metrics of
 * worker threads (main thread) and of cluster workers (primary, or any worker when the primary
 * runs @vigil/node). With nothing to aggregate it renders the registry directly, the fast path.
 */
import cluster from 'node:cluster';
import { isMainThread } from 'node:worker_threads';
import { mergeSnapshots, type SourceSnapshot } from './aggregate.ts';
import {
  answerClusterCollection,
  collectClusterWorkers,
  requestClusterAggregate,
  serveClusterAggregate,
} from './cluster.ts';
import { Registry } from './registry.ts';
import { answerThreadCollection, threadCollector } from './threads.ts';

/** Options of `exposition()` and the metrics handler. */
export interface AggregationOptions {
  /** Include worker threads' metrics (main thread only). Default true. */
  threads?: boolean;
  /**
   * Include the cluster: in the primary, every worker's metrics; in a worker, ask the primary
   * for the cluster's. Default true.
   */
  cluster?: boolean;
  /** How long to wait for other workers and threads to answer, in ms. Default 1000. */
  timeoutMs?: number;
}

/** This thread's metrics and, on the main thread, its worker threads', as sources. */
async function processSources(registry: Registry, options: AggregationOptions): Promise<SourceSnapshot[]> {
  const own: SourceSnapshot = { id: 'self', families: await registry.snapshot() };
  if (options.threads === false || !isMainThread) return [own];
  const threads = await threadCollector()!.collect(options.timeoutMs ?? 1000);
  return [own, ...threads];
}

/** Every source this process can see: itself, its threads, and (in the primary) the workers. */
async function allSources(registry: Registry, options: AggregationOptions): Promise<SourceSnapshot[]> {
  const mine = await processSources(registry, options);
  if (options.cluster === false || !cluster.isPrimary) return mine;
  const workers = await collectClusterWorkers(options.timeoutMs ?? 1000);
  return [...mine.map((s) => (s.id === 'self' ? { ...s, id: 'primary' } : s)), ...workers];
}

/**
 * Sets up this thread/process to take part in aggregation: a worker thread answers the main
 * thread, a cluster worker answers the primary, and a primary answers workers that serve
 * /metrics. Safe to call more than once.
 */
export function joinAggregation(registry: Registry, options: AggregationOptions = {}): void {
  answerThreadCollection(() => registry.snapshot());
  answerClusterCollection(() => processSources(registry, options));
  serveClusterAggregate(() => allSources(registry, options));
  if (isMainThread) threadCollector();
}

/** The merged metrics of everything `options` includes, as plain data. */
export async function gatherSources(
  registry: Registry,
  options: AggregationOptions = {},
): Promise<SourceSnapshot[]> {
  if (cluster.isWorker && options.cluster !== false) {
    const fromPrimary = await requestClusterAggregate(options.timeoutMs ?? 1000);
    if (fromPrimary !== undefined) return fromPrimary;
  }
  return allSources(registry, options);
}

/**
 * The exposition of the registry plus everything aggregation includes. Renders the registry
 * directly (no snapshots) when there is nobody else to include.
 */
export async function exposition(
  registry: Registry,
  openMetrics: boolean,
  options: AggregationOptions = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 1000;
  if (cluster.isWorker && options.cluster !== false) {
    const fromPrimary = await requestClusterAggregate(timeoutMs);
    if (fromPrimary !== undefined)
      return Registry.fromSnapshots(mergeSnapshots(fromPrimary)).render(openMetrics);
  }
  const threads =
    options.threads !== false && isMainThread ? await threadCollector()!.collect(timeoutMs) : [];
  const workers = options.cluster !== false ? await collectClusterWorkers(timeoutMs) : [];
  if (threads.length === 0 && workers.length === 0) return registry.metrics(openMetrics);
  const own: SourceSnapshot = {
    id: workers.length > 0 ? 'primary' : 'self',
    families: await registry.snapshot(),
  };
  return Registry.fromSnapshots(mergeSnapshots([own, ...threads, ...workers])).render(openMetrics);
}
