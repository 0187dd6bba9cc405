/**
 * Test helper: an observer with nothing sent anywhere (spans to memory, log lines to an array,
 * no OTLP), so tests can look at everything it produced.
 */
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Registry } from '../metrics/registry.ts';
import { type ObserveOptions, type Observer, observe } from '../observe.ts';

export interface TestObserver {
  obs: Observer;
  spans: InMemorySpanExporter;
  lines: Record<string, unknown>[];
  registry: Registry;
}

/** observe() for tests; shut it down in t.after. */
export function testObserver(options: ObserveOptions = {}): TestObserver {
  const spans = new InMemorySpanExporter();
  const lines: Record<string, unknown>[] = [];
  const registry = new Registry();
  const obs = observe({
    service: 'checkout',
    version: '1.4.2',
    environment: 'test',
    env: {},
    ...options,
    traces: { exporter: 'none', spanProcessors: [new SimpleSpanProcessor(spans)], ...options.traces },
    metrics: { registry, otlp: false, runtime: false, ...options.metrics },
    logs: {
      otlp: false,
      destination: { write: (s: string) => void lines.push(JSON.parse(s)) },
      ...options.logs,
    },
  });
  return { obs, spans, lines, registry };
}
