import type { Label } from '../model/labels.ts';
import { parseErrorAt, type TextParseError } from './errors.ts';
import { normalizeBoundLabel, unescapeLabelValue } from './values.ts';

/** What `next()` found. */
export type EntryKind = 'series' | 'help' | 'type' | 'unit' | 'comment';

/** Metric family types of the text format (`untyped` is reported as `unknown`) and OpenMetrics. */
export type ExposedMetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'info'
  | 'stateset'
  | 'unknown';

/**
 * A pull parser over one exposition, in the style of Prometheus's textparse.Parser: call `next()`
 * until it returns undefined; after each call the fields for that kind of entry are valid, until
 * the next call. Parsing is lazy: label values are unescaped only when `labelPairs()` is called,
 * so a caller that caches by the raw `series` text pays for labels once per series.
 *
 * Every method throws only TextParseError.
 */
export interface ExpositionParser {
  /** Advances to the next entry; undefined at the end of the input. */
  next(): EntryKind | undefined;

  /** `series`: the series text as exposed (name and labels), usable as a cache key. */
  readonly series: string;
  /** `series`: the sample value. */
  readonly value: number;
  /** `series`: the exposed timestamp in Unix milliseconds, if the line had one. */
  readonly timestamp: number | undefined;
  /** `series`: the metric name. */
  metricName(): string;
  /**
   * `series`: the exemplar on the line (OpenMetrics `# {labels} value [timestamp]`), labels
   * unescaped and in exposition order, timestamp in ms if given; undefined when there is none.
   */
  exemplar(): ParsedExemplar | undefined;
  /**
   * `series`: the labels in exposition order, unescaped, without the metric name. Values may be
   * empty and names may repeat: that is for the caller to judge. Prometheus 3 normalizes `le` of
   * histograms and `quantile` of summaries (`1` → `1.0`); so does this.
   */
  labelPairs(): Label[];

  /** `help`, `type`, `unit`: the metric family name. */
  readonly metric: string;
  /** `help`: the unescaped help text. */
  readonly help: string;
  /** `type`: the family type. */
  readonly type: ExposedMetricType;
  /** `unit`: the unit. */
  readonly unit: string;
  /** `comment`: the comment line, starting with `#`. */
  readonly comment: string;
}

/** An exemplar as exposed: labels in exposition order, timestamp in ms when the line had one. */
export interface ParsedExemplar {
  readonly labels: Label[];
  readonly value: number;
  readonly timestamp: number | undefined;
}

/** Options shared by both parsers. */
export interface ParserOptions {
  /**
   * Set when the body was not valid UTF-8 and was decoded with replacement characters: label
   * values, quoted names and help text containing U+FFFD are then rejected, as Prometheus
   * rejects invalid UTF-8 there.
   */
  readonly invalidUtf8?: boolean;
}

// Character classes of the exposition grammar (ASCII only, as in Prometheus's lexers).
export function isMetricNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a;
}
export function isMetricNameChar(c: number): boolean {
  return isMetricNameStart(c) || (c >= 0x30 && c <= 0x39);
}
export function isLabelNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}
export function isLabelNameChar(c: number): boolean {
  return isLabelNameStart(c) || (c >= 0x30 && c <= 0x39);
}

/** State and helpers shared by the two formats. */
export abstract class BaseParser implements ExpositionParser {
  series = '';
  value = 0;
  timestamp: number | undefined = undefined;
  metric = '';
  help = '';
  type: ExposedMetricType = 'unknown';
  unit = '';
  comment = '';

  protected pos = 0;
  /** Type from the last TYPE line; decides whether `le`/`quantile` are normalized. */
  protected currentType: ExposedMetricType = 'unknown';
  /** Raw (still escaped) metric name of the current series and whether it was quoted. */
  protected rawName = '';
  protected nameSet = false;
  protected readonly rawLabelNames: string[] = [];
  protected readonly rawLabelValues: string[] = [];
  /** Type in effect for the current series, captured when it was parsed. */
  protected seriesType: ExposedMetricType = 'unknown';
  /** The current series' exemplar, raw (escaped) label texts; set by parsers that read exemplars. */
  protected rawExemplar:
    | { names: string[]; values: string[]; value: number; timestamp: number | undefined }
    | undefined;

  constructor(
    protected readonly text: string,
    protected readonly options: ParserOptions = {},
  ) {}

  abstract next(): EntryKind | undefined;

  metricName(): string {
    return unescapeLabelValue(this.rawName);
  }

  exemplar(): ParsedExemplar | undefined {
    const e = this.rawExemplar;
    if (!e) return undefined;
    const labels: Label[] = [];
    for (let i = 0; i < e.names.length; i++) {
      labels.push({ name: unescapeLabelValue(e.names[i]), value: unescapeLabelValue(e.values[i]) });
    }
    return { labels, value: e.value, timestamp: e.timestamp };
  }

  labelPairs(): Label[] {
    const out: Label[] = [];
    const normalize =
      this.seriesType === 'histogram' ? 'le' : this.seriesType === 'summary' ? 'quantile' : undefined;
    for (let i = 0; i < this.rawLabelNames.length; i++) {
      const name = unescapeLabelValue(this.rawLabelNames[i]);
      let value = unescapeLabelValue(this.rawLabelValues[i]);
      if (name === normalize) value = normalizeBoundLabel(value);
      out.push({ name, value });
    }
    return out;
  }

  protected error(what: string, at = this.pos): TextParseError {
    return parseErrorAt(this.text, at, what);
  }

  protected startSeries(): void {
    this.rawName = '';
    this.nameSet = false;
    this.rawLabelNames.length = 0;
    this.rawLabelValues.length = 0;
    this.rawExemplar = undefined;
    this.timestamp = undefined;
    this.seriesType = this.currentType;
  }

  /**
   * Reads a double-quoted string starting at `pos` (which holds the opening quote) and returns
   * its raw contents, still escaped. `allowNewline` is the text format's leniency.
   */
  protected readQuoted(allowNewline: boolean, what: string): string {
    const s = this.text;
    const start = this.pos + 1;
    let i = start;
    for (;;) {
      if (i >= s.length) throw this.error(`unterminated quoted ${what}`);
      const c = s.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x0a && !allowNewline) throw this.error(`line break inside quoted ${what}`, i);
      if (c === 0x5c) {
        if (i + 1 >= s.length) throw this.error(`unterminated quoted ${what}`);
        if (s.charCodeAt(i + 1) === 0x0a && !allowNewline) {
          throw this.error(`line break inside quoted ${what}`, i + 1);
        }
        i += 2;
        continue;
      }
      i++;
    }
    const raw = s.slice(start, i);
    this.pos = i + 1;
    if (this.options.invalidUtf8 && raw.includes('\ufffd')) {
      throw this.error(`invalid UTF-8 in quoted ${what}`, start);
    }
    return raw;
  }

  protected readMetricName(): string {
    const s = this.text;
    const start = this.pos;
    let i = start + 1;
    while (i < s.length && isMetricNameChar(s.charCodeAt(i))) i++;
    this.pos = i;
    return s.slice(start, i);
  }

  protected readLabelName(): string {
    const s = this.text;
    const start = this.pos;
    let i = start + 1;
    while (i < s.length && isLabelNameChar(s.charCodeAt(i))) i++;
    this.pos = i;
    return s.slice(start, i);
  }

  /** Sets the metric name from a quoted string inside braces (`{"my.metric", a="b"}`). */
  protected setQuotedName(raw: string, at: number): void {
    if (this.nameSet) throw this.error('metric name is set twice', at);
    this.rawName = raw;
    this.nameSet = true;
  }

  protected addLabel(rawName: string, rawValue: string): void {
    this.rawLabelNames.push(rawName);
    this.rawLabelValues.push(rawValue);
  }

  protected charAt(i: number): number {
    return i < this.text.length ? this.text.charCodeAt(i) : -1;
  }

  /** Describes the character at `i` for an error message. */
  protected describeAt(i: number): string {
    if (i >= this.text.length) return 'end of input';
    const c = this.text[i];
    if (c === '\n') return 'end of line';
    return JSON.stringify(c);
  }
}
