/**
 * POST /api/v1/logs/ndjson: newline-delimited JSON log lines (translate.ts says how fields are
 * read). Stream labels come from the query string (`?service_name=backup&host=db1`); without any,
 * the stream is `{service_name="unknown_service"}`. The body may be gzip-compressed.
 *
 * Answers 204 when every line was stored; 400 for a line that is not a JSON object or has an
 * unreadable timestamp (nothing is stored), or naming lines the limits refused (the rest are
 * stored); 429 when the active-stream limit refused lines; 503 when storage failed.
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { HttpError } from '../../api/http-error.ts';
import { type Label, labelsFromPairs } from '../../model/labels.ts';
import type { SelfMetrics } from '../../self/metrics.ts';
import type { LogAppendResult, LogSink } from '../../storage/logs/interface.ts';
import { NdjsonLineError, translateNdjson } from './translate.ts';

const gunzipAsync = promisify(gunzip);

export interface NdjsonOptions {
  readonly sink: LogSink;
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  readonly self: SelfMetrics;
  readonly now: () => number;
}

export function registerNdjsonLogs(app: FastifyInstance, options: NdjsonOptions): void {
  const requests = options.self.counter(
    'vigil_ndjson_log_requests_total',
    'NDJSON log ingest requests, by response status.',
    ['code'],
  );
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: options.maxBodyBytes },
      (_req, body, done) => done(null, body),
    );
    // Plain-text errors like the other push endpoints (the app's handler would answer /api/v1/*
    // paths in Prometheus's JSON envelope).
    scope.setErrorHandler((error, request, reply) => {
      const e = error as { status?: number; statusCode?: number; code?: string; message: string };
      let status = error instanceof HttpError ? error.status : (e.statusCode ?? 500);
      let message = e.message;
      if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        status = 413;
        message = `request body is larger than ${options.maxBodyBytes} bytes (server.max_body_bytes)`;
      }
      if (status >= 500 && status !== 503) request.log.error({ err: error }, 'NDJSON request failed');
      return reply.status(status).type('text/plain; charset=utf-8').send(`${message}\n`);
    });
    scope.post('/api/v1/logs/ndjson', async (request, reply) => {
      try {
        let body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const encoding = String(request.headers['content-encoding'] ?? '').toLowerCase();
        if (encoding === 'gzip') {
          try {
            body = await gunzipAsync(body, { maxOutputLength: options.maxBodyBytes });
          } catch (err) {
            if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
              throw new HttpError(
                413,
                `request body decompresses to more than ${options.maxBodyBytes} bytes (server.max_body_bytes)`,
              );
            }
            throw new HttpError(400, `the body is not valid gzip: ${(err as Error).message}`);
          }
        } else if (encoding !== '' && encoding !== 'identity') {
          throw new HttpError(
            415,
            `unsupported Content-Encoding ${JSON.stringify(encoding)}: send gzip or an uncompressed body`,
          );
        }
        const labels = streamLabels(request.query as Record<string, unknown>);
        let text: string;
        try {
          text = new TextDecoder('utf-8', { fatal: true }).decode(body);
        } catch {
          throw new HttpError(400, 'the body is not valid UTF-8');
        }
        let records: ReturnType<typeof translateNdjson>;
        try {
          records = translateNdjson(text, labels, BigInt(options.now()) * 1_000_000n);
        } catch (err) {
          if (err instanceof NdjsonLineError) throw new HttpError(400, `${err.message}; nothing was stored`);
          throw err;
        }
        let result: LogAppendResult;
        try {
          result = await options.sink.append(records);
        } catch (err) {
          options.logger.error({ err, component: 'ndjson' }, 'storing NDJSON log lines failed');
          throw new HttpError(503, `storing the log lines failed, retry later: ${(err as Error).message}`);
        }
        if (result.rejected.length > 0) {
          const status = result.rejected.some((r) => r.reason === 'stream_limit') ? 429 : 400;
          throw new HttpError(
            status,
            result.rejected
              .map((r) => `${r.count} line${r.count === 1 ? '' : 's'} refused (${r.reason}): ${r.example}`)
              .join('\n'),
          );
        }
        requests.labels('204').inc();
        return reply.status(204).send();
      } catch (err) {
        requests.labels(String(err instanceof HttpError ? err.status : 500)).inc();
        throw err;
      }
    });
  });
}

function streamLabels(query: Record<string, unknown>): Label[] {
  const pairs: Label[] = [];
  for (const [name, value] of Object.entries(query ?? {})) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) {
      throw new HttpError(
        400,
        `query parameter ${JSON.stringify(name)} is not a valid label name (stream labels come from the query string)`,
      );
    }
    if (typeof value !== 'string') throw new HttpError(400, `stream label ${name} is given more than once`);
    pairs.push({ name, value });
  }
  const labels = labelsFromPairs(pairs);
  return labels.length > 0 ? [...labels] : [{ name: 'service_name', value: 'unknown_service' }];
}
