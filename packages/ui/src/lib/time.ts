/**
 * Time ranges as people type them: relative ('now-1h', 'now') or absolute (ISO 8601, or epoch
 * milliseconds), durations in Prometheus's syntax ('1h30m'), and formatting in the browser's zone
 * or UTC.
 */

/** A time range as stored in the URL: each end is an expression resolved at query time. */
export interface RawTimeRange {
  readonly from: string;
  readonly to: string;
}

/** A resolved range in epoch milliseconds. */
export interface TimeRange {
  readonly start: number;
  readonly end: number;
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** Parses a Prometheus duration such as '5m', '1h30m', '500ms'; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (!s) return undefined;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000; // bare seconds, as the Prometheus API takes
  const re = /(\d+)(ms|s|m|h|d|w|y)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]];
    pos = re.lastIndex;
  }
  return total;
}

/** Formats milliseconds as a Prometheus duration: 90000 → '1m30s'. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const unit of ['w', 'd', 'h', 'm', 's', 'ms']) {
    const size = UNIT_MS[unit];
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}

/**
 * Resolves one end of a range: 'now', 'now-5m', 'now+1h', an ISO 8601 date, or epoch
 * milliseconds. Undefined when the text is none of these.
 */
export function parseTimeExpr(text: string, now: number): number | undefined {
  const s = text.trim();
  if (s === 'now') return now;
  const rel = /^now\s*([+-])\s*(.+)$/.exec(s);
  if (rel) {
    const d = parseDuration(rel[2]);
    if (d === undefined) return undefined;
    return rel[1] === '-' ? now - d : now + d;
  }
  if (/^\d{10,}$/.test(s)) return Number(s);
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) {
    const t = Date.parse(s.includes('T') || s.length === 10 ? s : s.replace(' ', 'T'));
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

/** Resolves a raw range; throws a message naming the bad end. */
export function resolveRange(raw: RawTimeRange, now = Date.now()): TimeRange {
  const start = parseTimeExpr(raw.from, now);
  if (start === undefined) throw new Error(`cannot read the start time "${raw.from}"`);
  const end = parseTimeExpr(raw.to, now);
  if (end === undefined) throw new Error(`cannot read the end time "${raw.to}"`);
  if (end <= start) throw new Error('the end of the time range must be after its start');
  return { start, end };
}

/** True when the range moves with the clock (its end is 'now'). */
export function isRelative(raw: RawTimeRange): boolean {
  return raw.to.trim().startsWith('now');
}

const NICE_STEPS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
].map((s) => s * 1000);

/**
 * A step for a range query: the range split into about `points` intervals, rounded up to a
 * round duration (15s, 1m, 5m ...), never below `min`.
 */
export function autoStep(rangeMs: number, points = 500, min = 1000): number {
  const raw = Math.max(rangeMs / points, min);
  return NICE_STEPS.find((s) => s >= raw) ?? Math.ceil(raw / 86_400_000) * 86_400_000;
}

/** Quick choices for the time picker. */
export const QUICK_RANGES: readonly { label: string; from: string }[] = [
  { label: 'Last 5 minutes', from: 'now-5m' },
  { label: 'Last 15 minutes', from: 'now-15m' },
  { label: 'Last 30 minutes', from: 'now-30m' },
  { label: 'Last 1 hour', from: 'now-1h' },
  { label: 'Last 3 hours', from: 'now-3h' },
  { label: 'Last 6 hours', from: 'now-6h' },
  { label: 'Last 12 hours', from: 'now-12h' },
  { label: 'Last 24 hours', from: 'now-24h' },
  { label: 'Last 2 days', from: 'now-2d' },
  { label: 'Last 7 days', from: 'now-7d' },
];

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** 'YYYY-MM-DD HH:MM:SS' in UTC or the browser's zone. */
export function formatTime(ms: number, utc: boolean, options: { millis?: boolean } = {}): string {
  const d = new Date(ms);
  const [Y, M, D, h, m, s, ms3] = utc
    ? [
        d.getUTCFullYear(),
        d.getUTCMonth() + 1,
        d.getUTCDate(),
        d.getUTCHours(),
        d.getUTCMinutes(),
        d.getUTCSeconds(),
        d.getUTCMilliseconds(),
      ]
    : [
        d.getFullYear(),
        d.getMonth() + 1,
        d.getDate(),
        d.getHours(),
        d.getMinutes(),
        d.getSeconds(),
        d.getMilliseconds(),
      ];
  const base = `${Y}-${pad(M)}-${pad(D)} ${pad(h)}:${pad(m)}:${pad(s)}`;
  return options.millis ? `${base}.${pad(ms3, 3)}` : base;
}

/** 'HH:MM:SS' (with '.mmm' when asked) in UTC or the browser's zone. */
export function formatClock(ms: number, utc: boolean, millis = false): string {
  return formatTime(ms, utc, { millis }).slice(11);
}

/** A label for a range: 'Last 1 hour', or its two ends. */
export function describeRange(raw: RawTimeRange, utc: boolean): string {
  if (raw.to === 'now') {
    const quick = QUICK_RANGES.find((q) => q.from === raw.from);
    if (quick) return quick.label;
    const m = /^now-(.+)$/.exec(raw.from);
    if (m) return `Last ${m[1]}`;
  }
  const show = (s: string) => {
    const t = parseTimeExpr(s, Date.now());
    return /^now/.test(s) || t === undefined ? s : formatTime(t, utc).slice(0, 16);
  };
  return `${show(raw.from)} → ${show(raw.to)}`;
}

/** '3s ago', '5m ago', 'in 2h': for "last scrape", "active since". */
export function formatAgo(ms: number, now = Date.now()): string {
  const diff = now - ms;
  const abs = Math.abs(diff);
  let text: string;
  if (abs < 1000) text = `${Math.round(abs)}ms`;
  else if (abs < 60_000) text = `${(abs / 1000).toFixed(abs < 10_000 ? 1 : 0)}s`;
  else if (abs < 3_600_000) text = `${Math.floor(abs / 60_000)}m ${Math.floor((abs % 60_000) / 1000)}s`;
  else if (abs < 86_400_000)
    text = `${Math.floor(abs / 3_600_000)}h ${Math.floor((abs % 3_600_000) / 60_000)}m`;
  else text = `${Math.floor(abs / 86_400_000)}d ${Math.floor((abs % 86_400_000) / 3_600_000)}h`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

/** A duration in seconds for people: 0.0123 → '12.3ms'. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const abs = Math.abs(seconds);
  if (abs === 0) return '0s';
  if (abs < 1e-6) return `${+(seconds * 1e9).toPrecision(3)}ns`;
  if (abs < 1e-3) return `${+(seconds * 1e6).toPrecision(3)}µs`;
  if (abs < 1) return `${+(seconds * 1e3).toPrecision(3)}ms`;
  if (abs < 60) return `${+seconds.toPrecision(3)}s`;
  return formatDuration(seconds * 1000);
}
