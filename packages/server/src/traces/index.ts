import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerTempoApi, type TempoBackend } from '../api/tempo/routes.ts';
import type { TracesConfig } from '../config/traces.ts';
import type { Stoppable } from '../ingest/deps.ts';
import type { MetricsSink } from '../ingest/metrics-sink.ts';
import { registerZipkin } from '../ingest/zipkin/index.ts';
import type { SeriesExemplars } from '../model/exemplar.ts';
import type { Span } from '../model/span.ts';
import type { SelfMetrics } from '../self/metrics.ts';
import { VIGIL_VERSION } from '../self/version.ts';
import { DuckDBSpanStore } from '../storage/traces/duckdb/span-store.ts';
import type { SpanLimits, SpanSink, SpanStore } from '../storage/traces/interface.ts';
import { searchTraces } from './search.ts';
import { ServiceGraph } from './service-graph/service-graph.ts';
import { SpanMetrics } from './span-metrics/span-metrics.ts';
import { TailSampler } from './tail-sampling/sampler.ts';

/** What main.ts gives the traces signal. */
export interface TracesDeps {
  /** The traces' own directory (`<data-dir>/traces`). */
  readonly dataDir: string;
  readonly config: TracesConfig;
  readonly logger: Logger;
  readonly self: SelfMetrics;
  /** Span metrics and the service graph are written here (protocol 'span_metrics'). */
  readonly metrics: MetricsSink;
  readonly maxBodyBytes: number;
  readonly now: () => number;
}

/** The running traces signal: span store, span metrics, tail sampling, Tempo API. */
export interface TracesModule extends Stoppable {
  /** Where OTLP (and Zipkin) ingest hands spans; undefined while traces are not built. */
  readonly spans: SpanSink | undefined;
  /** Registers the Tempo-compatible API and Zipkin's /api/v2/spans on an HTTP server. */
  registerApi(app: FastifyInstance): void;
  /** The span store (for tests and admin tools; ingest goes through `spans`). */
  readonly store: SpanStore;
  /** Writes the current span-metrics and service-graph series to the metrics store now. */
  flushMetrics(): Promise<void>;
}

const VERSION = VIGIL_VERSION;

/** How often unpaired service-graph edges are checked for expiry (Tempo: every 2 s). */
const EDGE_EXPIRY_INTERVAL_MS = 2_000;

/**
 * Opens span storage and starts the traces pipeline:
 *
 *   ingest → span metrics + service graph (every span, before sampling)
 *          → tail sampling (when policies are configured) → span store
 */
export async function startTraces(deps: TracesDeps): Promise<TracesModule> {
  const { config, logger } = deps;
  const log = logger.child({ component: 'traces' });
  const limits: SpanLimits = {
    maxAttributes: config.limits.max_attributes,
    maxKeyBytes: config.limits.max_attribute_key_bytes,
    maxValueBytes: config.limits.max_attribute_value_bytes,
    maxFutureSkewMs: config.limits.max_future_skew,
  };
  const store = await DuckDBSpanStore.open({
    dataDir: deps.dataDir,
    logger: log,
    self: deps.self,
    now: deps.now,
    limits,
    retentionMs: config.retention,
    retentionBytes: config.retention_size,
    maxHeadSpans: config.storage.max_head_spans,
    maxHeadBytes: config.storage.max_head_bytes,
    maxHeadAgeMs: config.storage.max_head_age,
    traceIdleMs: config.storage.trace_idle,
  });

  const spanMetrics = config.span_metrics.enabled ? new SpanMetrics(config.span_metrics) : undefined;
  const expiredEdges = deps.self.counter(
    'vigil_traces_service_graph_expired_edges_total',
    'Service-graph edges that expired without their other half, by the span kind that was seen.',
    ['unmatched_span_kind'],
  );
  const droppedEdgeSpans = deps.self.counter(
    'vigil_traces_service_graph_dropped_spans_total',
    'Spans left out of the service graph because service_graph.max_items edges were waiting.',
  );
  const graph = config.service_graph.enabled
    ? new ServiceGraph(config.service_graph, {
        expired: (kind) => expiredEdges.labels(kind).inc(),
        dropped: () => droppedEdgeSpans.inc(),
      })
    : undefined;
  const droppedMetricSpans = deps.self.counter(
    'vigil_traces_span_metrics_dropped_spans_total',
    'Spans not counted in span metrics because span_metrics.max_series label sets exist.',
  );
  const sampler =
    config.tail_sampling.policies.length > 0
      ? new TailSampler({
          config: config.tail_sampling,
          store: (spans) => store.append(spans),
          logger: log,
          self: deps.self,
          now: deps.now,
        })
      : undefined;
  sampler?.start();

  const pipeline: SpanSink = {
    limits,
    async append(spans: readonly Span[]) {
      const now = deps.now();
      if (sampler) {
        // Metrics first: they count every span, whatever sampling keeps.
        observe(spans, now);
        await sampler.add(spans);
      } else {
        // Stored first, so a failed append (which the sender retries) is not counted twice.
        await store.append(spans);
        observe(spans, now);
      }
    },
  };
  function observe(spans: readonly Span[], now: number): void {
    spanMetrics?.observe(spans, now);
    graph?.observe(spans, now);
  }

  let lastDropped = 0;
  const flushMetrics = async () => {
    const now = deps.now();
    graph?.expire(now);
    const exemplars: SeriesExemplars[] = [];
    const samples = [
      ...(spanMetrics?.collect(now, exemplars) ?? []),
      ...(graph?.collect(now, exemplars) ?? []),
    ];
    if (spanMetrics) {
      droppedMetricSpans.inc(spanMetrics.droppedSpans - lastDropped);
      lastDropped = spanMetrics.droppedSpans;
    }
    if (samples.length === 0) return;
    const result = await deps.metrics.append('span_metrics', samples);
    if (result.rejected.length > 0)
      log.debug({ rejected: result.rejected }, 'some span-metric samples were refused');
    // After the samples, so the exemplars' series exist; they link latency buckets to traces.
    if (exemplars.length > 0) {
      const ex = await deps.metrics.appendExemplars('span_metrics', exemplars);
      if (ex.rejected.length > 0)
        log.debug({ rejected: ex.rejected }, 'some span-metric exemplars were refused');
    }
  };
  const timers: NodeJS.Timeout[] = [];
  const flushEvery = Math.min(
    config.span_metrics.enabled ? config.span_metrics.flush_interval : Number.POSITIVE_INFINITY,
    config.service_graph.enabled ? config.service_graph.flush_interval : Number.POSITIVE_INFINITY,
  );
  if (Number.isFinite(flushEvery)) {
    timers.push(
      setInterval(
        () => void flushMetrics().catch((err) => log.error({ err }, 'writing span metrics failed')),
        flushEvery,
      ),
    );
  }
  if (graph) timers.push(setInterval(() => graph.expire(deps.now()), EDGE_EXPIRY_INTERVAL_MS));
  for (const t of timers) t.unref();

  const backend: TempoBackend = {
    trace: (id, range) => store.trace(id, range),
    search: (req) =>
      searchTraces(store, {
        query: req.query,
        startNs: req.startNs,
        endNs: req.endNs,
        limit: req.limit,
        timeoutMs: config.search.timeout,
        signal: req.signal,
      }),
    tagNames: (range) => store.tagNames(range),
    tagValues: (scope, key, range, limit) => store.tagValues(scope, key, range, limit),
    defaults: {
      limit: config.search.default_limit,
      maxLimit: config.search.max_limit,
      spansPerSpanSet: config.search.default_spans_per_spanset,
      windowMs: config.search.default_window,
    },
    version: VERSION,
    now: deps.now,
  };

  let stopping: Promise<void> | undefined;
  return {
    spans: pipeline,
    store,
    flushMetrics,
    registerApi(app) {
      registerTempoApi(app, backend);
      registerZipkin(app, {
        sink: pipeline,
        logger,
        self: deps.self,
        now: deps.now,
        maxBodyBytes: deps.maxBodyBytes,
      });
    },
    stop() {
      stopping ??= (async () => {
        for (const t of timers) clearInterval(t);
        await sampler?.stop();
        await flushMetrics().catch((err) => log.error({ err }, 'writing span metrics failed'));
        await store.close();
      })();
      return stopping;
    },
  };
}
