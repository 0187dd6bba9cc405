// A service instrumented only with the plain OpenTelemetry SDK (no @vigil/node): server spans
// from extracted W3C context, a client span with injected context for its outgoing call, OTLP
// export. Manual instrumentation, since no auto-instrumentation packages are installed here.
import { createServer } from 'node:http';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'plain-otel' }),
  spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter())],
});
provider.register({
  contextManager: new AsyncLocalStorageContextManager(),
  propagator: new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  }),
});
const tracer = trace.getTracer('plain');

const server = createServer((req, res) => {
  const parent = propagation.extract(context.active(), req.headers);
  const span = tracer.startSpan('plain GET /work', { kind: SpanKind.SERVER }, parent);
  context.with(trace.setSpan(parent, span), async () => {
    const url = new URL(req.url, 'http://x').searchParams.get('next');
    let next = null;
    if (url) {
      const client = tracer.startSpan('plain call', { kind: SpanKind.CLIENT });
      const headers = {};
      propagation.inject(trace.setSpan(context.active(), client), headers);
      next = await (await fetch(url, { headers })).json();
      client.end();
    }
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        plain: true,
        baggage: propagation.getBaggage(parent)?.getEntry('tenant')?.value,
        next,
      }),
    );
    span.end();
  });
});
process.on('SIGTERM', async () => {
  server.close();
  await provider.shutdown();
  process.exit(0);
});
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`),
);
