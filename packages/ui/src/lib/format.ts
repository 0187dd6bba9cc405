/**
 * Numbers, units and series names for people. Pure functions (tested in format.test.ts).
 */
import { formatSeconds } from './time.ts';

/** Units a panel or the Explore graph can show values in. */
export const UNITS: readonly { id: string; label: string }[] = [
  { id: 'short', label: 'Number' },
  { id: 'percent', label: 'Percent (0-100)' },
  { id: 'percentunit', label: 'Percent (0.0-1.0)' },
  { id: 's', label: 'Seconds' },
  { id: 'ms', label: 'Milliseconds' },
  { id: 'bytes', label: 'Bytes (IEC)' },
  { id: 'decbytes', label: 'Bytes (SI)' },
  { id: 'Bps', label: 'Bytes/s' },
  { id: 'reqps', label: 'Requests/s' },
  { id: 'ops', label: 'Operations/s' },
];

const SI = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
const SI_SMALL = ['', 'm', 'µ', 'n', 'p'];

/** A compact number: 1234 → '1.23k', 0.000123 → '123µ', 42 → '42'. */
export function formatShort(v: number, precision = 3): string {
  if (!Number.isFinite(v)) return formatSpecial(v);
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1000) {
    const i = Math.min(Math.floor(Math.log10(abs) / 3), SI.length - 1);
    return `${trim((v / 1000 ** i).toPrecision(precision))}${SI[i]}`;
  }
  if (abs < 0.001) {
    const i = Math.min(Math.ceil(-Math.log10(abs) / 3), SI_SMALL.length - 1);
    return `${trim((v * 1000 ** i).toPrecision(precision))}${SI_SMALL[i]}`;
  }
  if (Number.isInteger(v)) return String(v);
  return trim(v.toPrecision(precision));
}

function trim(s: string): string {
  return s.includes('e') ? String(Number(s)) : s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

function formatSpecial(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
}

function scaled(v: number, base: number, units: readonly string[], precision = 3): string {
  if (!Number.isFinite(v)) return formatSpecial(v);
  let i = 0;
  let x = Math.abs(v);
  while (x >= base && i < units.length - 1) {
    x /= base;
    i++;
  }
  return `${v < 0 ? '-' : ''}${trim(x.toPrecision(precision))} ${units[i]}`;
}

/** A value in `unit` (one of UNITS' ids; anything else is shown as a suffix after the number). */
export function formatValue(v: number | null | undefined, unit = 'short'): string {
  if (v === null || v === undefined) return '–';
  switch (unit) {
    case '':
    case 'short':
    case 'none':
      return formatShort(v);
    case 'percent':
      return Number.isFinite(v) ? `${trim(v.toPrecision(3))}%` : formatSpecial(v);
    case 'percentunit':
      return Number.isFinite(v) ? `${trim((v * 100).toPrecision(3))}%` : formatSpecial(v);
    case 's':
      return formatSeconds(v);
    case 'ms':
      return formatSeconds(v / 1000);
    case 'bytes':
      return scaled(v, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']);
    case 'decbytes':
      return scaled(v, 1000, ['B', 'kB', 'MB', 'GB', 'TB', 'PB']);
    case 'Bps':
      return `${scaled(v, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB'])}/s`;
    case 'reqps':
      return `${formatShort(v)} req/s`;
    case 'ops':
      return `${formatShort(v)} ops/s`;
    default:
      return `${formatShort(v)} ${unit}`;
  }
}

/** The exact sample value as Prometheus writes it (for tables). */
export function formatExact(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return String(v);
}

/** Parses a sample value string from the Prometheus API ('NaN', '+Inf', '1.5'). */
export function parseSampleValue(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Number.POSITIVE_INFINITY;
  if (s === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(s);
}

export type Metric = Readonly<Record<string, string>>;

/** `name{a="1", b="2"}` as Prometheus shows a series. */
export function formatSeriesName(metric: Metric): string {
  const name = metric.__name__ ?? '';
  const pairs = Object.keys(metric)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}="${escapeLabelValue(metric[k])}"`);
  if (pairs.length === 0) return name || '{}';
  return `${name}{${pairs.join(', ')}}`;
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * A series name from a legend template: `{{service}} {{code}}` is filled from the labels; an
 * empty template gives the full series name.
 */
export function formatLegend(metric: Metric, template?: string): string {
  if (!template) return formatSeriesName(metric);
  return template.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, name: string) => metric[name] ?? '');
}

/** A series palette that reads on dark and light backgrounds; beyond it, hues by golden angle. */
const PALETTE = [
  '#5b8def',
  '#3fb27f',
  '#f0a030',
  '#e5577a',
  '#9a6cf0',
  '#2bb3c0',
  '#d9b43a',
  '#ef6a4a',
  '#6fa8ff',
  '#8bc34a',
  '#c77dd9',
  '#4fc3a1',
];

/** The colour of the i-th series. */
export function seriesColor(i: number): string {
  if (i < PALETTE.length) return PALETTE[i];
  const hue = (i * 137.508) % 360;
  return `hsl(${hue.toFixed(0)} 62% 58%)`;
}

/** A stable colour for a string (a service name, a log level), from the palette. */
export function colorFor(key: string): string {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
  return PALETTE[Math.abs(h) % PALETTE.length];
}
