import { join } from 'node:path';
import { tracesDataBytes } from '../src/api/tempo/trace-encoding.ts';
import { testResource, testSpan } from '../src/storage/traces/storetest/spans.ts';
import { spawnVigil, tempDir } from '../src/testutil/vigil.ts';
const dir = tempDir();
const dataDir = join(dir.path, 'data');
const config = 'server:\n  log_level: debug\ntraces:\n  storage:\n    max_head_spans: 300\n';
const first = await spawnVigil(dataDir, config);
const ids: string[] = [];
await Promise.all([0,1,2,3,4,5].map(async (w) => { for (let k = 0; k < 100; k++) {
  const traceId = `${w}${k.toString(16).padStart(31, '0')}`;
  ids.push(traceId);
  const spans = [0,1,2,3,4].map((i) => testSpan({ traceId, spanId: `${i+1}${k.toString(16).padStart(15,'0')}`, startMs: Date.now() - 60000, resource: testResource('s' + w) }));
  const r = await fetch(`${first.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.from(tracesDataBytes(spans)) });
  if (r.status !== 200) console.log('status', r.status);
}}));
let missing0 = 0;
for (const id of ids) { const r = await fetch(`${first.url}/api/traces/${id}`); if (r.status !== 200) missing0++; }
console.log('missing before kill', missing0);
let r = await fetch(`${first.url}/api/traces/${ids[0]}`); console.log('before kill', r.status);
first.child.kill('SIGKILL'); await first.exited;
console.log(first.stderr().split('\n').filter(l => /trace|span/.test(l)).slice(-8).join('\n'));
const second = await spawnVigil(dataDir, config);
let missing = 0;
for (const id of ids) { const r = await fetch(`${second.url}/api/traces/${id}`); if (r.status !== 200) missing++; }
console.log('missing', missing);
console.log(second.stderr().split('\n').filter(l => /trace|span/.test(l)).slice(0, 8).join('\n'));
second.child.kill('SIGTERM'); await second.exited;
const { execSync } = await import('node:child_process');
console.log(execSync(`ls -la ${dataDir}/traces ${dataDir}/traces/wal`).toString());
dir.remove();
