/**
 * Loki's push API, POST /loki/api/v1/push, as Promtail, Alloy, Vector, Fluent Bit and the Loki
 * client libraries send it: protobuf (snappy-compressed, always) or JSON (optionally gzip).
 *
 * Answers as Loki does: 204 when everything was stored; 400 naming what was wrong with a body
 * that does not decode or with lines that were refused (the others are stored); 429 when the
 * active-stream limit refused lines (senders retry); 413 for a body over the size limit; 415 for
 * a content type Loki does not take; 503 when storage failed and the sender should retry.
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import snappy from 'snappy';
import { HttpError } from '../../api/http-error.ts';
import type { SelfMetrics } from '../../self/metrics.ts';
import type { LogAppendResult, LogSink } from '../../storage/logs/interface.ts';
import { snappyDecodedLength } from '../remote-write/snappy-body.ts';
import { decodePushJson } from './decode-json.ts';
import { decodePushProto } from './decode-proto.ts';
import type { PushStream } from './decoded.ts';
import { LokiPushDecodeError } from './errors.ts';
import { pushToRecords } from './records.ts';

const gunzipAsync = promisify(gunzip);

export interface LokiPushOptions {
  readonly sink: LogSink;
  /** Largest body, as received and after decompression. */
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  readonly self: SelfMetrics;
  /** Unix milliseconds; entries without a timestamp get this time. */
  readonly now: () => number;
}

export function registerLokiPush(app: FastifyInstance, options: LokiPushOptions): void {
  const requests = options.self.counter(
    'vigil_loki_push_requests_total',
    'Loki push requests, by encoding and response status.',
    ['encoding', 'code'],
  );
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: options.maxBodyBytes },
      (_req, body, done) => done(null, body),
    );
    scope.post('/loki/api/v1/push', async (request, reply) => {
      const encoding = encodingOf(request);
      try {
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const streams = await decode(raw, encoding, request, options.maxBodyBytes);
        const records = pushToRecords(streams, BigInt(options.now()) * 1_000_000n);
        let result: LogAppendResult;
        try {
          result = await options.sink.append(records);
        } catch (err) {
          options.logger.error({ err, component: 'loki-push' }, 'storing pushed log lines failed');
          throw new HttpError(503, `storing the log lines failed, retry later: ${(err as Error).message}`);
        }
        if (result.rejected.length > 0) {
          const status = result.rejected.some((r) => r.reason === 'stream_limit') ? 429 : 400;
          throw new HttpError(status, describeRejections(result));
        }
        requests.labels(encoding ?? 'unknown', '204').inc();
        return reply.status(204).send();
      } catch (err) {
        const e =
          err instanceof LokiPushDecodeError
            ? new HttpError(400, err.message)
            : err instanceof HttpError
              ? err
              : new HttpError(500, `internal error: ${(err as Error).message}`);
        requests.labels(encoding ?? 'unknown', String(e.status)).inc();
        throw e;
      }
    });
  });
}

type Encoding = 'protobuf' | 'json';

function encodingOf(request: FastifyRequest): Encoding | undefined {
  const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === '') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

async function decode(
  raw: Buffer,
  encoding: Encoding | undefined,
  request: FastifyRequest,
  maxBytes: number,
): Promise<PushStream[]> {
  if (!encoding) {
    throw new HttpError(
      415,
      `unsupported Content-Type ${JSON.stringify(request.headers['content-type'])}: Loki push takes application/x-protobuf (snappy) or application/json`,
    );
  }
  const contentEncoding = String(request.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  if (encoding === 'protobuf') {
    if (contentEncoding !== '' && contentEncoding !== 'snappy') {
      throw new HttpError(
        415,
        `unsupported Content-Encoding ${JSON.stringify(contentEncoding)} for protobuf: the body must be snappy-compressed`,
      );
    }
    return decodePushProto(unsnappy(raw, maxBytes));
  }
  let body = raw;
  if (contentEncoding === 'gzip') {
    try {
      body = await gunzipAsync(raw, { maxOutputLength: maxBytes });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new HttpError(
          413,
          `request body decompresses to more than ${maxBytes} bytes (server.max_body_bytes)`,
        );
      }
      throw new LokiPushDecodeError(`the body is not valid gzip: ${(err as Error).message}`);
    }
  } else if (contentEncoding !== '' && contentEncoding !== 'identity') {
    throw new HttpError(
      415,
      `unsupported Content-Encoding ${JSON.stringify(contentEncoding)}: send gzip or an uncompressed body`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new LokiPushDecodeError('the body is not valid UTF-8');
  }
  return decodePushJson(text);
}

function unsnappy(raw: Buffer, maxBytes: number): Buffer {
  if (raw.length === 0)
    throw new LokiPushDecodeError('the body is empty; expected a snappy-compressed protobuf PushRequest');
  const length = snappyDecodedLength(raw);
  if (length === undefined) throw new LokiPushDecodeError('the body is not snappy block format');
  if (length > maxBytes) {
    throw new HttpError(
      413,
      `the body would decompress to ${length} bytes, more than the ${maxBytes} bytes this server accepts (server.max_body_bytes)`,
    );
  }
  try {
    return snappy.uncompressSync(raw, { asBuffer: true, copyOutputData: true }) as Buffer;
  } catch (err) {
    throw new LokiPushDecodeError(`the body is not valid snappy: ${(err as Error).message}`);
  }
}

/** Loki-style text for refused lines: one line per reason with an example. */
export function describeRejections(result: LogAppendResult): string {
  return result.rejected
    .map((r) => `${r.count} line${r.count === 1 ? '' : 's'} refused (${r.reason}): ${r.example}`)
    .join('\n');
}
