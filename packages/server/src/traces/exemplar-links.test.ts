/**
 * The link from a metric to a trace, end to end: a trace is ingested over OTLP, then exemplars
 * naming it arrive by every metrics route (remote write, an OpenMetrics scrape, OTLP metrics, and
 * Vigil's own span metrics). Each exemplar must come back from /api/v1/query_exemplars with the
 * trace id, and following that id to /api/traces/<id> must give the trace that was sent.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { tracesDataBytes } from '../api/tempo/trace-encoding.ts';
import { sendWriteRequest } from '../ingest/remote-write/client.ts';
import type { Span } from '../model/span.ts';
import { testResource, testSpan } from '../storage/traces/storetest/spans.ts';
import { startTestVigil, type TestVigil } from '../testutil/vigil.ts';

/** One trace per route, so an exemplar can only lead to the trace its route named. */
const TRACES = {
  remote_write: '4bf92f3577b34da6a3ce929d0e0e4701',
  scrape: '4bf92f3577b34da6a3ce929d0e0e4702',
  otlp: '4bf92f3577b34da6a3ce929d0e0e4703',
  span_metrics: '4bf92f3577b34da6a3ce929d0e0e4704',
} as const;
type Route = keyof typeof TRACES;

function traceOf(route: Route): Span[] {
  const traceId = TRACES[route];
  const start = Date.now() - 2000;
  const root = testSpan({
    traceId,
    spanId: `${traceId.slice(-2)}00000000000001`,
    name: `GET /${route}`,
    kind: 2,
    startMs: start,
    durationMs: 700,
    resource: testResource(`svc-${route.replace('_', '-')}`),
  });
  const child = testSpan({
    traceId,
    spanId: `${traceId.slice(-2)}00000000000002`,
    parentSpanId: root.spanId,
    name: 'SELECT orders',
    kind: 3,
    startMs: start + 10,
    durationMs: 600,
    resource: root.resource,
  });
  return [root, child];
}

let vigil: TestVigil;
let target: Server;

before(async () => {
  // The scrape target exposes a histogram whose bucket names the scrape route's trace.
  target = createServer((_req, res) => {
    res.setHeader('content-type', 'application/openmetrics-text; version=1.0.0; charset=utf-8');
    res.end(
      [
        '# TYPE checkout_seconds histogram',
        `checkout_seconds_bucket{le="1"} 1 # {trace_id="${TRACES.scrape}",span_id="0200000000000001"} 0.7`,
        'checkout_seconds_bucket{le="+Inf"} 1',
        'checkout_seconds_sum 0.7',
        'checkout_seconds_count 1',
        '# EOF',
        '',
      ].join('\n'),
    );
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  const port = (target.address() as { port: number }).port;
  vigil = await startTestVigil(
    [
      'traces:',
      '  span_metrics:',
      '    flush_interval: 100ms',
      'scrape_configs:',
      '  - job_name: scraped',
      '    scrape_interval: 1s',
      '    static_configs:',
      `      - targets: ["127.0.0.1:${port}"]`,
      '',
    ].join('\n'),
  );
  const spans = (Object.keys(TRACES) as Route[]).flatMap(traceOf);
  const res = await fetch(`${vigil.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: Buffer.from(tracesDataBytes(spans)),
  });
  assert.equal(res.status, 200, await res.text());
});

after(async () => {
  await vigil?.stop();
  target?.close();
});

interface ExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
}

/** Polls query_exemplars until `query` has an exemplar (routes deliver asynchronously). */
async function exemplarsOf(query: string): Promise<ExemplarSeries[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const now = Date.now() / 1000;
    const res = await fetch(
      `${vigil.url}/api/v1/query_exemplars?query=${encodeURIComponent(query)}&start=${now - 3600}&end=${now + 60}`,
    );
    const body = (await res.json()) as { status: string; data: ExemplarSeries[] };
    assert.equal(res.status, 200, JSON.stringify(body));
    if (body.data.some((s) => s.exemplars.length > 0)) return body.data;
    assert.ok(Date.now() < deadline, `no exemplar for ${query} within 15 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Follows an exemplar's trace id to the Tempo API and checks the trace is the one sent. */
async function assertLeadsToTrace(traceId: string, route: Route): Promise<void> {
  assert.equal(traceId, TRACES[route], `the ${route} exemplar names its trace`);
  const res = await fetch(`${vigil.url}/api/traces/${traceId}`);
  assert.equal(res.status, 200, `trace ${traceId} can be fetched`);
  const body = (await res.json()) as {
    batches: { scopeSpans: { spans: { traceId: string; name: string }[] }[] }[];
  };
  const spans = body.batches.flatMap((b) => b.scopeSpans.flatMap((s) => s.spans));
  assert.deepEqual(spans.map((s) => s.name).sort(), [`GET /${route}`, 'SELECT orders']);
  for (const s of spans) assert.equal(Buffer.from(s.traceId, 'base64').toString('hex'), traceId);
}

test('remote write: an exemplar leads to its trace', async () => {
  const now = Date.now();
  const res = await sendWriteRequest(`${vigil.url}/api/v1/write`, {
    timeseries: [
      {
        labels: [
          { name: '__name__', value: 'rw_request_seconds_bucket' },
          { name: 'job', value: 'rw' },
          { name: 'le', value: '1' },
        ],
        samples: [{ value: 3, timestamp: BigInt(now) }],
        exemplars: [
          {
            labels: [{ name: 'trace_id', value: TRACES.remote_write }],
            value: 0.7,
            timestamp: BigInt(now),
          },
        ],
      },
    ],
  });
  assert.equal(res.status, 204, res.body);
  const [series] = await exemplarsOf('rw_request_seconds_bucket');
  assert.equal(series.exemplars[0].value, '0.7');
  await assertLeadsToTrace(series.exemplars[0].labels.trace_id, 'remote_write');
});

test('OpenMetrics scrape: an exemplar leads to its trace', async () => {
  const data = await exemplarsOf('checkout_seconds_bucket{job="scraped"}');
  const withExemplar = data.find((s) => s.exemplars.length > 0)!;
  assert.equal(Number(withExemplar.seriesLabels.le), 1);
  await assertLeadsToTrace(withExemplar.exemplars[0].labels.trace_id, 'scrape');
});

test('OTLP metrics: a histogram exemplar leads to its trace', async () => {
  const now = BigInt(Date.now()) * 1_000_000n;
  const res = await fetch(`${vigil.url}/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'otlp-app' } }] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'otlp_request_duration',
                  unit: 's',
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: [
                      {
                        timeUnixNano: String(now),
                        count: '1',
                        sum: 0.7,
                        explicitBounds: [1],
                        bucketCounts: ['1', '0'],
                        exemplars: [
                          {
                            timeUnixNano: String(now),
                            asDouble: 0.7,
                            traceId: TRACES.otlp,
                            spanId: '0300000000000001',
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
    }),
  });
  assert.equal(res.status, 200, await res.text());
  const data = await exemplarsOf('{job="otlp-app"}');
  const withExemplar = data.find((s) => s.exemplars.length > 0)!;
  await assertLeadsToTrace(withExemplar.exemplars[0].labels.trace_id, 'otlp');
});

test('span metrics: a latency bucket exemplar leads to its trace', async () => {
  const data = await exemplarsOf(
    'traces_spanmetrics_latency_bucket{service="svc-span-metrics", span_kind="SPAN_KIND_SERVER"}',
  );
  assert.equal(data.length, 1, JSON.stringify(data));
  // The 700 ms root span falls in the 1.024 bucket of Tempo's default buckets.
  assert.equal(data[0].seriesLabels.le, '1.024');
  assert.equal(data[0].exemplars[0].labels.spanID, '0400000000000001');
  assert.equal(Number(data[0].exemplars[0].value), 0.7);
  await assertLeadsToTrace(data[0].exemplars[0].labels.traceID, 'span_metrics');
});
