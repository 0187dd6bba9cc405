import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../config/load.ts';
import { formatLabels } from '../../model/labels.ts';
import type { Span } from '../../model/span.ts';
import { testResource, testSpan } from '../../storage/traces/storetest/spans.ts';
import { ServiceGraph } from './service-graph.ts';

const config = () => parseConfig('traces:\n  service_graph:\n    wait: 10s\n', 't.yml').traces.service_graph;
const NOW = Date.UTC(2026, 0, 1, 12);
const T = 'f'.repeat(32);

function pair(
  i: number,
  fields: { clientMs: number; serverMs: number; failed?: boolean; server?: string },
): Span[] {
  const client = testSpan({
    traceId: T,
    spanId: `c${String(i).padStart(15, '0')}`,
    kind: 3,
    durationMs: fields.clientMs,
    resource: testResource('web'),
  });
  const server = testSpan({
    traceId: T,
    spanId: `5${String(i).padStart(15, '0')}`,
    parentSpanId: client.spanId,
    kind: 2,
    durationMs: fields.serverMs,
    status: fields.failed ? 2 : 0,
    resource: testResource(fields.server ?? 'api'),
  });
  return [client, server];
}

test('paired client and server spans count requests, failures and both latencies exactly', () => {
  const expired: string[] = [];
  const g = new ServiceGraph(config(), { expired: (k) => expired.push(k), dropped: () => {} });
  // Server spans first for one pair: the order they arrive in does not matter.
  const [c0, s0] = pair(0, { clientMs: 150, serverMs: 90 });
  g.observe([s0], NOW);
  g.observe([c0], NOW);
  g.observe(pair(1, { clientMs: 450, serverMs: 300, failed: true }), NOW);
  g.observe(pair(2, { clientMs: 13_000, serverMs: 50 }), NOW);
  const edge = g.inspect('web', 'api');
  // le: 0.1 0.2 0.4 0.8 1.6 3.2 6.4 12.8 +Inf
  assert.deepEqual(edge, {
    requests: 3,
    failed: 1,
    server: [2, 2, 3, 3, 3, 3, 3, 3, 3],
    client: [0, 1, 1, 2, 2, 2, 2, 2, 3],
  });
  assert.equal(g.pending, 0);
  assert.deepEqual(expired, []);
});

test('series carry Tempo names and client/server/connection_type labels', () => {
  const g = new ServiceGraph(config());
  g.observe(pair(0, { clientMs: 10, serverMs: 5, failed: true }), NOW);
  const names = g.collect(NOW).map((s) => formatLabels(s.labels));
  for (const expected of [
    'traces_service_graph_request_total{client="web", server="api"}',
    'traces_service_graph_request_failed_total{client="web", server="api"}',
    'traces_service_graph_request_server_seconds_bucket{client="web", le="0.1", server="api"}',
    'traces_service_graph_request_server_seconds_sum{client="web", server="api"}',
    'traces_service_graph_request_client_seconds_count{client="web", server="api"}',
  ]) {
    assert.ok(names.includes(expected), `${expected} in\n${names.join('\n')}`);
  }
});

test('unpaired halves wait, then expire: counted by kind, or as virtual nodes', () => {
  const expired: string[] = [];
  const g = new ServiceGraph(config(), { expired: (k) => expired.push(k), dropped: () => {} });
  const [client] = pair(0, { clientMs: 10, serverMs: 5 });
  const [, orphanServer] = pair(1, { clientMs: 10, serverMs: 5 });
  // A root server span (called from outside), and a client span naming its uninstrumented peer.
  const root = testSpan({ traceId: T, spanId: 'a'.repeat(16), kind: 2, resource: testResource('gateway') });
  const toCache = testSpan({
    traceId: T,
    spanId: 'b'.repeat(16),
    kind: 3,
    resource: testResource('api'),
    attributes: { 'peer.service': 'memcached' },
  });
  g.observe([client, orphanServer, root, toCache], NOW);
  assert.equal(g.pending, 4);
  g.expire(NOW + 9_999);
  assert.equal(g.pending, 4, 'nothing expires before the wait');
  g.expire(NOW + 10_000);
  assert.equal(g.pending, 0);
  assert.deepEqual(expired.sort(), ['SPAN_KIND_CLIENT', 'SPAN_KIND_SERVER']);
  assert.equal(g.inspect('user', 'gateway', 'virtual_node')?.requests, 1);
  assert.equal(g.inspect('api', 'memcached', 'virtual_node')?.requests, 1);
});

test('database client spans complete on their own; producer/consumer pairs are messaging edges', () => {
  const g = new ServiceGraph(config());
  g.observe(
    [
      testSpan({
        traceId: T,
        spanId: 'd'.repeat(16),
        kind: 3,
        durationMs: 30,
        resource: testResource('api'),
        attributes: { 'db.system': 'postgresql', 'server.address': 'pg.internal' },
      }),
    ],
    NOW,
  );
  assert.equal(g.inspect('api', 'pg.internal', 'database')?.requests, 1);
  const producer = testSpan({
    traceId: T,
    spanId: 'e'.repeat(16),
    kind: 4,
    resource: testResource('orders'),
  });
  const consumer = testSpan({
    traceId: T,
    spanId: '1'.repeat(16),
    parentSpanId: producer.spanId,
    kind: 5,
    resource: testResource('billing'),
  });
  g.observe([producer, consumer], NOW);
  assert.equal(g.inspect('orders', 'billing', 'messaging_system')?.requests, 1);
});

test('at most max_items halves wait; further spans are dropped and counted', () => {
  let dropped = 0;
  const cfg = { ...config(), max_items: 2 };
  const g = new ServiceGraph(cfg, { expired: () => {}, dropped: () => dropped++ });
  for (let i = 0; i < 5; i++) g.observe([pair(i, { clientMs: 1, serverMs: 1 })[0]], NOW);
  assert.equal(g.pending, 2);
  assert.equal(dropped, 3);
});
