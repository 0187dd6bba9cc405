/**
 * The StatsD line format with the DogStatsD, InfluxDB, Librato and SignalFx extensions, read the
 * way Prometheus's statsd_exporter (pkg/line) reads it:
 *
 *   name:value|type[|@rate][|#k:v,k2:v2][|T<unix seconds>][|c:<container id>][|e:…][|card:…]
 *   name,k=v:value|type         (InfluxDB)     name#k=v:value|type     (Librato)
 *   name[k=v]:value|type        (SignalFx)     name:v1:v2:v3|ms        (DogStatsD value packing)
 *   name:v1|c:v2|ms             (several samples of one name on a line, without DogStatsD tags)
 *
 * The parser reports to a visitor instead of building results, and never throws: a line it cannot
 * read is reported with a reason and the caller moves on to the next line.
 */
import type { Label } from '../../model/labels.ts';
import { escapeMetricName } from './names.ts';

/** StatsD metric types: counter, gauge, timer (ms), histogram, distribution, set. */
export type StatsdType = 'c' | 'g' | 'ms' | 'h' | 'd' | 's';

/** One value read from a line, with the metric name and tag keys already sanitised. */
export interface StatsdSample {
  /** Prometheus metric name (sanitised as statsd_exporter does). */
  readonly name: string;
  readonly type: StatsdType;
  /** The value as sent (timers in milliseconds); 0 for sets. */
  readonly value: number;
  /** For sets, the member as sent; '' for every other type. */
  readonly member: string;
  /** Gauges only: the value had a sign, so it changes the gauge instead of setting it. */
  readonly relative: boolean;
  /** The client's sample rate, in (0, 1]; 1 when none was given. */
  readonly sampleRate: number;
  /** Tags as labels, sorted by name, names unique, never `__name__`. */
  readonly labels: readonly Label[];
}

/** Why a line, or one sample on it, was not used; the `reason` label of the error self-metric. */
export type SampleErrorReason =
  | 'malformed_line' // no `name:` prefix, or an empty name
  | 'mixed_tagging_styles' // name tags (InfluxDB/Librato/SignalFx) and DogStatsD tags together
  | 'not_enough_parts_after_colon' // no `|type`
  | 'invalid_extended_aggregate_type' // `name:1:2|c`: value packing is for ms, h and d only
  | 'malformed_component' // empty `||` section
  | 'malformed_value'
  | 'illegal_type' // a type other than c, g, ms, h, d, s
  | 'invalid_sample_rate' // `@` not followed by a number in [0, 1] (`@0` is read as 1)
  | 'malformed_container_id' // `|c:` with nothing after it
  | 'unknown_component'; // a `|…` section that is none of @ # T c: e: card:

export type IgnoredKind = 'event' | 'service_check';

/** Which tag syntaxes to recognise (statsd_exporter's --statsd.parse-*-tags flags). */
export interface TagFormats {
  readonly dogstatsd: boolean;
  readonly influxdb: boolean;
  readonly librato: boolean;
  readonly signalfx: boolean;
}

export const ALL_TAG_FORMATS: TagFormats = { dogstatsd: true, influxdb: true, librato: true, signalfx: true };

/** Receives what the parser finds on one line, in order. */
export interface LineVisitor {
  sample(sample: StatsdSample): void;
  /** The line (or one sample on it) could not be used. */
  error(reason: SampleErrorReason, line: string): void;
  /** `count` tags on the line were malformed or reserved and were left out; the sample was kept. */
  tagErrors(count: number, line: string): void;
  /** A DogStatsD event (`_e{…}`) or service check (`_sc|…`): recognised, deliberately not stored. */
  ignored(kind: IgnoredKind): void;
}

const TYPES: ReadonlySet<string> = new Set(['c', 'g', 'ms', 'h', 'd', 's']);
const OBSERVER_TYPES: ReadonlySet<string> = new Set(['ms', 'h', 'd']);
// strconv.ParseFloat's decimal syntax; hex floats and inf/nan are not accepted here.
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses one line (without its trailing newline; a trailing `\r` is ignored). Never throws. */
export function parseStatsdLine(line: string, formats: TagFormats, visitor: LineVisitor): void {
  if (line.endsWith('\r')) line = line.slice(0, -1);
  if (line === '') return;
  const problem = readLine(line, formats, visitor);
  if (problem) visitor.error(problem, line);
}

/** Emits what the line holds; returns why the whole line is unusable, if it is. */
function readLine(line: string, formats: TagFormats, visitor: LineVisitor): SampleErrorReason | undefined {
  if (line.startsWith('_e{')) {
    visitor.ignored('event');
    return undefined;
  }
  if (line.startsWith('_sc|')) {
    visitor.ignored('service_check');
    return undefined;
  }

  const colon = line.indexOf(':');
  if (colon <= 0) return 'malformed_line';

  const nameTags: Label[] = [];
  const tagErrors = { count: 0 };
  const rawName = splitNameAndTags(line.slice(0, colon), formats, nameTags, tagErrors);
  const rest = line.slice(colon + 1);
  const usesDogStatsDTags = rest.includes('|#');
  if (usesDogStatsDTags && nameTags.length > 0) return 'mixed_tagging_styles';
  const name = escapeMetricName(rawName);
  if (name === '') return 'malformed_line';

  const bar = rest.indexOf('|');
  if (bar < 0) return 'not_enough_parts_after_colon';
  const context: SampleContext = { name, nameTags, nameTagErrors: tagErrors.count, formats };

  const valuePart = rest.slice(0, bar);
  if (valuePart.includes(':')) {
    // DogStatsD value packing: `name:1:2:3|ms|…` is three timer samples sharing the rest.
    const suffix = rest.slice(bar + 1);
    const type = suffix.split('|', 1)[0];
    if (!OBSERVER_TYPES.has(type)) return 'invalid_extended_aggregate_type';
    for (const value of valuePart.split(':')) emit(parseSample(`${value}|${suffix}`, context), line, visitor);
    return undefined;
  }

  const single = parseSample(rest, context);
  if ('sample' in single || usesDogStatsDTags || !rest.includes(':')) {
    emit(single, line, visitor);
    return undefined;
  }
  // Not one valid sample, but it may be several: `name:1|c:2|ms` (statsd_exporter's multi-metric
  // lines). Trying the single reading first keeps `|c:<container id>` from being split apart; if
  // the split reading finds no sample either, the single reading's error is the better report.
  const parts = rest.split(':').map((part) => parseSample(part, context));
  if (!parts.some((p) => 'sample' in p)) return single.error;
  for (const part of parts) emit(part, line, visitor);
  return undefined;
}

interface SampleContext {
  readonly name: string;
  readonly nameTags: readonly Label[];
  /** Malformed name tags, reported with every sample read from the line. */
  readonly nameTagErrors: number;
  readonly formats: TagFormats;
}

type SampleResult = { sample: StatsdSample; tagErrors: number } | { error: SampleErrorReason };

function emit(result: SampleResult, line: string, visitor: LineVisitor): void {
  if ('error' in result) {
    visitor.error(result.error, line);
    return;
  }
  if (result.tagErrors > 0) visitor.tagErrors(result.tagErrors, line);
  visitor.sample(result.sample);
}

/** Reads `value|type[|section…]`. */
function parseSample(text: string, context: SampleContext): SampleResult {
  const components = text.split('|');
  if (components.length < 2) return { error: 'not_enough_parts_after_colon' };
  const [valueText, type] = components;
  if (!TYPES.has(type)) return { error: 'illegal_type' };

  let value = 0;
  let member = '';
  if (type === 's') {
    if (valueText === '') return { error: 'malformed_value' };
    member = valueText;
  } else {
    if (!DECIMAL.test(valueText)) return { error: 'malformed_value' };
    value = Number(valueText);
    if (!Number.isFinite(value)) return { error: 'malformed_value' };
  }
  const relative = type === 'g' && (valueText[0] === '+' || valueText[0] === '-');

  // Tags in the order given; a repeated key is resolved (last one wins) when sorting below.
  const tags: Label[] = context.nameTags.length > 0 ? [...context.nameTags] : [];
  const tagErrors = { count: context.nameTagErrors };
  let sampleRate = 1;
  for (let i = 2; i < components.length; i++) {
    const section = components[i];
    if (section === '') return { error: 'malformed_component' };
    switch (section[0]) {
      case '@': {
        const rateText = section.slice(1);
        const rate = DECIMAL.test(rateText) ? Number(rateText) : Number.NaN;
        if (!(rate >= 0 && rate <= 1)) return { error: 'invalid_sample_rate' };
        // `@0` means "unsampled" to statsd_exporter (and would otherwise divide by zero).
        sampleRate = rate === 0 ? 1 : rate;
        break;
      }
      case '#':
        if (context.formats.dogstatsd) parseTagList(section.slice(1), ':', true, tags, tagErrors);
        break;
      case 'T':
        // DogStatsD 1.3 timestamp. Values are aggregated into series written at flush time (as
        // statsd_exporter exposes them at scrape time), so a per-sample time has nowhere to go.
        break;
      case 'c':
        if (section.startsWith('card:')) break; // DogStatsD tag cardinality: an agent-side hint.
        if (!section.startsWith('c:')) return { error: 'unknown_component' };
        if (section.length === 2) return { error: 'malformed_container_id' };
        tags.push({ name: 'container_id', value: section.slice(2) });
        break;
      case 'e':
        if (section.startsWith('e:')) break; // DogStatsD external data: an agent-side hint.
        return { error: 'unknown_component' };
      default:
        return { error: 'unknown_component' };
    }
  }

  const labels = toLabels(tags, type, tagErrors);
  const sample: StatsdSample = {
    name: context.name,
    type: type as StatsdType,
    value,
    member,
    relative,
    sampleRate,
    labels,
  };
  return { sample, tagErrors: tagErrors.count };
}

/**
 * Sorts tags into a label set: a repeated name keeps its last value; reserved names are counted
 * as tag errors and left out (`__…` in Prometheus, `le` on the histogram a timer becomes).
 */
function toLabels(tags: Label[], type: string, tagErrors: { count: number }): Label[] {
  if (tags.length === 0) return tags;
  // Array.prototype.sort is stable, so among equal names the last one given stays last.
  tags.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const labels: Label[] = [];
  for (let i = 0; i < tags.length; i++) {
    const { name } = tags[i];
    if (i + 1 < tags.length && tags[i + 1].name === name) continue;
    if (name.startsWith('__') || (name === 'le' && OBSERVER_TYPES.has(type))) {
      tagErrors.count++;
      continue;
    }
    labels.push(tags[i]);
  }
  return labels;
}

/** Takes InfluxDB (`name,k=v`), Librato (`name#k=v`) and SignalFx (`name[k=v]`) tags off a name. */
function splitNameAndTags(
  text: string,
  formats: TagFormats,
  tags: Label[],
  tagErrors: { count: number },
): string {
  if (formats.signalfx) {
    const open = text.indexOf('[');
    const close = text.indexOf(']');
    if (open >= 0 && close > open) {
      parseTagList(text.slice(open + 1, close), '=', false, tags, tagErrors);
      return text.slice(0, open) + text.slice(close + 1);
    }
    if (open >= 0 || close >= 0) {
      // An unbalanced bracket: statsd_exporter leaves the name as it is, other tag styles included.
      tagErrors.count++;
      return text;
    }
  }
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if ((c === '#' && formats.librato) || (c === ',' && formats.influxdb)) {
      parseTagList(text.slice(i + 1), '=', false, tags, tagErrors);
      return text.slice(0, i);
    }
  }
  return text;
}

/** Reads `k<sep>v,k2<sep>v2`; keys are sanitised like metric names, values kept as sent. */
function parseTagList(
  text: string,
  separator: string,
  stripHash: boolean,
  tags: Label[],
  tagErrors: { count: number },
): void {
  const list = text.split(',');
  // A trailing comma (or nothing at all) is tolerated, as in statsd_exporter; `a,,b` is not.
  if (list[list.length - 1] === '') list.pop();
  for (let tag of list) {
    if (stripHash && tag.startsWith('#')) tag = tag.slice(1);
    const at = tag.indexOf(separator);
    if (at <= 0 || at === tag.length - 1) {
      // No separator, empty key or empty value: statsd_exporter counts these and skips them.
      tagErrors.count++;
      continue;
    }
    tags.push({ name: escapeMetricName(tag.slice(0, at)), value: tag.slice(at + 1) });
  }
}
