/**
 * Prometheus remote write 1.0 receiver: POST /api/v1/write with a snappy-compressed protobuf
 * `prometheus.WriteRequest`. A thin handler over decode.ts; the answers follow Prometheus's
 * receiver (storage/remote/write_handler.go) and the remote write spec:
 *
 * - 204 when every sample was stored.
 * - 415 for a Content-Type or Content-Encoding other than protobuf/snappy (headers.ts).
 * - 413 when the compressed body is over server.max_body_bytes (checked while reading it);
 *   400 when it would decompress to more than that, or is not snappy or not a WriteRequest.
 * - Partial success: good series are stored, and if any sample was refused (invalid labels,
 *   out of order, duplicate, too old, limits) the answer is 400 naming each reason with an
 *   example, so the sender logs it and does not retry the batch.
 * - 5xx only when storage itself fails, which the sender retries.
 *
 * Exemplars are stored; native histograms are counted (vigil_remote_write_ignored_total) and dropped;
 * metadata goes to storage.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../../api/http-error.ts';
import type { RejectedSamples } from '../../storage/interface.ts';
import type { IngestDeps } from '../deps.ts';
import { describeRejections } from '../metrics-sink.ts';
import { WriteRequestDecoder } from './decode.ts';
import { RemoteWriteDecodeError } from './decode-error.ts';
import type { DecodedWriteRequest } from './decoded.ts';
import { unsupportedMediaType } from './headers.ts';
import { decompressSnappyBlock } from './snappy-body.ts';

export const REMOTE_WRITE_PATH = '/api/v1/write';

/** Registers POST /api/v1/write in its own plugin scope, so its raw-body parser affects no other route. */
export function registerRemoteWrite(app: FastifyInstance, deps: IngestDeps): void {
  const decoder = new WriteRequestDecoder();
  const metrics = registerMetrics(deps, decoder);

  app.register(async (scope) => {
    // Take every body as raw bytes: the handler checks the content type itself, to answer the way
    // Prometheus does, and a missing Content-Type must still reach it.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.maxBodyBytes }, (_req, body, done) =>
      done(null, body),
    );
    // Before the body is read: a wrong media type is refused without reading it.
    scope.addHook('onRequest', async (request) => {
      const problem = unsupportedMediaType(
        request.headers['content-type'],
        headerValue(request.headers['content-encoding']),
      );
      if (problem) throw new HttpError(415, problem);
    });
    scope.addHook('onResponse', async (_request, reply) => {
      metrics.requests.labels(String(reply.statusCode)).inc();
    });

    scope.post(REMOTE_WRITE_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
      const started = process.hrtime.bigint();
      const body = request.body instanceof Buffer ? request.body : Buffer.alloc(0);
      let decoded: DecodedWriteRequest;
      try {
        decoded = decoder.decode(decompressSnappyBlock(body, deps.maxBodyBytes));
      } catch (err) {
        if (err instanceof RemoteWriteDecodeError) throw new HttpError(400, err.message);
        throw err;
      }
      if (decoded.histograms > 0) metrics.ignoredHistograms.inc(decoded.histograms);
      if (decoded.metadata.length > 0) deps.sink.metadata(decoded.metadata);

      const result =
        decoded.series.length > 0 ? await deps.sink.append('remote_write', decoded.series) : undefined;
      // Exemplars that cannot be stored (out of order, too long) do not fail the request, as in
      // Prometheus: they are counted in vigil_ingest_rejected_exemplars_total.
      if (decoded.exemplars.length > 0) await deps.sink.appendExemplars('remote_write', decoded.exemplars);
      metrics.duration.observeSince(started);

      const rejected = mergeByReason([...decoderRejections(decoded, metrics), ...(result?.rejected ?? [])]);
      if (rejected.length === 0) return reply.status(204).send();
      const message = describeRejections(rejected);
      request.log.debug({ rejected: message }, 'remote write: some samples were not stored');
      throw new HttpError(400, message);
    });
  });
}

function registerMetrics(deps: IngestDeps, decoder: WriteRequestDecoder) {
  const { self } = deps;
  const ignored = self.counter(
    'vigil_remote_write_ignored_total',
    'Exemplars and native histogram samples received over remote write and not stored (Vigil stores float samples only).',
    ['kind'],
  );
  // The family the metrics sink counts rejections in; series the decoder refuses never reach the sink.
  const rejected = self.counter(
    'vigil_ingest_rejected_samples_total',
    'Samples not stored, by ingest protocol and reason.',
    ['protocol', 'reason'],
  );
  const cacheGauge = self.gauge(
    'vigil_remote_write_label_cache_series',
    'Series whose label sets the remote-write decoder has cached by their encoded bytes.',
  );
  cacheGauge.collect(() => cacheGauge.set(decoder.cachedSeries));
  return {
    requests: self.counter(
      'vigil_remote_write_requests_total',
      'Remote write requests, by HTTP status code.',
      ['code'],
    ),
    duration: self
      .histogram(
        'vigil_remote_write_request_duration_seconds',
        'Time to decode and store one remote write request that was decoded successfully.',
      )
      .labels(),
    ignoredHistograms: ignored.labels('histogram'),
    invalidLabels: rejected.labels('remote_write', 'invalid_labels'),
  };
}

/** The series the decoder refused (invalid UTF-8, repeated label names), counted and summarised. */
function decoderRejections(
  decoded: DecodedWriteRequest,
  metrics: ReturnType<typeof registerMetrics>,
): RejectedSamples[] {
  if (decoded.invalid.length === 0) return [];
  let count = 0;
  for (const s of decoded.invalid) count += s.samples;
  metrics.invalidLabels.inc(count);
  return [{ reason: 'invalid_labels', count, example: decoded.invalid[0].message }];
}

function mergeByReason(list: readonly RejectedSamples[]): RejectedSamples[] {
  const byReason = new Map<string, RejectedSamples>();
  for (const r of list) {
    const prev = byReason.get(r.reason);
    byReason.set(r.reason, prev ? { ...prev, count: prev.count + r.count } : r);
  }
  return [...byReason.values()];
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
