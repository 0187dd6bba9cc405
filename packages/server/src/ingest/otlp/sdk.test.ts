/**
 * End to end with the real OpenTelemetry JS SDK: its OTLP exporters (protobuf and JSON over HTTP,
 * gRPC) push every instrument kind, in cumulative and delta temporality, to a real Vigil, and the
 * stored series must be exactly what the OpenTelemetry ↔ Prometheus specification says.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { OTLPMetricExporter as GrpcExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { parseConfig } from '../../config/load.ts';
import { formatLabels, labelsToRecord } from '../../model/labels.ts';
import { newMatcher } from '../../model/matcher.ts';
import { isStaleNaN } from '../../model/sample.ts';
import { startTestVigil, type TestVigil } from '../../testutil/vigil.ts';
import type { IngestDeps } from '../deps.ts';
import { createMetricsSink } from '../metrics-sink.ts';
import { type OtlpGrpcServer, startOtlpGrpc } from './index.ts';

let vigil: TestVigil;
let grpcServer: OtlpGrpcServer;

before(async () => {
  vigil = await startTestVigil('');
  // The gRPC listener of a test Vigil is off (its port is not reported); run one on port 0
  // over the same storage, wired the way main.ts wires it.
  const config = parseConfig('', 'test.yml');
  const deps: IngestDeps = {
    sink: createMetricsSink(vigil.storage, config.limits, vigil.self),
    logger: vigil.logger,
    self: vigil.self,
    limits: config.limits,
    maxBodyBytes: config.server.max_body_bytes,
    now: Date.now,
  };
  grpcServer = await startOtlpGrpc('127.0.0.1:0', deps);
});

after(async () => {
  await grpcServer?.stop();
  await vigil?.stop();
});

type Transport = 'protobuf' | 'json+gzip' | 'grpc+gzip';

function exporter(transport: Transport, temporality: AggregationTemporality): PushMetricExporter {
  const temporalityPreference = temporality;
  switch (transport) {
    case 'protobuf':
      return new ProtoExporter({ url: `${vigil.url}/v1/metrics`, temporalityPreference });
    case 'json+gzip':
      return new JsonExporter({ url: `${vigil.url}/v1/metrics`, temporalityPreference, compression: gzip() });
    case 'grpc+gzip':
      return new GrpcExporter({
        url: `http://${grpcServer.address}`,
        temporalityPreference,
        compression: gzip(),
      });
  }
}

/** The exporters' CompressionAlgorithm.GZIP, without importing their internal package. */
function gzip(): NonNullable<ConstructorParameters<typeof GrpcExporter>[0]>['compression'] {
  return 'gzip' as never;
}

/**
 * The samples of a job's first two exports (shutting the SDK down exports a third time):
 * `name{labels}` → values, plus the distinct timestamps of all exports.
 */
async function stored(
  job: string,
): Promise<{ series: Record<string, (number | 'stale')[]>; times: number[] }> {
  const result = await vigil.storage.select([newMatcher('=', 'job', job)], {
    minT: 0,
    maxT: Date.now() + 60_000,
  });
  const distinct = new Set<number>();
  for (const s of result) for (const t of s.timestamps) distinct.add(t);
  const times = [...distinct].sort((a, b) => a - b);
  const series: Record<string, (number | 'stale')[]> = {};
  for (const s of result) {
    const rest = s.labels.filter((l) => l.name !== 'job');
    const values: (number | 'stale')[] = [];
    s.timestamps.forEach((t, i) => {
      if (t <= times[1]) values.push(isStaleNaN(s.values[i]) ? 'stale' : s.values[i]);
    });
    series[formatLabels(rest)] = values;
  }
  return { series, times };
}

/**
 * Records the same measurements through every instrument kind, exporting twice, and returns
 * what Vigil stored for the job.
 */
async function exportScenario(transport: Transport, temporality: AggregationTemporality, job: string) {
  const reader = new PeriodicExportingMetricReader({
    exporter: exporter(transport, temporality),
    exportIntervalMillis: 3_600_000,
  });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.namespace': 'shop',
      'service.name': job,
      'service.instance.id': 'i-1',
      'host.name': 'box',
    }),
    readers: [reader],
    views: [{ instrumentName: 'payload.size', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  try {
    const meter = provider.getMeter('checkout-lib', '2.0');
    const requests = meter.createCounter('http.requests', {
      unit: '{request}',
      description: 'Requests served',
    });
    const queue = meter.createUpDownCounter('queue.size');
    const cpu = meter.createGauge('cpu.utilization', { unit: '1' });
    const latency = meter.createHistogram('latency', {
      unit: 's',
      advice: { explicitBucketBoundaries: [0.1, 1] },
    });
    const size = meter.createHistogram('payload.size', { unit: 'By' });
    let temperature = 21.5;
    meter
      .createObservableGauge('room.temperature', { unit: 'Cel' })
      .addCallback((result) => result.observe(temperature, { room: 'lab' }));

    requests.add(5, { 'http.method': 'GET' });
    queue.add(3);
    cpu.record(0.25);
    for (const v of [0.05, 0.5, 5]) latency.record(v);
    for (const v of [1, 2, 4, 8]) size.record(v);
    await reader.forceFlush();

    // Exports must land at a later millisecond than the first.
    await new Promise((resolve) => setTimeout(resolve, 5));
    requests.add(2, { 'http.method': 'GET' });
    queue.add(-5);
    cpu.record(0.75);
    latency.record(0.2);
    size.record(16);
    temperature = 22;
    await reader.forceFlush();
  } finally {
    await provider.shutdown();
  }
  return stored(`shop/${job}`);
}

function deltaStreams(): number {
  const m = /^vigil_otlp_delta_streams (\d+)$/m.exec(vigil.self.render());
  return Number(m?.[1]);
}

const SCOPE = 'instance="i-1", otel_scope_name="checkout-lib", otel_scope_version="2.0"';
/** SCOPE with `le` in its sorted place. */
const le = (v: string) =>
  `instance="i-1", le="${v}", otel_scope_name="checkout-lib", otel_scope_version="2.0"`;

/** What both exports must have produced, per series: [first export, second export]. */
function expected(): Record<string, (number | 'stale')[]> {
  const want: Record<string, (number | 'stale')[]> = {
    [`http_requests_total{http_method="GET", ${SCOPE}}`]: [5, 7],
    [`queue_size{${SCOPE}}`]: [3, -2],
    [`cpu_utilization_ratio{${SCOPE}}`]: [0.25, 0.75],
    [`room_temperature_celsius{${SCOPE}, room="lab"}`]: [21.5, 22],
    [`latency_seconds_count{${SCOPE}}`]: [3, 4],
    [`latency_seconds_sum{${SCOPE}}`]: [5.55, 5.75],
    [`latency_seconds_bucket{${le('0.1')}}`]: [1, 1],
    [`latency_seconds_bucket{${le('1')}}`]: [2, 3],
    [`latency_seconds_bucket{${le('+Inf')}}`]: [3, 4],
    [`payload_size_bytes_count{${SCOPE}}`]: [4, 5],
    [`payload_size_bytes_sum{${SCOPE}}`]: [15, 31],
    [`payload_size_bytes_bucket{${le('+Inf')}}`]: [4, 5],
    'target_info{host_name="box", instance="i-1"}': [1, 1],
  };
  // The SDK stores 1..16 at scale 5; Vigil's classic buckets use scale 3: bounds 2^(k/8). The
  // first export spans 1..8 (k = 0..24), the second 1..16 (k = 0..32).
  for (let k = 0; k <= 32; k++) {
    const bound = 2 ** (k / 8);
    const below = (values: number[]) => values.filter((v) => v <= bound).length;
    const name = `payload_size_bytes_bucket{${le(String(bound))}}`;
    want[name] = k <= 24 ? [below([1, 2, 4, 8]), below([1, 2, 4, 8, 16])] : [below([1, 2, 4, 8, 16])];
  }
  return want;
}

for (const transport of ['protobuf', 'json+gzip', 'grpc+gzip'] as const) {
  for (const temporality of [AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA]) {
    const name = `${transport}, ${temporality === AggregationTemporality.DELTA ? 'delta' : 'cumulative'}`;
    test(`OpenTelemetry SDK over ${name}: every instrument stored as the spec says`, async () => {
      const job = `${transport}-${temporality}`.replace(/\W/g, '-');
      const streamsBefore = deltaStreams();
      const { series, times } = await exportScenario(transport, temporality, job);
      // Proof the SDK really sent delta points: Vigil now keeps running totals for them.
      if (temporality === AggregationTemporality.DELTA) assert.ok(deltaStreams() > streamsBefore);
      else assert.equal(deltaStreams(), streamsBefore);
      const want = expected();
      // Floating-point sums: compare with a tolerance, everything else exactly.
      for (const key of Object.keys(series)) {
        if (key.includes('_sum{'))
          series[key] = series[key].map((v) => (typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v));
      }
      assert.deepEqual(series, want);
      // All points of one export share its collection time: two exports, then the one at shutdown
      // (which may fall in the same millisecond as the second).
      assert.ok(times.length === 2 || times.length === 3, `timestamps ${times}`);
    });
  }
}

test('metadata: type, help and unit per metric family', () => {
  const metadata = vigil.storage.metadata();
  const pick = (name: string) => metadata.get(name)?.[0];
  assert.deepEqual(pick('http_requests_total'), {
    metric: 'http_requests_total',
    type: 'counter',
    help: 'Requests served',
    unit: '',
  });
  assert.equal(pick('latency_seconds')?.type, 'histogram');
  assert.equal(pick('latency_seconds')?.unit, 'seconds');
  assert.equal(pick('payload_size_bytes')?.type, 'histogram');
  assert.equal(pick('queue_size')?.type, 'gauge');
  assert.equal(pick('room_temperature_celsius')?.unit, 'celsius');
  assert.equal(pick('target_info')?.type, 'gauge');
});

test('series are visible through GET /api/v1/series', async () => {
  const url = `${vigil.url}/api/v1/series?${new URLSearchParams({ 'match[]': 'http_requests_total' })}`;
  const response = await fetch(url);
  assert.equal(response.status, 200);
  const body = (await response.json()) as { data: Record<string, string>[] };
  const jobs = body.data.map((s) => s.job).sort();
  assert.deepEqual(jobs, [
    'shop/grpc-gzip-0',
    'shop/grpc-gzip-1',
    'shop/json-gzip-0',
    'shop/json-gzip-1',
    'shop/protobuf-0',
    'shop/protobuf-1',
  ]);
  assert.deepEqual(
    labelsToRecord(
      Object.entries(body.data[0])
        .filter(([k]) => k !== 'job')
        .map(([name, value]) => ({ name, value })),
    ),
    {
      __name__: 'http_requests_total',
      http_method: 'GET',
      instance: 'i-1',
      otel_scope_name: 'checkout-lib',
      otel_scope_version: '2.0',
    },
  );
});
