/**
 * Dashboards that ship with Vigil. A file with the same id in the dashboards folder replaces
 * one (saving a built-in from the UI writes such a file).
 */
import type { z } from 'zod';
import type { dashboardSchema } from './dashboards-model.ts';

type DashboardInput = z.input<typeof dashboardSchema>;

const sel = 'service="$service"';
/** SDK metrics arrive over OTLP with job = service.name (or namespace/name), as in Prometheus. */
const job = 'job=~"$service|.+/$service"';

/**
 * "Service overview": RED metrics from span metrics (Tempo's metrics-generator names, which
 * Vigil's traces pipeline writes) and the Node SDK's runtime metrics, with a service variable.
 */
const serviceOverview: DashboardInput = {
  title: 'Service overview',
  description: 'Rate, errors and duration from span metrics, plus the runtime metrics of the service.',
  tags: ['built-in', 'services'],
  time: { from: 'now-1h', to: 'now' },
  refresh: '30s',
  variables: [
    { name: 'service', label: 'Service', query: 'label_values(traces_spanmetrics_calls_total, service)' },
  ],
  panels: [
    {
      title: 'Requests',
      type: 'stat',
      width: 6,
      height: 4,
      unit: 'reqps',
      queries: [
        {
          expr: `sum(rate(traces_spanmetrics_calls_total{${sel}, span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER"}[$__rate_interval]))`,
        },
      ],
    },
    {
      title: 'Error rate',
      type: 'stat',
      width: 6,
      height: 4,
      unit: 'percentunit',
      thresholds: [
        { value: 0, color: 'ok' },
        { value: 0.01, color: 'warn' },
        { value: 0.05, color: 'err' },
      ],
      queries: [
        {
          // "or vector(0)": no failed call yet is a 0% error rate, not "no data".
          expr: `(sum(rate(traces_spanmetrics_calls_total{${sel}, span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER", status_code="STATUS_CODE_ERROR"}[$__rate_interval])) or vector(0)) / sum(rate(traces_spanmetrics_calls_total{${sel}, span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER"}[$__rate_interval]))`,
        },
      ],
    },
    {
      title: 'p95 latency',
      type: 'stat',
      width: 6,
      height: 4,
      unit: 's',
      queries: [
        {
          expr: `histogram_quantile(0.95, sum by (le) (rate(traces_spanmetrics_latency_bucket{${sel}, span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER"}[$__rate_interval])))`,
        },
      ],
    },
    {
      title: 'Event loop p99',
      type: 'stat',
      width: 6,
      height: 4,
      unit: 's',
      thresholds: [
        { value: 0, color: 'ok' },
        { value: 0.05, color: 'warn' },
        { value: 0.2, color: 'err' },
      ],
      queries: [{ expr: `max(nodejs_eventloop_lag_p99_seconds{${job}})` }],
    },
    {
      title: 'Requests by operation',
      type: 'timeseries',
      width: 12,
      height: 9,
      unit: 'reqps',
      queries: [
        {
          expr: `sum by (span_name) (rate(traces_spanmetrics_calls_total{${sel}, span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER"}[$__rate_interval]))`,
          legend: '{{span_name}}',
        },
      ],
    },
    {
      title: 'Errors by operation',
      type: 'timeseries',
      width: 12,
      height: 9,
      unit: 'reqps',
      stacked: true,
      queries: [
        {
          expr: `sum by (span_name) (rate(traces_spanmetrics_calls_total{${sel}, status_code="STATUS_CODE_ERROR"}[$__rate_interval]))`,
          legend: '{{span_name}}',
        },
      ],
    },
    {
      title: 'Latency percentiles',
      type: 'timeseries',
      width: 12,
      height: 9,
      unit: 's',
      queries: [
        {
          expr: `histogram_quantile(0.5, sum by (le) (rate(traces_spanmetrics_latency_bucket{${sel}, span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER"}[$__rate_interval])))`,
          legend: 'p50',
        },
        {
          expr: `histogram_quantile(0.95, sum by (le) (rate(traces_spanmetrics_latency_bucket{${sel}, span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER"}[$__rate_interval])))`,
          legend: 'p95',
        },
        {
          expr: `histogram_quantile(0.99, sum by (le) (rate(traces_spanmetrics_latency_bucket{${sel}, span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER"}[$__rate_interval])))`,
          legend: 'p99',
        },
      ],
    },
    {
      title: 'Latency distribution',
      type: 'heatmap',
      width: 12,
      height: 9,
      unit: 's',
      queries: [
        {
          expr: `sum by (le) (rate(traces_spanmetrics_latency_bucket{${sel}, span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER"}[$__rate_interval]))`,
        },
      ],
    },
    {
      title: 'Memory',
      type: 'timeseries',
      width: 8,
      height: 8,
      unit: 'bytes',
      queries: [
        { expr: `sum(process_resident_memory_bytes{${job}})`, legend: 'resident' },
        { expr: `sum(nodejs_heap_size_used_bytes{${job}})`, legend: 'heap used' },
      ],
    },
    {
      title: 'CPU',
      type: 'timeseries',
      width: 8,
      height: 8,
      unit: 'percentunit',
      queries: [{ expr: `sum(rate(process_cpu_seconds_total{${job}}[$__rate_interval]))`, legend: 'cpu' }],
    },
    {
      title: 'Event loop delay',
      type: 'timeseries',
      width: 8,
      height: 8,
      unit: 's',
      queries: [
        { expr: `max(nodejs_eventloop_lag_p50_seconds{${job}})`, legend: 'p50' },
        { expr: `max(nodejs_eventloop_lag_p99_seconds{${job}})`, legend: 'p99' },
      ],
    },
    {
      title: 'Recent traces',
      type: 'traces',
      width: 12,
      height: 9,
      query: '{ resource.service.name = "$service" }',
      limit: 20,
    },
    {
      title: 'Logs',
      type: 'logs',
      width: 12,
      height: 9,
      query: '{service_name="$service"}',
      limit: 100,
    },
  ],
};

/** Built-in dashboards by id. */
export const BUILTIN_DASHBOARDS: Readonly<Record<string, DashboardInput>> = {
  'service-overview': serviceOverview,
};
