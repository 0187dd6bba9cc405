import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Edge, edgeWidth, errorColor, joinEdges, layout } from './graph.ts';

const e = (client: string, server: string, rate = 1, errorRate = 0): Edge => ({
  client,
  server,
  rate,
  errorRate,
  p95: Number.NaN,
});

test('edges join their rates, errors and latency; idle edges are dropped', () => {
  const k = (a: string, b: string) => `${a}\u0000${b}`;
  const edges = joinEdges(
    new Map([
      [k('web', 'api'), 2],
      [k('api', 'db'), 0],
    ]),
    new Map([[k('web', 'api'), 0.5]]),
    new Map([[k('web', 'api'), 0.2]]),
  );
  assert.deepEqual(edges, [{ client: 'web', server: 'api', rate: 2, errorRate: 0.5, p95: 0.2 }]);
});

test('callers are placed left of the services they call, cycles included', () => {
  const pos = layout(
    [e('web', 'api'), e('api', 'db'), e('api', 'cache'), e('db', 'api'), e('cron', 'api')],
    1000,
    400,
  );
  const x = Object.fromEntries(pos.map((p) => [p.name, p.x]));
  assert.ok(x.web < x.api && x.api < x.db, JSON.stringify(x));
  assert.equal(x.cron, x.web);
  assert.equal(x.cache, x.db);
  assert.equal(pos.length, 5);
  const api = pos.find((p) => p.name === 'api')!;
  assert.equal(api.inRate, 3); // from web, cron and db
});

test('colours and widths', () => {
  assert.equal(errorColor(0, 10), 'var(--ok)');
  assert.equal(errorColor(0.2, 10), 'var(--warn)');
  assert.equal(errorColor(1, 10), 'var(--err)');
  assert.equal(edgeWidth(10, 10), 9);
  assert.ok(edgeWidth(1, 10) < edgeWidth(5, 10));
});
