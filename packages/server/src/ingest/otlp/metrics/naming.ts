/**
 * OTLP metric, unit and attribute names → Prometheus names, the way Prometheus 3's OTLP receiver
 * does it by default (translation strategy `UnderscoreEscapingWithSuffixes`, from
 * github.com/prometheus/otlptranslator), which implements the OpenTelemetry ↔ Prometheus
 * compatibility specification:
 *
 * - metric names: characters outside `[a-zA-Z0-9:]` split the name into words that are joined
 *   with `_` (so runs of invalid characters and underscores collapse to one `_`), then the unit
 *   words, `_total` for monotonic sums and `_ratio` for gauges with unit `1` are appended unless
 *   already there; a leading digit gets a `_` prefix.
 * - label names: every character outside `[a-zA-Z0-9]` becomes `_` (runs are kept, as Prometheus
 *   keeps them by default); a leading digit gets `key_`, a single leading `_` gets `key`.
 */

/** What the naming rules need to know about an OTLP metric's kind. */
export type NamingKind =
  | 'gauge'
  | 'monotonic_sum'
  | 'non_monotonic_sum'
  | 'histogram'
  | 'exponential_histogram'
  | 'summary';

/** Thrown when a name cannot be turned into a usable Prometheus name. */
export class NamingError extends Error {}

// UCUM units (https://ucum.org) → Prometheus base-unit words.
const UNIT_WORDS: Readonly<Record<string, string>> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '1': '',
  '%': 'percent',
};

// The denominator of a rate unit such as `By/s`, in the singular.
const PER_UNIT_WORDS: Readonly<Record<string, string>> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

function isMetricNameChar(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === ':';
}

function isLabelNameChar(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Splits on every code point that is not a metric-name character, dropping empty words. */
function metricNameWords(name: string): string[] {
  const words: string[] = [];
  let word = '';
  for (const c of name) {
    if (isMetricNameChar(c)) {
      word += c;
    } else if (word !== '') {
      words.push(word);
      word = '';
    }
  }
  if (word !== '') words.push(word);
  return words;
}

/**
 * The unit's two halves before clean-up: `By/s` → `['bytes', 'per_second']`. Parts in curly
 * braces (`{request}`) are annotations and are dropped, as the specification requires.
 */
function unitSuffixes(unit: string): [main: string, per: string] {
  const slash = unit.indexOf('/');
  const mainPart = (slash < 0 ? unit : unit.slice(0, slash)).trim();
  const perRaw = slash < 0 ? '' : unit.slice(slash + 1);
  let main = '';
  if (mainPart !== '' && !/[{}]/.test(mainPart)) main = UNIT_WORDS[mainPart] ?? mainPart;
  let per = '';
  if (perRaw !== '') {
    const perPart = perRaw.trim();
    if (perPart !== '' && !/[{}]/.test(perPart)) per = PER_UNIT_WORDS[perPart] ?? perPart;
    if (per !== '') per = `per_${per}`;
  }
  return [main, per];
}

/** Invalid characters → `_`, runs of `_` collapsed, a leading `_` removed. */
function cleanUnitWord(word: string): string {
  let out = '';
  for (const c of word) {
    const mapped = isMetricNameChar(c) ? c : '_';
    if (mapped === '_' && out.endsWith('_')) continue;
    out += mapped;
  }
  return out.startsWith('_') ? out.slice(1) : out;
}

/**
 * The Prometheus metric family name for an OTLP metric, e.g.
 * `prometheusMetricName('http.server.duration', 's', 'histogram')` → `http_server_duration_seconds`,
 * `prometheusMetricName('requests', '{request}', 'monotonic_sum')` → `requests_total`.
 * Throws NamingError when nothing usable is left (e.g. a name made only of punctuation).
 */
export function prometheusMetricName(name: string, unit: string, kind: NamingKind): string {
  let words = metricNameWords(name);
  const [mainRaw, perRaw] = unitSuffixes(unit);
  let main = cleanUnitWord(mainRaw);
  let per = cleanUnitWord(perRaw);
  if (words.includes(main)) main = '';
  if (per === 'per_') {
    per = '';
  } else {
    if (per.endsWith('_')) per = per.slice(0, -1);
    if (words.includes(per)) per = '';
  }
  if (per !== '' && main.endsWith('_')) main = main.slice(0, -1);
  if (main !== '') words.push(main);
  if (per !== '') words.push(per);

  if (kind === 'monotonic_sum') words = [...words.filter((w) => w !== 'total'), 'total'];
  // Prometheus appends _ratio only to gauges: some receivers wrongly give counters of things unit "1".
  if (unit === '1' && kind === 'gauge') words = [...words.filter((w) => w !== 'ratio'), 'ratio'];

  let result = words.join('_');
  if (isDigit(result[0])) result = `_${result}`;
  if (result === '' || (result !== name && /^_+$/.test(result))) {
    throw new NamingError(
      `metric name ${JSON.stringify(name)} has no characters usable in a Prometheus name`,
    );
  }
  return result;
}

/**
 * The unit as Prometheus metadata shows it: `s` → `seconds`, `By/s` → `bytes_per_second`,
 * `1` and `{request}` → `` (no unit).
 */
export function prometheusUnit(unit: string): string {
  const [mainRaw, perRaw] = unitSuffixes(unit);
  const main = cleanUnitWord(mainRaw);
  const per = cleanUnitWord(perRaw);
  let out = main !== '' && per !== '' ? `${main}_${per}` : main !== '' ? main : per;
  if (out.startsWith('_')) out = out.slice(1);
  if (out.endsWith('_')) out = out.slice(0, -1);
  return out;
}

/**
 * An OTLP attribute key as a Prometheus label name: `http.method` → `http_method`,
 * `2xx` → `key_2xx`, `_private` → `key_private`, `__reserved__` unchanged.
 * Throws NamingError for an empty key or one that becomes only underscores.
 */
export function prometheusLabelName(key: string): string {
  if (key === '') throw new NamingError('attribute key is empty');
  let out = '';
  for (const c of key) out += isLabelNameChar(c) ? c : '_';
  if (isDigit(out[0])) out = `key_${out}`;
  else if (out.startsWith('_') && !out.startsWith('__')) out = `key${out}`;
  if (/^_+$/.test(out)) {
    throw new NamingError(`attribute key ${JSON.stringify(key)} has no characters usable in a label name`);
  }
  return out;
}

/**
 * Formats a float the way Go's `strconv.FormatFloat(v, 'f', -1, 64)` does, which Prometheus uses
 * for `le` and `quantile` values of OTLP data: the shortest digits that round-trip, never in
 * exponent notation (`1e-7` → `0.0000001`, `1e21` → `1000000000000000000000`), and `+Inf`/`-Inf`/`NaN`.
 */
export function formatFloatPlain(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const negative = s.startsWith('-');
  const mantissa = s.slice(negative ? 1 : 0, e);
  const exponent = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  // Position of the decimal point relative to the start of `digits`.
  const point = (dot < 0 ? mantissa.length : dot) + exponent;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}
