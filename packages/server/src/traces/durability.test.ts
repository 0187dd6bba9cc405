import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { tracesDataBytes } from '../api/tempo/trace-encoding.ts';
import type { Span } from '../model/span.ts';
import { testResource, testSpan } from '../storage/traces/storetest/spans.ts';
import { spawnVigil, tempDir } from '../testutil/vigil.ts';

/**
 * The durability promise for spans: every span in an OTLP request Vigil answered 200 is there
 * after `kill -9` and a restart, while blocks are being cut and the write-ahead log checkpointed
 * underneath (a small head makes that happen many times during the run). Requests in flight at
 * the kill may or may not be there: they were never acknowledged.
 */
const KILL_AFTER = 120;
const SENDERS = 6;

function batch(sender: number, k: number): Span[] {
  const traceId = `${(sender + 1).toString(16)}${k.toString(16).padStart(31, '0')}`;
  const resource = testResource(`sender-${sender}`);
  return [0, 1, 2, 3, 4].map((i) =>
    testSpan({
      traceId,
      spanId: `${(i + 1).toString(16)}${k.toString(16).padStart(15, '0')}`,
      parentSpanId: i ? `1${k.toString(16).padStart(15, '0')}` : '',
      name: `op-${i}`,
      startMs: Date.now() - 60_000 + i,
      resource,
      attributes: { 'request.k': BigInt(k), 'sender.n': sender },
    }),
  );
}

test('every acknowledged span survives kill -9 of the server', async () => {
  const dir = tempDir();
  const dataDir = join(dir.path, 'data');
  const config = 'traces:\n  storage:\n    max_head_spans: 300\n';
  const first = await spawnVigil(dataDir, config);
  const acked: number[] = new Array(SENDERS).fill(-1);
  let stop = false;
  const sender = async (w: number) => {
    for (let k = 0; !stop; k++) {
      try {
        const res = await fetch(`${first.url}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body: Buffer.from(tracesDataBytes(batch(w, k))),
        });
        if (res.status !== 200) throw new Error(`unexpected ${res.status}: ${await res.text()}`);
        // An empty ExportTraceServiceResponse: no span of the request was refused.
        if ((await res.arrayBuffer()).byteLength !== 0) throw new Error(`spans refused in request ${k}`);
        acked[w] = k;
        // Kill the moment an acknowledgement arrives, while the server is busiest.
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
  await Promise.allSettled(Array.from({ length: SENDERS }, (_, w) => sender(w)));
  assert.equal(await first.exited, 'SIGKILL');
  assert.equal(acked[0], KILL_AFTER);
  assert.match(first.stderr(), /span block written|Vigil started/);

  const second = await spawnVigil(dataDir, config);
  try {
    for (let w = 0; w < SENDERS; w++) {
      for (let k = 0; k <= acked[w]; k++) {
        const traceId = batch(w, k)[0].traceId;
        const res = await fetch(`${second.url}/api/traces/${traceId}`);
        assert.equal(res.status, 200, `sender ${w}, acknowledged request ${k}`);
        const body = (await res.json()) as { batches: { scopeSpans: { spans: unknown[] }[] }[] };
        const spans = body.batches.flatMap((b) => b.scopeSpans.flatMap((s) => s.spans));
        assert.equal(spans.length, 5, `all spans of sender ${w}, request ${k}`);
      }
    }
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
    dir.remove();
  }
});
