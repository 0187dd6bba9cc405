/**
 * Go's text forms that promtool's unit-test output uses: labels.Labels.String(),
 * time.Duration.String(), model.Duration.String(), strconv 'E' floats and %q strings.
 */
import { formatFloat, quote } from '../../gotemplate/index.ts';
import { isLegacyLabelName, type Labels } from '../../model/labels.ts';

/** labels.Labels.String(): `{a="b", c="d"}`; names outside the legacy charset are quoted. */
export function goLabelsString(labels: Labels): string {
  return `{${labels.map((l) => `${isLegacyLabelName(l.name) ? l.name : quote(l.name)}=${quote(l.value)}`).join(', ')}}`;
}

/** time.Duration.String() of milliseconds: `0s`, `1m0s`, `24h0m0s`, `1.5s`, `500ms`. */
export function goDurationString(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let u = Math.abs(ms);
  let out: string;
  if (u < 1000) out = `${u}ms`;
  else {
    const frac = u % 1000;
    u = Math.floor(u / 1000);
    const s = `${u % 60}${frac ? `.${String(frac).padStart(3, '0').replace(/0+$/, '')}` : ''}s`;
    u = Math.floor(u / 60);
    if (u === 0) out = s;
    else {
      const m = `${u % 60}m`;
      u = Math.floor(u / 60);
      out = u === 0 ? m + s : `${u}h${m}${s}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** model.Duration.String(): `0s`, `5m`, `1d`, `1w`, `1h30m`; years and weeks only when exact. */
export function modelDurationString(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let r = '';
  const f = (unit: string, mult: number, exact: boolean) => {
    if (exact && rest % mult !== 0) return;
    const v = Math.floor(rest / mult);
    if (v > 0) {
      r += `${v}${unit}`;
      rest -= v * mult;
    }
  };
  f('y', 365 * 86_400_000, true);
  f('w', 7 * 86_400_000, true);
  f('d', 86_400_000, false);
  f('h', 3_600_000, false);
  f('m', 60_000, false);
  f('s', 1000, false);
  f('ms', 1, false);
  return r;
}

/** strconv.FormatFloat(v, 'E', -1, 64). */
export function goFloatE(v: number): string {
  return formatFloat(v, 'E', -1);
}

export { quote as goQuote };

/** Prefixes every line but the first with `indent` (promtool's indentLines). */
export function indentLines(lines: string, indent: string): string {
  return lines.split('\n').join(`\n${indent}`);
}
