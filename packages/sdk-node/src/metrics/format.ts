/** Number and string formatting for the Prometheus text and OpenMetrics expositions. */

/**
 * A sample value as text. Integers and ordinary floats print as JavaScript does, which every
 * Prometheus parser reads back exactly; the special values use the spelling both formats define.
 */
export function formatValue(v: number): string {
  if (v === 0) return 1 / v < 0 ? '-0' : '0';
  if (Number.isFinite(v)) return String(v);
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? '+Inf' : '-Inf';
}

/**
 * A float as Go's strconv.FormatFloat(f, 'g', -1, 64) writes it, which is how Prometheus's own
 * clients write `le` and `quantile` label values in the text format (`0.005`, `1`, `1e+06`), so
 * bucket series carry the same label values as those of a Go exporter.
 */
export function formatGoFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Number.POSITIVE_INFINITY) return '+Inf';
  if (f === Number.NEGATIVE_INFINITY) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const sign = f < 0 ? '-' : '';
  const [mantissa, expText] = Math.abs(f).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const rest = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const e = Math.abs(exp);
    return `${sign}${digits[0]}${rest}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  if (exp >= 0) {
    const whole = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1);
    return sign + (frac ? `${whole}.${frac}` : whole);
  }
  return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
}

/**
 * A float as OpenMetrics wants `le` and `quantile` values: Go's formatting with `.0` added when
 * there is neither a dot nor an exponent (`1.0`, `1e+06`), as Prometheus's
 * FormatOpenMetricsFloat does and Prometheus 3 normalizes to.
 */
export function formatOpenMetricsFloat(f: number): string {
  const s = formatGoFloat(f);
  if (!Number.isFinite(f) || s.includes('.') || s.includes('e')) return s;
  return `${s}.0`;
}

const LABEL_ESCAPE = /[\\"\n]/;

/** Escapes a label value: `\`, `"` and line feed (both formats). */
export function escapeLabelValue(v: string): string {
  if (!LABEL_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Escapes HELP text: `\` and line feed in the text format; OpenMetrics also escapes `"`. */
export function escapeHelp(help: string, openMetrics: boolean): string {
  let s = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  if (openMetrics) s = s.replace(/"/g, '\\"');
  return s;
}

/** `{a="x",b="y"}` for the given names and values; empty string when there are none. */
export function labelBlock(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return '';
  let s = '{';
  for (let i = 0; i < names.length; i++) {
    if (i > 0) s += ',';
    s += `${names[i]}="${escapeLabelValue(values[i])}"`;
  }
  return `${s}}`;
}

/** Adds one more label to a label block built by `labelBlock`. */
export function appendLabel(block: string, name: string, value: string): string {
  const pair = `${name}="${escapeLabelValue(value)}"`;
  return block === '' ? `{${pair}}` : `${block.slice(0, -1)},${pair}}`;
}
