import { create } from '@bufbuild/protobuf';
import { HttpError } from '../../../api/http-error.ts';
import { DEFAULT_PROMOTED_RESOURCE_ATTRIBUTES } from '../../../config/logs.ts';
import {
  ExportLogsPartialSuccessSchema,
  type ExportLogsServiceRequestSchema,
  ExportLogsServiceResponseSchema,
  ExportLogsServiceRequestSchema as RequestSchema,
} from '../../../gen/opentelemetry/proto/collector/logs/v1/logs_service_pb.ts';
import type { LogSink } from '../../../storage/logs/interface.ts';
import type { IngestDeps } from '../../deps.ts';
import type { OtlpSignal } from '../signal.ts';
import { translateLogs } from './translate.ts';

/** Longest partial-success message. */
const MAX_MESSAGE_CHARS = 4096;

/** A LogSink that also says which resource attributes become stream labels. */
export interface OtlpLogSink extends LogSink {
  readonly promotedResourceAttributes?: readonly string[];
}

/** OTLP logs: /v1/logs and LogsService/Export, translated as Loki's OTLP endpoint does. */
export function logsSignal(
  logs: OtlpLogSink,
  deps: IngestDeps,
): OtlpSignal<typeof ExportLogsServiceRequestSchema, typeof ExportLogsServiceResponseSchema> {
  const promoted = new Set(logs.promotedResourceAttributes ?? DEFAULT_PROMOTED_RESOURCE_ATTRIBUTES);
  const rejectedRecords = deps.self.counter(
    'vigil_otlp_rejected_log_records_total',
    'OTLP log records not stored, by reason.',
    ['reason'],
  );
  return {
    name: 'logs',
    httpPath: '/v1/logs',
    grpcService: 'opentelemetry.proto.collector.logs.v1.LogsService',
    requestSchema: RequestSchema,
    responseSchema: ExportLogsServiceResponseSchema,
    async handle(request) {
      const t = translateLogs(request, promoted, BigInt(deps.now()) * 1_000_000n);
      let rejected = t.rejected;
      const lines = [...t.errors];
      if (t.rejected > 0) rejectedRecords.labels('invalid').inc(t.rejected);
      if (t.records.length > 0) {
        let result: Awaited<ReturnType<LogSink['append']>>;
        try {
          result = await logs.append(t.records);
        } catch (err) {
          deps.logger.error({ err, component: 'otlp' }, 'storing OTLP logs failed');
          throw new HttpError(503, `storing the logs failed, retry later: ${(err as Error).message}`);
        }
        for (const r of result.rejected) {
          rejected += r.count;
          rejectedRecords.labels(r.reason).inc(r.count);
          lines.push(
            `${r.count} log record${r.count === 1 ? '' : 's'} rejected (${r.reason}), e.g. ${r.example}`,
          );
        }
      }
      if (rejected === 0 && lines.length === 0) return create(ExportLogsServiceResponseSchema);
      let errorMessage = lines.join('\n');
      if (errorMessage.length > MAX_MESSAGE_CHARS)
        errorMessage = `${errorMessage.slice(0, MAX_MESSAGE_CHARS - 1)}…`;
      return create(ExportLogsServiceResponseSchema, {
        partialSuccess: create(ExportLogsPartialSuccessSchema, {
          rejectedLogRecords: BigInt(rejected),
          errorMessage,
        }),
      });
    },
  };
}
