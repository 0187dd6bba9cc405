/**
 * End to end with the real OpenTelemetry JS SDK: one trace crosses three services, each exporting
 * with a different OTLP exporter (HTTP protobuf to the OTLP listener, HTTP JSON with gzip to the
 * main port, gRPC). Fetched back by id
 * (JSON and protobuf, Tempo v1 and v2), every span must be exactly what the SDK recorded: ids,
 * parent links, attributes of every type, events, links, status, resource and scope.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { context, type Link, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { AnyValue } from '../gen/opentelemetry/proto/common/v1/common_pb.ts';
import { type Span as OtlpSpan, TracesDataSchema } from '../gen/opentelemetry/proto/trace/v1/trace_pb.ts';
import { ProtoReader } from '../storage/traces/otlp/wire.ts';
import { startTestVigil, type TestVigil } from '../testutil/vigil.ts';

let vigil: TestVigil;

before(async () => {
  vigil = await startTestVigil('server:\n  otlp_http_listen: 127.0.0.1:0\n  otlp_grpc_listen: 127.0.0.1:0\n');
});

after(async () => {
  await vigil?.stop();
});

function gzip(): NonNullable<ConstructorParameters<typeof JsonExporter>[0]>['compression'] {
  return 'gzip' as never;
}

interface Service {
  readonly provider: NodeTracerProvider;
  readonly memory: InMemorySpanExporter;
}

function service(name: string, exporter: SpanExporter): Service {
  const memory = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': name,
      'service.version': '1.2.3',
      'deployment.environment': 'test',
      'host.cpus': 8,
    }),
    spanProcessors: [new SimpleSpanProcessor(memory), new BatchSpanProcessor(exporter)],
  });
  return { provider, memory };
}

test('a trace across three services and three OTLP exporters comes back exactly as recorded', async () => {
  // Protobuf to the OTLP/HTTP listener (4318 by default), JSON to the main port, and gRPC.
  const frontend = service(
    'frontend',
    new ProtoExporter({ url: `http://${vigil.otlpHttpAddress}/v1/traces` }),
  );
  const checkout = service(
    'checkout',
    new JsonExporter({ url: `${vigil.url}/v1/traces`, compression: gzip() }),
  );
  const payments = service('payments', new GrpcExporter({ url: `http://${vigil.otlpGrpcAddress}` }));
  try {
    const fe = frontend.provider.getTracer('frontend-http', '0.1.0');
    const co = checkout.provider.getTracer('checkout-core', '2.0.0');
    const pa = payments.provider.getTracer('payments-grpc');

    // A span in another trace to link to.
    const other = fe.startSpan('background refresh');
    other.end();

    const root = fe.startSpan('GET /checkout', {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'GET',
        'http.response.status_code': 200,
        'app.ratio': 0.75,
        'app.flag': true,
        'app.tags': ['a', 'b', 'c'],
        'app.counts': [1, 2, 3],
        'app.weights': [0.5, 1.5],
        'app.bools': [true, false],
      },
      links: [{ context: other.spanContext(), attributes: { 'link.reason': 'refresh' } } satisfies Link],
    });
    root.addEvent('cache.miss', { 'cache.key': 'cart:42', 'cache.size': 3 });
    // The frontend calls checkout (another process: the context crosses as ids only).
    const call = fe.startSpan(
      'POST /checkout',
      { kind: SpanKind.CLIENT },
      trace.setSpan(context.active(), root),
    );
    const inCheckout = trace.setSpanContext(context.active(), call.spanContext());
    const handler = co.startSpan(
      'checkout.process',
      { kind: SpanKind.SERVER, attributes: { 'cart.items': 3 } },
      inCheckout,
    );
    handler.setStatus({ code: SpanStatusCode.OK });
    const pay = co.startSpan(
      'charge card',
      { kind: SpanKind.CLIENT },
      trace.setSpan(context.active(), handler),
    );
    const inPayments = trace.setSpanContext(context.active(), pay.spanContext());
    const charge = pa.startSpan('Payments/Charge', { kind: SpanKind.SERVER }, inPayments);
    charge.recordException(new Error('card declined'));
    charge.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
    charge.setAttribute('payment.amount', 42.5);
    charge.end();
    pay.end();
    handler.end();
    call.end();
    root.end();

    await Promise.all([
      frontend.provider.forceFlush(),
      checkout.provider.forceFlush(),
      payments.provider.forceFlush(),
    ]);
    const recorded = [
      ...frontend.memory.getFinishedSpans(),
      ...checkout.memory.getFinishedSpans(),
      ...payments.memory.getFinishedSpans(),
    ].filter((s) => s.spanContext().traceId === root.spanContext().traceId);
    assert.equal(recorded.length, 5);
    const traceId = root.spanContext().traceId;

    // v1 JSON: {"batches": [...]}, ids base64 as Tempo writes them.
    const v1 = await fetch(`${vigil.url}/api/traces/${traceId}`);
    assert.equal(v1.status, 200);
    const v1Body = (await v1.json()) as {
      batches: { resource: unknown; scopeSpans: { spans: { spanId: string }[] }[] }[];
    };
    const v1Spans = v1Body.batches.flatMap((b) => b.scopeSpans.flatMap((s) => s.spans));
    assert.equal(v1Spans.length, 5);

    // v1 protobuf: OTLP TracesData.
    const proto = await fetch(`${vigil.url}/api/traces/${traceId}`, {
      headers: { accept: 'application/protobuf' },
    });
    assert.equal(proto.headers.get('content-type'), 'application/protobuf');
    const data = fromBinary(TracesDataSchema, new Uint8Array(await proto.arrayBuffer()));
    const stored = data.resourceSpans.flatMap((rs) =>
      rs.scopeSpans.flatMap((ss) =>
        ss.spans.map((span) => ({ span, resource: rs.resource, scope: ss.scope })),
      ),
    );
    assert.equal(stored.length, 5);
    for (const r of recorded) {
      const hit = stored.find((s) => hex(s.span.spanId) === r.spanContext().spanId);
      assert.ok(hit, `span ${r.name} stored`);
      assertSame(r, hit.span);
      assert.deepEqual(
        Object.fromEntries((hit.resource?.attributes ?? []).map((a) => [a.key, plain(a.value)])),
        Object.fromEntries(Object.entries(r.resource.attributes).map(([k, v]) => [k, v])),
        `resource of ${r.name}`,
      );
      assert.equal(hit.scope?.name, r.instrumentationScope.name);
      assert.equal(hit.scope?.version ?? '', r.instrumentationScope.version ?? '');
    }

    // v2 protobuf: tempopb.TraceByIDResponse with the trace in field 1.
    const v2 = await fetch(`${vigil.url}/api/v2/traces/${traceId}`, {
      headers: { accept: 'application/protobuf' },
    });
    const v2Bytes = new Uint8Array(await v2.arrayBuffer());
    const reader = new ProtoReader(v2Bytes);
    assert.equal(reader.tag(), (1 << 3) | 2);
    const v2Trace = fromBinary(TracesDataSchema, reader.bytes());
    assert.equal(v2Trace.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)).length, 5);

    // v2 JSON: {"trace": {"resourceSpans": [...]}}
    const v2Json = (await (await fetch(`${vigil.url}/api/v2/traces/${traceId}`)).json()) as {
      trace: { resourceSpans: unknown[] };
    };
    assert.equal(v2Json.trace.resourceSpans.length, 3);

    // And it is searchable: the error in payments, below the frontend.
    const q = encodeURIComponent('{ resource.service.name = "frontend" } >> { status = error }');
    const search = (await (await fetch(`${vigil.url}/api/search?q=${q}`)).json()) as {
      traces: {
        traceID: string;
        rootServiceName: string;
        rootTraceName: string;
        spanSets: { spans: { spanID: string }[] }[];
      }[];
    };
    const found = search.traces.find((t) => t.traceID === traceId.replace(/^0+/, ''));
    assert.ok(found, 'the trace is found by search');
    assert.equal(found.rootServiceName, 'frontend');
    assert.equal(found.rootTraceName, 'GET /checkout');
    assert.deepEqual(
      found.spanSets[0].spans.map((s) => s.spanID),
      [charge.spanContext().spanId.replace(/^0+/, '')],
    );
  } finally {
    await Promise.all([
      frontend.provider.shutdown(),
      checkout.provider.shutdown(),
      payments.provider.shutdown(),
    ]);
  }
});

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function hrNanos(t: [number, number]): bigint {
  return BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
}

/** An OTLP AnyValue as the JS value the SDK was given. */
function plain(v: AnyValue | undefined): unknown {
  const value = v?.value;
  switch (value?.case) {
    case 'intValue':
      return Number(value.value);
    case 'arrayValue':
      return value.value.values.map(plain);
    default:
      return value?.value;
  }
}

function attributesOf(list: { key: string; value?: AnyValue }[]): Record<string, unknown> {
  return Object.fromEntries(list.map((a) => [a.key, plain(a.value)]));
}

function assertSame(r: ReadableSpan, s: OtlpSpan): void {
  const what = `span ${r.name}`;
  assert.equal(hex(s.traceId), r.spanContext().traceId, what);
  assert.equal(hex(s.parentSpanId), r.parentSpanContext?.spanId ?? '', `${what}: parent`);
  assert.equal(s.name, r.name);
  assert.equal(s.kind, r.kind + 1, `${what}: kind`); // OTLP kinds are the API's plus one
  assert.equal(s.startTimeUnixNano, hrNanos(r.startTime), `${what}: start`);
  assert.equal(s.endTimeUnixNano, hrNanos(r.endTime), `${what}: end`);
  assert.deepEqual(attributesOf(s.attributes), { ...r.attributes }, `${what}: attributes`);
  // Types survive: ints stay ints, doubles stay doubles.
  for (const a of s.attributes) {
    const v = r.attributes[a.key];
    if (typeof v === 'number')
      assert.equal(a.value?.value.case, Number.isInteger(v) ? 'intValue' : 'doubleValue');
  }
  assert.deepEqual(
    s.events.map((e) => ({ name: e.name, time: e.timeUnixNano, attributes: attributesOf(e.attributes) })),
    r.events.map((e) => ({ name: e.name, time: hrNanos(e.time), attributes: { ...e.attributes } })),
    `${what}: events`,
  );
  assert.deepEqual(
    s.links.map((l) => ({
      traceId: hex(l.traceId),
      spanId: hex(l.spanId),
      attributes: attributesOf(l.attributes),
    })),
    r.links.map((l) => ({
      traceId: l.context.traceId,
      spanId: l.context.spanId,
      attributes: { ...l.attributes },
    })),
    `${what}: links`,
  );
  assert.equal(s.status?.code ?? 0, r.status.code, `${what}: status`);
  assert.equal(s.status?.message ?? '', r.status.message ?? '', `${what}: status message`);
  assert.equal(s.flags & 0xff, r.spanContext().traceFlags, `${what}: flags`);
}
