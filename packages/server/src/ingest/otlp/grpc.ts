/**
 * OTLP/gRPC transport: one @grpc/grpc-js server that serves the `Export` method of every signal's
 * service (MetricsService now; TraceService and LogsService join the same list later).
 *
 * Messages pass through grpc-js as raw bytes and are decoded here with the generated bufbuild
 * code, so a request that does not decode gets INVALID_ARGUMENT with a reason (grpc-js would
 * answer INTERNAL for a failing deserializer). grpc-js itself accepts gzip/deflate-compressed
 * messages and enforces the size limit after decompression (RESOURCE_EXHAUSTED); a message whose
 * compression is corrupt is refused by grpc-js with INTERNAL "Failed to decompress message".
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { HttpError } from '../../api/http-error.ts';
import type { SelfMetrics } from '../../self/metrics.ts';
import type { Stoppable } from '../deps.ts';
import { decodeMessage, encodeMessage, GrpcCode, OtlpDecodeError } from './codec.ts';
import type { OtlpSignal } from './signal.ts';

/** How gRPC callers are authenticated. */
export type OtlpGrpcAuth =
  /** Require `authorization: Bearer <token>` metadata with one of these tokens. */
  | { readonly bearerTokens: readonly string[] }
  /** Accept every caller; only for loopback addresses or when auth is explicitly disabled. */
  | 'none';

export interface OtlpGrpcOptions {
  /** Largest request message, after decompression. */
  readonly maxMessageBytes: number;
  readonly logger: Logger;
  readonly self: SelfMetrics;
  readonly auth: OtlpGrpcAuth;
}

/** A running OTLP/gRPC server. */
export interface OtlpGrpcServer extends Stoppable {
  /** The address it listens on, with the actual port when 0 was asked for. */
  readonly address: string;
}

/** Largest response message, the OTLP specification's recommendation. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const SHUTDOWN_GRACE_MS = 5_000;

/** Starts serving `signals` on `address` (`host:port`); resolves once listening. */
export async function startOtlpGrpcServer(
  address: string,
  signals: readonly OtlpSignal[],
  options: OtlpGrpcOptions,
): Promise<OtlpGrpcServer> {
  const log = options.logger.child({ component: 'otlp-grpc' });
  const requests = options.self.counter(
    'vigil_otlp_requests_total',
    'OTLP export requests, by transport, signal and outcome.',
    ['transport', 'signal', 'code'],
  );
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': MAX_RESPONSE_BYTES,
  });
  const tokens = options.auth === 'none' ? undefined : new Set(options.auth.bearerTokens);
  const passThrough = (value: Buffer) => value;

  for (const signal of signals) {
    const definition: grpc.ServiceDefinition = {
      Export: {
        path: `/${signal.grpcService}/Export`,
        requestStream: false,
        responseStream: false,
        requestSerialize: passThrough,
        requestDeserialize: passThrough,
        responseSerialize: passThrough,
        responseDeserialize: passThrough,
        originalName: 'export',
      },
    };
    const exportCall: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
      const fail = (code: grpc.status, details: string) => {
        requests.labels('grpc', signal.name, grpc.status[code]).inc();
        callback({ code, details });
      };
      if (tokens && !authorized(call.metadata, tokens)) {
        fail(
          grpc.status.UNAUTHENTICATED,
          'authentication required: send authorization: Bearer <token> metadata',
        );
        return;
      }
      let handled: ReturnType<OtlpSignal['handle']>;
      try {
        handled = signal.handleProtobuf
          ? signal.handleProtobuf(call.request)
          : signal.handle(decodeMessage(signal.requestSchema, call.request, 'protobuf'));
      } catch (err) {
        if (err instanceof OtlpDecodeError) fail(GrpcCode.INVALID_ARGUMENT, err.message);
        else fail(GrpcCode.INTERNAL, `internal error: ${(err as Error).message}`);
        return;
      }
      handled.then(
        (response) => {
          requests.labels('grpc', signal.name, 'OK').inc();
          const bytes = encodeMessage(signal.responseSchema, response, 'protobuf') as Uint8Array;
          callback(null, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        },
        (err: unknown) => {
          if (err instanceof HttpError && err.status === 503) {
            fail(GrpcCode.UNAVAILABLE, err.message);
          } else if (err instanceof OtlpDecodeError || (err instanceof HttpError && err.status < 500)) {
            fail(GrpcCode.INVALID_ARGUMENT, err.message);
          } else {
            log.error({ err, signal: signal.name }, 'OTLP/gRPC export failed');
            fail(GrpcCode.INTERNAL, `internal error: ${(err as Error).message}`);
          }
        },
      );
    };
    server.addService(definition, { Export: exportCall });
  }

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  });
  const listening = `${address.slice(0, address.lastIndexOf(':'))}:${port}`;
  log.info({ address: listening, services: signals.map((s) => s.grpcService) }, 'OTLP/gRPC listening');

  let stopping: Promise<void> | undefined;
  return {
    address: listening,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return stopping;
    },
  };
}

function authorized(metadata: grpc.Metadata, tokens: ReadonlySet<string>): boolean {
  for (const value of metadata.get('authorization')) {
    const m = /^Bearer\s+(.+)$/i.exec(String(value));
    if (m && tokens.has(m[1].trim())) return true;
  }
  return false;
}
