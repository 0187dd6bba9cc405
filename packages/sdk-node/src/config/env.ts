/**
 * The standard OpenTelemetry environment variables
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/), read once
 * into plain values. Malformed values throw VigilConfigError naming the variable, since they are
 * found at startup.
 */
import { VigilConfigError } from '../errors.ts';

/** The variables this SDK understands, parsed. Unset variables are undefined. */
export interface OtelEnv {
  sdkDisabled: boolean;
  serviceName?: string;
  resourceAttributes: Record<string, string>;
  endpoint?: string;
  signalEndpoints: { traces?: string; metrics?: string; logs?: string };
  headers: Record<string, string>;
  signalHeaders: {
    traces: Record<string, string>;
    metrics: Record<string, string>;
    logs: Record<string, string>;
  };
  timeoutMs?: number;
  protocol?: string;
  tracesSampler?: string;
  tracesSamplerArg?: string;
  tracesExporter?: string;
  metricsExporter?: string;
  logsExporter?: string;
  metricExportIntervalMs?: number;
  metricExportTimeoutMs?: number;
  propagators?: string[];
}

type Env = Readonly<Record<string, string | undefined>>;

function str(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function num(env: Env, name: string): number | undefined {
  const v = str(env, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    throw new VigilConfigError(`${name}=${JSON.stringify(v)} is not a non-negative number`);
  }
  return n;
}

/**
 * Parses `key=value,key2=value2` (OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS), with
 * percent-encoded values as the W3C Baggage format the spec refers to.
 */
export function parseKeyValueList(name: string, text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) {
      throw new VigilConfigError(
        `${name}: ${JSON.stringify(part.trim())} is not key=value (list items are separated by commas)`,
      );
    }
    const key = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      throw new VigilConfigError(
        `${name}: the value of ${key} has a broken percent-encoding: ${JSON.stringify(value)}`,
      );
    }
    out[key] = value;
  }
  return out;
}

/** Reads the OTEL_* variables from `env` (default process.env). */
export function readOtelEnv(env: Env = process.env): OtelEnv {
  const list = (name: string) =>
    str(env, name)
      ?.split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);
  return {
    sdkDisabled: str(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true',
    serviceName: str(env, 'OTEL_SERVICE_NAME'),
    resourceAttributes: parseKeyValueList('OTEL_RESOURCE_ATTRIBUTES', str(env, 'OTEL_RESOURCE_ATTRIBUTES')),
    endpoint: str(env, 'OTEL_EXPORTER_OTLP_ENDPOINT'),
    signalEndpoints: {
      traces: str(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'),
      metrics: str(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'),
      logs: str(env, 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT'),
    },
    headers: parseKeyValueList('OTEL_EXPORTER_OTLP_HEADERS', str(env, 'OTEL_EXPORTER_OTLP_HEADERS')),
    signalHeaders: {
      traces: parseKeyValueList(
        'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
        str(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'),
      ),
      metrics: parseKeyValueList(
        'OTEL_EXPORTER_OTLP_METRICS_HEADERS',
        str(env, 'OTEL_EXPORTER_OTLP_METRICS_HEADERS'),
      ),
      logs: parseKeyValueList('OTEL_EXPORTER_OTLP_LOGS_HEADERS', str(env, 'OTEL_EXPORTER_OTLP_LOGS_HEADERS')),
    },
    timeoutMs: num(env, 'OTEL_EXPORTER_OTLP_TIMEOUT'),
    protocol: str(env, 'OTEL_EXPORTER_OTLP_PROTOCOL'),
    tracesSampler: str(env, 'OTEL_TRACES_SAMPLER')?.toLowerCase(),
    tracesSamplerArg: str(env, 'OTEL_TRACES_SAMPLER_ARG'),
    tracesExporter: list('OTEL_TRACES_EXPORTER')?.[0],
    metricsExporter: list('OTEL_METRICS_EXPORTER')?.[0],
    logsExporter: list('OTEL_LOGS_EXPORTER')?.[0],
    metricExportIntervalMs: num(env, 'OTEL_METRIC_EXPORT_INTERVAL'),
    metricExportTimeoutMs: num(env, 'OTEL_METRIC_EXPORT_TIMEOUT'),
    propagators: list('OTEL_PROPAGATORS'),
  };
}
