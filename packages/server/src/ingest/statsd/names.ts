/**
 * How StatsD names become Prometheus names, as statsd_exporter's mapper.EscapeMetricName does it:
 * every character outside `[a-zA-Z0-9_]` becomes `_` (a run of `-` becomes a single `_`), and a
 * name starting with a digit gets a leading `_`. Used for metric names and tag keys alike.
 *
 * `api.request-time` → `api_request_time`, `5xx.count` → `_5xx_count`, `a--b` → `a_b`,
 * `temp.°C` → `temp__C` (one `_` per character, however many bytes it takes in UTF-8).
 */
export function escapeMetricName(name: string): string {
  if (name === '') return '';
  let out = '';
  let start = 0; // first character not yet copied to `out`
  let changed = false;
  let previous = '';
  const first = name.charCodeAt(0);
  if (first >= 48 && first <= 57) {
    out = '_';
    changed = true;
  }
  // Iterate by code point so that a character outside the BMP becomes one `_`, as in Go.
  let i = 0;
  while (i < name.length) {
    const code = name.codePointAt(i)!;
    const width = code > 0xffff ? 2 : 1;
    const ch = name.slice(i, i + width);
    if (!isNameChar(code)) {
      if (ch === '-' && previous === '-') {
        // statsd_exporter collapses dash runs: the second dash is dropped, not replaced.
        out += name.slice(start, i);
        start = i + width;
        i += width;
        continue;
      }
      out += name.slice(start, i) + '_';
      start = i + width;
      changed = true;
    }
    previous = ch;
    i += width;
  }
  if (!changed) return name;
  return out + name.slice(start);
}

function isNameChar(code: number): boolean {
  return (
    (code >= 97 && code <= 122) || // a-z
    (code >= 65 && code <= 90) || // A-Z
    (code >= 48 && code <= 57) || // 0-9
    code === 95 // _
  );
}

/**
 * A bucket bound as Prometheus stores the `le` label of a classic histogram: Go's shortest `%g`
 * formatting with `.0` appended when neither `.` nor `e` appears (labels.FormatOpenMetricsFloat,
 * which Prometheus 3 applies to every scraped `le`): `1` → `1.0`, `0.005` → `0.005`,
 * `1e6` → `1e+06`, `+Inf` → `+Inf`.
 */
export function formatBucketBound(bound: number): string {
  if (Number.isNaN(bound)) return 'NaN';
  if (bound === Number.POSITIVE_INFINITY) return '+Inf';
  if (bound === Number.NEGATIVE_INFINITY) return '-Inf';
  const text = formatGoShortestG(bound);
  return text.includes('.') || text.includes('e') ? text : `${text}.0`;
}

/** Go's strconv.FormatFloat(f, 'g', -1, 64) for finite f. */
function formatGoShortestG(f: number): string {
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  // toExponential() without an argument gives the shortest round-tripping digits, like Go.
  const [mantissa, exponentText] = f.toExponential().split('e');
  const exponent = Number(exponentText);
  // Go uses %e when the exponent is below -4 or at least 6 (the "shortest" precision rule).
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? '-' : '+';
    const digits = String(Math.abs(exponent)).padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  // In this exponent range JavaScript prints plain decimals with the same shortest digits.
  return String(f);
}
