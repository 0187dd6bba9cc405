/**
 * The Tempo-compatible API against the TraceQL corpus: response shapes Grafana's Tempo data
 * source reads, parameter handling and errors.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestVigil, type TestVigil } from '../../testutil/vigil.ts';
import { CORPUS, sid, TRACE_A, TRACE_B, TRACE_C } from '../../traces/traceql/testdata/corpus.ts';
import { tracesDataBytes } from './trace-encoding.ts';

let vigil: TestVigil;
// The corpus lies on 2026-03-01 around 12:00 UTC.
const START = Math.floor(Date.UTC(2026, 2, 1, 11) / 1000);
const END = Math.floor(Date.UTC(2026, 2, 1, 13) / 1000);
const WINDOW = `start=${START}&end=${END}`;

before(async () => {
  vigil = await startTestVigil('');
  const res = await fetch(`${vigil.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: Buffer.from(tracesDataBytes(CORPUS.flat())),
  });
  assert.equal(res.status, 200);
});

after(async () => {
  await vigil?.stop();
});

async function get(path: string): Promise<{ status: number; body: unknown; text: string }> {
  const res = await fetch(`${vigil.url}${path}`);
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

interface SearchBody {
  traces: {
    traceID: string;
    rootServiceName: string;
    rootTraceName: string;
    startTimeUnixNano: string;
    durationMs?: number;
    spanSets?: {
      spans: { spanID: string; name: string; attributes?: unknown[] }[];
      matched: number;
      attributes?: unknown[];
    }[];
    spanSet?: unknown;
    serviceStats: Record<string, { spanCount: number; errorCount?: number }>;
  }[];
  metrics: Record<string, unknown>;
}

async function search(params: string): Promise<SearchBody> {
  const r = await get(`/api/search?${params}`);
  assert.equal(r.status, 200, r.text);
  return r.body as SearchBody;
}

test('echo and build info', async () => {
  const echo = await get('/api/echo');
  assert.equal(echo.status, 200);
  assert.equal(echo.text, 'echo');
  const info = await get('/api/status/buildinfo');
  assert.match((info.body as { version: string }).version, /^\d+\.\d+\.\d+/);
});

test('TraceQL search: Tempo metadata, spansets with the attributes the query used, newest first', async () => {
  const body = await search(`q=${encodeURIComponent('{ status = error }')}&${WINDOW}`);
  assert.deepEqual(
    body.traces.map((t) => t.traceID),
    [TRACE_B, TRACE_A].map((id) => id.replace(/^0+/, '')),
  );
  const b = body.traces[0];
  assert.equal(b.rootServiceName, 'frontend');
  assert.equal(b.rootTraceName, 'GET /health');
  assert.equal(b.durationMs, 5);
  assert.equal(b.startTimeUnixNano, String(BigInt(Date.UTC(2026, 2, 1, 12, 0, 1)) * 1_000_000n));
  assert.deepEqual(b.serviceStats, { frontend: { spanCount: 2, errorCount: 1 } });
  assert.deepEqual(b.spanSets, [
    {
      spans: [
        {
          spanID: sid('b2'),
          name: 'render',
          startTimeUnixNano: String(BigInt(Date.UTC(2026, 2, 1, 12, 0, 1, 1)) * 1_000_000n),
          durationNanos: '1000000',
          attributes: [{ key: 'status', value: { stringValue: 'error' } }],
        },
      ],
      matched: 1,
    },
  ]);
  assert.deepEqual(b.spanSet, b.spanSets?.[0]);
});

test('a trace without its root span says so', async () => {
  const body = await search(`q=${encodeURIComponent('{ kind = consumer }')}&${WINDOW}`);
  assert.equal(body.traces[0].rootServiceName, '<root span not yet received>');
  assert.equal(body.traces[0].rootTraceName, '<root span not yet received>');
});

test('limit, spss, select() and aggregates', async () => {
  const one = await search(`q=${encodeURIComponent('{ }')}&limit=1&${WINDOW}`);
  assert.equal(one.traces.length, 1);
  const spss = await search(
    `q=${encodeURIComponent('{ resource.service.name = "checkout" }')}&spss=2&${WINDOW}`,
  );
  assert.equal(spss.traces[0].spanSets?.[0].spans.length, 2);
  assert.equal(spss.traces[0].spanSets?.[0].matched, 3);
  const sel = await search(
    `q=${encodeURIComponent('{ name = "SELECT orders" } | select(span.db.system)')}&${WINDOW}`,
  );
  assert.deepEqual(sel.traces[0].spanSets?.[0].spans[0].attributes, [
    { key: 'db.system', value: { stringValue: 'postgresql' } },
  ]);
  const agg = await search(`q=${encodeURIComponent('{ } | count() > 4')}&${WINDOW}`);
  assert.deepEqual(agg.traces[0].spanSets?.[0].attributes, [{ key: 'count()', value: { intValue: '5' } }]);
});

test('the time window limits the search', async () => {
  const later = `start=${END + 3600}&end=${END + 7200}`;
  assert.deepEqual((await search(`q=${encodeURIComponent('{ }')}&${later}`)).traces, []);
});

test('tag-based search: tags, minDuration and maxDuration', async () => {
  const bySvc = await search(`tags=${encodeURIComponent('service.name=checkout')}&${WINDOW}`);
  assert.deepEqual(
    bySvc.traces.map((t) => t.traceID),
    [TRACE_A.replace(/^0+/, '')],
  );
  const byAttr = await search(`tags=${encodeURIComponent('http.status_code=200 http.method=GET')}&${WINDOW}`);
  assert.deepEqual(
    byAttr.traces.map((t) => t.traceID).sort(),
    [TRACE_A, TRACE_B].map((id) => id.replace(/^0+/, '')).sort(),
  );
  const slow = await search(`minDuration=1s&${WINDOW}`);
  assert.deepEqual(
    slow.traces.map((t) => t.traceID),
    [TRACE_C.replace(/^0+/, '')],
  );
  const fast = await search(`maxDuration=10ms&${WINDOW}`);
  assert.deepEqual(
    fast.traces.map((t) => t.traceID),
    [TRACE_B.replace(/^0+/, '')],
  );
});

test('trace by id: 404 for unknown ids, 400 for malformed ones', async () => {
  const missing = await get(`/api/traces/${'9'.repeat(32)}`);
  assert.equal(missing.status, 404);
  assert.match(missing.text, /trace not found/);
  assert.equal((await get(`/api/v2/traces/${'9'.repeat(32)}`)).status, 404);
  const bad = await get('/api/traces/not-hex');
  assert.equal(bad.status, 400);
  assert.match(bad.text, /invalid trace id "not-hex"/);
  assert.equal((await get(`/api/traces/${'a'.repeat(33)}`)).status, 400);
});

test('search parameter errors name the parameter', async () => {
  const cases: [string, RegExp][] = [
    [`q=${encodeURIComponent('{ .a = }')}`, /invalid TraceQL query: parse error at line 1, col 8/],
    ['limit=abc', /invalid limit/],
    ['limit=0', /invalid limit: must be a positive number/],
    ['limit=100000', /invalid limit: 100000 is more than the allowed 1000/],
    ['spss=-1', /invalid spss/],
    ['start=yesterday', /invalid start/],
    [`start=${END}&end=${START}`, /invalid start: must not be after end/],
    [`q=%7B%7D&tags=a%3Db`, /can't specify tags and q/],
    ['minDuration=fast', /invalid minDuration/],
    ['minDuration=2s&maxDuration=1s', /invalid maxDuration: must be greater than minDuration/],
    [`tags=${encodeURIComponent('a="unterminated')}`, /invalid tags: unterminated quoted value/],
    [`tags=${encodeURIComponent('a=1 a=2')}`, /tag a has been set twice/],
  ];
  for (const [params, message] of cases) {
    const r = await get(`/api/search?${params}`);
    assert.equal(r.status, 400, `${params}: ${r.text}`);
    assert.match(r.text, message, params);
  }
});

test('tag names, v1 and v2', async () => {
  const v1 = (await get(`/api/search/tags?${WINDOW}`)).body as { tagNames: string[] };
  for (const n of ['http.method', 'db.system', 'service.name', 'deployment.environment'])
    assert.ok(v1.tagNames.includes(n), n);
  const span = (await get('/api/search/tags?scope=span')).body as { tagNames: string[] };
  assert.ok(!span.tagNames.includes('service.name'));
  const v2 = (await get('/api/v2/search/tags')).body as { scopes: { name: string; tags: string[] }[] };
  const scopes = Object.fromEntries(v2.scopes.map((s) => [s.name, s.tags]));
  assert.ok(scopes.resource.includes('service.name'));
  assert.ok(scopes.span.includes('messaging.system'));
  assert.ok(scopes.event.includes('cache.key'));
  assert.ok(scopes.intrinsic.includes('rootServiceName'));
  assert.equal((await get('/api/search/tags?scope=nope')).status, 400);
});

test('tag values, v1 and v2, typed, and filtered by a TraceQL query', async () => {
  const v1 = (await get('/api/search/tag/service.name/values')).body as { tagValues: string[] };
  assert.deepEqual(v1.tagValues, ['checkout', 'frontend', 'worker']);
  const v2 = (await get('/api/v2/search/tag/span.http.status_code/values')).body as {
    tagValues: { type: string; value: string }[];
  };
  assert.deepEqual(
    v2.tagValues.sort((a, b) => a.value.localeCompare(b.value)),
    [
      { type: 'int', value: '200' },
      { type: 'int', value: '201' },
    ],
  );
  const status = (await get('/api/v2/search/tag/status/values')).body as {
    tagValues: { type: string; value: string }[];
  };
  assert.deepEqual(status.tagValues, [
    { type: 'keyword', value: 'error' },
    { type: 'keyword', value: 'ok' },
    { type: 'keyword', value: 'unset' },
  ]);
  const names = (await get('/api/v2/search/tag/name/values')).body as { tagValues: { value: string }[] };
  assert.ok(names.tagValues.some((v) => v.value === 'SELECT orders'));
  const filtered = (
    await get(
      `/api/v2/search/tag/resource.service.name/values?q=${encodeURIComponent('{ span.db.system = "redis" }')}&${WINDOW}`,
    )
  ).body as { tagValues: { type: string; value: string }[] };
  assert.deepEqual(filtered.tagValues, [{ type: 'string', value: 'checkout' }]);
  // A filter that does not parse is ignored (Tempo does the same), giving every value.
  const unparsed = (
    await get(`/api/v2/search/tag/resource.service.name/values?q=${encodeURIComponent('{ .a = ')}`)
  ).body as { tagValues: unknown[] };
  assert.equal(unparsed.tagValues.length, 3);
});
