/**
 * Zipkin's collector endpoint, POST /api/v2/spans with a JSON array of v2 spans (optionally
 * gzip-compressed), what Zipkin clients, Envoy and Istio send. Answers 202 like Zipkin; when some
 * spans are refused the body says which and why (Zipkin has no partial-success field), and when
 * every span is refused the answer is 400.
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { HttpError } from '../../api/http-error.ts';
import type { SelfMetrics } from '../../self/metrics.ts';
import type { SpanSink } from '../../storage/traces/interface.ts';
import { checkSpans, describeProblems, type SpanProblem } from '../../storage/traces/validate.ts';
import { decodeZipkinJson, ZipkinDecodeError } from './decode.ts';

const gunzipAsync = promisify(gunzip);

export interface ZipkinOptions {
  readonly sink: SpanSink;
  readonly logger: Logger;
  readonly self: SelfMetrics;
  readonly now: () => number;
  /** Largest body accepted, before and after decompression. */
  readonly maxBodyBytes: number;
}

export function registerZipkin(app: FastifyInstance, options: ZipkinOptions): void {
  const accepted = options.self.counter('vigil_ingest_spans_total', 'Spans accepted, by ingest protocol.', [
    'protocol',
  ]);
  const rejected = options.self.counter(
    'vigil_ingest_rejected_spans_total',
    'Spans refused, by ingest protocol and reason.',
    ['protocol', 'reason'],
  );
  const log = options.logger.child({ component: 'zipkin' });

  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: options.maxBodyBytes },
      (_req, body, done) => done(null, body),
    );

    scope.post('/api/v2/spans', async (request, reply) => {
      const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (type !== 'application/json' && type !== '') {
        throw new HttpError(
          415,
          `unsupported Content-Type ${JSON.stringify(type)}: send Zipkin v2 spans as application/json`,
        );
      }
      const body = await decompress(request, options.maxBodyBytes);
      let decoded: ReturnType<typeof decodeZipkinJson>;
      try {
        decoded = decodeZipkinJson(body);
      } catch (err) {
        if (err instanceof ZipkinDecodeError) throw new HttpError(400, err.message);
        throw err;
      }
      const { valid, problems } = checkSpans(decoded.spans, options.sink.limits, options.now());
      const all: SpanProblem[] = [
        ...decoded.problems.map((message) => ({ reason: 'malformed' as const, message })),
        ...problems,
      ];
      for (const p of all) rejected.labels('zipkin', p.reason).inc();
      if (valid.length === 0 && all.length > 0) throw new HttpError(400, describeProblems(all));
      if (valid.length > 0) {
        try {
          await options.sink.append(valid);
        } catch (err) {
          log.error({ err }, 'storing Zipkin spans failed');
          throw new HttpError(503, `span storage failed, retry later: ${(err as Error).message}`);
        }
        accepted.labels('zipkin').inc(valid.length);
      }
      reply.status(202);
      if (all.length > 0) return reply.type('text/plain; charset=utf-8').send(`${describeProblems(all)}\n`);
      return reply.send();
    });
  });
}

async function decompress(request: FastifyRequest, limit: number): Promise<Buffer> {
  const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const encoding = String(request.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  if (encoding === '' || encoding === 'identity') return raw;
  if (encoding !== 'gzip') {
    throw new HttpError(
      415,
      `unsupported Content-Encoding ${JSON.stringify(encoding)}: send gzip or no encoding`,
    );
  }
  try {
    return await gunzipAsync(raw, { maxOutputLength: limit });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new HttpError(
        413,
        `request body decompresses to more than ${limit} bytes (server.max_body_bytes)`,
      );
    }
    throw new HttpError(400, `request body is not valid gzip data: ${(err as Error).message}`);
  }
}
