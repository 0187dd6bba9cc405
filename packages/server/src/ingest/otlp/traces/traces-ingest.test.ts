/**
 * Bad input on /v1/traces: bodies that do not decode are refused whole; bad spans are rejected
 * one by one with reasons in the OTLP partial-success response while good spans of the same
 * request are stored; every rejection is counted.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestVigil, type TestVigil } from '../../../testutil/vigil.ts';

let vigil: TestVigil;

before(async () => {
  vigil = await startTestVigil(
    'traces:\n  limits:\n    max_attributes: 3\n    max_attribute_value_bytes: 16\n    max_future_skew: 1m\n',
  );
});

after(async () => {
  await vigil?.stop();
});

const NOW_NS = () => BigInt(Date.now()) * 1_000_000n;

function span(fields: Record<string, unknown>): Record<string, unknown> {
  const start = NOW_NS() - 5_000_000n;
  return {
    traceId: '5'.repeat(32),
    spanId: '6'.repeat(16),
    name: 'op',
    startTimeUnixNano: String(start),
    endTimeUnixNano: String(start + 1_000_000n),
    ...fields,
  };
}

async function send(spans: Record<string, unknown>[], resourceAttributes: unknown[] = []) {
  const body = {
    resourceSpans: [
      {
        resource: {
          attributes: [{ key: 'service.name', value: { stringValue: 'bad-input' } }, ...resourceAttributes],
        },
        scopeSpans: [{ scope: { name: 'test' }, spans }],
      },
    ],
  };
  const res = await fetch(`${vigil.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as { partialSuccess?: { rejectedSpans: string; errorMessage: string } },
  };
}

test('a body that is not an OTLP message is refused with 400', async () => {
  const garbage = await fetch(`${vigil.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]),
  });
  assert.equal(garbage.status, 400);
  const notJson = await fetch(`${vigil.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"resourceSpans": [',
  });
  assert.equal(notJson.status, 400);
});

test('bad spans are rejected with reasons, good spans of the same request are stored', async () => {
  const future = NOW_NS() + 3_600_000_000_000n;
  const { status, body } = await send([
    span({ spanId: '1'.repeat(16), name: 'good' }),
    span({ traceId: '0'.repeat(32), name: 'zero trace id' }),
    span({ spanId: 'abcd', name: 'short span id' }),
    span({ parentSpanId: '0'.repeat(16), name: 'zero parent' }),
    span({
      name: 'from the future',
      startTimeUnixNano: String(future),
      endTimeUnixNano: String(future + 1n),
    }),
    span({ name: 'ends before it starts', endTimeUnixNano: '1' }),
    span({
      name: 'long value',
      attributes: [{ key: 'k', value: { stringValue: 'x'.repeat(17) } }],
    }),
    span({
      name: 'too many attributes',
      attributes: ['a', 'b', 'c', 'd'].map((key) => ({ key, value: { intValue: '1' } })),
    }),
    span({ name: 'empty key', attributes: [{ key: '', value: { boolValue: true } }] }),
    span({ name: 'bad link', links: [{ traceId: '', spanId: '' }] }),
  ]);
  assert.equal(status, 200);
  assert.equal(body.partialSuccess?.rejectedSpans, '9');
  const msg = body.partialSuccess?.errorMessage ?? '';
  assert.match(msg, /^9 spans rejected \(4 invalid_id, 2 invalid_time, 3 invalid_attributes\)/);
  assert.match(msg, /span "zero trace id" .*trace id must be 16 bytes and not all zero \(it is all zero\)/);
  assert.match(msg, /span "short span id" .*span id must be 8 bytes and not all zero \(got 2 bytes\)/);
  const stored = await fetch(`${vigil.url}/api/traces/${'5'.repeat(32)}`);
  const names = (
    (await stored.json()) as { batches: { scopeSpans: { spans: { name: string }[] }[] }[] }
  ).batches.flatMap((b) => b.scopeSpans.flatMap((s) => s.spans.map((x) => x.name)));
  assert.deepEqual(names, ['good']);
  const metrics = await (await fetch(`${vigil.url}/metrics`)).text();
  assert.match(metrics, /vigil_ingest_rejected_spans_total\{protocol="otlp",reason="invalid_id"\} 4/);
  assert.match(metrics, /vigil_ingest_rejected_spans_total\{protocol="otlp",reason="invalid_time"\} 2/);
  assert.match(metrics, /vigil_ingest_spans_total\{protocol="otlp"\} 1/);
});

test('a resource over the limits takes its spans with it', async () => {
  const { body } = await send(
    [span({ spanId: '2'.repeat(16) }), span({ spanId: '3'.repeat(16) })],
    [{ key: 'huge', value: { stringValue: 'y'.repeat(100) } }],
  );
  assert.equal(body.partialSuccess?.rejectedSpans, '2');
  assert.match(
    body.partialSuccess?.errorMessage ?? '',
    /resource attribute "huge": value is 100 bytes, longer than 16/,
  );
});

test('a fully valid request gets an empty response (no partial_success)', async () => {
  const { status, body } = await send([span({ spanId: '4'.repeat(16) })]);
  assert.equal(status, 200);
  assert.deepEqual(body, {});
});
