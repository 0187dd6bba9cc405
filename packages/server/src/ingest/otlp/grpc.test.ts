/**
 * OTLP/gRPC against a real server over real HTTP/2: a raw @grpc/grpc-js client sends whatever
 * bytes a test needs, so bad input, limits, compression and auth can be checked exactly.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { after, before, test } from 'node:test';
import { fromBinary, fromJson, type JsonValue, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { parseConfig } from '../../config/load.ts';
import {
  ExportMetricsServiceRequestSchema,
  ExportMetricsServiceResponseSchema,
} from '../../gen/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.ts';
import { newMatcher } from '../../model/matcher.ts';
import { startTestVigil, type TestVigil } from '../../testutil/vigil.ts';
import type { IngestDeps } from '../deps.ts';
import { createMetricsSink } from '../metrics-sink.ts';
import { type OtlpGrpcServer, startOtlpGrpc } from './index.ts';

const MAX_MESSAGE = 64 * 1024;
const METHOD = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
const TOKEN = 'grpc-test-token-0123456789';

let vigil: TestVigil;
let deps: IngestDeps;
let server: OtlpGrpcServer;
const clients: grpc.Client[] = [];

before(async () => {
  vigil = await startTestVigil('');
  const config = parseConfig('', 'test.yml');
  deps = {
    sink: createMetricsSink(vigil.storage, config.limits, vigil.self),
    logger: vigil.logger,
    self: vigil.self,
    limits: config.limits,
    maxBodyBytes: MAX_MESSAGE,
    now: Date.now,
  };
  server = await startOtlpGrpc('127.0.0.1:0', deps);
});

after(async () => {
  for (const c of clients) c.close();
  await server?.stop();
  await vigil?.stop();
});

function client(address: string, options: grpc.ClientOptions = {}): grpc.Client {
  const c = new grpc.Client(address, grpc.credentials.createInsecure(), options);
  clients.push(c);
  return c;
}

interface CallResult {
  readonly code: grpc.status;
  readonly details: string;
  readonly response?: Buffer;
}

function call(
  body: Uint8Array,
  options: { client?: grpc.Client; metadata?: grpc.Metadata } = {},
): Promise<CallResult> {
  const c = options.client ?? client(server.address);
  return new Promise((resolve) => {
    c.makeUnaryRequest(
      METHOD,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(body),
      options.metadata ?? new grpc.Metadata(),
      { deadline: Date.now() + 10_000 },
      (err, response) => {
        if (err) resolve({ code: err.code, details: err.details });
        else resolve({ code: grpc.status.OK, details: '', response });
      },
    );
  });
}

type Json = { [key: string]: JsonValue };

function gaugeRequest(job: string, points: Json[]): Uint8Array {
  const json: Json = {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: job } }] },
        scopeMetrics: [{ metrics: [{ name: 'depth', gauge: { dataPoints: points } }] }],
      },
    ],
  };
  return toBinary(ExportMetricsServiceRequestSchema, fromJson(ExportMetricsServiceRequestSchema, json));
}

const nowNs = (offsetMs = 0) => String(BigInt(Date.now() + offsetMs) * 1_000_000n);

async function storedValues(job: string): Promise<number[]> {
  const series = await vigil.storage.select([newMatcher('=', 'job', job)], {
    minT: 0,
    maxT: Date.now() + 60_000,
  });
  return series.flatMap((s) => Array.from(s.values));
}

test('Export stores the request and answers an empty response', async () => {
  const r = await call(gaugeRequest('grpc-ok', [{ timeUnixNano: nowNs(), asDouble: 4 }]));
  assert.equal(r.code, grpc.status.OK, r.details);
  assert.equal(fromBinary(ExportMetricsServiceResponseSchema, r.response!).partialSuccess, undefined);
  assert.deepEqual(await storedValues('grpc-ok'), [4]);
});

test('gzip-compressed messages are accepted', async () => {
  const gzipClient = client(server.address, {
    'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip,
  });
  const r = await call(gaugeRequest('grpc-gzip', [{ timeUnixNano: nowNs(), asDouble: 5 }]), {
    client: gzipClient,
  });
  assert.equal(r.code, grpc.status.OK, r.details);
  assert.deepEqual(await storedValues('grpc-gzip'), [5]);
});

test('partial success in the response', async () => {
  const r = await call(
    gaugeRequest('grpc-partial', [
      { timeUnixNano: nowNs(), asDouble: 1 },
      { timeUnixNano: nowNs() }, // no value
    ]),
  );
  assert.equal(r.code, grpc.status.OK);
  const response = fromBinary(ExportMetricsServiceResponseSchema, r.response!);
  assert.equal(response.partialSuccess?.rejectedDataPoints, 1n);
  assert.match(response.partialSuccess?.errorMessage ?? '', /missing_value/);
});

test('undecodable messages: INVALID_ARGUMENT with the reason', async () => {
  const r = await call(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
  assert.equal(r.code, grpc.status.INVALID_ARGUMENT);
  assert.match(
    r.details,
    /not a valid protobuf opentelemetry\.proto\.collector\.metrics\.v1\.ExportMetricsServiceRequest/,
  );
});

test('message size limit, also after decompression: RESOURCE_EXHAUSTED', async () => {
  const big = await call(new Uint8Array(MAX_MESSAGE + 1));
  assert.equal(big.code, grpc.status.RESOURCE_EXHAUSTED);

  // 8 MiB of zeros gzip to a few KiB on the wire; the server stops inflating at the limit.
  const gzipClient = client(server.address, {
    'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip,
  });
  const bomb = await call(new Uint8Array(8 * 1024 * 1024), { client: gzipClient });
  assert.equal(bomb.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.match(bomb.details, /decompresses to a size larger than 65536/);

  // Still serving.
  assert.equal((await call(new Uint8Array(0))).code, grpc.status.OK);
});

test('a corrupt gzip frame is refused by grpc-js (INTERNAL), and the server keeps serving', async () => {
  const session = connect(`http://${server.address}`);
  try {
    const payload = Buffer.from('definitely not gzip');
    const frame = Buffer.alloc(5 + payload.length);
    frame.writeUInt8(1, 0); // compressed
    frame.writeUInt32BE(payload.length, 1);
    payload.copy(frame, 5);
    const stream = session.request({
      ':method': 'POST',
      ':path': METHOD,
      'content-type': 'application/grpc',
      'grpc-encoding': 'gzip',
      te: 'trailers',
    });
    const trailers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      stream.on('trailers', (t) => resolve(t));
      stream.on('response', (h) => {
        if (h['grpc-status'] !== undefined) resolve(h);
      });
      stream.on('error', reject);
      stream.resume();
      stream.end(frame);
    });
    assert.equal(Number(trailers['grpc-status']), grpc.status.INTERNAL);
    assert.match(String(trailers['grpc-message']), /Failed%20to%20decompress|Failed to decompress/);
  } finally {
    session.close();
  }
  assert.equal((await call(new Uint8Array(0))).code, grpc.status.OK);
});

test('fuzzed messages get OK or INVALID_ARGUMENT, nothing else', async () => {
  const seed = gaugeRequest('grpc-fuzz', [
    { timeUnixNano: nowNs(), asDouble: 1, attributes: [{ key: 'k', value: { stringValue: 'v' } }] },
  ]);
  const mutated = fc
    .array(fc.tuple(fc.nat({ max: seed.length - 1 }), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 6,
    })
    .map((edits) => {
      const copy = Uint8Array.from(seed);
      for (const [at, value] of edits) copy[at] = value;
      return copy;
    });
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 256 }), mutated), async (body) => {
      const r = await call(body);
      assert.ok(
        r.code === grpc.status.OK || r.code === grpc.status.INVALID_ARGUMENT,
        `${grpc.status[r.code]}: ${r.details}`,
      );
    }),
    { numRuns: 200 },
  );
});

test('bearer-token auth on gRPC', async () => {
  const secured = await startOtlpGrpc('127.0.0.1:0', deps, { auth: { bearerTokens: [TOKEN] } });
  try {
    const c = client(secured.address);
    const denied = await call(new Uint8Array(0), { client: c });
    assert.equal(denied.code, grpc.status.UNAUTHENTICATED);
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${TOKEN}`);
    assert.equal((await call(new Uint8Array(0), { client: c, metadata })).code, grpc.status.OK);
    const wrong = new grpc.Metadata();
    wrong.set('authorization', 'Bearer nope');
    assert.equal(
      (await call(new Uint8Array(0), { client: c, metadata: wrong })).code,
      grpc.status.UNAUTHENTICATED,
    );
  } finally {
    await secured.stop();
  }
});

test('without auth settings, only loopback addresses are served', async () => {
  await assert.rejects(
    startOtlpGrpc('0.0.0.0:0', deps),
    /will not listen on 0\.0\.0\.0:0 without authentication/,
  );
});

test('stop() closes the listener', async () => {
  const temporary = await startOtlpGrpc('127.0.0.1:0', deps);
  const c = client(temporary.address);
  assert.equal((await call(new Uint8Array(0), { client: c })).code, grpc.status.OK);
  await temporary.stop();
  assert.equal((await call(new Uint8Array(0), { client: c })).code, grpc.status.UNAVAILABLE);
});
