import { create, type MessageShape } from '@bufbuild/protobuf';
import { HttpError } from '../../../api/http-error.ts';
import {
  ExportTracePartialSuccessSchema,
  type ExportTraceServiceRequestSchema,
  ExportTraceServiceResponseSchema,
  ExportTraceServiceRequestSchema as RequestSchema,
} from '../../../gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.ts';
import type { Span } from '../../../model/span.ts';
import type { SpanSink } from '../../../storage/traces/interface.ts';
import { checkSpans, describeProblems, type SpanProblem } from '../../../storage/traces/validate.ts';
import type { IngestDeps } from '../../deps.ts';
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
 * `decodeProtobuf` and `handleDecoded` are a faster path for protobuf bodies that skips the
 * generated decoder (~40k spans/s) for decode.ts (several times faster, and storage keeps the
 * bytes as received); the shared OTLP transport can use them in place of decodeMessage + handle.
 */
export function tracesSignal(spans: SpanSink, deps: IngestDeps): OtlpSignal {
  return buildTracesSignal(spans, deps) as unknown as OtlpSignal;
}

/** True for a signal that offers the protobuf fast path (the traces signal does). */
export function hasFastTracePath(signal: OtlpSignal): signal is OtlpSignal & FastTracePath {
  return typeof (signal as Partial<FastTracePath>).decodeProtobuf === 'function';
}

/** The protobuf fast path (see tracesSignal). */
export interface FastTracePath {
  decodeProtobuf(body: Uint8Array): DecodedTraceRequest;
  handleDecoded(decoded: DecodedTraceRequest): Promise<MessageShape<typeof ExportTraceServiceResponseSchema>>;
}

function buildTracesSignal(spans: SpanSink, deps: IngestDeps): TraceSignal & FastTracePath {
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
    decodeProtobuf: decodeTraceRequest,
    handleDecoded: (decoded) => ingest(decoded.spans, decoded.undecodable),
  };
}
