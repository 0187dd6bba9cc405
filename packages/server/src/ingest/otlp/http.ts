/**
 * OTLP/HTTP transport: POST <signal path> with a binary protobuf or JSON body, optionally gzip
 * (or deflate) compressed. Responses follow the OTLP/HTTP specification: 200 with the export
 * response in the request's encoding; 400 for a body that does not decode; 413 for one over the
 * size limit (before or after decompression); 415 for a content type or encoding OTLP does not
 * use; 503 when storage failed and the sender should retry. Every error body is a
 * google.rpc.Status in the request's encoding (protobuf when it is unknown).
 */
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { HttpError } from '../../api/http-error.ts';
import type { SelfMetrics } from '../../self/metrics.ts';
import {
  contentTypeOf,
  decodeMessage,
  encodeMessage,
  encodeStatus,
  encodingOf,
  grpcCodeForHttpStatus,
  OtlpDecodeError,
  type OtlpEncoding,
} from './codec.ts';
import type { OtlpSignal } from './signal.ts';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export interface OtlpHttpOptions {
  /** Largest body accepted, both as received and after decompression. */
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  readonly self: SelfMetrics;
}

type ContentEncoding = 'identity' | 'gzip' | 'deflate';

/** Registers one signal's route in its own Fastify context (own body parser and error handler). */
export function registerOtlpHttpSignal(
  app: FastifyInstance,
  signal: OtlpSignal,
  options: OtlpHttpOptions,
): void {
  const requests = options.self.counter(
    'vigil_otlp_requests_total',
    'OTLP export requests, by transport, signal and outcome.',
    ['transport', 'signal', 'code'],
  );
  const log = options.logger.child({ component: 'otlp', signal: signal.name });

  app.register(async (scope) => {
    // The body is read raw here (whatever the content type) and decoded by the handler; the
    // app's JSON and form parsers must not touch it.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: options.maxBodyBytes },
      (_request, body, done) => done(null, body),
    );

    // Refuse unusable requests before reading their bodies.
    scope.addHook('onRequest', async (request) => {
      if (!encodingOf(request.headers['content-type'])) {
        throw new HttpError(
          415,
          `unsupported Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')}: OTLP/HTTP takes application/x-protobuf or application/json`,
        );
      }
      contentEncodingOf(request);
    });

    scope.setErrorHandler((error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
      const { status, message } = toHttpError(error, options.maxBodyBytes);
      if (status >= 500 && status !== 503) log.error({ err: error, url: request.url }, 'OTLP request failed');
      else log.debug({ status, url: request.url, message }, 'OTLP request refused');
      requests.labels('http', signal.name, String(status)).inc();
      const encoding = encodingOf(request.headers['content-type']) ?? 'protobuf';
      return sendBody(
        reply.status(status),
        encoding,
        encodeStatus(grpcCodeForHttpStatus(status), message, encoding),
      );
    });

    scope.post(signal.httpPath, async (request, reply) => {
      const encoding = encodingOf(request.headers['content-type'])!;
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const body = await decompress(raw, contentEncodingOf(request), options.maxBodyBytes);
      const response =
        encoding === 'protobuf' && signal.handleProtobuf
          ? await signal.handleProtobuf(body)
          : await signal.handle(decodeMessage(signal.requestSchema, body, encoding));
      requests.labels('http', signal.name, '200').inc();
      return sendBody(reply.status(200), encoding, encodeMessage(signal.responseSchema, response, encoding));
    });
  });
}

function sendBody(reply: FastifyReply, encoding: OtlpEncoding, body: Uint8Array | string): FastifyReply {
  // A header on a Buffer body: reply.type() would append "; charset=utf-8" to JSON, and the
  // specification asks for exactly the request's content type.
  reply.header('content-type', contentTypeOf(encoding));
  return reply.send(
    typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
  );
}

function contentEncodingOf(request: FastifyRequest): ContentEncoding {
  const header = request.headers['content-encoding'];
  const value = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim().toLowerCase();
  if (value === '' || value === 'identity') return 'identity';
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  if (value === 'deflate') return 'deflate';
  throw new HttpError(
    415,
    `unsupported Content-Encoding ${JSON.stringify(value)}: send gzip, deflate or an uncompressed body`,
  );
}

/**
 * Decompresses with an output cap: zlib stops as soon as the output passes `limit`, so a small
 * body that would inflate to gigabytes (a "gzip bomb") costs at most `limit` bytes of memory.
 */
async function decompress(body: Buffer, encoding: ContentEncoding, limit: number): Promise<Buffer> {
  if (encoding === 'identity') return body;
  try {
    return await (encoding === 'gzip' ? gunzipAsync : inflateAsync)(body, { maxOutputLength: limit });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new HttpError(
        413,
        `request body decompresses to more than ${limit} bytes (server.max_body_bytes)`,
      );
    }
    throw new HttpError(400, `request body is not valid ${encoding} data: ${(err as Error).message}`);
  }
}

function toHttpError(error: unknown, maxBodyBytes: number): { status: number; message: string } {
  if (error instanceof HttpError) return { status: error.status, message: error.message };
  if (error instanceof OtlpDecodeError) return { status: 400, message: error.message };
  const e = error as { statusCode?: number; code?: string; message?: string };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return {
      status: 413,
      message: `request body is larger than ${maxBodyBytes} bytes (server.max_body_bytes)`,
    };
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, message: e.message ?? 'bad request' };
  }
  return { status: 500, message: `internal error: ${e.message ?? String(error)}` };
}
