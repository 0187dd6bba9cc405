/**
 * Interoperability with the plain OpenTelemetry SDK, in real processes: a @vigil/node service
 * calls a service instrumented only with the OpenTelemetry SDK, which calls back into the
 * @vigil/node service. One trace spans all of it, and the @vigil/node log lines written inside
 * the callback carry the ids of the span that handled it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { ensureBuilt, packageRoot } from './testing/build.ts';
import { runApp } from './testing/child.ts';
import { startOtlpReceiver } from './testing/otlp-receiver.ts';

before(() => ensureBuilt());

test('one trace across @vigil/node and plain OpenTelemetry services, both directions', async (t) => {
  const receiver = await startOtlpReceiver();
  t.after(() => receiver.close());
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' };
  const vigil = runApp([join(packageRoot, 'test-apps/esm-app.mjs')], {
    env: { ...env, APP_SERVICE: 'vigil-svc' },
  });
  const plain = runApp([join(packageRoot, 'test-apps/plain-otel-service.mjs')], { env });
  t.after(() => Promise.all([vigil.stop(), plain.stop()]));
  const vigilPort = ((await vigil.line('port')) as { port: number }).port;
  const plainPort = ((await plain.line('port')) as { port: number }).port;

  const back = `http://127.0.0.1:${vigilPort}/hello/callback`;
  const plainUrl = `http://127.0.0.1:${plainPort}/work?next=${encodeURIComponent(back)}`;
  const res = await fetch(`http://127.0.0.1:${vigilPort}/call?url=${encodeURIComponent(plainUrl)}`, {
    headers: { baggage: 'tenant=acme' },
  });
  const body = (await res.json()) as { plain: boolean; baggage: string; next: { hello: string } };
  assert.equal(body.plain, true);
  assert.equal(body.baggage, 'acme', 'W3C baggage crossed to the plain service');
  assert.equal(body.next.hello, 'callback');
  assert.equal(await vigil.stop(), 0);
  assert.equal(await plain.stop(), 0);

  const spans = receiver.traces.flatMap((r) =>
    r.resourceSpans.flatMap((rs) => {
      const service = rs.resource?.attributes.find((a) => a.key === 'service.name')?.value?.value.value;
      return rs.scopeSpans.flatMap((s) =>
        s.spans.map((span) => ({
          service,
          name: span.name,
          traceId: Buffer.from(span.traceId).toString('hex'),
          spanId: Buffer.from(span.spanId).toString('hex'),
          parent: Buffer.from(span.parentSpanId).toString('hex'),
        })),
      );
    }),
  );
  const find = (service: string, name: string) => {
    const s = spans.find((x) => x.service === service && x.name === name);
    assert.ok(s, `span ${name} of ${service} in ${JSON.stringify(spans.map((x) => [x.service, x.name]))}`);
    return s;
  };
  const entry = find('vigil-svc', 'GET /call');
  const vigilClient = spans.find(
    (x) => x.service === 'vigil-svc' && x.name === 'GET' && x.parent === entry.spanId,
  )!;
  const plainServer = find('plain-otel', 'plain GET /work');
  const plainClient = find('plain-otel', 'plain call');
  const callback = find('vigil-svc', 'GET /hello/:name');
  assert.equal(
    new Set([entry, vigilClient, plainServer, plainClient, callback].map((s) => s.traceId)).size,
    1,
  );
  assert.equal(plainServer.parent, vigilClient.spanId);
  assert.equal(plainClient.parent, plainServer.spanId);
  assert.equal(callback.parent, plainClient.spanId);

  // The @vigil/node log line inside the callback carries the callback span's ids.
  const line = vigil.lines.find((l) => l.msg === 'saying hello')!;
  assert.equal(line.trace_id, entry.traceId);
  assert.equal(line.span_id, callback.spanId);
});
