/**
 * Live tail over a real WebSocket: a client sees the lines pushed after it connected, in order,
 * each once; history since `start` comes first; bad queries are refused before the upgrade.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startTestVigil, type TestVigil } from '../../testutil/vigil.ts';

let vigil: TestVigil;

before(async () => {
  vigil = await startTestVigil();
});

after(async () => {
  await vigil?.stop();
});

interface TailMessage {
  streams: { stream: Record<string, string>; values: [string, string][] }[];
  dropped_entries: null;
}

function connect(
  query: string,
  extra: Record<string, string> = {},
): Promise<{ ws: WebSocket; lines: string[] }> {
  const params = new URLSearchParams({ query, ...extra });
  const ws = new WebSocket(`${vigil.url.replace('http', 'ws')}/loki/api/v1/tail?${params}`);
  const lines: string[] = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as TailMessage;
    assert.equal(msg.dropped_entries, null);
    const values = msg.streams
      .flatMap((s) => s.values)
      .sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1));
    for (const v of values) lines.push(v[1]);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, lines }));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

async function push(app: string, entries: [bigint, string][]): Promise<void> {
  const res = await fetch(`${vigil.url}/loki/api/v1/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ streams: [{ stream: { app }, values: entries.map(([t, l]) => [String(t), l]) }] }),
  });
  assert.equal(res.status, 204);
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(cond(), what);
}

test('lines pushed after connecting arrive in order, once each, filtered by the pipeline', async () => {
  const base = BigInt(Date.now()) * 1_000_000n;
  await push('tailed', [[base - 5_000_000_000n, 'before connect']]);
  const { ws, lines } = await connect('{app="tailed"} != "skip"', { start: String(base - 60_000_000_000n) });
  try {
    await waitFor(() => lines.length === 1, 'history arrives first');
    assert.deepEqual(lines, ['before connect']);
    const sent: string[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const entries: [bigint, string][] = [];
      for (let i = 0; i < 5; i++) {
        const n = batch * 5 + i;
        entries.push([base + BigInt(n) * 1000n, n % 7 === 3 ? `skip ${n}` : `line ${n}`]);
        if (n % 7 !== 3) sent.push(`line ${n}`);
      }
      await push('tailed', entries);
      await push('other', [[base + BigInt(batch), 'not for this tail']]);
    }
    await waitFor(() => lines.length === sent.length + 1, `all ${sent.length} live lines arrive`);
    assert.deepEqual(lines, ['before connect', ...sent]);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(lines.length, sent.length + 1, 'no duplicates arrive later');
  } finally {
    ws.close();
  }
});

test('a bad or metric query is refused with 400 before the upgrade', async () => {
  await assert.rejects(connect('{app="x"'), /HTTP 400/);
  await assert.rejects(connect('count_over_time({app="x"}[1m])'), /HTTP 400/);
});
