import { makeTemplate, stamp, SPANS_PER_REQUEST } from '../../../bench/workload/traces.ts';
const url = process.argv[2]; const N = Number(process.argv[3] ?? 200); const C = Number(process.argv[4] ?? 8);
const templates = Array.from({ length: 8 }, (_, i) => makeTemplate(100 + i, Date.now() - 3600_000));
const t0 = Date.now(); let next = 0; let lastReport = Date.now(); let done = 0;
await Promise.all(Array.from({ length: C }, async () => { const bufs = templates.map((t) => Buffer.alloc(t.body.length)); for (let n = next++; n < N; n = next++) {
  const t = templates[n % 8];
  const r = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: stamp(t, n, 100, bufs[n % 8]) });
  await r.arrayBuffer(); done++;
  if (Date.now() - lastReport > 5000) { lastReport = Date.now(); console.log('progress', done, 'spans/s so far', Math.round(done * SPANS_PER_REQUEST / ((Date.now() - t0) / 1000))); }
}}));
console.log('spans/s', Math.round(N * SPANS_PER_REQUEST / ((Date.now() - t0) / 1000)));
