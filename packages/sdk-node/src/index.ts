/**
 * @vigil/node: one-call instrumentation for Node services. `observe()` is the entry point; the
 * parts are exported too, for apps that want only some of them.
 */

export type { Breaker, BreakerOptions, BreakerState } from './breaker/breaker.ts';
export { BreakerOpenError, BreakerTimeoutError, createBreaker } from './breaker/breaker.ts';
export type { OtelEnv } from './config/env.ts';
export { readOtelEnv } from './config/env.ts';
export { currentRequestId, withRequestId } from './context.ts';
export type { ErrorHandler } from './errors.ts';
export { reportError, setErrorHandler, VigilConfigError, VigilMetricError } from './errors.ts';
export type {
  CheckResult,
  HealthCheck,
  HealthCheckOptions,
  HealthReport,
  HealthStatus,
  ProbeKind,
} from './health/health.ts';
export { Health } from './health/health.ts';
export type { EndpointPaths } from './http/endpoints.ts';
export type { FetchFunction } from './http/fetch.ts';
export type { NodeHandler, NodeHandlerOptions } from './http/node.ts';
export type { FinishedRequest, HttpServerOptions } from './http/server.ts';
export { HTTP_DURATION_BUCKETS } from './http/server.ts';
export type { Logging, LoggingSetup } from './logging/logger.ts';
export {
  correlatedTimestamp,
  correlationFields,
  correlationSuffix,
  createLogging,
  mergeCorrelation,
} from './logging/logger.ts';
export type { RedactOptions } from './logging/redact.ts';
export { DEFAULT_REDACT_KEYS } from './logging/redact.ts';
export type { LogSamplingOptions } from './logging/sampling.ts';
export type { AggregationOptions } from './metrics/collect.ts';
export { exposition, joinAggregation } from './metrics/collect.ts';
export type { CounterOptions } from './metrics/counter.ts';
export { Counter, CounterChild } from './metrics/counter.ts';
export type { Exemplar } from './metrics/exemplar.ts';
export type { GaugeOptions } from './metrics/gauge.ts';
export { Gauge, GaugeChild } from './metrics/gauge.ts';
export { metricsHandler } from './metrics/handler.ts';
export type { HistogramOptions } from './metrics/histogram.ts';
export {
  DEFAULT_BUCKETS,
  exponentialBuckets,
  Histogram,
  HistogramChild,
  linearBuckets,
} from './metrics/histogram.ts';
export type { LabelValues, MetricOptions } from './metrics/metric.ts';
export { encodeMetricsRequest, OtlpMetricsPusher } from './metrics/otlp.ts';
export type { RegistryOptions } from './metrics/registry.ts';
export {
  defaultRegistry,
  negotiateOpenMetrics,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  Registry,
} from './metrics/registry.ts';
export type { Aggregator, FamilySnapshot, MetricType, SeriesSnapshot } from './metrics/snapshot.ts';
export type { SummaryOptions } from './metrics/summary.ts';
export { DEFAULT_QUANTILES, Summary, SummaryChild } from './metrics/summary.ts';
export type {
  LogsOptions,
  MetricsOptions,
  ObserveOptions,
  Observer,
  ObserverHttp,
  ObserverMetrics,
  ShutdownOptions,
  TracesOptions,
} from './observe.ts';
export { observe } from './observe.ts';
export type { RuntimeMetrics, RuntimeMetricsOptions } from './runtime/runtime.ts';
export { startRuntimeMetrics } from './runtime/runtime.ts';
export type { AvailabilitySlo, LatencySlo, SlothSpec } from './slo/slo.ts';
export { Slos } from './slo/slo.ts';
export type { InstrumentationLike } from './tracing/provider.ts';
export type { AdaptiveSamplerOptions, SamplingRule, SamplingRuleMatch } from './tracing/samplers.ts';
export {
  AdaptiveSampler,
  adaptiveSampler,
  parentBasedRatio,
  RuleBasedSampler,
  ruleBasedSampler,
  samplerFromEnv,
} from './tracing/samplers.ts';
export { inSpan, recordError } from './tracing/spans.ts';
export { VERSION } from './version.ts';
