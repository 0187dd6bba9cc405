import type { ExposedMetricType, ParserOptions } from './parser.ts';
import { BaseParser, type EntryKind, isLabelNameStart, isMetricNameStart } from './parser.ts';
import { parseFloatValue, parseMillisTimestamp, unescapeHelp } from './values.ts';

const TEXT_TYPES: Readonly<Record<string, ExposedMetricType>> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  untyped: 'unknown',
};

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * The Prometheus text exposition format 0.0.4 (and 1.0.0, which adds quoted UTF-8 names), with
 * the leniency of Prometheus's own lexer: blank lines, spaces and tabs between tokens, a missing
 * comma between labels, a trailing comma, raw line breaks inside label values, and comments
 * anywhere. Timestamps are integer milliseconds.
 */
export class PromTextParser extends BaseParser {
  constructor(text: string, options: ParserOptions = {}) {
    // Like Prometheus, treat the input as if it ended with a line break.
    super(text.endsWith('\n') ? text : `${text}\n`, options);
  }

  next(): EntryKind | undefined {
    const s = this.text;
    for (;;) {
      this.skipBlanks();
      if (this.pos >= s.length) return undefined;
      const c = s.charCodeAt(this.pos);
      if (c === 0) {
        // Prometheus's lexer treats a NUL at the start of a token as the end of the input.
        this.pos = s.length;
        return undefined;
      }
      if (c === 0x0a) {
        this.pos++;
        continue;
      }
      if (c === 0x23) return this.commentOrMeta();
      if (c === 0x7b || isMetricNameStart(c)) return this.seriesLine();
      throw this.error(
        `expected a metric name, "{" or "#" at the start of a line, found ${this.describeAt(this.pos)}`,
      );
    }
  }

  private skipBlanks(): void {
    const s = this.text;
    while (this.pos < s.length && isBlank(s.charCodeAt(this.pos))) this.pos++;
  }

  private restOfLine(): string {
    const s = this.text;
    let end = s.indexOf('\n', this.pos);
    if (end === -1) end = s.length;
    const rest = s.slice(this.pos, end);
    this.pos = end + 1;
    return rest;
  }

  private commentOrMeta(): EntryKind {
    const s = this.text;
    const hash = this.pos;
    this.pos++;
    if (isBlank(this.charAt(this.pos))) {
      this.skipBlanks();
      const word = s.slice(this.pos, this.pos + 4);
      if ((word === 'HELP' || word === 'TYPE') && isBlank(this.charAt(this.pos + 4))) {
        this.pos += 4;
        this.skipBlanks();
        return this.metaLine(word);
      }
    }
    this.pos = hash;
    this.comment = this.restOfLine();
    return 'comment';
  }

  private metaLine(word: 'HELP' | 'TYPE'): EntryKind {
    const c = this.charAt(this.pos);
    if (c === 0x22) this.metric = this.unescapedQuoted('metric name');
    else if (isMetricNameStart(c)) this.metric = this.readMetricName();
    else throw this.error(`expected a metric name after # ${word}, found ${this.describeAt(this.pos)}`);
    // The rest of the line, minus its first character (normally the separating space), is the
    // text; a line of only blanks after the name has empty text.
    const rest = this.restOfLine();
    const text = /^[ \t]*$/.test(rest) ? '' : rest.slice(1);
    if (word === 'TYPE') {
      const type = TEXT_TYPES[text];
      if (type === undefined) {
        throw this.error(
          `invalid metric type ${JSON.stringify(text)}; the text format knows counter, gauge, histogram, summary and untyped`,
          this.pos - 1,
        );
      }
      this.type = type;
      this.currentType = type;
      return 'type';
    }
    if (this.options.invalidUtf8 && text.includes('\ufffd')) {
      throw this.error(`help text of ${this.metric} is not valid UTF-8`, this.pos - 1);
    }
    this.help = unescapeHelp(text);
    return 'help';
  }

  private unescapedQuoted(what: string): string {
    return this.readQuoted(true, what).replace(/\\(["\\n])/g, (_m, ch: string) => (ch === 'n' ? '\n' : ch));
  }

  private seriesLine(): EntryKind {
    const s = this.text;
    const start = this.pos;
    this.startSeries();
    let end = this.pos;
    if (s.charCodeAt(this.pos) !== 0x7b) {
      this.rawName = this.readMetricName();
      this.nameSet = true;
      end = this.pos;
      this.skipBlanks();
    }
    if (this.charAt(this.pos) === 0x7b) {
      this.pos++;
      this.labelList();
      end = this.pos;
    }
    this.series = s.slice(start, end);
    if (!this.nameSet) throw this.error('the series has no metric name', start);
    this.skipBlanks();
    const valueStart = this.pos;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 0x7b || c === 0x20 || c === 0x09 || c === 0x0a || c === 0) break;
      this.pos++;
    }
    if (this.pos === valueStart) {
      throw this.error(`expected a value after the metric, found ${this.describeAt(this.pos)}`);
    }
    const value = parseFloatValue(s.slice(valueStart, this.pos));
    if (typeof value === 'string') throw this.error(value, valueStart);
    this.value = value;
    this.skipBlanks();
    let c = this.charAt(this.pos);
    if (c >= 0x30 && c <= 0x39) {
      const tsStart = this.pos;
      while (c >= 0x30 && c <= 0x39) c = this.charAt(++this.pos);
      const ts = parseMillisTimestamp(s.slice(tsStart, this.pos));
      if (typeof ts === 'string') throw this.error(ts, tsStart);
      this.timestamp = ts;
      this.skipBlanks();
      if (this.charAt(this.pos) !== 0x0a) {
        throw this.error(
          `expected the end of the line after the timestamp, found ${this.describeAt(this.pos)}`,
        );
      }
    } else if (c !== 0x0a) {
      throw this.error(
        `expected a timestamp (integer milliseconds) or the end of the line after the value, found ${this.describeAt(this.pos)}`,
      );
    }
    this.pos++;
    return 'series';
  }

  /** Labels after `{`: names plain or quoted, `=`, quoted values, commas optional. */
  private labelList(): void {
    for (;;) {
      this.skipBlanks();
      const c = this.charAt(this.pos);
      if (c === 0x7d) {
        this.pos++;
        return;
      }
      const nameAt = this.pos;
      let rawName: string;
      let quoted = false;
      if (isLabelNameStart(c)) rawName = this.readLabelName();
      else if (c === 0x22) {
        rawName = this.readQuoted(true, 'label name');
        quoted = true;
      } else throw this.error(`expected a label name or "}", found ${this.describeAt(this.pos)}`);
      this.skipBlanks();
      const after = this.charAt(this.pos);
      if (quoted && (after === 0x2c || after === 0x7d)) {
        // A lone quoted string is the metric name: {"my.metric", a="b"}.
        this.setQuotedName(rawName, nameAt);
        this.pos++;
        if (after === 0x7d) return;
        continue;
      }
      if (after !== 0x3d) {
        throw this.error(`expected "=" after label name ${rawName}, found ${this.describeAt(this.pos)}`);
      }
      this.pos++;
      this.skipBlanks();
      if (this.charAt(this.pos) !== 0x22) {
        throw this.error(`expected a quoted value for label ${rawName}, found ${this.describeAt(this.pos)}`);
      }
      const rawValue = this.readQuoted(true, 'label value');
      this.addLabel(rawName, rawValue);
      this.skipBlanks();
      if (this.charAt(this.pos) === 0x2c) this.pos++;
    }
  }
}
