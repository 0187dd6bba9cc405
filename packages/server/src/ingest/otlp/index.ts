/**
 * OTLP ingest. main.ts registers the HTTP routes on every HTTP server that should serve them
 * (the main port and 4318) and starts the gRPC server (4317). Each signal is an OtlpSignal served
 * by both transports; traces and logs will be added to `signalsFor`.
 */
import type { FastifyInstance } from 'fastify';
import { isLoopbackHost } from '../../api/server.ts';
import type { IngestDeps } from '../deps.ts';
import { type OtlpGrpcAuth, type OtlpGrpcServer, startOtlpGrpcServer } from './grpc.ts';
import { registerOtlpHttpSignal } from './http.ts';
import { logsSignal } from './logs/signal.ts';
import { OtlpMetricsReceiver } from './metrics/receiver.ts';
import { metricsSignal } from './metrics/signal.ts';
import type { OtlpSignal } from './signal.ts';
import { tracesSignal } from './traces/signal.ts';

export type { OtlpGrpcAuth, OtlpGrpcServer } from './grpc.ts';

// One set of signal handlers per IngestDeps, shared by every listener: delta→cumulative state
// must be the same whichever port or transport a stream arrives on.
const signalsByDeps = new WeakMap<IngestDeps, readonly OtlpSignal[]>();

function signalsFor(deps: IngestDeps): readonly OtlpSignal[] {
  let signals = signalsByDeps.get(deps);
  if (!signals) {
    const all = [
      metricsSignal(new OtlpMetricsReceiver(deps)),
      deps.spans ? tracesSignal(deps.spans, deps) : undefined,
      deps.logs ? logsSignal(deps.logs, deps) : undefined,
    ];
    signals = all.filter((s): s is OtlpSignal => s !== undefined);
    signalsByDeps.set(deps, signals);
  }
  return signals;
}

/** OTLP/HTTP: POST /v1/metrics (protobuf or JSON, optionally gzip) on `app`. */
export function registerOtlpHttp(app: FastifyInstance, deps: IngestDeps): void {
  for (const signal of signalsFor(deps)) {
    registerOtlpHttpSignal(app, signal, {
      maxBodyBytes: deps.maxBodyBytes,
      logger: deps.logger,
      self: deps.self,
    });
  }
}

export interface StartOtlpGrpcOptions {
  /**
   * How callers authenticate. Without it the server refuses to listen beyond loopback, since it
   * cannot know whether the rest of Vigil requires tokens.
   */
  readonly auth?: OtlpGrpcAuth;
}

/** OTLP/gRPC on `address` (`host:port`, port 0 for any); resolves once listening. */
export async function startOtlpGrpc(
  address: string,
  deps: IngestDeps,
  options: StartOtlpGrpcOptions = {},
): Promise<OtlpGrpcServer> {
  const host = address.slice(0, address.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1');
  if (options.auth === undefined && !isLoopbackHost(host)) {
    throw new Error(
      `OTLP/gRPC will not listen on ${address} without authentication settings: it would accept data from anyone who can reach it`,
    );
  }
  return startOtlpGrpcServer(address, signalsFor(deps), {
    maxMessageBytes: deps.maxBodyBytes,
    logger: deps.logger,
    self: deps.self,
    auth: options.auth ?? 'none',
  });
}
