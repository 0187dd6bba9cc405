/**
 * The fixed trace corpus TraceQL tests run against. Span ids are short names (padded to 16 hex
 * characters by `sid`) so expected results read as lists like ['a3', 'a4'].
 *
 * Trace A (a full request):
 *   a1 frontend  "GET /checkout"    server  120ms  http.method=GET http.status_code=200
 *   └ a2 frontend "POST checkout"   client  100ms  status ok, http.status_code=201
 *     └ a3 checkout "checkout.process" server 90ms cart.items=3 cart.total=42.5 vip=true tags=[blue,green]
 *       ├ a4 checkout "SELECT orders" client 30ms db.system=postgresql  status error "deadlock"
 *       └ a5 checkout "cache.get"     client  2ms db.system=redis, event "cache.miss" {cache.key=k1}
 * Trace B (a health check that failed inside):
 *   b1 frontend "GET /health" server 5ms status ok http.status_code=200
 *   └ b2 frontend "render"     internal 1ms status error
 * Trace C (root never received; a slow consumer):
 *   c1 worker "consume job"    consumer 2s  parent missing, messaging.system=kafka
 *   └ c2 worker "publish result" producer 10ms  link → trace A / a1
 */
import type { AttributeValue, Resource, Span, SpanEvent, SpanLink } from '../../../model/span.ts';
import { testResource, testSpan } from '../../../storage/traces/storetest/spans.ts';

export const TRACE_A = 'a0000000000000000000000000000001';
export const TRACE_B = 'b0000000000000000000000000000002';
export const TRACE_C = 'c0000000000000000000000000000003';

/** A span id from a short name: 'a3' → 'a300000000000000'. */
export function sid(name: string): string {
  return Buffer.from(name).toString('hex').padEnd(16, '0');
}

/** The short name of a span id made by sid(). */
export function shortName(spanId: string): string {
  return Buffer.from(spanId.replace(/(00)+$/, ''), 'hex').toString();
}

const T0 = Date.UTC(2026, 2, 1, 12);

const frontend = testResource('frontend', { 'deployment.environment': 'staging' });
const checkout = testResource('checkout', { 'deployment.environment': 'production' });
const worker = testResource('worker', { 'deployment.environment': 'production' });

function span(
  trace: string,
  name: string,
  parent: string | undefined,
  fields: {
    name: string;
    resource: Resource;
    kind: 0 | 1 | 2 | 3 | 4 | 5;
    startMs: number;
    durationMs: number;
    attributes?: Record<string, AttributeValue>;
    status?: 0 | 1 | 2;
    statusMessage?: string;
    events?: SpanEvent[];
    links?: SpanLink[];
  },
): Span {
  return testSpan({
    traceId: trace,
    spanId: sid(name),
    parentSpanId: parent ? sid(parent) : '',
    ...fields,
    startMs: T0 + fields.startMs,
  });
}

export const CORPUS: readonly (readonly Span[])[] = [
  [
    span(TRACE_A, 'a1', undefined, {
      name: 'GET /checkout',
      resource: frontend,
      kind: 2,
      startMs: 0,
      durationMs: 120,
      attributes: { 'http.method': 'GET', 'http.status_code': 200n },
    }),
    span(TRACE_A, 'a2', 'a1', {
      name: 'POST checkout',
      resource: frontend,
      kind: 3,
      startMs: 5,
      durationMs: 100,
      status: 1,
      attributes: { 'http.method': 'POST', 'http.status_code': 201n },
    }),
    span(TRACE_A, 'a3', 'a2', {
      name: 'checkout.process',
      resource: checkout,
      kind: 2,
      startMs: 10,
      durationMs: 90,
      attributes: { 'cart.items': 3n, 'cart.total': 42.5, vip: true, tags: ['blue', 'green'] },
    }),
    span(TRACE_A, 'a4', 'a3', {
      name: 'SELECT orders',
      resource: checkout,
      kind: 3,
      startMs: 20,
      durationMs: 30,
      status: 2,
      statusMessage: 'deadlock',
      attributes: { 'db.system': 'postgresql' },
    }),
    span(TRACE_A, 'a5', 'a3', {
      name: 'cache.get',
      resource: checkout,
      kind: 3,
      startMs: 60,
      durationMs: 2,
      attributes: { 'db.system': 'redis' },
      events: [
        {
          timeUnixNano: BigInt(T0 + 61) * 1_000_000n,
          name: 'cache.miss',
          attributes: [{ key: 'cache.key', value: 'k1' }],
          droppedAttributesCount: 0,
        },
      ],
    }),
  ],
  [
    span(TRACE_B, 'b1', undefined, {
      name: 'GET /health',
      resource: frontend,
      kind: 2,
      startMs: 1000,
      durationMs: 5,
      status: 1,
      attributes: { 'http.method': 'GET', 'http.status_code': 200n },
    }),
    span(TRACE_B, 'b2', 'b1', {
      name: 'render',
      resource: frontend,
      kind: 1,
      startMs: 1001,
      durationMs: 1,
      status: 2,
    }),
  ],
  [
    span(TRACE_C, 'c1', 'zz', {
      name: 'consume job',
      resource: worker,
      kind: 5,
      startMs: 2000,
      durationMs: 2000,
      attributes: { 'messaging.system': 'kafka' },
    }),
    span(TRACE_C, 'c2', 'c1', {
      name: 'publish result',
      resource: worker,
      kind: 4,
      startMs: 3990,
      durationMs: 10,
      links: [
        {
          traceId: TRACE_A,
          spanId: sid('a1'),
          traceState: '',
          attributes: [],
          droppedAttributesCount: 0,
          flags: 0,
        },
      ],
    }),
  ],
];
