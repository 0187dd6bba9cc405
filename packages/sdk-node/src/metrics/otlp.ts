/**
 * Metrics as OTLP: the encoding of ExportMetricsServiceRequest (protobuf) and a pusher that sends
 * the registry on an interval. Everything is cumulative, so a failed push loses nothing but
 * resolution: the next one carries the totals. Exemplars are included (OTLP Exemplar with trace
 * and span ids), which the OpenTelemetry JS exporters do not do.
 */
import { reportError } from '../errors.ts';
import { writeAttributes } from '../otlp/attributes.ts';
import { postProtobuf } from '../otlp/http.ts';
import { hexToBytes, msToNanos, ProtoWriter } from '../otlp/protobuf.ts';
import type { Exemplar } from './exemplar.ts';
import type { FamilySnapshot, SeriesSnapshot } from './snapshot.ts';
import { nearestRank } from './summary.ts';

const CUMULATIVE = 2;

// Prometheus unit words to UCUM, the unit spelling OTLP uses.
const UCUM: Readonly<Record<string, string>> = {
  seconds: 's',
  milliseconds: 'ms',
  microseconds: 'us',
  nanoseconds: 'ns',
  bytes: 'By',
  celsius: 'Cel',
  ratio: '1',
  percent: '%',
  hertz: 'Hz',
};

/** Who is sending: resource attributes and the instrumentation scope. */
export interface OtlpMetricsSource {
  resource: Readonly<Record<string, unknown>>;
  scopeName: string;
  scopeVersion: string;
}

function attributesOf(family: FamilySnapshot, s: SeriesSnapshot): Record<string, string> {
  if (s.overflow) return { 'otel.metric.overflow': 'true' };
  const a: Record<string, string> = {};
  family.labelNames.forEach((n, i) => {
    a[n] = s.labels[i];
  });
  return a;
}

function writeExemplar(w: ProtoWriter, field: number, e: Exemplar): void {
  w.message(field, (x) => {
    x.fixed64(2, msToNanos(e.timestampMs));
    x.double(3, e.value, true);
    x.bytes(4, hexToBytes(e.spanId));
    x.bytes(5, hexToBytes(e.traceId));
  });
}

function writeMetric(w: ProtoWriter, f: FamilySnapshot, nowNs: bigint): void {
  w.message(2, (m) => {
    m.string(1, f.name);
    m.string(2, f.help);
    if (f.unit) m.string(3, UCUM[f.unit] ?? f.unit);
    if (f.type === 'counter' || f.type === 'gauge') {
      const body = (d: ProtoWriter) => {
        for (const s of f.series) {
          d.message(1, (p) => {
            writeAttributes(p, 7, attributesOf(f, s));
            if (f.type === 'counter') p.fixed64(2, msToNanos(s.created));
            p.fixed64(3, nowNs);
            p.double(4, s.value ?? 0, true);
            const e = s.exemplars?.[0];
            if (e) writeExemplar(p, 5, e);
          });
        }
        if (f.type === 'counter') {
          d.uint(2, CUMULATIVE);
          d.bool(3, true);
        }
      };
      m.message(f.type === 'counter' ? 7 : 5, body);
      return;
    }
    if (f.type === 'histogram') {
      m.message(9, (h) => {
        for (const s of f.series) {
          h.message(1, (p) => {
            writeAttributes(p, 9, attributesOf(f, s));
            p.fixed64(2, msToNanos(s.created));
            p.fixed64(3, nowNs);
            p.fixed64(4, s.count ?? 0);
            p.double(5, s.sum ?? 0, true);
            p.packedFixed64(6, s.counts ?? []);
            p.packedDoubles(7, f.buckets ?? []);
            for (const e of s.exemplars ?? []) if (e) writeExemplar(p, 8, e);
          });
        }
        h.uint(2, CUMULATIVE);
      });
      return;
    }
    m.message(11, (sm) => {
      for (const s of f.series) {
        sm.message(1, (p) => {
          writeAttributes(p, 7, attributesOf(f, s));
          p.fixed64(2, msToNanos(s.created));
          p.fixed64(3, nowNs);
          p.fixed64(4, s.count ?? 0);
          p.double(5, s.sum ?? 0, true);
          const sorted = [...(s.samples ?? [])].sort((a, b) => a - b);
          if (sorted.length === 0) return;
          for (const q of f.quantiles ?? []) {
            p.message(6, (qv) => {
              qv.double(1, q, true);
              qv.double(2, nearestRank(sorted, q), true);
            });
          }
        });
      }
    });
  });
}

/** Encodes families as an OTLP ExportMetricsServiceRequest. */
export function encodeMetricsRequest(
  families: readonly FamilySnapshot[],
  source: OtlpMetricsSource,
  nowMs = Date.now(),
): Uint8Array {
  const nowNs = msToNanos(nowMs);
  const req = new ProtoWriter();
  req.message(1, (rm) => {
    rm.message(1, (res) => writeAttributes(res, 1, source.resource));
    rm.message(2, (sm) => {
      sm.message(1, (scope) => {
        scope.string(1, source.scopeName);
        scope.string(2, source.scopeVersion);
      });
      for (const f of families) {
        if (f.series.length > 0) writeMetric(sm, f, nowNs);
      }
    });
  });
  return req.finish();
}

/** Options of the OTLP metrics pusher. */
export interface OtlpMetricsPusherOptions {
  /** Full URL, e.g. http://localhost:4318/v1/metrics. */
  url: string;
  headers: Record<string, string>;
  intervalMs: number;
  timeoutMs: number;
  source: OtlpMetricsSource;
  /** The metrics to push (this process's, threads merged in). */
  gather: () => Promise<FamilySnapshot[]>;
}

/** Pushes metrics on an interval; `flush()` pushes now; `shutdown()` pushes a last time. */
export class OtlpMetricsPusher {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly options: OtlpMetricsPusherOptions) {}

  /** Starts the interval (it does not keep the process alive). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Pushes the current metrics; concurrent calls share one push. Never rejects. */
  flush(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    this.inFlight = this.push().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async push(): Promise<void> {
    try {
      const families = await this.options.gather();
      const body = encodeMetricsRequest(families, this.options.source);
      const outcome = await postProtobuf(
        this.options.url,
        body,
        this.options.headers,
        this.options.timeoutMs,
      );
      if (!outcome.ok) reportError(new Error(outcome.error), 'OTLP metrics export');
    } catch (err) {
      reportError(err, 'OTLP metrics export');
    }
  }

  /** Stops the interval and pushes once more. */
  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
