import type { ExposedMetricType, ParserOptions } from './parser.ts';
import { BaseParser, type EntryKind, isLabelNameStart, isMetricNameStart } from './parser.ts';
import { parseFloatValue, unescapeLabelValue } from './values.ts';

const OM_TYPES: Readonly<Record<string, ExposedMetricType>> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  gaugehistogram: 'gaugehistogram',
  summary: 'summary',
  info: 'info',
  stateset: 'stateset',
  unknown: 'unknown',
};

/**
 * OpenMetrics 1.0 text, as strict as Prometheus's parser: single spaces between tokens, no blank
 * lines, no comments other than HELP/TYPE/UNIT, commas between labels, label values on one line,
 * timestamps in (fractional) seconds, an optional exemplar after ` # ` (checked and skipped), and
 * a final `# EOF` with nothing after it. `_created` lines are returned as ordinary series, as
 * Prometheus does by default.
 */
export class OpenMetricsParser extends BaseParser {
  private done = false;

  constructor(text: string, options: ParserOptions = {}) {
    super(text, options);
  }

  next(): EntryKind | undefined {
    if (this.done) return undefined;
    const s = this.text;
    if (this.pos >= s.length) throw this.error('the exposition does not end with "# EOF"');
    const c = s.charCodeAt(this.pos);
    if (c === 0x23) return this.metaLine();
    if (c === 0x7b || isMetricNameStart(c)) return this.seriesLine();
    if (c === 0x0a) throw this.error('blank lines are not allowed in OpenMetrics');
    throw this.error(
      `expected a metric name, "{" or "#" at the start of a line, found ${this.describeAt(this.pos)}`,
    );
  }

  private metaLine(): EntryKind | undefined {
    const s = this.text;
    if (s.charCodeAt(this.pos + 1) !== 0x20) {
      throw this.error('expected "# HELP", "# TYPE", "# UNIT" or "# EOF" (with one space after "#")');
    }
    this.pos += 2;
    if (s.startsWith('EOF', this.pos)) {
      this.pos += 3;
      if (this.charAt(this.pos) === 0x0a) this.pos++;
      if (this.pos < s.length) throw this.error('unexpected data after "# EOF"');
      this.done = true;
      return undefined;
    }
    const word = s.slice(this.pos, this.pos + 4);
    if ((word !== 'HELP' && word !== 'TYPE' && word !== 'UNIT') || s.charCodeAt(this.pos + 4) !== 0x20) {
      throw this.error('OpenMetrics allows no comments other than "# HELP", "# TYPE", "# UNIT" and "# EOF"');
    }
    this.pos += 5;
    const c = this.charAt(this.pos);
    let rawMetric: string;
    if (c === 0x22) rawMetric = this.readQuoted(true, 'metric name');
    else if (isMetricNameStart(c)) rawMetric = this.readMetricName();
    else throw this.error(`expected a metric name after # ${word}, found ${this.describeAt(this.pos)}`);
    this.metric = unescapeLabelValue(rawMetric);
    const eol = s.indexOf('\n', this.pos);
    if (this.charAt(this.pos) !== 0x20 || eol === -1) {
      throw this.error(`expected a space and text after # ${word} ${this.metric}`);
    }
    const text = s.slice(this.pos + 1, eol);
    this.pos = eol + 1;
    if (word === 'TYPE') {
      const type = OM_TYPES[text];
      if (type === undefined) {
        throw this.error(
          `invalid metric type ${JSON.stringify(text)}; OpenMetrics knows ${Object.keys(OM_TYPES).join(', ')}`,
          eol,
        );
      }
      this.type = type;
      this.currentType = type;
      return 'type';
    }
    if (word === 'UNIT') {
      const m = this.metric;
      if (text !== '' && (!m.endsWith(`_${text}`) || m.length < text.length + 1)) {
        throw this.error(`unit ${JSON.stringify(text)} is not a suffix of metric ${JSON.stringify(m)}`, eol);
      }
      this.unit = text;
      return 'unit';
    }
    if (this.options.invalidUtf8 && text.includes('\ufffd')) {
      throw this.error(`help text of ${this.metric} is not valid UTF-8`, eol);
    }
    this.help = unescapeLabelValue(text);
    return 'help';
  }

  private seriesLine(): EntryKind {
    const s = this.text;
    const start = this.pos;
    this.startSeries();
    if (s.charCodeAt(this.pos) !== 0x7b) {
      this.rawName = this.readMetricName();
      this.nameSet = true;
    }
    if (this.charAt(this.pos) === 0x7b) {
      this.pos++;
      this.labelList(false);
    }
    this.series = s.slice(start, this.pos);
    if (!this.nameSet) throw this.error('the series has no metric name', start);
    this.value = this.spacedNumber('value');
    // After the value: end of line, a timestamp, or an exemplar.
    if (this.atExemplar()) {
      this.readExemplar();
      return 'series';
    }
    const c = this.charAt(this.pos);
    if (c === 0x0a) {
      this.pos++;
      return 'series';
    }
    if (c !== 0x20) throw this.endOfLineError('value');
    const tsAt = this.pos + 1;
    const ts = this.spacedNumber('timestamp');
    if (!Number.isFinite(ts)) throw this.error(`invalid timestamp ${ts}`, tsAt);
    // Seconds to milliseconds, truncated like Prometheus's int64 conversion.
    this.timestamp = Math.trunc(ts * 1000);
    if (this.atExemplar()) {
      this.readExemplar();
      return 'series';
    }
    if (this.charAt(this.pos) !== 0x0a) throw this.endOfLineError('timestamp');
    this.pos++;
    return 'series';
  }

  private endOfLineError(after: string): Error {
    if (this.pos >= this.text.length) return this.error('the exposition does not end with "# EOF"');
    return this.error(`expected the end of the line after the ${after}, found ${this.describeAt(this.pos)}`);
  }

  /** A single space followed by a number up to the next space or line break. */
  private spacedNumber(what: string): number {
    const s = this.text;
    if (this.charAt(this.pos) !== 0x20) {
      if (this.pos >= s.length) throw this.error('the exposition does not end with "# EOF"');
      throw this.error(`expected one space and a ${what}, found ${this.describeAt(this.pos)}`);
    }
    const start = this.pos + 1;
    let i = start;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x0a) break;
      i++;
    }
    if (i === start) throw this.error(`expected a ${what}, found ${this.describeAt(i)}`, i);
    const v = parseFloatValue(s.slice(start, i));
    if (typeof v === 'string') throw this.error(v, start);
    this.pos = i;
    return v;
  }

  private atExemplar(): boolean {
    return this.text.startsWith(' # {', this.pos);
  }

  /** ` # {labels} value [timestamp]` up to the line break; kept for `exemplar()`. */
  private readExemplar(): void {
    this.pos += 4;
    // Exemplar labels are parsed into scratch space so the series keeps its own.
    const names = this.rawLabelNames.length;
    this.labelList(true);
    const exemplarNames = this.rawLabelNames.slice(names);
    const exemplarValues = this.rawLabelValues.slice(names);
    this.rawLabelNames.length = names;
    this.rawLabelValues.length = names;
    const value = this.spacedNumber('exemplar value');
    let timestamp: number | undefined;
    if (this.charAt(this.pos) === 0x20) {
      const at = this.pos + 1;
      const ts = this.spacedNumber('exemplar timestamp');
      if (!Number.isFinite(ts)) throw this.error(`invalid exemplar timestamp ${ts}`, at);
      timestamp = Math.trunc(ts * 1000);
    }
    this.rawExemplar = { names: exemplarNames, values: exemplarValues, value, timestamp };
    if (this.charAt(this.pos) !== 0x0a) throw this.endOfLineError('exemplar');
    this.pos++;
  }

  /** Labels after `{`: `name="value"` separated by single commas, a trailing comma allowed. */
  private labelList(exemplar: boolean): void {
    const what = exemplar ? 'exemplar label' : 'label';
    for (;;) {
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
        rawName = this.readQuoted(!exemplar, `${what} name`);
        quoted = true;
      } else throw this.error(`expected a ${what} name or "}", found ${this.describeAt(this.pos)}`);
      const after = this.charAt(this.pos);
      if (quoted && (after === 0x2c || after === 0x7d)) {
        if (exemplar) throw this.error('an exemplar cannot have a metric name', nameAt);
        this.setQuotedName(rawName, nameAt);
        this.pos++;
        if (after === 0x7d) return;
        continue;
      }
      if (after !== 0x3d) {
        throw this.error(`expected "=" after ${what} name ${rawName}, found ${this.describeAt(this.pos)}`);
      }
      this.pos++;
      if (this.charAt(this.pos) !== 0x22) {
        throw this.error(
          `expected a quoted value for ${what} ${rawName}, found ${this.describeAt(this.pos)}`,
        );
      }
      const rawValue = this.readQuoted(false, `${what} value`);
      this.addLabel(rawName, rawValue);
      const sep = this.charAt(this.pos);
      if (sep === 0x2c) this.pos++;
      else if (sep !== 0x7d) {
        throw this.error(
          `expected "," or "}" after the value of ${what} ${rawName}, found ${this.describeAt(this.pos)}`,
        );
      }
    }
  }
}
