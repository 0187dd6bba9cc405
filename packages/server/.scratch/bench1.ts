import { fromBinary } from '@bufbuild/protobuf';
import { ExportTraceServiceRequestSchema } from '../src/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.ts';
import { realisticRequest } from './gen.ts';

const buf = realisticRequest(1000);
console.log('bytes/span in OTLP proto', buf.length / 1000);
for (let r = 0; r < 3; r++) {
  const t = performance.now();
  for (let k = 0; k < 50; k++) fromBinary(ExportTraceServiceRequestSchema, buf, { readUnknownFields: false });
  const ms = performance.now() - t;
  console.log('fromBinary spans/s', Math.round((50000 / ms) * 1000));
}
