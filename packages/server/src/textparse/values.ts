/**
 * Number and string rules shared by the text and OpenMetrics parsers, following Prometheus's
 * model/textparse: Go's strconv.ParseFloat without hex floats or digit separators, the
 * label-value and help escapes, and the OpenMetrics float formatting Prometheus 3 applies to
 * `le` and `quantile` label values.
 */

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY = /^([+-]?)(?:inf|infinity)$/i;

/**
 * Parses a sample value the way Prometheus does (Go's ParseFloat, minus `p`/`P` exponents and
 * `_` separators). Returns a description of the problem instead of a number when the text is not
 * a valid value, so callers can wrap it in their own error.
 */
export function parseFloatValue(text: string): number | string {
  if (/[pP_]/.test(text)) return `unsupported character in number ${JSON.stringify(text)}`;
  if (DECIMAL.test(text)) {
    const v = Number(text);
    // Go reports values beyond float64's range as an error rather than rounding to ±Inf.
    if (!Number.isFinite(v)) return `number ${JSON.stringify(text)} is out of the float64 range`;
    return v;
  }
  const inf = INFINITY.exec(text);
  if (inf) return inf[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^nan$/i.test(text)) return Number.NaN;
  return `${JSON.stringify(text)} is not a number`;
}

const INT64_MAX = 9223372036854775807n;

/** Parses a text-format timestamp: decimal digits, milliseconds, within int64. */
export function parseMillisTimestamp(digits: string): number | string {
  if (digits.length > 19 && BigInt(digits) > INT64_MAX) {
    return `timestamp ${digits} does not fit in a 64-bit integer`;
  }
  return Number(digits);
}

/**
 * Undoes label-value escaping: `\"`, `\\` and `\n`. Other backslash sequences stay as they are,
 * as with Prometheus's strings.Replacer.
 */
export function unescapeLabelValue(raw: string): string {
  if (raw.indexOf('\\') === -1) return raw;
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw.charCodeAt(i);
    if (c === 0x5c && i + 1 < raw.length) {
      const n = raw.charCodeAt(i + 1);
      if (n === 0x22 || n === 0x5c) {
        out += raw[i + 1];
        i += 2;
        continue;
      }
      if (n === 0x6e) {
        out += '\n';
        i += 2;
        continue;
      }
    }
    out += raw[i];
    i++;
  }
  return out;
}

/** Undoes text-format HELP escaping: only `\\` and `\n`. */
export function unescapeHelp(raw: string): string {
  if (raw.indexOf('\\') === -1) return raw;
  let out = '';
  let i = 0;
  while (i < raw.length) {
    if (raw.charCodeAt(i) === 0x5c && i + 1 < raw.length) {
      const n = raw.charCodeAt(i + 1);
      if (n === 0x5c) {
        out += '\\';
        i += 2;
        continue;
      }
      if (n === 0x6e) {
        out += '\n';
        i += 2;
        continue;
      }
    }
    out += raw[i];
    i++;
  }
  return out;
}

/**
 * Formats a float like Go's strconv.FormatFloat(f, 'g', -1, 64): the shortest digits that
 * round-trip, in exponent form when the decimal exponent is below -4 or 6 and above
 * (`0.0001`, `1e-05`, `100000`, `1e+06`), with at least two exponent digits.
 */
export function formatGoFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Number.POSITIVE_INFINITY) return '+Inf';
  if (f === Number.NEGATIVE_INFINITY) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const neg = f < 0;
  const [mantissa, expText] = Math.abs(f).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exp = Number(expText);
  let body: string;
  if (exp < -4 || exp >= 6) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const e = Math.abs(exp);
    body = `${digits[0]}${frac}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  } else if (exp >= 0) {
    const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1);
    body = frac ? `${intPart}.${frac}` : intPart;
  } else {
    body = `0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return neg ? `-${body}` : body;
}

/**
 * Prometheus's labels.FormatOpenMetricsFloat: Go's shortest formatting, with `.0` appended when
 * the result has neither a dot nor an exponent (`1` → `1.0`, `1e+06` stays).
 */
export function formatOpenMetricsFloat(f: number): string {
  const s = formatGoFloat(f);
  if (Number.isNaN(f) || !Number.isFinite(f)) return s;
  return s.includes('.') || s.includes('e') ? s : `${s}.0`;
}

/**
 * Prometheus 3 rewrites `le` of histograms and `quantile` of summaries into OpenMetrics float
 * form, so `le="1"` and `le="1.0"` are one series. Values that are not numbers stay unchanged.
 */
export function normalizeBoundLabel(value: string): string {
  const v = parseFloatValue(value);
  return typeof v === 'number' ? formatOpenMetricsFloat(v) : value;
}
