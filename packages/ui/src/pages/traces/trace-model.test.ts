import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Span } from '../../lib/tempo.ts';
import { buildTraceQL, buildTree, criticalPath } from './trace-model.ts';

function span(spanId: string, parentSpanId: string, startMs: number, endMs: number): Span {
  return {
    traceId: 't',
    spanId,
    parentSpanId,
    name: spanId,
    kind: 'internal',
    startNs: startMs * 1e6,
    endNs: endMs * 1e6,
    statusCode: 'unset',
    statusMessage: '',
    attributes: {},
    resource: {},
    scope: { name: '' },
    events: [],
    links: [],
    service: 'svc',
  };
}

test('tree order is depth-first with children by start; orphans become roots', () => {
  const rows = buildTree([
    span('c2', 'root', 50, 90),
    span('root', '', 0, 100),
    span('c1', 'root', 10, 40),
    span('g1', 'c1', 12, 30),
    span('orphan', 'missing', 5, 6),
  ]);
  assert.deepEqual(
    rows.map((r) => `${'  '.repeat(r.depth)}${r.span.spanId}:${r.descendants}`),
    ['root:3', '  c1:1', '    g1:0', '  c2:0', 'orphan:0'],
  );
  assert.deepEqual(rows[2].ancestors, ['root', 'c1']);
});

test('a cycle in bad data does not loop', () => {
  const rows = buildTree([span('a', 'b', 0, 1), span('b', 'a', 0, 1), span('r', '', 0, 2)]);
  assert.deepEqual(
    rows.map((r) => r.span.spanId),
    ['r', 'a', 'b'],
  );
});

test('the critical path follows the last-finishing children', () => {
  // root [0,100]: c1 [10,40] then c2 [45,95]; c3 [20,30] overlaps c1 and is not critical.
  const spans = [
    span('root', '', 0, 100),
    span('c1', 'root', 10, 40),
    span('c3', 'root', 20, 30),
    span('c2', 'root', 45, 95),
    span('g', 'c2', 50, 90),
  ];
  assert.deepEqual([...criticalPath(spans)].sort(), ['c1', 'c2', 'g', 'root']);
});

test('the builder writes TraceQL', () => {
  assert.equal(buildTraceQL({ service: '', name: '', minDuration: '', maxDuration: '', status: '' }), '{}');
  assert.equal(
    buildTraceQL({ service: 'shop', name: 'GET /', minDuration: '100ms', maxDuration: '', status: 'error' }),
    '{ resource.service.name = "shop" && name = "GET /" && duration >= 100ms && status = error }',
  );
});
