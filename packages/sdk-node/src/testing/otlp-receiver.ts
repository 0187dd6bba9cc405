/**
 * Test helper: an OTLP/HTTP receiver on 127.0.0.1 that decodes protobuf requests with the code
 * generated from the upstream .proto files (the server's, imported by relative path; tests only),
 * so what our exporters send is checked against the real schema.
 */
import { createServer, type Server } from 'node:http';
import { fromBinary } from '@bufbuild/protobuf';
import {
  type ExportLogsServiceRequest,
  ExportLogsServiceRequestSchema,
} from '../../../server/src/gen/opentelemetry/proto/collector/logs/v1/logs_service_pb.ts';
import {
  type ExportMetricsServiceRequest,
  ExportMetricsServiceRequestSchema,
} from '../../../server/src/gen/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.ts';
import {
  type ExportTraceServiceRequest,
  ExportTraceServiceRequestSchema,
} from '../../../server/src/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.ts';

export interface OtlpReceiver {
  readonly url: string;
  readonly metrics: ExportMetricsServiceRequest[];
  readonly traces: ExportTraceServiceRequest[];
  readonly logs: ExportLogsServiceRequest[];
  /** Resolves once `predicate` holds, checking after every request (rejects after `timeoutMs`). */
  until(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a receiver on an ephemeral port. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const metrics: ExportMetricsServiceRequest[] = [];
  const traces: ExportTraceServiceRequest[] = [];
  const logs: ExportLogsServiceRequest[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = new Uint8Array(Buffer.concat(chunks));
      try {
        if (req.url === '/v1/metrics') metrics.push(fromBinary(ExportMetricsServiceRequestSchema, body));
        else if (req.url === '/v1/traces') traces.push(fromBinary(ExportTraceServiceRequestSchema, body));
        else if (req.url === '/v1/logs') logs.push(fromBinary(ExportLogsServiceRequestSchema, body));
        else {
          res.statusCode = 404;
          res.end();
          return;
        }
      } catch (err) {
        res.statusCode = 400;
        res.end(String(err));
        return;
      }
      res.setHeader('content-type', 'application/x-protobuf');
      res.end();
      for (const w of waiters) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    metrics,
    traces,
    logs,
    until(predicate, timeoutMs = 10_000) {
      if (predicate()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`OTLP receiver: condition not met within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
