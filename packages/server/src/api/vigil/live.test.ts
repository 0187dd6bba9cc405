/**
 * The live-mode WebSocket over real HTTP with a real `ws` client, the real PromQL engine and the
 * in-memory storage: new steps arrive as points (and only new steps are evaluated), bad messages
 * and failing queries are answered with errors, auth applies to the upgrade, and other WebSocket
 * routes on the server keep working.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import WebSocket from 'ws';
import { labelsFromRecord } from '../../model/labels.ts';
import { Engine } from '../../promql/index.ts';
import { MemoryStorage } from '../../storage/memory/memory-storage.ts';
import { createHttpServer } from '../server.ts';
import { LIVE_PATH, registerLive } from './live.ts';

const T0 = 1_700_000_000_000;
const TOKEN = 'live-test-token-0123456789';
const servers: FastifyInstance[] = [];

after(async () => {
  for (const s of servers) await s.close();
});

interface Setup {
  url: string;
  storage: MemoryStorage;
  clock: { now: number };
  queries: { start: number; end: number }[];
}

async function setup(auth = false): Promise<Setup> {
  const storage = new MemoryStorage();
  const engine = new Engine();
  const clock = { now: T0 };
  const queries: { start: number; end: number }[] = [];
  const app = createHttpServer({
    logger: pino({ level: 'silent' }),
    bearerTokens: auth ? [TOKEN] : undefined,
    maxBodyBytes: 1 << 20,
  });
  // Another WebSocket route on the same server (as the Loki tail has).
  app.register(async (scope) => {
    scope.get('/other/ws', { websocket: true }, (socket) => socket.send('other'));
  });
  registerLive(app, {
    rangeQuery: (q, start, end, step, o) => {
      queries.push({ start, end });
      return engine.rangeQuery(storage, q, start, end, step, o);
    },
    now: () => clock.now,
    tickMs: 20,
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  servers.push(app);
  return { url: address.replace('http', 'ws') + LIVE_PATH, storage, clock, queries };
}

async function append(
  storage: MemoryStorage,
  t: number,
  v: number,
  labels = { __name__: 'live_metric', job: 'a' },
) {
  await storage.append([
    { labels: labelsFromRecord(labels), timestamps: Float64Array.of(t), values: Float64Array.of(v) },
  ]);
}

/** A client that collects messages and can wait for one that matches. */
async function connect(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers });
  const messages: Record<string, unknown>[] = [];
  const waiters: {
    pred: (m: Record<string, unknown>) => boolean;
    resolve: (m: Record<string, unknown>) => void;
  }[] = [];
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Record<string, unknown>;
    messages.push(m);
    for (const w of [...waiters]) {
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return {
    ws,
    messages,
    send: (m: object) => ws.send(JSON.stringify(m)),
    next(pred: (m: Record<string, unknown>) => boolean, timeoutMs = 3000) {
      const seen = messages.find(pred);
      if (seen) {
        messages.splice(messages.indexOf(seen), 1);
        return Promise.resolve(seen);
      }
      return new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`)),
          timeoutMs,
        );
        waiters.push({
          pred,
          resolve: (m) => {
            clearTimeout(timer);
            messages.splice(messages.indexOf(m), 1);
            resolve(m);
          },
        });
      });
    },
    close: () => ws.close(),
  };
}

type Data = {
  type: 'data';
  id: string;
  series: { metric: Record<string, string>; values: [number, string][] }[];
};

test('new steps stream in as points; only new steps are evaluated', async () => {
  const s = await setup();
  for (let i = 0; i <= 10; i++) await append(s.storage, T0 - 10_000 + i * 1000, i);
  const c = await connect(s.url);
  c.send({ type: 'subscribe', id: 'p1', query: 'live_metric', step: 1000, since: T0 - 2000 });
  const first = (await c.next((m) => m.type === 'data')) as unknown as Data;
  assert.equal(first.id, 'p1');
  assert.deepEqual(first.series[0].metric, { __name__: 'live_metric', job: 'a' });
  // The client's last step is re-sent (late samples may change it), then every step up to now.
  assert.deepEqual(first.series[0].values, [
    [T0 - 2000, '8'],
    [T0 - 1000, '9'],
    [T0, '10'],
  ]);

  // A sample pushed after subscribing arrives with the next step, and only that step is queried.
  await append(s.storage, T0 + 1000, 42);
  s.queries.length = 0;
  s.clock.now = T0 + 1500;
  const next = (await c.next((m) => m.type === 'data')) as unknown as Data;
  assert.deepEqual(next.series[0].values, [
    [T0, '10'],
    [T0 + 1000, '42'],
  ]);
  assert.deepEqual(s.queries, [{ start: T0, end: T0 + 1000 }]);

  // Nothing new in the same step: no query, no message.
  s.queries.length = 0;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(s.queries.length, 0);
  assert.equal(c.messages.length, 0, JSON.stringify(c.messages));

  // Unsubscribed: silence.
  c.send({ type: 'unsubscribe', id: 'p1' });
  await new Promise((r) => setTimeout(r, 50));
  s.clock.now = T0 + 5000;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(c.messages.filter((m) => m.type === 'data').length, 0);
  c.close();
});

test('bad messages and failing queries are answered with errors; the connection stays usable', async () => {
  const s = await setup();
  await append(s.storage, T0, 1);
  const c = await connect(s.url);
  c.ws.send('not json');
  assert.match(String((await c.next((m) => m.type === 'error')).error), /JSON objects/);
  c.send({ type: 'watch', id: 'x' });
  assert.match(String((await c.next((m) => m.type === 'error')).error), /unknown message type "watch"/);
  c.send({ type: 'subscribe', id: 'x', query: 'up', step: 10 });
  assert.match(String((await c.next((m) => m.id === 'x')).error), /"step" must be .* at least 1000/);
  c.send({ type: 'subscribe', query: 'up', step: 1000 });
  assert.match(String((await c.next((m) => m.type === 'error')).error), /needs an "id"/);
  c.send({ type: 'subscribe', id: 'bad', query: 'rate(live_metric)', step: 1000 });
  const err = await c.next((m) => m.id === 'bad');
  assert.equal(err.type, 'error');
  assert.match(String(err.error), /expected type range vector/);
  c.send({ type: 'subscribe', id: 'ok', query: 'live_metric', step: 1000, since: T0 - 1000 });
  const ok = (await c.next((m) => m.id === 'ok')) as unknown as Data;
  assert.equal(ok.type, 'data');
  c.close();
});

test('plain HTTP gets 426; with auth on, an upgrade without the token is refused', async () => {
  const open = await setup();
  const res = await fetch(open.url.replace('ws', 'http'));
  assert.equal(res.status, 426);
  assert.match(await res.text(), /WebSocket endpoint/);

  const s = await setup(true);
  await assert.rejects(connect(s.url), /HTTP 401/);
  const c = await connect(s.url, { authorization: `Bearer ${TOKEN}` });
  c.send({ type: 'subscribe', id: 'p', query: 'vector(1)', step: 1000 });
  s.clock.now = T0 + 1000;
  assert.equal((await c.next((m) => m.id === 'p')).type, 'data');
  c.close();
});

test('another websocket route on the server keeps working next to live mode', async () => {
  const s = await setup();
  const other = new WebSocket(s.url.replace(LIVE_PATH, '/other/ws'));
  const text = await new Promise<string>((resolve, reject) => {
    other.once('message', (d) => resolve(String(d)));
    other.once('error', reject);
  });
  assert.equal(text, 'other');
  other.close();
});
