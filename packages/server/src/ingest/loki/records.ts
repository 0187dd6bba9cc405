import type { Label, Labels } from '../../model/labels.ts';
import { detectSeverity, type LogRecord, normaliseId } from '../../model/log.ts';
import type { PushStream } from './decoded.ts';

/**
 * Push streams as log records: trace and span ids found in structured metadata (`trace_id`,
 * `traceID`, `span_id`, `spanID`) move to their own indexed fields; the severity is detected from
 * level labels, metadata or the line itself.
 */
export function pushToRecords(streams: readonly PushStream[], nowNs: bigint): LogRecord[] {
  const out: LogRecord[] = [];
  for (const s of streams) {
    const streamSeverity = detectSeverityFromLabels(s.labels);
    for (const e of s.entries) {
      let traceId = '';
      let spanId = '';
      let metadata: Labels = e.metadata;
      if (metadata.length > 0) {
        const kept: Label[] = [];
        for (const l of metadata) {
          const lower = l.name.toLowerCase();
          if ((lower === 'trace_id' || lower === 'traceid') && !traceId) {
            traceId = normaliseId(l.value, 32);
            if (traceId) continue;
          }
          if ((lower === 'span_id' || lower === 'spanid') && !spanId) {
            spanId = normaliseId(l.value, 16);
            if (spanId) continue;
          }
          kept.push(l);
        }
        if (kept.length !== metadata.length) metadata = kept;
      }
      const severity = streamSeverity || detectSeverity(e.line, metadata);
      out.push({
        timestampNs: e.timestampNs === 0n ? nowNs : e.timestampNs,
        observedTimestampNs: 0n,
        severityNumber: severity,
        severityText: '',
        body: e.line,
        labels: s.labels,
        metadata,
        traceId,
        spanId,
      });
    }
  }
  return out;
}

const severityByLabels = new WeakMap<Labels, number>();

function detectSeverityFromLabels(labels: Labels): number {
  let n = severityByLabels.get(labels);
  if (n === undefined) {
    n = detectSeverity('', labels);
    severityByLabels.set(labels, n);
  }
  return n;
}
