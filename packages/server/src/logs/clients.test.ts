/**
 * End to end with clients nobody here wrote: the OpenTelemetry JS logs SDK with its OTLP
 * exporters (protobuf and JSON over HTTP, gRPC) and pino-loki (Loki's JSON push API). Their
 * lines must be stored and queryable through the Loki API with the labels Loki would give them.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { context, TraceFlags, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as GrpcExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, type LogRecordExporter, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { pino } from 'pino';
import { startTestVigil, type TestVigil } from '../testutil/vigil.ts';

let vigil: TestVigil;

before(async () => {
  vigil = await startTestVigil('server:\n  otlp_grpc_listen: 127.0.0.1:0\n');
});

after(async () => {
  await vigil?.stop();
});

interface StreamsResponse {
  status: string;
  data: {
    resultType: string;
    result: {
      stream: Record<string, string>;
      values: [string, string, Record<string, Record<string, string>>?][];
    }[];
  };
}

async function queryRange(query: string, categorize = false, limit = 100): Promise<StreamsResponse> {
  const params = new URLSearchParams({ query, limit: String(limit), since: '2h' });
  const res = await fetch(`${vigil.url}/loki/api/v1/query_range?${params}`, {
    headers: categorize ? { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' } : {},
  });
  const body = await res.text();
  assert.equal(res.status, 200, body);
  return JSON.parse(body) as StreamsResponse;
}

for (const transport of ['protobuf', 'json', 'grpc'] as const) {
  test(`OpenTelemetry logs SDK over OTLP ${transport}: lines, labels, metadata and trace ids`, async () => {
    const service = `checkout-${transport}`;
    let exporter: LogRecordExporter;
    if (transport === 'protobuf') exporter = new ProtoExporter({ url: `${vigil.url}/v1/logs` });
    else if (transport === 'json') exporter = new JsonExporter({ url: `${vigil.url}/v1/logs` });
    else exporter = new GrpcExporter({ url: `http://${vigil.otlpGrpcAddress}` });
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({
        'service.name': service,
        'service.namespace': 'shop',
        'host.name': 'node-7',
        'k8s.pod.name': 'checkout-abc',
      }),
      processors: [new SimpleLogRecordProcessor({ exporter })],
    });
    const logger = provider.getLogger('checkout-logger', '1.2.3');
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const spanId = 'b7ad6b7169203331';
    const spanContext = trace.setSpanContext(context.active(), {
      traceId,
      spanId,
      traceFlags: TraceFlags.SAMPLED,
    });
    logger.emit({
      severityNumber: SeverityNumber.INFO,
      severityText: 'INFO',
      body: 'order placed',
      attributes: { 'order.id': 'o-1', amount: 42.5 },
    });
    logger.emit({
      severityNumber: SeverityNumber.ERROR,
      severityText: 'ERROR',
      body: 'payment failed',
      attributes: { 'http.status_code': 502 },
      context: spanContext,
    });
    logger.emit({ body: { structured: true, n: 1 }, severityNumber: SeverityNumber.WARN });
    await provider.forceFlush();
    await provider.shutdown();

    const res = await queryRange(`{service_name="${service}"}`, true);
    assert.equal(res.data.resultType, 'streams');
    assert.equal(res.data.result.length, 1);
    const [stream] = res.data.result;
    assert.deepEqual(stream.stream, {
      k8s_pod_name: 'checkout-abc',
      service_name: service,
      service_namespace: 'shop',
    });
    // Emitted within the same millisecond, records may share a timestamp: compare as a set.
    const lines = stream.values.map((v) => v[1]).sort();
    assert.deepEqual(lines, ['order placed', 'payment failed', '{"structured":true,"n":1}']);
    const meta = Object.fromEntries(stream.values.map((v) => [v[1], v[2]?.structuredMetadata ?? {}]));
    assert.equal(meta['order placed'].order_id, 'o-1');
    assert.equal(meta['order placed'].amount, '42.5');
    assert.equal(meta['order placed'].host_name, 'node-7');
    assert.equal(meta['order placed'].scope_name, 'checkout-logger');
    assert.equal(meta['order placed'].scope_version, '1.2.3');
    assert.equal(meta['order placed'].severity_text, 'INFO');
    assert.equal(meta['order placed'].detected_level, 'info');
    assert.equal(meta['payment failed'].trace_id, traceId);
    assert.equal(meta['payment failed'].span_id, spanId);
    assert.equal(meta['payment failed'].http_status_code, '502');
    assert.equal(meta['payment failed'].detected_level, 'error');
    assert.equal(meta['{"structured":true,"n":1}'].detected_level, 'warn');

    // The same line through LogQL label filters on metadata, and through the trace index.
    const errors = await queryRange(`{service_name="${service}"} | detected_level="error"`);
    assert.deepEqual(
      errors.data.result.flatMap((s) => s.values.map((v) => v[1])),
      ['payment failed'],
    );
    const traced = await fetch(`${vigil.url}/api/vigil/v1/traces/${traceId}/logs?since=2h`);
    const body = (await traced.json()) as { data: { logs: { line: string; spanId: string }[] } };
    assert.ok(body.data.logs.some((l) => l.line === 'payment failed' && l.spanId === spanId));
  });
}

test('pino-loki (Loki JSON push) lines are stored with their labels and queryable', async () => {
  const transport = pino.transport({
    target: 'pino-loki',
    options: {
      host: vigil.url,
      batching: false,
      labels: { app: 'pino-app', env: 'test' },
      structuredMetaKey: 'meta',
    },
  });
  const logger = pino({ level: 'info' }, transport);
  logger.info({ meta: { request_id: 'r-1' }, userId: 7 }, 'user signed in');
  logger.error({ err: 'boom' }, 'request failed');
  // pino-loki sends from a worker thread; wait until both lines arrived, then close it.
  let found: StreamsResponse | undefined;
  try {
    for (let i = 0; i < 100; i++) {
      found = await queryRange('{app="pino-app"}', true);
      if (found.data.result.flatMap((s) => s.values).length >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await new Promise<void>((resolve) => {
      transport.on('close', () => resolve());
      transport.end();
    });
  }
  const values = found!.data.result.flatMap((s) => s.values.map((v) => ({ stream: s.stream, v })));
  assert.equal(values.length, 2);
  for (const { stream } of values) {
    assert.equal(stream.app, 'pino-app');
    assert.equal(stream.env, 'test');
  }
  const lines = values.map(({ v }) => JSON.parse(v[1]) as { msg: string; userId?: number });
  assert.deepEqual(lines.map((l) => l.msg).sort(), ['request failed', 'user signed in']);
  // pino-loki puts pino's level into a `level` label; the error line is detected as such.
  const levels = await fetch(
    `${vigil.url}/loki/api/v1/query?${new URLSearchParams({ query: 'sum by (level) (count_over_time({app="pino-app"}[1h]))' })}`,
  );
  const metric = (await levels.json()) as {
    data: { result: { metric: { level?: string }; value: [number, string] }[] };
  };
  assert.deepEqual(metric.data.result.map((r) => [r.metric.level, r.value[1]]).sort(), [
    ['error', '1'],
    ['info', '1'],
  ]);
  const signedIn = values.find(({ v }) => v[1].includes('signed in'));
  assert.equal(signedIn?.v[2]?.structuredMetadata?.request_id, 'r-1');
});
