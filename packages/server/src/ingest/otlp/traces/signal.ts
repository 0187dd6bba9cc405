import { create } from '@bufbuild/protobuf';
import { HttpError } from '../../../api/http-error.ts';
import {
  ExportTracePartialSuccessSchema,
  type ExportTraceServiceRequestSchema,
  ExportTraceServiceResponseSchema,
  ExportTraceServiceRequestSchema as RequestSchema,
} from '../../../gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.ts';
import type { Span } from '../../../model/span.ts';
import type { SpanSink } from '../../../storage/traces/interface.ts';
import { ProtoDecodeError } from '../../../storage/traces/otlp/wire.ts';
import { checkSpans, describeProblems, type SpanProblem } from '../../../storage/traces/validate.ts';
import type { IngestDeps } from '../../deps.ts';
import { OtlpDecodeError } from '../codec.ts';
import type { OtlpSignal } from '../signal.ts';
import { type DecodedTraceRequest, decodeTraceRequest } from './decode.ts';
import { spansFromRequest } from './from-message.ts';

type TraceSignal = OtlpSignal<
  typeof ExportTraceServiceRequestSchema,
  typeof ExportTraceServiceResponseSchema
>;

/**
 * The traces signal (/v1/traces, TraceService/Export). Spans are checked one by one (ids,
 * timestamps, attribute limits); the valid ones are appended and the rest reported in the
 * response's partial_success with their reasons. A storage failure fails the request with 503 so
 * the exporter retries.
 *
 * Protobuf bodies (OTLP/HTTP protobuf and gRPC) take `handleProtobuf`: decode.ts reads them
 * without the generated decoder, several times faster, and the span store keeps each span's bytes
 * as received instead of encoding them again. JSON bodies go through the generated decoder.
 */
export function tracesSignal(spans: SpanSink, deps: IngestDeps): OtlpSignal {
  return buildTracesSignal(spans, deps) as unknown as OtlpSignal;
}

function buildTracesSignal(spans: SpanSink, deps: IngestDeps): TraceSignal {
  const accepted = deps.self.counter('vigil_ingest_spans_total', 'Spans accepted, by ingest protocol.', [
    'protocol',
  ]);
  const rejected = deps.self.counter(
    'vigil_ingest_rejected_spans_total',
    'Spans refused, by ingest protocol and reason.',
    ['protocol', 'reason'],
  );
  const acceptedOtlp = accepted.labels('otlp');
  const log = deps.logger.child({ component: 'otlp', signal: 'traces' });

  const ingest = async (all: readonly Span[], undecodable: readonly { reason: string }[]) => {
    const { valid, problems } = checkSpans(all, spans.limits, deps.now());
    const allProblems: SpanProblem[] = [
      ...undecodable.map((u) => ({ reason: 'malformed' as const, message: u.reason })),
      ...problems,
    ];
    if (valid.length > 0) {
      try {
        await spans.append(valid);
      } catch (err) {
        log.error({ err }, 'storing spans failed');
        throw new HttpError(503, `span storage failed, retry later: ${(err as Error).message}`);
      }
      acceptedOtlp.inc(valid.length);
    }
    for (const p of allProblems) rejected.labels('otlp', p.reason).inc();
    if (allProblems.length === 0) return create(ExportTraceServiceResponseSchema);
    log.debug({ rejected: allProblems.length, example: allProblems[0].message }, 'spans rejected');
    return create(ExportTraceServiceResponseSchema, {
      partialSuccess: create(ExportTracePartialSuccessSchema, {
        rejectedSpans: BigInt(allProblems.length),
        errorMessage: describeProblems(allProblems),
      }),
    });
  };

  return {
    name: 'traces',
    httpPath: '/v1/traces',
    grpcService: 'opentelemetry.proto.collector.trace.v1.TraceService',
    requestSchema: RequestSchema,
    responseSchema: ExportTraceServiceResponseSchema,
    async handle(request) {
      const { spans: decoded, undecodable } = spansFromRequest(request);
      return ingest(decoded, undecodable);
    },
    handleProtobuf(body) {
      // Not async: a body that does not decode throws here, before anything is stored.
      let decoded: DecodedTraceRequest;
      try {
        decoded = decodeTraceRequest(body);
      } catch (err) {
        if (!(err instanceof ProtoDecodeError)) throw err;
        throw new OtlpDecodeError(
          `request body is not a valid protobuf ${RequestSchema.typeName}: ${err.message}`,
        );
      }
      return ingest(decoded.spans, decoded.undecodable);
    },
  };
}
