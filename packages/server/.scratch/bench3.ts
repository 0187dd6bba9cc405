import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ExportTraceServiceRequestSchema } from '../src/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.ts';
import { SpanSchema } from '../src/gen/opentelemetry/proto/trace/v1/trace_pb.ts';
import { realisticRequest } from './gen.ts';

const buf = realisticRequest(1000);
const req = fromBinary(ExportTraceServiceRequestSchema, buf);
const spans = req.resourceSpans[0].scopeSpans[0].spans;
for (let r = 0; r < 3; r++) {
  const t = performance.now();
  let n = 0;
  for (let k = 0; k < 20; k++) for (const s of spans) n += toBinary(SpanSchema, s).length;
  console.log('toBinary spans/s', Math.round((20000 / (performance.now() - t)) * 1000));
}
