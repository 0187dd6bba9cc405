/**
 * `observe()`: one call that sets up metrics, trace-correlated logs, tracing, HTTP middleware,
 * health endpoints, circuit breakers, runtime metrics and SLOs for a service, configured from
 * code and the standard OTEL_* environment variables, sending to a local Vigil by default.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import os from 'node:os';
import { isMainThread } from 'node:worker_threads';
import type { Span, SpanOptions, Tracer } from '@opentelemetry/api';
import { defaultResource, type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { DestinationStream, Logger, LoggerOptions } from 'pino';
import { type Breaker, type BreakerOptions, createBreaker } from './breaker/breaker.ts';
import { type OtelEnv, readOtelEnv } from './config/env.ts';
import { currentRequestId } from './context.ts';
import { reportError, VigilConfigError } from './errors.ts';
import { Health } from './health/health.ts';
import { type EndpointPaths, Endpoints } from './http/endpoints.ts';
import {
  type ExpressLikeRequest,
  expressErrorRecorder,
  expressMiddleware,
  type NextFunction,
} from './http/express.ts';
import { type FastifyPlugin, fastifyPlugin } from './http/fastify.ts';
import { type FetchFunction, instrumentFetch } from './http/fetch.ts';
import { type NodeHandler, type NodeHandlerOptions, wrapNodeHandler } from './http/node.ts';
import { HttpServerInstrumentation, type HttpServerOptions } from './http/server.ts';
import { createLogging, type Logging } from './logging/logger.ts';
import type { RedactOptions } from './logging/redact.ts';
import type { LogSamplingOptions } from './logging/sampling.ts';
import { mergeSnapshots } from './metrics/aggregate.ts';
import { type AggregationOptions, exposition, joinAggregation } from './metrics/collect.ts';
import type { Counter, CounterOptions } from './metrics/counter.ts';
import type { Gauge, GaugeOptions } from './metrics/gauge.ts';
import { metricsHandler } from './metrics/handler.ts';
import type { Histogram, HistogramOptions } from './metrics/histogram.ts';
import { OtlpMetricsPusher } from './metrics/otlp.ts';
import { defaultRegistry, Registry } from './metrics/registry.ts';
import type { Summary, SummaryOptions } from './metrics/summary.ts';
import { threadCollector } from './metrics/threads.ts';
import { type RuntimeMetrics, type RuntimeMetricsOptions, startRuntimeMetrics } from './runtime/runtime.ts';
import { sharedState } from './shared.ts';
import { Slos } from './slo/slo.ts';
import { type InstrumentationLike, startTracing, type Tracing } from './tracing/provider.ts';
import { samplerFromEnv } from './tracing/samplers.ts';
import { inSpan } from './tracing/spans.ts';
import { VERSION } from './version.ts';

/** Tracing options. */
export interface TracesOptions {
  /** Sampler (default from OTEL_TRACES_SAMPLER, else parent-based always-on). */
  sampler?: Sampler;
  /** `otlp` (default), `console` or `none`; OTEL_TRACES_EXPORTER otherwise. */
  exporter?: 'otlp' | 'console' | 'none';
  /** Full OTLP/HTTP traces URL (default: the endpoint + /v1/traces). */
  endpoint?: string;
  /** Extra span processors. */
  spanProcessors?: SpanProcessor[];
  /** OpenTelemetry instrumentations to enable (from @opentelemetry/instrumentation-* packages). */
  instrumentations?: InstrumentationLike[];
  /** Propagators (default OTEL_PROPAGATORS, else tracecontext and baggage). */
  propagators?: string[];
}

/** Metrics options. */
export interface MetricsOptions {
  /** Registry to use (default: the process-wide one, shared by every copy of this package). */
  registry?: Registry;
  /** Push metrics over OTLP (default true unless OTEL_METRICS_EXPORTER is none or prometheus). */
  otlp?: boolean;
  /** Full OTLP/HTTP metrics URL (default: the endpoint + /v1/metrics). */
  endpoint?: string;
  /** Push interval (default OTEL_METRIC_EXPORT_INTERVAL, else 60 s). */
  exportIntervalMs?: number;
  /** Runtime and process metrics (default true on the main thread); `{ host: true }` adds host metrics. */
  runtime?: boolean | RuntimeMetricsOptions;
  /** Attach trace ids of sampled spans as exemplars (default true). */
  exemplars?: boolean;
  /** How /metrics aggregates worker threads and cluster workers. */
  aggregation?: AggregationOptions;
}

/** Logging options. */
export interface LogsOptions {
  /** pino level (default LOG_LEVEL, else info). */
  level?: string;
  /** Secret redaction (default on with the built-in names); false turns it off. */
  redact?: RedactOptions | false;
  /** Sampling of noisy debug lines (default on: 100 per message per second, then 1 in 100). */
  sampling?: LogSamplingOptions | false;
  /** Also export lines as OTLP log records (default true unless OTEL_LOGS_EXPORTER is none). */
  otlp?: boolean;
  /** Full OTLP/HTTP logs URL (default: the endpoint + /v1/logs). */
  endpoint?: string;
  /** Where lines are written (default stdout, written asynchronously in batches). */
  destination?: DestinationStream;
  /** More pino options. */
  pino?: LoggerOptions;
}

/** Everything `observe()` accepts; all optional. */
export interface ObserveOptions {
  /** service.name (default OTEL_SERVICE_NAME, else the package name, else unknown_service:node). */
  service?: string;
  /** service.version. */
  version?: string;
  /** deployment.environment.name (logged as `env`). */
  environment?: string;
  /** More resource attributes (OTEL_RESOURCE_ATTRIBUTES are read too; these win). */
  resourceAttributes?: Record<string, string | number | boolean>;
  /** OTLP/HTTP base URL (default OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4318, a local Vigil). */
  endpoint?: string;
  /** Headers for every OTLP request (OTEL_EXPORTER_OTLP_HEADERS are added). */
  headers?: Record<string, string>;
  /** Timeout of OTLP requests (default OTEL_EXPORTER_OTLP_TIMEOUT, else 10 s). */
  exportTimeoutMs?: number;
  traces?: TracesOptions | false;
  metrics?: MetricsOptions | false;
  logs?: LogsOptions | false;
  http?: HttpServerOptions & { endpoints?: EndpointPaths | false };
  health?: { cacheMs?: number };
  /** Environment to read OTEL_* from (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Options of `shutdown()`. */
export interface ShutdownOptions {
  /** Time between failing readiness and closing servers, for load balancers to notice (default 0). */
  drainMs?: number;
  /** Longest wait for in-flight requests before connections are cut (default 10 s). */
  timeoutMs?: number;
  /** Longest wait for each signal's final export (default 5 s): an unreachable collector must not hold up exit. */
  flushTimeoutMs?: number;
}

/** The metrics part of an observer. */
export interface ObserverMetrics {
  readonly registry: Registry;
  counter<L extends string = string>(options: CounterOptions<L>): Counter<L>;
  gauge<L extends string = string>(options: GaugeOptions<L>): Gauge<L>;
  histogram<L extends string = string>(options: HistogramOptions<L>): Histogram<L>;
  summary<L extends string = string>(options: SummaryOptions<L>): Summary<L>;
  /** A node:http/Express handler for /metrics (aggregated over threads and cluster workers). */
  handler(): ReturnType<typeof metricsHandler>;
  /** The exposition text (Prometheus text, or OpenMetrics). */
  exposition(openMetrics?: boolean): Promise<string>;
  /** Pushes metrics over OTLP now. */
  push(): Promise<void>;
}

/** The HTTP part of an observer. */
export interface ObserverHttp {
  /** Express middleware (before the routes). */
  express(): (req: ExpressLikeRequest, res: import('node:http').ServerResponse, next: NextFunction) => void;
  /** Express error recorder (after the routes). */
  expressErrors(): ReturnType<typeof expressErrorRecorder>;
  /** Fastify plugin: `await app.register(obs.http.fastify)`. */
  readonly fastify: FastifyPlugin;
  /** Wraps a node:http request handler. */
  node(handler: NodeHandler, options?: NodeHandlerOptions): ReturnType<typeof wrapNodeHandler>;
  /** Instrumented global fetch. */
  readonly fetch: FetchFunction;
  /** Instruments another fetch (e.g. undici's). */
  instrumentFetch(fetchImpl: FetchFunction): FetchFunction;
}

/** What `observe()` returns. */
export interface Observer {
  readonly service: string;
  readonly resource: Resource;
  readonly log: Logger;
  readonly tracer: Tracer;
  readonly metrics: ObserverMetrics;
  readonly http: ObserverHttp;
  readonly health: Health;
  readonly slo: Slos;
  /** Runs `fn` in a span that records exceptions; returns what `fn` returns. */
  span<T>(name: string, fn: (span: Span) => T, options?: SpanOptions): T;
  /** Guards `fn` with a circuit breaker that reports metrics, logs and span events. */
  breaker<A extends unknown[], R>(
    name: string,
    fn: (...args: A) => R | Promise<R>,
    options?: BreakerOptions<A, R>,
  ): Breaker<A, R>;
  /** The request id of the request being handled, if any. */
  requestId(): string | undefined;
  /** Lets shutdown() close this server gracefully. */
  trackServer(server: Server): void;
  /** Shuts down on SIGTERM/SIGINT, then exits. */
  handleSignals(signals?: NodeJS.Signals[]): void;
  /** Fails readiness, drains tracked servers, flushes every signal. Safe to call twice. */
  shutdown(options?: ShutdownOptions): Promise<void>;
}

function packageName(): string | undefined {
  return process.env.npm_package_name || undefined;
}

function resolveExporter(
  value: string | undefined,
  variable: string,
  allowed: readonly string[],
): string | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value)) {
    throw new VigilConfigError(
      `${variable}=${JSON.stringify(value)} is not supported; use one of ${allowed.join(', ')}`,
    );
  }
  return value;
}

/** Builds the resource: defaults < OTEL_RESOURCE_ATTRIBUTES/OTEL_SERVICE_NAME < options. */
function buildResource(options: ObserveOptions, env: OtelEnv): { resource: Resource; service: string } {
  const attrs: Record<string, string | number | boolean> = {
    'service.instance.id': randomUUID(),
    'host.name': os.hostname(),
    'process.pid': process.pid,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    ...env.resourceAttributes,
  };
  if (env.serviceName) attrs['service.name'] = env.serviceName;
  Object.assign(attrs, options.resourceAttributes);
  if (options.service) attrs['service.name'] = options.service;
  if (options.version) attrs['service.version'] = options.version;
  if (options.environment) attrs['deployment.environment.name'] = options.environment;
  if (attrs['service.name'] === undefined) attrs['service.name'] = packageName() ?? 'unknown_service:node';
  const resource = defaultResource().merge(resourceFromAttributes(attrs));
  return { resource, service: String(attrs['service.name']) };
}

/**
 * Sets up observability for this service. Call it once, early; later calls return the same
 * observer until it is shut down.
 */
export function observe(options: ObserveOptions = {}): Observer {
  const shared = sharedState();
  if (shared.observer !== undefined) return shared.observer as Observer;
  const observer = createObserver(options);
  shared.observer = observer;
  return observer;
}

function createObserver(options: ObserveOptions): Observer {
  const env = readOtelEnv(options.env ?? process.env);
  if (env.protocol && env.protocol !== 'http/protobuf') {
    reportError(
      new VigilConfigError(
        `OTEL_EXPORTER_OTLP_PROTOCOL=${env.protocol} is not supported by @vigil/node; sending http/protobuf`,
      ),
    );
  }
  const { resource, service } = buildResource(options, env);
  const resourceAttributes = resource.attributes as Record<string, string | number | boolean>;
  const base = (options.endpoint ?? env.endpoint ?? 'http://localhost:4318').replace(/\/+$/, '');
  const timeoutMs = options.exportTimeoutMs ?? env.timeoutMs ?? 10_000;
  const headers = (signal: 'traces' | 'metrics' | 'logs') => ({
    ...env.headers,
    ...env.signalHeaders[signal],
    ...options.headers,
  });
  const url = (signal: 'traces' | 'metrics' | 'logs', explicit: string | undefined) =>
    explicit ?? env.signalEndpoints[signal] ?? `${base}/v1/${signal}`;

  // Every setting is checked before anything starts, so a mistake leaves nothing half set up.
  const metricsExporter = resolveExporter(env.metricsExporter, 'OTEL_METRICS_EXPORTER', [
    'otlp',
    'prometheus',
    'none',
    'console',
  ]);
  const logsExporter = resolveExporter(env.logsExporter, 'OTEL_LOGS_EXPORTER', ['otlp', 'console', 'none']);

  // Tracing (even with traces: false, the context and propagation are set up so that logs,
  // exemplars and request ids still follow requests; only spans are not sampled or sent).
  const traceOptions = options.traces === false ? undefined : (options.traces ?? {});
  const tracesExporter =
    env.sdkDisabled || options.traces === false
      ? 'none'
      : (traceOptions?.exporter ??
        resolveExporter(env.tracesExporter, 'OTEL_TRACES_EXPORTER', ['otlp', 'console', 'none']) ??
        'otlp');
  const sampler =
    env.sdkDisabled || options.traces === false
      ? samplerFromEnv('always_off', undefined)
      : (traceOptions?.sampler ?? samplerFromEnv(env.tracesSampler, env.tracesSamplerArg));
  const tracing: Tracing = startTracing({
    exporter: tracesExporter as 'otlp' | 'console' | 'none',
    url: url('traces', traceOptions?.endpoint),
    headers: headers('traces'),
    timeoutMs,
    sampler,
    resource,
    propagators: traceOptions?.propagators ?? env.propagators ?? ['tracecontext', 'baggage'],
    spanProcessors: traceOptions?.spanProcessors ?? [],
    instrumentations: traceOptions?.instrumentations ?? [],
    tracerName: '@vigil/node',
    tracerVersion: VERSION,
  });

  // Metrics.
  const metricOptions = options.metrics === false ? undefined : (options.metrics ?? {});
  const registry = metricOptions?.registry ?? defaultRegistry();
  sharedState().exemplars = metricOptions?.exemplars ?? true;
  const aggregation = metricOptions?.aggregation ?? {};
  joinAggregation(registry, aggregation);
  const pushMetrics =
    metricOptions !== undefined &&
    !env.sdkDisabled &&
    (metricOptions.otlp ?? (metricsExporter === undefined || metricsExporter === 'otlp'));
  const pusher = pushMetrics
    ? new OtlpMetricsPusher({
        url: url('metrics', metricOptions?.endpoint),
        headers: headers('metrics'),
        intervalMs: metricOptions?.exportIntervalMs ?? env.metricExportIntervalMs ?? 60_000,
        timeoutMs: env.metricExportTimeoutMs ?? timeoutMs,
        source: { resource: resourceAttributes, scopeName: '@vigil/node', scopeVersion: VERSION },
        gather: async () => {
          // This process's metrics with its worker threads' merged in (cluster workers push their own).
          const own = { id: 'self', families: await registry.snapshot() };
          const threads = isMainThread ? await threadCollector()!.collect(aggregation.timeoutMs ?? 1000) : [];
          if (threads.length === 0) return own.families;
          return Registry.fromSnapshots(mergeSnapshots([own, ...threads]))
            .all()
            .map((m) => m.snapshot());
        },
      })
    : undefined;
  pusher?.start();
  const runtimeOption = metricOptions?.runtime ?? isMainThread;
  const runtime: RuntimeMetrics | undefined =
    metricOptions !== undefined && runtimeOption !== false
      ? startRuntimeMetrics(registry, typeof runtimeOption === 'object' ? runtimeOption : {})
      : undefined;
  if (metricOptions !== undefined) {
    registry
      .gauge({
        name: 'target_info',
        help: 'Resource attributes of this service (OpenTelemetry target info).',
        labelNames: ['service_name', 'service_version', 'deployment_environment_name'],
        aggregate: 'max',
      })
      .set(
        {
          service_name: service,
          service_version: String(resourceAttributes['service.version'] ?? ''),
          deployment_environment_name: String(resourceAttributes['deployment.environment.name'] ?? ''),
        },
        1,
      );
  }

  // Logging.
  const logOptions = options.logs === false ? undefined : (options.logs ?? {});
  const exportLogs =
    logOptions !== undefined &&
    !env.sdkDisabled &&
    (logOptions.otlp ?? (logsExporter === undefined || logsExporter === 'otlp'));
  const logBase: Record<string, string | number> = { service };
  if (options.version) logBase.version = options.version;
  if (options.environment) logBase.env = options.environment;
  logBase.pid = process.pid;
  logBase.hostname = os.hostname();
  const logging: Logging = createLogging({
    level: logOptions ? (logOptions.level ?? (options.env ?? process.env).LOG_LEVEL ?? 'info') : 'silent',
    base: logBase,
    redact: logOptions?.redact ?? {},
    sampling: logOptions?.sampling ?? {},
    destination: logOptions?.destination,
    pino: logOptions?.pino,
    otlp: exportLogs
      ? {
          url: url('logs', logOptions?.endpoint),
          headers: headers('logs'),
          timeoutMs,
          resource: resourceAttributes,
          scopeName: '@vigil/node',
          scopeVersion: VERSION,
        }
      : undefined,
  });
  const log = logging.logger;

  // Health, SLOs, HTTP.
  const health = new Health({
    service,
    version: options.version,
    cacheMs: options.health?.cacheMs,
    registry,
  });
  health.markStarted();
  const slo = new Slos(registry, service);
  const httpServer = new HttpServerInstrumentation(tracing.tracer, log, registry, options.http);
  httpServer.onRequest((r) => slo.observe(r));
  const handleMetrics = metricsHandler(registry, aggregation);
  const endpoints = new Endpoints(options.http?.endpoints ?? {}, {
    metrics: handleMetrics,
    live: health.handler('liveness'),
    ready: health.handler('readiness'),
    startup: health.handler('startup'),
  });
  const fetchImpl = (impl: FetchFunction) =>
    instrumentFetch(tracing.tracer, registry, impl, { requestIdHeader: options.http?.requestIdHeader });
  let instrumentedFetch: FetchFunction | undefined;

  const servers = new Set<Server>();
  let shuttingDown: Promise<void> | undefined;

  const shutdown = (opts: ShutdownOptions = {}): Promise<void> => {
    shuttingDown ??= (async () => {
      health.startDraining();
      if (opts.drainMs) await new Promise((r) => setTimeout(r, opts.drainMs));
      await Promise.all([...servers].map((s) => closeServer(s, opts.timeoutMs ?? 10_000)));
      runtime?.stop();
      const flushTimeoutMs = opts.flushTimeoutMs ?? 5000;
      const bounded = (what: string, p: Promise<void>) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            reportError(new Error(`${what} did not finish within ${flushTimeoutMs} ms`), 'shutdown');
            resolve();
          }, flushTimeoutMs);
          timer.unref();
        });
        return Promise.race([p, late]).finally(() => clearTimeout(timer));
      };
      await Promise.all([
        bounded('the final metrics push', pusher?.shutdown() ?? Promise.resolve()),
        bounded('flushing spans', tracing.shutdown()),
        logging.shutdown(flushTimeoutMs),
      ]);
      const shared = sharedState();
      if (shared.observer === observer) shared.observer = undefined;
    })().catch((err) => reportError(err, 'shutting down @vigil/node'));
    return shuttingDown;
  };

  const observer: Observer = {
    service,
    resource,
    log,
    tracer: tracing.tracer,
    metrics: {
      registry,
      counter: (o) => registry.counter(o),
      gauge: (o) => registry.gauge(o),
      histogram: (o) => registry.histogram(o),
      summary: (o) => registry.summary(o),
      handler: () => handleMetrics,
      exposition: (openMetrics = false) => exposition(registry, openMetrics, aggregation),
      push: async () => {
        await pusher?.flush();
      },
    },
    http: {
      express: () => expressMiddleware(httpServer, endpoints),
      expressErrors: () => expressErrorRecorder(),
      fastify: fastifyPlugin(httpServer, endpoints),
      node: (handler, opts) => wrapNodeHandler(httpServer, handler, opts, endpoints),
      get fetch() {
        instrumentedFetch ??= fetchImpl(globalThis.fetch);
        return instrumentedFetch;
      },
      instrumentFetch: fetchImpl,
    },
    health,
    slo,
    span: (name, fn, spanOptions) => inSpan(tracing.tracer, name, fn, spanOptions),
    breaker: (name, fn, breakerOptions) => createBreaker(name, fn, breakerOptions, { registry, log }),
    requestId: () => currentRequestId(),
    trackServer: (server) => {
      servers.add(server);
    },
    handleSignals: (signals = ['SIGTERM', 'SIGINT']) => {
      for (const signal of signals) {
        process.once(signal, () => {
          log.info({ signal }, 'shutting down');
          shutdown().finally(() => process.exit(0));
        });
      }
    },
    shutdown,
  };
  return observer;
}

/** Stops accepting connections, lets in-flight requests finish, then cuts what is left. */
function closeServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      server.closeAllConnections();
    }, timeoutMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
