import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnVigil, tempDir } from '../../testutil/vigil.ts';
import { compressWriteRequest, postRemoteWrite } from './client.ts';

/**
 * The durability promise end to end: every remote-write request Vigil answered 204 is there after
 * `kill -9` and a restart, sample for sample, while requests that were in flight at the kill may
 * or may not be (they were never acknowledged).
 */
const KILL_AFTER = 150;

test('every acknowledged remote-write sample survives kill -9 of the server', async () => {
  const dir = tempDir();
  const dataDir = join(dir.path, 'data');
  const first = await spawnVigil(dataDir);
  const acked: number[] = [];
  let stop = false;
  const base = Date.now() - 3_600_000;
  // Eight senders in parallel, each owning three series; request k carries sample k of each.
  const sender = async (w: number) => {
    for (let k = 0; !stop; k++) {
      const timeseries = [];
      for (let s = w * 3; s < w * 3 + 3; s++) {
        timeseries.push({
          labels: [
            { name: '__name__', value: 'durable' },
            { name: 'series', value: String(s) },
          ],
          samples: [{ value: k * 1.5 + s, timestamp: BigInt(base + k * 1000) }],
        });
      }
      try {
        const res = await postRemoteWrite(`${first.url}/api/v1/write`, compressWriteRequest({ timeseries }));
        if (res.status !== 204) throw new Error(`unexpected ${res.status}: ${res.body}`);
        acked[w] = k;
        // Kill the moment an acknowledgement arrives, while the server is busiest: anything it
        // acknowledged before the bytes were on disk would be lost right here.
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
  const senders = [0, 1, 2, 3, 4, 5, 6, 7].map(sender);
  await Promise.allSettled(senders);
  assert.equal(await first.exited, 'SIGKILL');
  assert.equal(acked[0], KILL_AFTER);

  const second = await spawnVigil(dataDir);
  try {
    for (let w = 0; w < 8; w++) {
      for (let s = w * 3; s < w * 3 + 3; s++) {
        const params = new URLSearchParams({
          query: `durable{series="${s}"}`,
          start: String(base / 1000),
          end: String((base + (acked[w] + 5) * 1000) / 1000),
          step: '1',
        });
        const res = await fetch(`${second.url}/api/v1/query_range?${params}`);
        const body = (await res.json()) as { data: { result: { values: [number, string][] }[] } };
        const values = new Map(
          body.data.result[0]?.values.map(([t, v]) => [Math.round(t * 1000), Number(v)]),
        );
        for (let k = 0; k <= acked[w]; k++) {
          assert.equal(values.get(base + k * 1000), k * 1.5 + s, `series ${s}, acknowledged sample ${k}`);
        }
      }
    }
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
    dir.remove();
  }
});
