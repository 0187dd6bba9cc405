import { create } from '@bufbuild/protobuf';
import {
  ExportMetricsPartialSuccessSchema,
  type ExportMetricsServiceRequestSchema,
  ExportMetricsServiceResponseSchema,
  ExportMetricsServiceRequestSchema as RequestSchema,
} from '../../../gen/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.ts';
import type { OtlpSignal } from '../signal.ts';
import type { OtlpMetricsReceiver } from './receiver.ts';

/** The metrics signal: /v1/metrics and MetricsService/Export, both handled by `receiver`. */
export function metricsSignal(
  receiver: OtlpMetricsReceiver,
): OtlpSignal<typeof ExportMetricsServiceRequestSchema, typeof ExportMetricsServiceResponseSchema> {
  return {
    name: 'metrics',
    httpPath: '/v1/metrics',
    grpcService: 'opentelemetry.proto.collector.metrics.v1.MetricsService',
    requestSchema: RequestSchema,
    responseSchema: ExportMetricsServiceResponseSchema,
    async handle(request) {
      const outcome = await receiver.export(request);
      // partial_success stays unset on full success, as the specification requires; it carries
      // warnings with rejected_data_points = 0 when there is something to say.
      if (outcome.rejectedDataPoints === 0 && outcome.errorMessage === '') {
        return create(ExportMetricsServiceResponseSchema);
      }
      return create(ExportMetricsServiceResponseSchema, {
        partialSuccess: create(ExportMetricsPartialSuccessSchema, {
          rejectedDataPoints: BigInt(outcome.rejectedDataPoints),
          errorMessage: outcome.errorMessage,
        }),
      });
    },
  };
}
