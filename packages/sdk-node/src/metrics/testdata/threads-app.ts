/**
 * Test app for worker_threads aggregation: the main thread starts 3 threads that each count a
 * known amount, then prints its /metrics exposition (text format) and exits.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { exposition, joinAggregation } from '../collect.ts';
import { defaultRegistry } from '../registry.ts';

const registry = defaultRegistry();
const jobs = registry.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['pool'] });
const latency = registry.histogram({ name: 'job_seconds', help: 'Job time.', buckets: [1, 2] });
const busy = registry.gauge({ name: 'busy_threads', help: 'Busy.' });
joinAggregation(registry);

if (isMainThread) {
  jobs.inc({ pool: 'main' }, 7);
  const threads = [1, 2, 3].map(
    (n) =>
      new Worker(new URL('./ts-worker.mjs', import.meta.url), { workerData: { file: import.meta.url, n } }),
  );
  await Promise.all(threads.map((t) => new Promise((resolve) => t.once('message', resolve))));
  process.stdout.write(await exposition(registry, process.argv.includes('--openmetrics')));
  await Promise.all(threads.map((t) => t.terminate()));
} else {
  const n = (workerData as { n: number }).n;
  // Bound child on a hot path in each thread.
  const mine = jobs.labels({ pool: 'workers' });
  for (let i = 0; i < 1000 * n; i++) mine.inc();
  for (let i = 0; i < n; i++) latency.observe(n);
  busy.set(1);
  parentPort!.postMessage('counted');
  // Stay alive until the main thread terminates us.
  setInterval(() => {}, 1 << 30);
}
