import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExportMetricsServiceRequestSchema } from '../../gen/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.ts';
import { decodeMessage, encodeStatus, encodingOf, OtlpDecodeError } from './codec.ts';

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

test('content types map to encodings, parameters and case ignored', () => {
  assert.equal(encodingOf('application/x-protobuf'), 'protobuf');
  assert.equal(encodingOf('Application/JSON; charset=utf-8'), 'json');
  assert.equal(encodingOf('application/protobuf'), undefined);
  assert.equal(encodingOf(undefined), undefined);
});

test('OTLP/JSON: hex trace and span ids, enum ints, 64-bit integers as strings or numbers', () => {
  const request = decodeMessage(
    ExportMetricsServiceRequestSchema,
    json({
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'c',
                  sum: {
                    aggregationTemporality: 1,
                    dataPoints: [
                      {
                        timeUnixNano: 1700000000000000000,
                        startTimeUnixNano: '1699999999000000000',
                        asInt: '-5',
                        exemplars: [
                          { traceId: '5b8efff798038103d269b633813fc60c', spanId: 'EEE19B7EC3C1B174' },
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
    }),
    'json',
  );
  const metric = request.resourceMetrics[0].scopeMetrics[0].metrics[0];
  assert.equal(metric.data.case, 'sum');
  if (metric.data.case !== 'sum') return;
  assert.equal(metric.data.value.aggregationTemporality, 1);
  const point = metric.data.value.dataPoints[0];
  assert.equal(point.timeUnixNano, 1700000000000000000n);
  assert.equal(point.startTimeUnixNano, 1699999999000000000n);
  assert.deepEqual(point.value, { case: 'asInt', value: -5n });
  assert.equal(Buffer.from(point.exemplars[0].traceId).toString('hex'), '5b8efff798038103d269b633813fc60c');
  assert.equal(Buffer.from(point.exemplars[0].spanId).toString('hex'), 'eee19b7ec3c1b174');
});

test('decode errors are OtlpDecodeError with the reason', () => {
  assert.throws(() => decodeMessage(ExportMetricsServiceRequestSchema, json([1]), 'json'), OtlpDecodeError);
  assert.throws(
    () => decodeMessage(ExportMetricsServiceRequestSchema, new Uint8Array([0xff, 0xff, 0xff]), 'json'),
    /not valid JSON/,
  );
  assert.throws(
    () => decodeMessage(ExportMetricsServiceRequestSchema, new Uint8Array([0x0a, 0x05]), 'protobuf'),
    /not a valid protobuf opentelemetry\.proto\.collector\.metrics\.v1\.ExportMetricsServiceRequest: premature EOF/,
  );
});

test('google.rpc.Status bodies', () => {
  assert.deepEqual(
    Buffer.from(encodeStatus(3, 'bad', 'protobuf') as Uint8Array),
    Buffer.from([0x08, 0x03, 0x12, 0x03, 0x62, 0x61, 0x64]),
  );
  assert.equal(encodeStatus(3, 'bad', 'json'), '{"code":3,"message":"bad"}');
});
