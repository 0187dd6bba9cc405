/**
 * Zipkin ingest with the real Zipkin JS client (zipkin + zipkin-transport-http, v2 JSON): a
 * client span in one service and the server span it calls in another arrive as one searchable
 * trace, with kinds, parent link, tags, annotations and errors mapped as the OpenTelemetry
 * Collector's zipkin receiver maps them. Then bad bodies.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Annotation, BatchRecorder, ExplicitContext, jsonEncoder, option, TraceId, Tracer } from 'zipkin';
import { HttpLogger } from 'zipkin-transport-http';
import { startTestVigil, type TestVigil } from '../../testutil/vigil.ts';

let vigil: TestVigil;

before(async () => {
  vigil = await startTestVigil('');
});

after(async () => {
  await vigil?.stop();
});

function zipkinTracer(service: string): { tracer: Tracer; sent: Promise<void>; logger: HttpLogger } {
  const logger = new HttpLogger({
    endpoint: `${vigil.url}/api/v2/spans`,
    jsonEncoder: jsonEncoder.JSON_V2,
    httpInterval: 50,
  });
  const sent = new Promise<void>((resolve, reject) => {
    (logger as unknown as NodeJS.EventEmitter).on('success', () => resolve());
    (logger as unknown as NodeJS.EventEmitter).on('error', reject);
  });
  const tracer = new Tracer({
    ctxImpl: new ExplicitContext(),
    recorder: new BatchRecorder({ logger }),
    localServiceName: service,
    traceId128Bit: true,
  });
  return { tracer, sent, logger };
}

interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: string;
  attributes?: { key: string; value: Record<string, unknown> }[];
  events?: { name: string }[];
  status?: { code?: string; message?: string };
}

test('spans from the Zipkin client are stored as one searchable trace', async () => {
  const front = zipkinTracer('zipkin-frontend');
  const back = zipkinTracer('zipkin-backend');

  // The frontend calls the backend: a CLIENT span, and a SERVER span whose parent it is.
  let clientId!: TraceId;
  front.tracer.scoped(() => {
    clientId = front.tracer.createRootId(new option.Some(true));
    front.tracer.setId(clientId);
    front.tracer.recordServiceName('zipkin-frontend');
    front.tracer.recordRpc('get /orders');
    front.tracer.recordAnnotation(new Annotation.ClientSend());
    front.tracer.recordBinary('http.path', '/orders');
    front.tracer.recordMessage('retrying once');
    front.tracer.recordAnnotation(new Annotation.ClientRecv());
  });
  back.tracer.scoped(() => {
    const serverId = new TraceId({
      traceId: clientId.traceId,
      parentId: new option.Some(clientId.spanId),
      spanId: clientId.spanId.split('').reverse().join(''),
      sampled: new option.Some(true),
    });
    back.tracer.setId(serverId);
    back.tracer.recordServiceName('zipkin-backend');
    back.tracer.recordRpc('get /orders');
    back.tracer.recordAnnotation(new Annotation.ServerRecv());
    back.tracer.recordBinary('error', 'database unavailable');
    back.tracer.recordAnnotation(new Annotation.ServerSend());
  });
  await Promise.all([front.sent, back.sent]);

  const q = encodeURIComponent('{ resource.service.name = "zipkin-backend" && status = error }');
  const search = (await (await fetch(`${vigil.url}/api/search?q=${q}`)).json()) as {
    traces: { traceID: string; rootServiceName: string; rootTraceName: string }[];
  };
  assert.equal(search.traces.length, 1, JSON.stringify(search));
  assert.equal(search.traces[0].traceID, clientId.traceId.replace(/^0+/, ''));
  assert.equal(search.traces[0].rootServiceName, 'zipkin-frontend');
  assert.equal(search.traces[0].rootTraceName, 'get /orders');

  const got = (await (await fetch(`${vigil.url}/api/v2/traces/${clientId.traceId}`)).json()) as {
    trace: {
      resourceSpans: {
        resource: { attributes: { key: string; value: { stringValue: string } }[] };
        scopeSpans: { spans: JsonSpan[] }[];
      }[];
    };
  };
  const spans = got.trace.resourceSpans.flatMap((rs) =>
    rs.scopeSpans.flatMap((ss) =>
      ss.spans.map((s) => ({ ...s, service: rs.resource.attributes[0].value.stringValue })),
    ),
  );
  const client = spans.find((s) => s.service === 'zipkin-frontend')!;
  const server = spans.find((s) => s.service === 'zipkin-backend')!;
  assert.equal(client.kind, 'SPAN_KIND_CLIENT');
  assert.equal(server.kind, 'SPAN_KIND_SERVER');
  const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
  assert.equal(server.parentSpanId, b64(clientId.spanId));
  assert.equal(client.parentSpanId, undefined);
  assert.deepEqual(client.attributes, [{ key: 'http.path', value: { stringValue: '/orders' } }]);
  assert.deepEqual(
    client.events?.map((e) => e.name),
    ['retrying once'],
  );
  assert.deepEqual(server.status, { code: 'STATUS_CODE_ERROR', message: 'database unavailable' });
});

test('a gzip-compressed body is accepted; 64-bit trace ids are padded to 128 bits', async () => {
  const now = Date.now() * 1000;
  const body = gzipSync(
    JSON.stringify([
      {
        traceId: '00000000000000aa',
        id: '00000000000000bb',
        name: 'legacy',
        timestamp: now,
        duration: 1500,
        localEndpoint: { serviceName: 'legacy-svc' },
        remoteEndpoint: { serviceName: 'mysql', ipv4: '10.0.0.9', port: 3306 },
        kind: 'CLIENT',
        tags: { 'otel.status_code': 'OK', 'sql.query': 'select 1' },
        annotations: [{ timestamp: now + 10, value: 'wire.send' }],
      },
    ]),
  );
  const res = await fetch(`${vigil.url}/api/v2/spans`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body,
  });
  assert.equal(res.status, 202);
  const trace = (await (await fetch(`${vigil.url}/api/traces/000000000000000000000000000000aa`)).json()) as {
    batches: { scopeSpans: { spans: JsonSpan[] }[] }[];
  };
  const span = trace.batches[0].scopeSpans[0].spans[0];
  assert.equal(span.kind, 'SPAN_KIND_CLIENT');
  assert.equal(span.status?.code, 'STATUS_CODE_OK');
  assert.deepEqual(
    span.attributes?.map((a) => a.key),
    ['sql.query', 'peer.service', 'network.peer.address', 'network.peer.port'],
  );
  // Short ids also work on the Tempo API.
  assert.equal((await fetch(`${vigil.url}/api/traces/aa`)).status, 200);
});

test('bad Zipkin bodies get a 4xx saying what is wrong; good spans beside bad ones are kept', async () => {
  const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${vigil.url}/api/v2/spans`, { method: 'POST', headers, body });
  let res = await post('{not json');
  assert.equal(res.status, 400);
  assert.match(await res.text(), /not valid JSON/);
  res = await post('{"traceId": "x"}');
  assert.equal(res.status, 400);
  assert.match(await res.text(), /JSON array/);
  res = await post('[{"traceId": "xyz", "id": "1", "timestamp": 1}]');
  assert.equal(res.status, 400);
  assert.match(await res.text(), /traceId must be 16 or 32 hex characters/);
  res = await post('[]', { 'content-type': 'application/x-thrift' });
  assert.equal(res.status, 415);
  const now = Date.now() * 1000;
  res = await post(
    JSON.stringify([
      { traceId: 'cc'.repeat(16), id: 'dd'.repeat(8), name: 'fine', timestamp: now, duration: 5 },
      { traceId: 'cc'.repeat(16), id: '00'.repeat(8), name: 'zero id', timestamp: now, duration: 5 },
      { traceId: 'cc'.repeat(16), id: 'ee'.repeat(8), name: 'no timestamp' },
    ]),
  );
  assert.equal(res.status, 202);
  const text = await res.text();
  assert.match(text, /2 spans rejected/);
  assert.match(text, /timestamp is missing/);
  assert.match(text, /all zero/);
  const stored = (await (await fetch(`${vigil.url}/api/traces/${'cc'.repeat(16)}`)).json()) as {
    batches: { scopeSpans: { spans: JsonSpan[] }[] }[];
  };
  assert.deepEqual(
    stored.batches.flatMap((b) => b.scopeSpans.flatMap((s) => s.spans.map((x) => x.name))),
    ['fine'],
  );
});
