import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnVigil, tempDir } from '../testutil/vigil.ts';

/**
 * Durability end to end: every Loki push that Vigil answered 204 is queryable after `kill -9`
 * and a restart, line for line; pushes in flight at the kill may or may not be (they were never
 * acknowledged).
 */
const KILL_AFTER = 60;

test('every acknowledged log line survives kill -9 of the server', async () => {
  const dir = tempDir();
  const dataDir = join(dir.path, 'data');
  const first = await spawnVigil(dataDir);
  const acked: number[] = [];
  let stop = false;
  const base = BigInt(Date.now() - 600_000) * 1_000_000n;
  const sender = async (w: number) => {
    for (let k = 0; !stop; k++) {
      const values = [];
      for (let i = 0; i < 20; i++)
        values.push([String(base + BigInt(k * 20 + i) * 1_000_000n), `w${w} k${k} i${i}`]);
      try {
        const res = await fetch(`${first.url}/loki/api/v1/push`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ streams: [{ stream: { app: 'durable', worker: String(w) }, values }] }),
        });
        if (res.status !== 204) throw new Error(`unexpected ${res.status}: ${await res.text()}`);
        acked[w] = k;
        if (w === 0 && k === KILL_AFTER && !stop) {
          first.child.kill('SIGKILL');
          stop = true;
        }
      } catch (err) {
        if (stop) return;
        throw err;
      }
    }
  };
  await Promise.allSettled([0, 1, 2, 3].map(sender));
  assert.equal(await first.exited, 'SIGKILL');
  assert.equal(acked[0], KILL_AFTER);

  const second = await spawnVigil(dataDir);
  try {
    for (let w = 0; w < 4; w++) {
      const params = new URLSearchParams({
        query: `{app="durable", worker="${w}"}`,
        start: String(base),
        end: String(base + 3_600_000_000_000n),
        limit: '5000',
        direction: 'forward',
      });
      const res = await fetch(`${second.url}/loki/api/v1/query_range?${params}`);
      const body = (await res.json()) as { data: { result: { values: [string, string][] }[] } };
      const got = new Set(body.data.result.flatMap((s) => s.values.map((v) => v[1])));
      for (let k = 0; k <= acked[w]; k++) {
        for (let i = 0; i < 20; i++)
          assert.ok(got.has(`w${w} k${k} i${i}`), `worker ${w}, acknowledged push ${k}, line ${i}`);
      }
    }
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
    dir.remove();
  }
});
