/**
 * Alertmanager's time intervals (`time_intervals`, `mute_time_intervals`): times of day,
 * weekdays, days of month (negative counts from the month's end), months and years, in a
 * time zone. Parsing is strict and reports what was wrong; containsTime follows Alertmanager's
 * ContainsTime, where every given field must match and an absent field matches everything.
 */

/** An inclusive range of numbers (weekday 0 = Sunday, months 1-12, days -31..31). */
export interface InclusiveRange {
  readonly begin: number;
  readonly end: number;
}

/** One parsed `time_intervals` entry. */
export interface TimeInterval {
  /** Minute ranges within a day, end exclusive. */
  readonly times?: readonly { readonly startMinute: number; readonly endMinute: number }[];
  readonly weekdays?: readonly InclusiveRange[];
  readonly daysOfMonth?: readonly InclusiveRange[];
  readonly months?: readonly InclusiveRange[];
  readonly years?: readonly InclusiveRange[];
  /** IANA zone name; undefined means UTC. */
  readonly location?: string;
}

/** The YAML shape of one interval, as users write it. */
export interface TimeIntervalInput {
  readonly times?: readonly { readonly start_time?: string; readonly end_time?: string }[] | null;
  readonly weekdays?: readonly string[] | null;
  readonly days_of_month?: readonly string[] | null;
  readonly months?: readonly string[] | null;
  readonly years?: readonly string[] | null;
  readonly location?: string | null;
}

/** A time interval that cannot be parsed; `path` says which field. */
export class TimeIntervalError extends Error {
  constructor(
    message: string,
    readonly path: readonly (string | number)[] = [],
  ) {
    super(message);
  }
}

const DAYS: Record<string, number> = {
  sunday: 0,
  monday: 1,
  tuesday: 2,
  wednesday: 3,
  thursday: 4,
  friday: 5,
  saturday: 6,
};
const MONTHS: Record<string, number> = {
  january: 1,
  february: 2,
  march: 3,
  april: 4,
  may: 5,
  june: 6,
  july: 7,
  august: 8,
  september: 9,
  october: 10,
  november: 11,
  december: 12,
};
const MONTH_NAMES = Object.keys(MONTHS);

/** Parses one interval; throws TimeIntervalError naming the field. */
export function parseTimeInterval(input: TimeIntervalInput): TimeInterval {
  const out: {
    times?: { startMinute: number; endMinute: number }[];
    weekdays?: InclusiveRange[];
    daysOfMonth?: InclusiveRange[];
    months?: InclusiveRange[];
    years?: InclusiveRange[];
    location?: string;
  } = {};
  if (input.times) {
    out.times = input.times.map((t, i) => {
      if (!t.start_time || !t.end_time) {
        throw new TimeIntervalError('both start and end times must be provided', ['times', i]);
      }
      const start = parseTimeOfDay(t.start_time, ['times', i, 'start_time']);
      const end = parseTimeOfDay(t.end_time, ['times', i, 'end_time']);
      if (start >= end) {
        throw new TimeIntervalError('start time cannot be equal or greater than end time', ['times', i]);
      }
      return { startMinute: start, endMinute: end };
    });
  }
  if (input.weekdays) {
    out.weekdays = input.weekdays.map((s, i) => {
      const path = ['weekdays', i];
      const r = parseRange(s, path, (p) => {
        const d = DAYS[p];
        if (d === undefined) throw new TimeIntervalError(`${p} is not a valid weekday`, path);
        return d;
      });
      if (r.begin > r.end) throw new TimeIntervalError('start day cannot be before end day', path);
      return r;
    });
  }
  if (input.days_of_month) {
    out.daysOfMonth = input.days_of_month.map((s, i) => {
      const path = ['days_of_month', i];
      const r = parseRange(s, path, (p) => parseInteger(p, path));
      for (const n of [r.begin, r.end]) {
        if (n === 0 || n < -31 || n > 31) {
          throw new TimeIntervalError(`${n} is not a valid day of the month: out of range`, path);
        }
      }
      if (r.begin < 0 && r.end > 0) {
        throw new TimeIntervalError('end day must be negative if start day is negative', path);
      }
      const b = r.begin < 0 ? 28 + r.begin : r.begin;
      const e = r.end < 0 ? 28 + r.end : r.end;
      if (b > e) throw new TimeIntervalError(`end day ${r.end} is always before start day ${r.begin}`, path);
      return r;
    });
  }
  if (input.months) {
    out.months = input.months.map((s, i) => {
      const path = ['months', i];
      const r = parseRange(s, path, (p) => {
        const named = MONTHS[p];
        if (named !== undefined) return named;
        if (!/^[+-]?\d+$/.test(p)) throw new TimeIntervalError(`${p} is not a valid month`, path);
        return Number(p);
      });
      if (r.begin < 1 || r.end > 12) {
        throw new TimeIntervalError(`${s} is not a valid month: out of range (1-12)`, path);
      }
      if (r.begin > r.end) {
        throw new TimeIntervalError(
          `end month ${MONTH_NAMES[r.end - 1]} is before start month ${MONTH_NAMES[r.begin - 1]}`,
          path,
        );
      }
      return r;
    });
  }
  if (input.years) {
    out.years = input.years.map((s, i) => {
      const path = ['years', i];
      const r = parseRange(s, path, (p) => parseInteger(p, path));
      if (r.begin > r.end)
        throw new TimeIntervalError(`end year ${r.end} is before start year ${r.begin}`, path);
      return r;
    });
  }
  if (input.location) {
    out.location = checkLocation(input.location);
  }
  return out;
}

/** Validates a time zone name (Go's time.LoadLocation names; "Local" is this machine's zone). */
function checkLocation(name: string): string {
  const zone = name === 'Local' ? Intl.DateTimeFormat().resolvedOptions().timeZone : name;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new TimeIntervalError(`unknown time zone ${name}`, ['location']);
  }
  return zone;
}

function parseInteger(text: string, path: readonly (string | number)[]): number {
  if (!/^[+-]?\d+$/.test(text)) throw new TimeIntervalError(`${text} is not a number`, path);
  return Number(text);
}

function parseRange(
  text: string,
  path: readonly (string | number)[],
  member: (part: string) => number,
): InclusiveRange {
  const s = String(text).toLowerCase();
  if (s.includes(':')) {
    const parts = s.split(':');
    if (parts.length !== 2) throw new TimeIntervalError(`couldn't parse range ${text}, invalid format`, path);
    return { begin: member(parts[0]), end: member(parts[1]) };
  }
  const n = member(s);
  return { begin: n, end: n };
}

const TIME_OF_DAY = /^((([01][0-9])|(2[0-3])):[0-5][0-9])$|(^24:00$)/;

function parseTimeOfDay(text: string, path: readonly (string | number)[]): number {
  if (!TIME_OF_DAY.test(text)) {
    throw new TimeIntervalError(`couldn't parse timestamp ${text}, invalid format`, path);
  }
  const [h, m] = text.split(':').map(Number);
  return h * 60 + m;
}

interface CivilTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly weekday: number;
  readonly minuteOfDay: number;
  readonly daysInMonth: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function civilTime(ms: number, zone: string | undefined): CivilTime {
  let year: number;
  let month: number;
  let day: number;
  let hour: number;
  let minute: number;
  if (!zone || zone === 'UTC') {
    const d = new Date(ms);
    year = d.getUTCFullYear();
    month = d.getUTCMonth() + 1;
    day = d.getUTCDate();
    hour = d.getUTCHours();
    minute = d.getUTCMinutes();
  } else {
    let f = formatters.get(zone);
    if (!f) {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
      });
      formatters.set(zone, f);
    }
    const parts: Record<string, number> = {};
    for (const p of f.formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
    year = parts.year;
    month = parts.month;
    day = parts.day;
    hour = parts.hour;
    minute = parts.minute;
  }
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return { year, month, day, weekday, minuteOfDay: hour * 60 + minute, daysInMonth };
}

/** Whether the instant (Unix ms) lies inside the interval (Alertmanager's ContainsTime). */
export function containsTime(interval: TimeInterval, ms: number): boolean {
  const t = civilTime(ms, interval.location);
  if (
    interval.times &&
    !interval.times.some((r) => t.minuteOfDay >= r.startMinute && t.minuteOfDay < r.endMinute)
  ) {
    return false;
  }
  if (interval.daysOfMonth) {
    let inside = false;
    for (const r of interval.daysOfMonth) {
      let begin = r.begin < 0 ? t.daysInMonth + r.begin + 1 : r.begin;
      let end = r.end < 0 ? t.daysInMonth + r.end + 1 : r.end;
      // A range starting past the end of a short month does not apply to it.
      if (begin > t.daysInMonth) continue;
      begin = clamp(begin, -t.daysInMonth, t.daysInMonth);
      end = clamp(end, -t.daysInMonth, t.daysInMonth);
      if (t.day >= begin && t.day <= end) {
        inside = true;
        break;
      }
    }
    if (!inside) return false;
  }
  if (interval.months && !interval.months.some((r) => t.month >= r.begin && t.month <= r.end)) return false;
  if (interval.weekdays && !interval.weekdays.some((r) => t.weekday >= r.begin && t.weekday <= r.end)) {
    return false;
  }
  if (interval.years && !interval.years.some((r) => t.year >= r.begin && t.year <= r.end)) return false;
  return true;
}

function clamp(n: number, min: number, max: number): number {
  return n <= min ? min : n >= max ? max : n;
}
