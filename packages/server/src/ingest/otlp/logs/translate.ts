/**
 * OTLP log records as Vigil log records, the way Loki's OTLP endpoint maps them:
 *
 * - stream labels: the promoted resource attributes (by default service.name, k8s.*, cloud.*
 *   ...), dots and other characters outside [a-zA-Z0-9_] replaced by `_` (`service_name`);
 *   `service_name="unknown_service"` when the resource has no service.name;
 * - structured metadata: every other resource attribute, the scope's attributes, `scope_name`,
 *   `scope_version`, the record's attributes (nested maps flattened with `_`), `severity_text`,
 *   `severity_number` and `flags`;
 * - the line: the body as a string (other body types as their JSON representation);
 * - trace and span ids in their own indexed fields.
 */

import type { ExportLogsServiceRequest } from '../../../gen/opentelemetry/proto/collector/logs/v1/logs_service_pb.ts';
import type { AnyValue, KeyValue } from '../../../gen/opentelemetry/proto/common/v1/common_pb.ts';
import { type Label, type Labels, labelsFromPairs } from '../../../model/labels.ts';
import { type LogRecord, parseSeverity } from '../../../model/log.ts';
import { anyValueToString } from '../attributes.ts';

export interface OtlpLogsTranslation {
  readonly records: LogRecord[];
  /** Records not translated, with why. */
  readonly rejected: number;
  readonly errors: string[];
}

/** Label name for an attribute key, as Loki normalises it (`k8s.pod.name` → `k8s_pod_name`). */
export function normaliseLabelName(key: string): string {
  let out = key.replace(/[^a-zA-Z0-9_]/g, '_');
  if (/^[0-9]/.test(out)) out = `_${out}`;
  return out;
}

export function translateLogs(
  request: ExportLogsServiceRequest,
  promoted: ReadonlySet<string>,
  nowNs: bigint,
): OtlpLogsTranslation {
  const records: LogRecord[] = [];
  const errors: string[] = [];
  let rejected = 0;
  for (const rl of request.resourceLogs) {
    const streamPairs: Label[] = [];
    const resourceMeta: Label[] = [];
    let hasService = false;
    for (const kv of rl.resource?.attributes ?? []) {
      if (promoted.has(kv.key)) {
        const value = anyValueToString(kv.value);
        if (value === '') continue;
        if (kv.key === 'service.name') hasService = true;
        streamPairs.push({ name: normaliseLabelName(kv.key), value });
      } else flattenInto(resourceMeta, normaliseLabelName(kv.key), kv.value, 0);
    }
    if (!hasService) streamPairs.push({ name: 'service_name', value: 'unknown_service' });
    const labels = dedupe(labelsFromPairs(streamPairs));
    for (const sl of rl.scopeLogs) {
      const scopeMeta: Label[] = [...resourceMeta];
      if (sl.scope?.name) scopeMeta.push({ name: 'scope_name', value: sl.scope.name });
      if (sl.scope?.version) scopeMeta.push({ name: 'scope_version', value: sl.scope.version });
      for (const kv of sl.scope?.attributes ?? [])
        flattenInto(scopeMeta, normaliseLabelName(kv.key), kv.value, 0);
      // Records without attributes of their own mostly share their metadata: build it once per
      // severity/flags combination, which also lets storage encode it once.
      const shared = new Map<string, Labels>();
      for (const lr of sl.logRecords) {
        try {
          let metadata: Labels | undefined;
          const key =
            lr.attributes.length === 0
              ? `${lr.severityText}\u0000${lr.severityNumber}\u0000${lr.flags}\u0000${lr.eventName}`
              : undefined;
          if (key !== undefined) metadata = shared.get(key);
          if (metadata === undefined) {
            const meta: Label[] = [...scopeMeta];
            for (const kv of lr.attributes) flattenInto(meta, normaliseLabelName(kv.key), kv.value, 0);
            if (lr.severityText) meta.push({ name: 'severity_text', value: lr.severityText });
            if (lr.severityNumber) meta.push({ name: 'severity_number', value: String(lr.severityNumber) });
            if (lr.flags) meta.push({ name: 'flags', value: String(lr.flags) });
            if (lr.eventName) meta.push({ name: 'event_name', value: lr.eventName });
            metadata = lastWins(meta);
            if (key !== undefined) shared.set(key, metadata);
          }
          const ts = lr.timeUnixNano || lr.observedTimeUnixNano || nowNs;
          records.push({
            timestampNs: ts,
            observedTimestampNs: lr.observedTimeUnixNano,
            severityNumber: lr.severityNumber || parseSeverity(lr.severityText),
            severityText: lr.severityText,
            body: bodyText(lr.body),
            labels,
            metadata,
            traceId: hexId(lr.traceId),
            spanId: hexId(lr.spanId),
          });
        } catch (err) {
          rejected++;
          if (errors.length < 5) errors.push((err as Error).message);
        }
      }
    }
  }
  return { records, rejected, errors };
}

function bodyText(body: AnyValue | undefined): string {
  return anyValueToString(body);
}

function hexId(bytes: Uint8Array): string {
  if (bytes.length === 0) return '';
  let zero = true;
  for (const b of bytes) if (b !== 0) zero = false;
  if (zero || (bytes.length !== 16 && bytes.length !== 8)) return '';
  return Buffer.from(bytes).toString('hex');
}

/** Adds an attribute; a map value becomes one pair per leaf (`http_request_method`). */
function flattenInto(out: Label[], name: string, value: AnyValue | undefined, depth: number): void {
  const v = value?.value;
  if (v?.case === 'kvlistValue' && depth < 8) {
    for (const kv of v.value.values as KeyValue[])
      flattenInto(out, `${name}_${normaliseLabelName(kv.key)}`, kv.value, depth + 1);
    return;
  }
  const text = anyValueToString(value);
  if (text !== '') out.push({ name, value: text });
}

/** Sorted pairs with one value per name, the later (more specific) one winning. */
function lastWins(pairs: Label[]): Labels {
  const m = new Map<string, string>();
  for (const p of pairs) m.set(p.name, p.value);
  return labelsFromPairs([...m].map(([name, value]) => ({ name, value })));
}

function dedupe(labels: Labels): Labels {
  const out: Label[] = [];
  for (const l of labels) if (out.length === 0 || out[out.length - 1].name !== l.name) out.push(l);
  return out;
}
