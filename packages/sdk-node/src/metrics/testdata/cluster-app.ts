/**
 * Test app for cluster aggregation: a primary with 2 workers, each worker with 1 worker thread.
 * Every participant counts a known amount, so the aggregate is known exactly. The primary serves
 * /metrics; worker 1 serves /metrics too (asking the primary for the cluster's). Prints
 * {"primary":port,"worker":port} on stdout when everything is counted.
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { joinAggregation } from '../collect.ts';
import { metricsHandler } from '../handler.ts';
import { defaultRegistry } from '../registry.ts';

const registry = defaultRegistry();
const jobs = registry.counter({ name: 'jobs_total', help: 'Jobs done.', labelNames: ['kind'] });
const latency = registry.histogram({ name: 'job_seconds', help: 'Job time.', buckets: [1, 2] });
const inflight = registry.gauge({ name: 'inflight', help: 'In flight (sum).' });
const lag = registry.gauge({ name: 'lag_seconds', help: 'Lag (max).', aggregate: 'max' });
const heap = registry.gauge({ name: 'heap_bytes', help: 'Heap (per worker).', aggregate: 'perWorker' });
const sizes = registry.summary({ name: 'size', help: 'Sizes.', percentiles: [0.5, 1] });
joinAggregation(registry, { timeoutMs: 5000 });

function serve(): Promise<number> {
  const server = createServer(metricsHandler(registry, { timeoutMs: 5000 }));
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

if (!isMainThread) {
  // A worker thread of worker N counts 1000*N jobs of kind "thread".
  const n = Number(process.env.WORKER_N);
  jobs.inc({ kind: 'thread' }, 1000 * n);
  latency.observe(0.5);
  inflight.set(1);
  sizes.observe(1000 + n);
  parentPort!.postMessage('counted');
  // Like a pool thread, stay alive (the process ends it).
  setInterval(() => {}, 1 << 30);
} else if (cluster.isPrimary) {
  jobs.inc({ kind: 'primary' }, 1);
  lag.set(0.5);
  heap.set(1);
  let ready = 0;
  let workerPort = 0;
  const onReady = async () => {
    if (++ready < 2) return;
    const primaryPort = await serve();
    process.stdout.write(`${JSON.stringify({ primary: primaryPort, worker: workerPort })}\n`);
  };
  for (const n of [1, 2]) {
    const w = cluster.fork({ WORKER_N: String(n) });
    w.on('message', (m: { ready?: boolean; port?: number }) => {
      if (m.ready) {
        if (m.port) workerPort = m.port;
        void onReady();
      }
    });
  }
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
    process.exit(0);
  });
} else {
  // Worker N counts 10*N jobs of kind "worker", observes N seconds, and starts a thread.
  const n = Number(process.env.WORKER_N);
  jobs.inc({ kind: 'worker' }, 10 * n);
  latency.observe(n);
  inflight.set(2);
  lag.set(n);
  heap.set(100 * n);
  sizes.observe(n);
  const thread = new Worker(new URL('./ts-worker.mjs', import.meta.url), {
    workerData: { file: import.meta.url },
    env: { ...process.env },
  });
  thread.unref();
  thread.once('message', async () => {
    const port = n === 1 ? await serve() : 0;
    process.send!({ ready: true, port });
  });
}
