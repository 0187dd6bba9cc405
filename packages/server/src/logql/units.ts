/**
 * The units LogQL reads: durations in Prometheus's form (`5m`, `1h30m`, `2d`) or Go's
 * (`1.5s`, `250ms`, `10us`), and byte sizes as go-humanize reads them (`10KB` = 10,000,
 * `10KiB` = 10,240, `5M`).
 */
import { parseDuration as parsePromDuration } from '../model/duration.ts';

const GO_UNITS_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Nanoseconds, or undefined when the text is neither a Prometheus nor a Go duration. */
export function parseDurationNs(text: string): number | undefined {
  const prom = parsePromDuration(text);
  if (prom !== undefined) return prom * 1e6;
  return parseGoDuration(text);
}

/** Go's time.ParseDuration: an optional sign and one or more decimal numbers with a unit each. */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  const part = /^(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)/;
  let total = 0;
  while (s.length > 0) {
    const m = part.exec(s);
    if (!m || m[1] === '' || m[1] === '.') return undefined;
    total += Number(m[1]) * GO_UNITS_NS[m[2]];
    s = s.slice(m[0].length);
  }
  return sign * total;
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  ki: 1024,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1e12,
  tb: 1e12,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
  p: 1e15,
  pb: 1e15,
  pi: 1024 ** 5,
  pib: 1024 ** 5,
};

/** Bytes as go-humanize's ParseBytes reads them, or undefined. */
export function parseBytes(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return undefined;
  const factor = BYTE_UNITS[m[2].toLowerCase()];
  if (factor === undefined) return undefined;
  return Math.floor(Number(m[1]) * factor);
}
