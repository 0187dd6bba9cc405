import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ExportTraceServiceRequestSchema } from '../src/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.ts';

export function realisticRequest(spans: number, seed = 1): Uint8Array {
  let x = seed;
  const rnd = () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x7fffffff;
  };
  const id = (n: number) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
    return b;
  };
  const s = (k: string, v: string) => ({
    key: k,
    value: { value: { case: 'stringValue' as const, value: v } },
  });
  const i = (k: string, v: number) => ({
    key: k,
    value: { value: { case: 'intValue' as const, value: BigInt(v) } },
  });
  const out: any[] = [];
  const now = BigInt(Date.now()) * 1000000n;
  let trace = id(16);
  for (let n = 0; n < spans; n++) {
    if (n % 10 === 0) trace = id(16);
    out.push({
      traceId: trace,
      spanId: id(8),
      parentSpanId: n % 10 === 0 ? new Uint8Array() : id(8),
      name: `GET /api/v1/items/{id}`,
      kind: 2,
      startTimeUnixNano: now + BigInt(n * 1000),
      endTimeUnixNano: now + BigInt(n * 1000 + Math.floor(rnd() * 5e7)),
      attributes: [
        s('http.request.method', 'GET'),
        s('url.path', `/api/v1/items/${Math.floor(rnd() * 1000)}`),
        i('http.response.status_code', 200),
        s('server.address', 'api.example.com'),
        i('server.port', 8080),
        s('network.protocol.version', '1.1'),
        s('user_agent.original', 'Mozilla/5.0 (X11; Linux x86_64)'),
        s('client.address', '10.0.0.' + Math.floor(rnd() * 255)),
        s('http.route', '/api/v1/items/{id}'),
        s('url.scheme', 'https'),
        i('http.request.body.size', Math.floor(rnd() * 10000)),
        s('app.tenant', 'tenant-' + Math.floor(rnd() * 20)),
        s('app.region', 'eu-west-1'),
        { key: 'app.cache_hit', value: { value: { case: 'boolValue', value: rnd() > 0.5 } } },
        { key: 'app.score', value: { value: { case: 'doubleValue', value: rnd() } } },
      ],
      events: [
        { timeUnixNano: now, name: 'cache.lookup', attributes: [s('cache.key', 'item:' + n)] },
        { timeUnixNano: now, name: 'db.query', attributes: [i('rows', 3)] },
      ],
      status: { code: rnd() > 0.95 ? 2 : 0, message: '' },
    });
  }
  const req = create(ExportTraceServiceRequestSchema, {
    resourceSpans: [
      {
        resource: {
          attributes: [
            s('service.name', 'checkout'),
            s('service.version', '1.2.3'),
            s('host.name', 'box-1'),
            s('telemetry.sdk.name', 'opentelemetry'),
            s('telemetry.sdk.language', 'nodejs'),
            s('telemetry.sdk.version', '2.0.0'),
          ],
        },
        scopeSpans: [
          { scope: { name: '@opentelemetry/instrumentation-http', version: '0.57.0' }, spans: out },
        ],
      },
    ],
  } as any);
  return toBinary(ExportTraceServiceRequestSchema, req);
}
