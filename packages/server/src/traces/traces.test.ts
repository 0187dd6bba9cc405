/**
 * The traces pipeline in a running Vigil: span metrics and the service graph reach the metrics
 * store and answer PromQL with exact values; tail sampling keeps whole traces by policy while the
 * span metrics still count every span.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tracesDataBytes } from '../api/tempo/trace-encoding.ts';
import type { Span } from '../model/span.ts';
import { testResource, testSpan } from '../storage/traces/storetest/spans.ts';
import { startTestVigil, type TestVigil } from '../testutil/vigil.ts';

async function post(vigil: TestVigil, spans: readonly Span[]): Promise<void> {
  const res = await fetch(`${vigil.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: Buffer.from(tracesDataBytes(spans)),
  });
  assert.equal(res.status, 200, await res.text());
}

async function promql(vigil: TestVigil, query: string): Promise<Record<string, number>> {
  const res = await fetch(`${vigil.url}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  assert.equal(res.status, 200, JSON.stringify(body));
  const out: Record<string, number> = {};
  for (const r of body.data.result) {
    const { __name__: _, ...labels } = r.metric;
    out[
      Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .sort()
        .join(',')
    ] = Number(r.value[1]);
  }
  return out;
}

/** Retries `check` until it passes (metrics are flushed every 100 ms in these tests). */
async function eventually(check: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A request from web (client) to api (server), the api span failing when asked. */
function request(i: number, opts: { failed?: boolean; apiMs: number }): Span[] {
  const traceId = `${'7'.repeat(28)}${i.toString(16).padStart(4, '0')}`;
  const start = Date.now() - 1000;
  const root = testSpan({
    traceId,
    spanId: `1${i.toString(16).padStart(15, '0')}`,
    name: 'GET /',
    kind: 2,
    startMs: start,
    durationMs: opts.apiMs + 20,
    resource: testResource('web'),
  });
  const call = testSpan({
    traceId,
    spanId: `2${i.toString(16).padStart(15, '0')}`,
    parentSpanId: root.spanId,
    name: 'GET /items',
    kind: 3,
    startMs: start + 5,
    durationMs: opts.apiMs + 10,
    resource: testResource('web'),
  });
  const handler = testSpan({
    traceId,
    spanId: `3${i.toString(16).padStart(15, '0')}`,
    parentSpanId: call.spanId,
    name: 'GET /items',
    kind: 2,
    startMs: start + 10,
    durationMs: opts.apiMs,
    status: opts.failed ? 2 : 0,
    resource: testResource('api'),
  });
  return [root, call, handler];
}

test('span metrics and the service graph are queryable with PromQL, with exact values', async () => {
  const vigil = await startTestVigil(
    'traces:\n  span_metrics:\n    flush_interval: 100ms\n  service_graph:\n    flush_interval: 100ms\n',
  );
  try {
    const spans: Span[] = [];
    for (let i = 0; i < 4; i++) spans.push(...request(i, { failed: i === 3, apiMs: [30, 300, 3, 3000][i] }));
    await post(vigil, spans);
    await eventually(async () =>
      assert.deepEqual(await promql(vigil, 'traces_service_graph_request_total'), {
        'client=web,server=api': 4,
      }),
    );
    assert.deepEqual(await promql(vigil, 'traces_spanmetrics_calls_total'), {
      'service=api,span_kind=SPAN_KIND_SERVER,span_name=GET /items,status_code=STATUS_CODE_ERROR': 1,
      'service=api,span_kind=SPAN_KIND_SERVER,span_name=GET /items,status_code=STATUS_CODE_UNSET': 3,
      'service=web,span_kind=SPAN_KIND_CLIENT,span_name=GET /items,status_code=STATUS_CODE_UNSET': 4,
      'service=web,span_kind=SPAN_KIND_SERVER,span_name=GET /,status_code=STATUS_CODE_UNSET': 4,
    });
    assert.deepEqual(
      await promql(
        vigil,
        'traces_spanmetrics_latency_bucket{service="api", status_code="STATUS_CODE_UNSET", le=~"0.004|0.032|0.512|\\\\+Inf"}',
      ),
      {
        'le=+Inf,service=api,span_kind=SPAN_KIND_SERVER,span_name=GET /items,status_code=STATUS_CODE_UNSET': 3,
        'le=0.004,service=api,span_kind=SPAN_KIND_SERVER,span_name=GET /items,status_code=STATUS_CODE_UNSET': 1,
        'le=0.032,service=api,span_kind=SPAN_KIND_SERVER,span_name=GET /items,status_code=STATUS_CODE_UNSET': 2,
        'le=0.512,service=api,span_kind=SPAN_KIND_SERVER,span_name=GET /items,status_code=STATUS_CODE_UNSET': 3,
      },
    );
    assert.deepEqual(await promql(vigil, 'traces_service_graph_request_total'), {
      'client=web,server=api': 4,
    });
    assert.deepEqual(await promql(vigil, 'traces_service_graph_request_failed_total'), {
      'client=web,server=api': 1,
    });
    assert.deepEqual(await promql(vigil, 'traces_service_graph_request_server_seconds_bucket{le="0.4"}'), {
      'client=web,le=0.4,server=api': 3,
    });
    assert.deepEqual(await promql(vigil, 'traces_service_graph_request_client_seconds_count'), {
      'client=web,server=api': 4,
    });
  } finally {
    await vigil.stop();
  }
});

test('tail sampling keeps whole error traces, drops the rest, and span metrics still count every span', async () => {
  const vigil = await startTestVigil(
    [
      'traces:',
      '  span_metrics:',
      '    flush_interval: 100ms',
      '  tail_sampling:',
      '    decision_wait: 2s',
      '    policies:',
      '      - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}',
      '',
    ].join('\n'),
  );
  try {
    const ok = request(100, { apiMs: 10 });
    const failing = request(101, { apiMs: 10, failed: true });
    // Each trace arrives in two requests, the error in the second one.
    const firstSentAt = Date.now();
    await post(vigil, [ok[0], failing[0]]);
    await post(vigil, [ok[1], ok[2], failing[1], failing[2]]);
    const traceOf = async (spans: Span[]) =>
      (await fetch(`${vigil.url}/api/traces/${spans[0].traceId}`)).status;
    const early = await traceOf(failing);
    // Only meaningful while decision_wait cannot have passed (a slow machine may get here later).
    if (Date.now() - firstSentAt < 2000) assert.equal(early, 404, 'nothing is stored before the decision');
    const deadline = Date.now() + 10_000;
    while ((await traceOf(failing)) !== 200) {
      assert.ok(Date.now() < deadline, 'the error trace was stored after decision_wait');
      await new Promise((r) => setTimeout(r, 50));
    }
    const stored = (await (await fetch(`${vigil.url}/api/traces/${failing[0].traceId}`)).json()) as {
      batches: { scopeSpans: { spans: unknown[] }[] }[];
    };
    assert.equal(stored.batches.flatMap((b) => b.scopeSpans.flatMap((s) => s.spans)).length, 3);
    assert.equal(await traceOf(ok), 404);
    await eventually(async () =>
      assert.deepEqual(await promql(vigil, 'sum(traces_spanmetrics_calls_total)'), { '': 6 }),
    );
    const metrics = await (await fetch(`${vigil.url}/metrics`)).text();
    assert.match(metrics, /vigil_tail_sampling_traces_total\{decision="sampled"\} 1/);
    assert.match(metrics, /vigil_tail_sampling_traces_total\{decision="not_sampled"\} 1/);
  } finally {
    await vigil.stop();
  }
});

test('a span-metrics exemplar from /api/v1/query_exemplars leads to a trace fetchable by id', async () => {
  const vigil = await startTestVigil('traces:\n  span_metrics:\n    flush_interval: 100ms\n');
  try {
    const slow = request(200, { apiMs: 3000 });
    await post(vigil, slow);
    type ExemplarData = { labels: Record<string, string>; value: string; timestamp: number };
    let found: { seriesLabels: Record<string, string>; exemplars: ExemplarData[] }[] = [];
    await eventually(async () => {
      const now = Date.now() / 1000;
      const url = `${vigil.url}/api/v1/query_exemplars?query=${encodeURIComponent(
        'traces_spanmetrics_latency_bucket{service="api"}',
      )}&start=${now - 600}&end=${now + 60}`;
      const res = await fetch(url);
      const body = (await res.json()) as { status: string; data: typeof found };
      assert.equal(res.status, 200, JSON.stringify(body));
      found = body.data;
      assert.equal(found.length, 1, JSON.stringify(found));
    });
    // The 3 s api span is in the 4.096 bucket; its exemplar names that span and its trace.
    const [series] = found;
    assert.equal(series.seriesLabels.le, '4.096');
    assert.equal(series.seriesLabels.span_kind, 'SPAN_KIND_SERVER');
    assert.equal(series.exemplars.length, 1);
    const [ex] = series.exemplars;
    assert.deepEqual(ex.labels, { traceID: slow[2].traceId, spanID: slow[2].spanId });
    assert.equal(Number(ex.value), 3);

    const res = await fetch(`${vigil.url}/api/traces/${ex.labels.traceID}`);
    assert.equal(res.status, 200);
    const trace = (await res.json()) as { batches: { scopeSpans: { spans: { spanId: string }[] }[] }[] };
    const ids = trace.batches.flatMap((b) => b.scopeSpans.flatMap((s) => s.spans.map((sp) => sp.spanId)));
    assert.equal(ids.length, 3);
    // Tempo's OTLP JSON writes ids in base64.
    const spanIdB64 = Buffer.from(ex.labels.spanID, 'hex').toString('base64');
    assert.ok(ids.includes(spanIdB64), `span ${spanIdB64} is in the trace: ${ids.join(', ')}`);
  } finally {
    await vigil.stop();
  }
});
