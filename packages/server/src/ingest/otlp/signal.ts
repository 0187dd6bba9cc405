import type { DescMessage, MessageShape } from '@bufbuild/protobuf';

/**
 * One OTLP signal (metrics now; traces and logs later) as both transports serve it: the
 * request/response messages, where it is served, and the transport-independent handler.
 */
export interface OtlpSignal<Req extends DescMessage = DescMessage, Res extends DescMessage = DescMessage> {
  /** `metrics`, `traces` or `logs`; used in self-metrics and messages. */
  readonly name: string;
  /** OTLP/HTTP path, e.g. `/v1/metrics`. */
  readonly httpPath: string;
  /** Fully qualified gRPC service, e.g. `opentelemetry.proto.collector.metrics.v1.MetricsService`. */
  readonly grpcService: string;
  readonly requestSchema: Req;
  readonly responseSchema: Res;
  /**
   * Stores a decoded request and returns the response (with partial_success filled in when
   * something was rejected). Throws HttpError for a failure of the whole request: 503 when the
   * sender should retry, 4xx when it must not.
   */
  handle(request: MessageShape<Req>): Promise<MessageShape<Res>>;
  /**
   * Optional faster path for protobuf bodies (HTTP and gRPC): decodes the raw request bytes itself
   * instead of the generated decoder, then behaves as `handle`. Throws OtlpDecodeError for a body
   * that is not the request message. The body is not reused by the transport afterwards.
   */
  handleProtobuf?(body: Uint8Array): Promise<MessageShape<Res>>;
}
