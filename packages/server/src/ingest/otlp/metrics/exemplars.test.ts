import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromJson, type JsonValue, toBinary } from '@bufbuild/protobuf';
import { ExportMetricsServiceRequestSchema } from '../../../gen/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.ts';
import { startTestVigil } from '../../../testutil/vigil.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

test('OTLP exemplars of sums and histograms come back from /api/v1/query_exemplars', async () => {
  const vigil = await startTestVigil();
  try {
    const now = BigInt(Date.now()) * 1_000_000n;
    // OTLP/JSON (ids as hex, as the spec's JSON mapping has them), encoded as protobuf.
    const exemplar = (value: number, offsetMs: number, attributes: JsonValue[] = []) => ({
      timeUnixNano: String(now - BigInt(offsetMs) * 1_000_000n),
      asDouble: value,
      traceId: TRACE,
      spanId: SPAN,
      filteredAttributes: attributes,
    });
    const json = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'orders',
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: true,
                    dataPoints: [{ timeUnixNano: String(now), asInt: '5', exemplars: [exemplar(1, 100)] }],
                  },
                },
                {
                  name: 'latency',
                  unit: 's',
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: [
                      {
                        timeUnixNano: String(now),
                        count: '3',
                        sum: 2.5,
                        explicitBounds: [0.1, 1],
                        bucketCounts: ['1', '1', '1'],
                        exemplars: [
                          exemplar(0.05, 300, [{ key: 'http.route', value: { stringValue: '/pay' } }]),
                          exemplar(0.7, 200),
                          exemplar(1.75, 100),
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
    // Once as OTLP/JSON (hex ids, as the OTLP spec maps them) and once as protobuf (raw id bytes);
    // the second is an exact repeat, accepted silently.
    const asJson = await fetch(`${vigil.url}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(json),
    });
    assert.equal(asJson.status, 200, await asJson.text());
    const base64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
    const protoJson = JSON.parse(
      JSON.stringify(json).replaceAll(TRACE, base64(TRACE)).replaceAll(SPAN, base64(SPAN)),
    );
    const asProto = await fetch(`${vigil.url}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: toBinary(
        ExportMetricsServiceRequestSchema,
        fromJson(ExportMetricsServiceRequestSchema, protoJson),
      ),
    });
    assert.equal(asProto.status, 200);
    const q = await fetch(
      `${vigil.url}/api/v1/query_exemplars?query=${encodeURIComponent('{job="checkout"}')}`,
    );
    const data = (
      (await q.json()) as {
        data: {
          seriesLabels: Record<string, string>;
          exemplars: { labels: Record<string, string>; value: string }[];
        }[];
      }
    ).data;
    const summary = data.map((s) => [
      s.seriesLabels.__name__,
      s.seriesLabels.le ?? '',
      s.exemplars.map((e) => [e.value, e.labels]),
    ]);
    assert.deepEqual(summary, [
      ['latency_seconds_bucket', '+Inf', [['1.75', { span_id: SPAN, trace_id: TRACE }]]],
      ['latency_seconds_bucket', '0.1', [['0.05', { http_route: '/pay', span_id: SPAN, trace_id: TRACE }]]],
      ['latency_seconds_bucket', '1', [['0.7', { span_id: SPAN, trace_id: TRACE }]]],
      ['orders_total', '', [['1', { span_id: SPAN, trace_id: TRACE }]]],
    ]);
  } finally {
    await vigil.stop();
  }
});
