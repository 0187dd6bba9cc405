/**
 * From bytes to aggregated state: decodes UTF-8, cuts lines, parses each and hands samples to the
 * aggregator, counting and (rate-limited) logging whatever could not be used. One bad line never
 * stops the lines after it.
 */
import type { LimitsConfig } from '../../config/schema.ts';
import type { DropReason, StatsdAggregator } from './aggregator.ts';
import {
  type IgnoredKind,
  type LineVisitor,
  parseStatsdLine,
  type SampleErrorReason,
  type StatsdSample,
  type TagFormats,
} from './line-parser.ts';
import type { InputHandler } from './listeners.ts';
import type { StatsdTelemetry, Transport } from './telemetry.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

/** Receives what the listeners read and feeds it, line by line, to the aggregator. */
export class StatsdInput implements InputHandler, LineVisitor {
  // Set for the duration of one data() call; the visitor methods read them.
  private now = 0;
  private transport: Transport = 'udp';

  constructor(
    private readonly formats: TagFormats,
    private readonly aggregator: StatsdAggregator,
    private readonly telemetry: StatsdTelemetry,
    private readonly clock: () => number,
    private readonly maxSeries: number,
    private readonly limits: LimitsConfig,
  ) {}

  data(bytes: Buffer, transport: Transport): void {
    this.now = this.clock();
    this.transport = transport;
    let text: string | undefined;
    try {
      text = utf8.decode(bytes);
    } catch {
      // Not valid UTF-8 somewhere: decode line by line so only the bad lines are lost.
      text = undefined;
    }
    if (text !== undefined) {
      for (const line of text.split('\n')) this.line(line);
      return;
    }
    let start = 0;
    while (start <= bytes.length) {
      let end = bytes.indexOf(10, start);
      if (end < 0) end = bytes.length;
      const slice = bytes.subarray(start, end);
      start = end + 1;
      let line: string;
      try {
        line = utf8.decode(slice);
      } catch {
        this.telemetry.line(transport);
        this.telemetry.sampleError('invalid_utf8', lenientUtf8.decode(slice), transport);
        continue;
      }
      this.line(line);
    }
  }

  tooLarge(transport: Transport, head: Buffer): void {
    this.telemetry.sampleError(
      transport === 'udp' ? 'packet_too_large' : 'line_too_long',
      `${lenientUtf8.decode(head)}… (longer than statsd.max_packet_size)`,
      transport,
    );
  }

  private line(line: string): void {
    if (line === '' || line === '\r') return;
    this.telemetry.line(this.transport);
    parseStatsdLine(line, this.formats, this);
  }

  sample(sample: StatsdSample): void {
    // Checked here rather than left to storage: a series storage refuses would otherwise be held,
    // and refused again, at every flush until it expires.
    const overLimit = labelLimitProblem(sample, this.limits);
    if (overLimit) {
      this.telemetry.dropped('label_limits', sample.name, overLimit);
      return;
    }
    const dropped = this.aggregator.add(sample, this.now);
    if (dropped) this.telemetry.dropped(dropped, sample.name, explainDrop(dropped, sample, this.maxSeries));
    else this.telemetry.sample(sample.type);
  }

  error(reason: SampleErrorReason, line: string): void {
    this.telemetry.sampleError(reason, line, this.transport);
  }

  tagErrors(count: number, line: string): void {
    this.telemetry.tagErrors(count, line);
  }

  ignored(kind: IgnoredKind): void {
    this.telemetry.ignored(kind);
  }
}

/** What in the sample's series exceeds the configured `limits`, if anything. */
function labelLimitProblem(sample: StatsdSample, limits: LimitsConfig): string | undefined {
  // Every series carries __name__; a histogram's buckets also carry le, and its longest name is _bucket.
  const histogram = sample.type === 'ms' || sample.type === 'h' || sample.type === 'd';
  const count = sample.labels.length + (histogram ? 2 : 1);
  if (count > limits.max_labels_per_series) {
    return `${sample.name} would have ${count} labels, more than limits.max_labels_per_series (${limits.max_labels_per_series})`;
  }
  const longestName = sample.name.length + (histogram ? '_bucket'.length : 0);
  if (longestName > limits.max_label_value_length) {
    return `the metric name ${sample.name.slice(0, 64)}… is longer than limits.max_label_value_length (${limits.max_label_value_length})`;
  }
  for (const { name, value } of sample.labels) {
    if (name.length > limits.max_label_name_length) {
      return `${sample.name}: tag name ${name.slice(0, 64)}… is longer than limits.max_label_name_length (${limits.max_label_name_length})`;
    }
    if (value.length > limits.max_label_value_length) {
      return `${sample.name}: the value of tag ${name} is ${value.length} characters, more than limits.max_label_value_length (${limits.max_label_value_length})`;
    }
  }
  return undefined;
}

function explainDrop(reason: DropReason, sample: StatsdSample, maxSeries: number): string {
  switch (reason) {
    case 'negative_counter':
      return `counter ${sample.name} got ${sample.value}; Prometheus counters only go up, so send values that go down as a gauge (|g)`;
    case 'type_conflict':
      return `${sample.name} (|${sample.type}) clashes with a metric of another type using this name, or with a histogram's _bucket/_sum/_count series`;
    case 'series_limit':
      return `statsd.max_series (${maxSeries}) reached; new series are dropped until idle ones expire after statsd.series_ttl`;
  }
}
