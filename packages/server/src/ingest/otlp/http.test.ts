/**
 * OTLP/HTTP against a real Vigil: encodings, compression, limits, the responses the OTLP/HTTP
 * specification requires, and fuzzed bodies that must never get anything but a 200 or a 4xx.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { fromBinary, fromJson, type JsonValue, toBinary } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createHttpServer } from '../../api/server.ts';
import { parseConfig } from '../../config/load.ts';
import {
  ExportMetricsServiceRequestSchema,
  ExportMetricsServiceResponseSchema,
} from '../../gen/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.ts';
import { newMatcher } from '../../model/matcher.ts';
import { startTestVigil, type TestVigil } from '../../testutil/vigil.ts';
import type { IngestDeps } from '../deps.ts';
import { createMetricsSink } from '../metrics-sink.ts';
import { registerOtlpHttp } from './index.ts';

const MAX_BODY = 64 * 1024;
let vigil: TestVigil;

before(async () => {
  vigil = await startTestVigil(`server:\n  max_body_bytes: ${MAX_BODY}\n`);
});
after(async () => {
  await vigil?.stop();
});

type Json = { [key: string]: JsonValue };

/** A one-gauge request for `job` with the given points (OTLP/JSON). */
function gaugeRequest(job: string, points: Json[], name = 'temperature'): Json {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: job } }] },
        scopeMetrics: [{ metrics: [{ name, gauge: { dataPoints: points } }] }],
      },
    ],
  };
}

function nowNs(offsetMs = 0): string {
  return String(BigInt(Date.now() + offsetMs) * 1_000_000n);
}

function nsAt(ms: number): string {
  return String(BigInt(ms) * 1_000_000n);
}

function protobuf(json: Json): Uint8Array {
  return toBinary(ExportMetricsServiceRequestSchema, fromJson(ExportMetricsServiceRequestSchema, json));
}

async function post(
  body: Uint8Array | string,
  headers: Record<string, string>,
  url = `${vigil.url}/v1/metrics`,
): Promise<{ status: number; type: string; body: Uint8Array }> {
  const response = await fetch(url, { method: 'POST', headers, body });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: new Uint8Array(await response.arrayBuffer()),
  };
}

const PROTOBUF = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };

/** A google.rpc.Status: code = 1, message = 2. */
function decodeStatus(bytes: Uint8Array): { code: number; message: string } {
  const reader = new BinaryReader(bytes);
  const status = { code: 0, message: '' };
  while (reader.pos < reader.len) {
    const [field, type] = reader.tag();
    if (field === 1 && type === WireType.Varint) status.code = reader.int32();
    else if (field === 2 && type === WireType.LengthDelimited) status.message = reader.string();
    else reader.skip(type);
  }
  return status;
}

async function storedValues(job: string): Promise<number[]> {
  const series = await vigil.storage.select([newMatcher('=', 'job', job)], {
    minT: 0,
    maxT: Date.now() + 60_000,
  });
  return series.flatMap((s) => Array.from(s.values));
}

test('protobuf request: 200 with an empty protobuf response, samples stored', async () => {
  const r = await post(protobuf(gaugeRequest('pb', [{ timeUnixNano: nowNs(), asDouble: 21.5 }])), PROTOBUF);
  assert.equal(r.status, 200);
  assert.equal(r.type, 'application/x-protobuf');
  const response = fromBinary(ExportMetricsServiceResponseSchema, r.body);
  assert.equal(response.partialSuccess, undefined);
  assert.deepEqual(await storedValues('pb'), [21.5]);
});

test('JSON request as real SDKs write it: int64 as strings and numbers, enum ints, hex ids, unknown fields', async () => {
  const json = {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'json' } }], futureField: 1 },
        scopeMetrics: [
          {
            scope: { name: 'lib' },
            metrics: [
              {
                name: 'hits',
                sum: {
                  aggregationTemporality: 2,
                  isMonotonic: true,
                  dataPoints: [
                    {
                      timeUnixNano: Number(nowNs()),
                      asInt: 7,
                      exemplars: [
                        {
                          timeUnixNano: nowNs(),
                          asDouble: 1,
                          traceId: '5B8EFFF798038103D269B633813FC60C',
                          spanId: 'EEE19B7EC3C1B174',
                        },
                      ],
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  };
  const r = await post(JSON.stringify(json), { 'content-type': 'application/json; charset=utf-8' });
  assert.equal(r.status, 200, new TextDecoder().decode(r.body));
  assert.equal(r.type, 'application/json');
  assert.equal(new TextDecoder().decode(r.body), '{}');
  assert.deepEqual(await storedValues('json'), [7]);
});

test('gzip and deflate bodies are decompressed', async () => {
  const gz = await post(gzipSync(protobuf(gaugeRequest('gz', [{ timeUnixNano: nowNs(), asDouble: 1 }]))), {
    ...PROTOBUF,
    'content-encoding': 'gzip',
  });
  assert.equal(gz.status, 200);
  const { deflateSync } = await import('node:zlib');
  const df = await post(
    deflateSync(JSON.stringify(gaugeRequest('df', [{ timeUnixNano: nowNs(), asDouble: 2 }]))),
    {
      ...JSON_TYPE,
      'content-encoding': 'deflate',
    },
  );
  assert.equal(df.status, 200);
  assert.deepEqual(await storedValues('gz'), [1]);
  assert.deepEqual(await storedValues('df'), [2]);
});

test('an empty request is a success', async () => {
  assert.equal((await post(new Uint8Array(0), PROTOBUF)).status, 200);
  assert.equal((await post('{}', JSON_TYPE)).status, 200);
});

test('partial success: rejected points are counted and explained, in the request encoding', async () => {
  const request: Json = {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'partial' } }] },
        scopeMetrics: [
          {
            metrics: [
              { name: 'ok', gauge: { dataPoints: [{ timeUnixNano: nowNs(), asDouble: 1 }] } },
              // Translation rejects: bucket counts do not fit the bounds.
              {
                name: 'bad',
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: [
                    { timeUnixNano: nowNs(), count: '1', explicitBounds: [1], bucketCounts: ['1'] },
                  ],
                },
              },
              // Storage rejects: an hour in the future (limits.max_future_skew is 10m).
              { name: 'future', gauge: { dataPoints: [{ timeUnixNano: nowNs(3_600_000), asDouble: 1 }] } },
            ],
          },
        ],
      },
    ],
  };
  const pb = await post(protobuf(request), PROTOBUF);
  assert.equal(pb.status, 200);
  const response = fromBinary(ExportMetricsServiceResponseSchema, pb.body);
  assert.equal(response.partialSuccess?.rejectedDataPoints, 2n);
  assert.match(response.partialSuccess?.errorMessage ?? '', /1 data point rejected \(invalid_histogram\)/);
  assert.match(response.partialSuccess?.errorMessage ?? '', /too_far_in_future/);

  const js = await post(JSON.stringify(request), JSON_TYPE);
  assert.equal(js.status, 200);
  const body = JSON.parse(new TextDecoder().decode(js.body));
  assert.equal(body.partialSuccess.rejectedDataPoints, '2');
  assert.match(body.partialSuccess.errorMessage, /invalid_histogram/);
});

test('undecodable bodies: 400 with a google.rpc.Status in the request encoding', async () => {
  const pb = await post(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), PROTOBUF);
  assert.equal(pb.status, 400);
  assert.equal(pb.type, 'application/x-protobuf');
  const status = decodeStatus(pb.body);
  assert.equal(status.code, 3);
  assert.match(
    status.message,
    /not a valid protobuf opentelemetry\.proto\.collector\.metrics\.v1\.ExportMetricsServiceRequest/,
  );

  const notJson = await post('{"resourceMetrics": [', JSON_TYPE);
  assert.equal(notJson.status, 400);
  assert.equal(notJson.type, 'application/json');
  const body = JSON.parse(new TextDecoder().decode(notJson.body));
  assert.equal(body.code, 3);
  assert.match(body.message, /not valid JSON/);

  const wrongShape = await post('{"resourceMetrics": 5}', JSON_TYPE);
  assert.equal(wrongShape.status, 400);
  assert.match(JSON.parse(new TextDecoder().decode(wrongShape.body)).message, /not a valid OTLP\/JSON/);

  const badGzip = await post(new Uint8Array([1, 2, 3, 4]), { ...PROTOBUF, 'content-encoding': 'gzip' });
  assert.equal(badGzip.status, 400);
  assert.match(decodeStatus(badGzip.body).message, /not valid gzip/);
});

test('unsupported content type or encoding: 415', async () => {
  const cases: Record<string, string>[] = [
    { 'content-type': 'text/plain' },
    {},
    { 'content-type': 'application/grpc' },
  ];
  for (const headers of cases) {
    const r = await post('x', headers);
    assert.equal(r.status, 415, JSON.stringify(headers));
    assert.match(decodeStatus(r.body).message, /unsupported Content-Type/);
  }
  const br = await post('x', { ...PROTOBUF, 'content-encoding': 'br' });
  assert.equal(br.status, 415);
  assert.match(decodeStatus(br.body).message, /unsupported Content-Encoding "br"/);
});

test('oversize bodies and gzip bombs: 413', async () => {
  const big = await post(new Uint8Array(MAX_BODY + 1), PROTOBUF);
  assert.equal(big.status, 413);
  assert.match(decodeStatus(big.body).message, /larger than 65536 bytes/);

  // 64 MiB of zeros gzip to ~64 KiB... too big to send; 16 MiB compresses to ~16 KiB.
  const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024));
  assert.ok(bomb.length < MAX_BODY);
  const r = await post(bomb, { ...PROTOBUF, 'content-encoding': 'gzip' });
  assert.equal(r.status, 413);
  assert.match(decodeStatus(r.body).message, /decompresses to more than 65536 bytes/);

  // Still serving.
  assert.equal((await post(new Uint8Array(0), PROTOBUF)).status, 200);
});

test('fuzzed protobuf bodies never get anything but 200 or 400', async () => {
  const seed = protobuf({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fuzz' } }] },
        scopeMetrics: [
          {
            scope: { name: 's', version: '1' },
            metrics: [
              {
                name: 'h',
                histogram: {
                  aggregationTemporality: 1,
                  dataPoints: [
                    { timeUnixNano: nowNs(), count: '2', explicitBounds: [1], bucketCounts: ['1', '1'] },
                  ],
                },
              },
              {
                name: 'e',
                exponentialHistogram: {
                  aggregationTemporality: 2,
                  dataPoints: [
                    {
                      timeUnixNano: nowNs(),
                      count: '1',
                      scale: 3,
                      positive: { offset: 5, bucketCounts: ['1'] },
                    },
                  ],
                },
              },
              {
                name: 's',
                summary: { dataPoints: [{ timeUnixNano: nowNs(), quantileValues: [{ quantile: 0.5 }] }] },
              },
            ],
          },
        ],
      },
    ],
  });
  // Random bytes, and the seed with bytes overwritten (mostly still decodable: exercises translation).
  const mutated = fc
    .array(fc.tuple(fc.nat({ max: seed.length - 1 }), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 8,
    })
    .map((edits) => {
      const copy = Uint8Array.from(seed);
      for (const [at, value] of edits) copy[at] = value;
      return copy;
    });
  let decoded = 0;
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 512 }), mutated), async (body) => {
      const r = await post(body, PROTOBUF);
      assert.ok(
        r.status === 200 || r.status === 400,
        `status ${r.status}: ${new TextDecoder().decode(r.body)}`,
      );
      if (r.status === 200) decoded++;
    }),
    { numRuns: 300 },
  );
  // Enough bodies decoded to exercise the translation, not only the decoder.
  assert.ok(decoded >= 30, `only ${decoded} of 300 fuzzed bodies decoded`);
});

test('fuzzed JSON bodies never get anything but 200 or 400', async () => {
  const metricsLike = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom('resourceMetrics', 'scopeMetrics', 'metrics', 'gauge', 'dataPoints', 'timeUnixNano'),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(
        fc.constantFrom(
          'resourceMetrics',
          'scopeMetrics',
          'metrics',
          'name',
          'gauge',
          'sum',
          'histogram',
          'dataPoints',
          'timeUnixNano',
          'asDouble',
          'asInt',
          'attributes',
          'key',
          'value',
          'stringValue',
          'traceId',
        ),
        tie('value'),
        { maxKeys: 4 },
      ),
    ),
  }));
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.json(),
        metricsLike.value.map((v) => JSON.stringify(v)),
      ),
      async (body) => {
        const r = await post(body, JSON_TYPE);
        assert.ok(r.status === 200 || r.status === 400, `status ${r.status} for ${body}`);
      },
    ),
    { numRuns: 300 },
  );
});

test('authentication applies to OTLP/HTTP and errors keep the OTLP Status body', async () => {
  const token = 'a-test-token-of-sufficient-length';
  const secured = await startTestVigil(`server:\n  auth:\n    bearer_tokens: ["${token}"]\n`);
  try {
    const denied = await post(new Uint8Array(0), PROTOBUF, `${secured.url}/v1/metrics`);
    assert.equal(denied.status, 401);
    assert.match(decodeStatus(denied.body).message, /authentication required/);
    const allowed = await post(
      new Uint8Array(0),
      { ...PROTOBUF, authorization: `Bearer ${token}` },
      `${secured.url}/v1/metrics`,
    );
    assert.equal(allowed.status, 200);
  } finally {
    await secured.stop();
  }
});

test('every HTTP server given the same deps shares delta state (main port and 4318)', async () => {
  const config = parseConfig('', 'test.yml');
  const deps: IngestDeps = {
    sink: createMetricsSink(vigil.storage, config.limits, vigil.self),
    logger: pino({ level: 'silent' }),
    self: vigil.self,
    limits: config.limits,
    maxBodyBytes: MAX_BODY,
    now: Date.now,
  };
  const apps: FastifyInstance[] = [];
  try {
    const urls: string[] = [];
    for (let i = 0; i < 2; i++) {
      const app = createHttpServer({ logger: deps.logger, bearerTokens: undefined, maxBodyBytes: MAX_BODY });
      registerOtlpHttp(app, deps);
      apps.push(app);
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address() as { port: number };
      urls.push(`http://127.0.0.1:${address.port}/v1/metrics`);
    }
    const t0 = Date.now();
    const point = (start: number, end: number, value: number) => ({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shared' } }] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'jobs',
                  sum: {
                    aggregationTemporality: 1,
                    isMonotonic: true,
                    dataPoints: [
                      { startTimeUnixNano: nsAt(start), timeUnixNano: nsAt(end), asDouble: value },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    assert.equal((await post(protobuf(point(t0 - 2000, t0 - 1000, 2)), PROTOBUF, urls[0])).status, 200);
    assert.equal((await post(JSON.stringify(point(t0 - 1000, t0, 3)), JSON_TYPE, urls[1])).status, 200);
    assert.deepEqual(await storedValues('shared'), [2, 5]);
  } finally {
    for (const app of apps) await app.close();
  }
});
