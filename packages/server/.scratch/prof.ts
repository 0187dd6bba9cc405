import { startTestVigil } from '../src/testutil/vigil.ts';
import { makeTemplate, stamp, SPANS_PER_REQUEST } from '../../../bench/workload/traces.ts';
const v = await startTestVigil('');
const t = makeTemplate(1, Date.now() - 3600_000);
const buf = Buffer.alloc(t.body.length);
const N = Number(process.argv[2] ?? 100);
const t0 = Date.now();
let next = 0;
await Promise.all([0,1,2,3].map(async () => { for (let n = next++; n < N; n = next++) {
  const body = Buffer.from(stamp(t, n, 100, Buffer.alloc(t.body.length)));
  const r = await fetch(`${v.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
  await r.arrayBuffer();
}}));
const s = (Date.now() - t0) / 1000;
console.log('spans/s', Math.round(N * SPANS_PER_REQUEST / s));
await v.stop();
