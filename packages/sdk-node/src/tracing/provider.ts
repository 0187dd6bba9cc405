/**
 * The OpenTelemetry Node tracing SDK, set up the way most services want it: AsyncLocalStorage
 * context, W3C trace context and baggage propagation, batched OTLP/HTTP protobuf export.
 *
 * If the app (or an auto-instrumentation loader) already registered an OpenTelemetry SDK, this
 * does not fight it: the existing global tracer provider, context manager and propagator stay,
 * and @vigil/node's spans go through them.
 */
import { context, propagation, type Tracer, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  type Sampler,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { reportError, VigilConfigError } from '../errors.ts';

/**
 * An OpenTelemetry instrumentation (from an `@opentelemetry/instrumentation-*` package); only
 * the methods this SDK calls are named.
 */
export interface InstrumentationLike {
  instrumentationName?: string;
  setTracerProvider(provider: unknown): void;
  enable(): void;
  disable(): void;
}

/** How to trace. */
export interface TracingSetup {
  exporter: 'otlp' | 'console' | 'none';
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  sampler: Sampler;
  resource: Resource;
  /** Propagators by OTEL_PROPAGATORS name; default tracecontext and baggage. */
  propagators: readonly string[];
  /** More span processors (e.g. an in-memory exporter in tests). */
  spanProcessors: readonly SpanProcessor[];
  instrumentations: readonly InstrumentationLike[];
  tracerName: string;
  tracerVersion: string;
}

/** Tracing as set up; `shutdown()` flushes and unregisters what this set up. */
export interface Tracing {
  readonly tracer: Tracer;
  /** Our provider, if it is the global one (undefined when another SDK was already registered). */
  readonly provider: NodeTracerProvider | undefined;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

function buildPropagator(names: readonly string[]) {
  const list = names.filter((n) => n !== 'none');
  const propagators = [];
  for (const n of list) {
    if (n === 'tracecontext') propagators.push(new W3CTraceContextPropagator());
    else if (n === 'baggage') propagators.push(new W3CBaggagePropagator());
    else {
      reportError(
        new VigilConfigError(
          `OTEL_PROPAGATORS: ${JSON.stringify(n)} is not built in (tracecontext and baggage are); register it yourself with propagation.setGlobalPropagator`,
        ),
      );
    }
  }
  return new CompositePropagator({ propagators });
}

/** Sets up tracing; see the module comment for what happens when an SDK is already registered. */
export function startTracing(setup: TracingSetup): Tracing {
  const processors: SpanProcessor[] = [...setup.spanProcessors];
  if (setup.exporter === 'otlp') {
    const exporter = new OTLPTraceExporter({
      url: setup.url,
      headers: setup.headers,
      timeoutMillis: setup.timeoutMs,
    });
    processors.push(new BatchSpanProcessor(exporter));
  } else if (setup.exporter === 'console') {
    processors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  }
  const provider = new NodeTracerProvider({
    resource: setup.resource,
    sampler: setup.sampler,
    spanProcessors: processors,
  });

  const contextManager = new AsyncLocalStorageContextManager();
  contextManager.enable();
  const ownsContext = context.setGlobalContextManager(contextManager);
  if (!ownsContext) contextManager.disable();
  const ownsPropagation = propagation.setGlobalPropagator(buildPropagator(setup.propagators));
  const ownsProvider = trace.setGlobalTracerProvider(provider);
  if (!ownsProvider) {
    // Someone else's SDK is in charge; ours would only export duplicates.
    void provider.shutdown().catch(() => {});
  }
  const active = ownsProvider ? provider : undefined;
  for (const inst of setup.instrumentations) {
    try {
      inst.setTracerProvider(trace.getTracerProvider());
      inst.enable();
    } catch (err) {
      reportError(err, `enabling instrumentation ${inst.instrumentationName ?? '(unnamed)'}`);
    }
  }
  const tracer = trace.getTracer(setup.tracerName, setup.tracerVersion);
  return {
    tracer,
    provider: active,
    forceFlush: async () => {
      await active?.forceFlush();
    },
    shutdown: async () => {
      for (const inst of setup.instrumentations) {
        try {
          inst.disable();
        } catch (err) {
          reportError(err, 'disabling instrumentation');
        }
      }
      if (active) {
        await active.shutdown().catch((err) => reportError(err, 'shutting down tracing'));
        trace.disable();
      }
      if (ownsPropagation) propagation.disable();
      if (ownsContext) context.disable();
    },
  };
}
