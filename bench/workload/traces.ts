/**
 * A realistic span workload for the traces benchmarks: traces of 10 spans across 5 services
 * (an HTTP entry, RPC hops, a database and a cache call), 10–20 attributes per span of every
 * common type, 1–3 events on some spans, resources with the usual SDK attributes.
 *
 * Requests are built once as templates (ExportTraceServiceRequest protobuf, 500 spans each) and
 * stamped per request: the first 4 bytes of every trace and span id get the request number and
 * every start/end time moves forward, so each request carries new traces without re-encoding
 * (the sender spends almost no CPU).
 */
import { tracesDataBytes } from '../../packages/server/src/api/tempo/trace-encoding.ts';
import type {
  Attribute,
  AttributeValue,
  Resource,
  Span,
  SpanEvent,
} from '../../packages/server/src/model/span.ts';

const SERVICES = ['gateway', 'checkout', 'payments', 'inventory', 'users'];
const TRACES_PER_REQUEST = 50;
export const SPANS_PER_TRACE = 10;
export const SPANS_PER_REQUEST = TRACES_PER_REQUEST * SPANS_PER_TRACE;

/** Deterministic pseudo-random numbers (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

function hexOf(rand: () => number, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++)
    s += Math.floor(rand() * 256)
      .toString(16)
      .padStart(2, '0');
  return s;
}

function resourceFor(service: string, instance: number): Resource {
  const attrs: Record<string, AttributeValue> = {
    'service.name': service,
    'service.namespace': 'shop',
    'service.version': '1.14.2',
    'service.instance.id': `${service}-${instance}`,
    'deployment.environment': 'production',
    'host.name': `node-${instance % 7}`,
    'host.arch': 'amd64',
    'os.type': 'linux',
    'process.pid': BigInt(1000 + instance),
    'process.runtime.name': 'nodejs',
    'process.runtime.version': '20.20.2',
    'telemetry.sdk.name': 'opentelemetry',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.version': '2.12.1',
    'k8s.pod.name': `${service}-7d9f8b6c4-${instance}x`,
    'k8s.namespace.name': 'shop',
  };
  return {
    attributes: Object.entries(attrs).map(([key, value]) => ({ key, value })),
    droppedAttributesCount: 0,
    schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
  };
}

const RESOURCES = SERVICES.map((s, i) => resourceFor(s, i));
const SCOPE = {
  name: '@opentelemetry/instrumentation-http',
  version: '0.57.0',
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
};

function attrs(list: [string, AttributeValue][]): Attribute[] {
  return list.map(([key, value]) => ({ key, value }));
}

/** One request template: 50 traces × 10 spans, times starting at `baseMs`. */
export function buildTemplate(seed: number, baseMs: number): Span[] {
  const rand = rng(seed);
  const spans: Span[] = [];
  for (let t = 0; t < TRACES_PER_REQUEST; t++) {
    const traceId = hexOf(rand, 16);
    const ids = Array.from({ length: SPANS_PER_TRACE }, () => hexOf(rand, 8));
    // Parents: 0 root (gateway), 1 client to checkout, 2 checkout server, 3 client to payments,
    // 4 payments server, 5 db client (payments), 6 inventory client, 7 inventory server,
    // 8 cache client, 9 users internal.
    const parent = [-1, 0, 1, 2, 3, 4, 2, 6, 7, 2];
    const service = [0, 0, 1, 1, 2, 2, 1, 3, 3, 4];
    const kind = [2, 3, 2, 3, 2, 3, 3, 2, 3, 1] as const;
    const names = [
      'GET /api/checkout',
      'POST checkout.Checkout/PlaceOrder',
      'checkout.Checkout/PlaceOrder',
      'POST payments.Payments/Charge',
      'payments.Payments/Charge',
      'INSERT payments',
      'GET inventory.Inventory/Reserve',
      'inventory.Inventory/Reserve',
      'GET cache',
      'users.lookup',
    ];
    const start = baseMs + t * 20 + rand() * 10;
    const failed = rand() < 0.03;
    for (let i = 0; i < SPANS_PER_TRACE; i++) {
      const offset = i * 2 + rand() * 2;
      const durationMs = (SPANS_PER_TRACE - i) * (1 + rand() * 8) + (i === 5 ? rand() * 40 : 0);
      const common: [string, AttributeValue][] = [
        ['app.tenant', `tenant-${Math.floor(rand() * 40)}`],
        ['app.region', ['eu-west-1', 'us-east-1', 'ap-south-1'][Math.floor(rand() * 3)]],
        ['app.request_id', hexOf(rand, 8)],
        ['app.retry', BigInt(Math.floor(rand() * 3))],
        ['app.cache_hit', rand() < 0.7],
        ['app.score', Math.round(rand() * 1000) / 1000],
        ['thread.id', BigInt(1 + Math.floor(rand() * 16))],
        ['code.function', `handle${names[i].replace(/[^A-Za-z]/g, '').slice(0, 12)}`],
      ];
      const http: [string, AttributeValue][] =
        kind[i] === 2 || kind[i] === 3
          ? [
              ['http.request.method', i === 0 ? 'GET' : 'POST'],
              ['url.path', i === 0 ? '/api/checkout' : `/${names[i].split(' ').pop()}`],
              ['url.scheme', 'https'],
              ['http.response.status_code', BigInt(failed && i >= 3 ? 500 : 200)],
              ['server.address', `${SERVICES[service[i]]}.shop.svc`],
              ['server.port', 8080n],
              ['network.protocol.version', '1.1'],
              ['user_agent.original', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36'],
              ['http.request.header.accept', ['application/json', 'text/plain']],
            ]
          : [];
      const db: [string, AttributeValue][] =
        i === 5
          ? [
              ['db.system', 'postgresql'],
              ['db.namespace', 'payments'],
              ['db.query.text', 'INSERT INTO payments (id, amount, currency) VALUES ($1, $2, $3)'],
              ['db.operation.name', 'INSERT'],
            ]
          : i === 8
            ? [
                ['db.system', 'redis'],
                ['db.operation.name', 'GET'],
              ]
            : [];
      const events: SpanEvent[] = [];
      if (i === 4 || i === 0) {
        const n = 1 + Math.floor(rand() * 3);
        for (let e = 0; e < n; e++) {
          events.push({
            timeUnixNano: BigInt(Math.round((start + offset + e) * 1e3)) * 1000n,
            name: e === 0 && failed ? 'exception' : 'log',
            attributes: attrs(
              e === 0 && failed
                ? [
                    ['exception.type', 'PaymentDeclined'],
                    ['exception.message', 'card declined by issuer'],
                  ]
                : [['message', `step ${e} done`]],
            ),
            droppedAttributesCount: 0,
          });
        }
      }
      const startNs = BigInt(Math.round((start + offset) * 1e3)) * 1000n;
      spans.push({
        traceId,
        spanId: ids[i],
        parentSpanId: parent[i] >= 0 ? ids[parent[i]] : '',
        traceState: '',
        flags: 0x301,
        name: names[i],
        kind: kind[i],
        startTimeUnixNano: startNs,
        endTimeUnixNano: startNs + BigInt(Math.round(durationMs * 1e3)) * 1000n,
        attributes: attrs([...http, ...db, ...common]),
        droppedAttributesCount: 0,
        events,
        droppedEventsCount: 0,
        links: [],
        droppedLinksCount: 0,
        status: failed && i >= 3 && i <= 4 ? { code: 2, message: 'card declined' } : { code: 0, message: '' },
        resource: RESOURCES[service[i]],
        scope: SCOPE,
      });
    }
  }
  return spans;
}

/** A template's body plus where to stamp each request's ids and times. */
export interface Template {
  readonly body: Buffer;
  readonly spans: readonly Span[];
  /** Offsets of trace id and span id bytes (parents included). */
  readonly idOffsets: Int32Array;
  /** Offsets of the 8-byte start and end times. */
  readonly timeOffsets: Int32Array;
}

function offsetsOf(body: Buffer, needles: readonly Buffer[]): number[] {
  const out: number[] = [];
  for (const n of needles) {
    let at = body.indexOf(n);
    while (at >= 0) {
      out.push(at);
      at = body.indexOf(n, at + 1);
    }
  }
  return out;
}

export function makeTemplate(seed: number, baseMs: number): Template {
  const spans = buildTemplate(seed, baseMs);
  const body = Buffer.from(tracesDataBytes(spans));
  const ids = new Set<string>();
  for (const s of spans) {
    ids.add(s.traceId);
    ids.add(s.spanId);
  }
  const times = new Set<bigint>();
  for (const s of spans) {
    times.add(s.startTimeUnixNano);
    times.add(s.endTimeUnixNano);
  }
  const timeBuf = (t: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(t);
    return b;
  };
  return {
    body,
    spans,
    idOffsets: Int32Array.from(
      offsetsOf(
        body,
        [...ids].map((h) => Buffer.from(h, 'hex')),
      ),
    ),
    timeOffsets: Int32Array.from(offsetsOf(body, [...times].map(timeBuf))),
  };
}

/**
 * Request `n` from a template: ids stamped with n (so every request has new traces) and times
 * moved forward by n × `stepMs`. Writes into `out` (the template's size) and returns it.
 */
export function stamp(t: Template, n: number, stepMs: number, out: Buffer): Buffer {
  t.body.copy(out);
  for (const o of t.idOffsets) out.writeUInt32BE(n >>> 0, o);
  const shift = BigInt(Math.round(n * stepMs)) * 1_000_000n;
  for (const o of t.timeOffsets) out.writeBigUInt64LE(out.readBigUInt64LE(o) + shift, o);
  return out;
}

/** The trace ids request `n` of a template carries. */
export function traceIdsOf(t: Template, n: number): string[] {
  const prefix = (n >>> 0).toString(16).padStart(8, '0');
  const out = new Set<string>();
  for (const s of t.spans) out.add(prefix + s.traceId.slice(8));
  return [...out];
}
