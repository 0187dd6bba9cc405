/**
 * The reference decoder: `prometheus.WriteRequest` through the code generated from the upstream
 * .proto files (@bufbuild/protobuf). It is the specification the hand-written decoder (decode.ts)
 * is fuzzed against, and the baseline in bench/remote-write-decode.ts. Not on the hot path.
 *
 * One difference it cannot avoid: the generated code decodes invalid UTF-8 as U+FFFD instead of
 * reporting it, so it accepts label bytes that decode.ts rejects.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { WriteRequestSchema } from '../../gen/remote_pb.ts';
import type { Exemplar, SeriesExemplars } from '../../model/exemplar.ts';
import type { SeriesSamples } from '../../model/sample.ts';
import type { MetricMetadata } from '../../storage/interface.ts';
import { RemoteWriteDecodeError } from './decode-error.ts';
import { buildLabels, type DecodedWriteRequest, type InvalidSeries, metricTypeFromWire } from './decoded.ts';

/** Decodes an uncompressed WriteRequest; throws RemoteWriteDecodeError when it is not one. */
export function decodeWriteRequestGenerated(bytes: Uint8Array): DecodedWriteRequest {
  let request: ReturnType<typeof fromBinary<typeof WriteRequestSchema>>;
  try {
    request = fromBinary(WriteRequestSchema, bytes);
  } catch (err) {
    throw new RemoteWriteDecodeError(
      `the body is not a valid protobuf WriteRequest: ${(err as Error).message}`,
    );
  }
  const series: SeriesSamples[] = [];
  const invalid: InvalidSeries[] = [];
  const exemplars: SeriesExemplars[] = [];
  let histograms = 0;
  for (const ts of request.timeseries) {
    histograms += ts.histograms.length;
    const n = ts.samples.length;
    if (n === 0 && ts.exemplars.length === 0) continue;
    const labels = buildLabels(ts.labels.map((l) => ({ name: l.name, value: l.value })));
    if (typeof labels === 'string') {
      if (n > 0) invalid.push({ samples: n, message: labels });
      continue;
    }
    const own: Exemplar[] = [];
    for (const e of ts.exemplars) {
      const exemplarLabels = buildLabels(e.labels.map((l) => ({ name: l.name, value: l.value })));
      if (typeof exemplarLabels === 'string') continue;
      own.push({ labels: exemplarLabels, value: e.value, timestamp: Number(e.timestamp) });
    }
    if (own.length > 0) exemplars.push({ labels, exemplars: own });
    if (n === 0) continue;
    const timestamps = new Float64Array(n);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      timestamps[i] = Number(ts.samples[i].timestamp);
      values[i] = ts.samples[i].value;
    }
    series.push({ labels, timestamps, values });
  }
  const metadata: MetricMetadata[] = [];
  for (const m of request.metadata) {
    if (m.metricFamilyName === '') continue;
    metadata.push({
      metric: m.metricFamilyName,
      type: metricTypeFromWire(m.type),
      help: m.help,
      unit: m.unit,
    });
  }
  return { series, invalid, metadata, exemplars, histograms };
}
