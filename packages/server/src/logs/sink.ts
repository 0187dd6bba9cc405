/**
 * The LogSink every ingest protocol writes to: checks records against the `logs.limits` section
 * (line size, labels per stream, label lengths, active streams, future timestamps, retention),
 * stores the rest, counts both in self-metrics and tells live tails what was stored.
 */
import type { LogsLimitsConfig } from '../config/logs.ts';
import { formatLabels, isValidUtf8Name, type Labels, labelsKey } from '../model/labels.ts';
import type { LogRecord } from '../model/log.ts';
import type { SelfMetrics } from '../self/metrics.ts';
import type {
  LogAppendResult,
  LogRejection,
  LogRejectReason,
  LogSink,
  LogStore,
} from '../storage/logs/interface.ts';

export interface LogSinkOptions {
  readonly store: LogStore;
  readonly limits: LogsLimitsConfig;
  /** Records older than this many ms before now are refused (retention would delete them at once). */
  readonly retentionMs: number;
  readonly self: SelfMetrics;
  readonly now: () => number;
  /** Called with what was stored, after it is durable (live tail). */
  readonly onStored?: (records: readonly LogRecord[]) => void;
  /** Resource attributes OTLP promotes to stream labels (passed through to the OTLP signal). */
  readonly promotedResourceAttributes?: readonly string[];
}

/** A validating LogSink over a store; also reports the number of active streams. */
export interface ValidatingLogSink extends LogSink {
  readonly promotedResourceAttributes?: readonly string[];
  /** Streams that received lines within stream_idle_timeout. */
  activeStreams(): number;
}

export function createLogSink(options: LogSinkOptions): ValidatingLogSink {
  const { limits, self } = options;
  const received = self.counter(
    'vigil_logs_received_lines_total',
    'Log lines received by any ingest protocol.',
  );
  const stored = self.counter('vigil_logs_stored_lines_total', 'Log lines stored.');
  const storedBytes = self.counter(
    'vigil_logs_stored_bytes_total',
    'Bytes of log lines stored (line text only).',
  );
  const rejectedLines = self.counter('vigil_logs_rejected_lines_total', 'Log lines refused, by reason.', [
    'reason',
  ]);
  const truncated = self.counter(
    'vigil_logs_truncated_lines_total',
    'Log lines cut to limits.max_line_size.',
  );
  const active = self.gauge(
    'vigil_logs_active_streams',
    'Streams that received lines within limits.stream_idle_timeout.',
  );

  /** Last time (ms) each stream received a line, by label key; pruned as streams go idle. */
  const lastSeen = new Map<string, number>();
  const checkedLabels = new WeakMap<Labels, string>();
  let lastPrune = 0;

  const prune = (now: number) => {
    if (now - lastPrune < 10_000) return;
    lastPrune = now;
    const cutoff = now - limits.stream_idle_timeout;
    for (const [k, t] of lastSeen) if (t < cutoff) lastSeen.delete(k);
  };
  active.collect(() => {
    prune(options.now());
    active.set(lastSeen.size);
  });

  return {
    promotedResourceAttributes: options.promotedResourceAttributes,
    activeStreams: () => lastSeen.size,
    async append(records) {
      received.inc(records.length);
      const now = options.now();
      prune(now);
      const maxNs = BigInt(now + limits.max_future_skew) * 1_000_000n;
      const minNs = BigInt(now - options.retentionMs) * 1_000_000n;
      const rejections = new Map<LogRejectReason, { count: number; example: string }>();
      const reject = (reason: LogRejectReason, example: string) => {
        const r = rejections.get(reason);
        if (r) r.count++;
        else rejections.set(reason, { count: 1, example });
      };
      const ok: LogRecord[] = [];
      const okKeys: string[] = [];
      const newStreams = new Set<string>();
      // Records of one stream come in runs (each pushed stream, each OTLP resource): check a
      // run's labels and its stream limit once.
      let runLabels: Labels | undefined;
      let runKey = '';
      let runAdmitted = false;
      for (let r of records) {
        let key: string;
        if (r.labels === runLabels) key = runKey;
        else {
          key = checkedLabels.get(r.labels) ?? checkLabels(r.labels, limits);
          if (!key.startsWith('!')) checkedLabels.set(r.labels, key);
          runLabels = r.labels;
          runKey = key;
          runAdmitted = false;
        }
        if (key.startsWith('!')) {
          const [reason, message] = key.slice(1).split('\u0000') as [LogRejectReason, string];
          reject(reason, message);
          continue;
        }
        const bytes = Buffer.byteLength(r.body);
        if (bytes > limits.max_line_size) {
          if (!limits.max_line_size_truncate) {
            reject(
              'line_too_long',
              `stream ${formatLabels(r.labels)}: line of ${bytes} bytes is longer than limits.max_line_size (${limits.max_line_size})`,
            );
            continue;
          }
          r = { ...r, body: truncateUtf8(r.body, limits.max_line_size) };
          truncated.inc();
        }
        if (r.timestampNs > maxNs) {
          reject(
            'too_far_in_future',
            `stream ${formatLabels(r.labels)}: timestamp ${new Date(Number(r.timestampNs / 1_000_000n)).toISOString()} is more than limits.max_future_skew ahead of the server clock`,
          );
          continue;
        }
        if (r.timestampNs < minNs) {
          reject(
            'too_old',
            `stream ${formatLabels(r.labels)}: timestamp ${new Date(Number(r.timestampNs / 1_000_000n)).toISOString()} is older than logs.retention`,
          );
          continue;
        }
        if (!runAdmitted && !lastSeen.has(key) && !newStreams.has(key)) {
          if (limits.max_active_streams > 0 && lastSeen.size + newStreams.size >= limits.max_active_streams) {
            reject(
              'stream_limit',
              `stream ${formatLabels(r.labels)}: the maximum number of active streams (limits.max_active_streams = ${limits.max_active_streams}) is reached; reduce the number of streams (fewer labels or label values) or raise the limit`,
            );
            continue;
          }
          newStreams.add(key);
        }
        runAdmitted = true;
        ok.push(r);
        if (okKeys.length === 0 || okKeys[okKeys.length - 1] !== key) okKeys.push(key);
      }
      if (ok.length > 0) {
        await options.store.append(ok);
        let total = 0;
        for (const key of okKeys) lastSeen.set(key, now);
        for (const r of ok) total += r.body.length;
        stored.inc(ok.length);
        storedBytes.inc(total);
        options.onStored?.(ok);
      }
      const rejected: LogRejection[] = [];
      for (const [reason, r] of rejections) {
        rejectedLines.labels(reason).inc(r.count);
        rejected.push({ reason, count: r.count, example: r.example });
      }
      return { accepted: ok.length, rejected } satisfies LogAppendResult;
    },
  };
}

/** The stream's key when its labels are valid, or "!reason\0message". */
function checkLabels(labels: Labels, limits: LogsLimitsConfig): string {
  const bad = (reason: LogRejectReason, what: string) =>
    `!${reason}\u0000stream ${formatLabels(labels)}: ${what}`;
  if (labels.length === 0) return bad('invalid_labels', 'a stream needs at least one label');
  if (labels.length > limits.max_labels_per_stream) {
    return bad(
      'too_many_labels',
      `${labels.length} labels, more than limits.max_labels_per_stream (${limits.max_labels_per_stream})`,
    );
  }
  for (let i = 0; i < labels.length; i++) {
    const { name, value } = labels[i];
    if (i > 0 && labels[i - 1].name >= name) {
      return bad(
        'invalid_labels',
        labels[i - 1].name === name ? `duplicate label name "${name}"` : 'labels are not sorted',
      );
    }
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name))
      return bad('invalid_labels', `invalid label name ${JSON.stringify(name)}`);
    if (name.length > limits.max_label_name_length) {
      return bad(
        'label_too_long',
        `label name longer than limits.max_label_name_length (${limits.max_label_name_length})`,
      );
    }
    if (value.length > limits.max_label_value_length) {
      return bad(
        'label_too_long',
        `value of label "${name}" is ${value.length} characters, longer than limits.max_label_value_length (${limits.max_label_value_length})`,
      );
    }
    if (value !== '' && !isValidUtf8Name(value))
      return bad('invalid_labels', `value of label "${name}" is not valid UTF-8`);
  }
  return labelsKey(labels);
}

/** Cuts a string to at most `max` UTF-8 bytes without splitting a character. */
function truncateUtf8(s: string, max: number): string {
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= max) return s;
  let end = max;
  // Back up while the first excluded byte continues a character that started before it.
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}
