/**
 * How Go values look on the JS side. Templates run over plain JS data; these conventions tell
 * the engine which Go type a JS value stands for, because Go's printing and comparisons depend
 * on the type:
 *
 * | JS value                      | Go type it stands for                                      |
 * | ----------------------------- | ---------------------------------------------------------- |
 * | `string`                      | `string`                                                   |
 * | `number`                      | `float64` (`{{ $value }}` of 1e6 prints `1e+06`)           |
 * | `bigint`                      | `int` (`len`, range indexes, integer literals)             |
 * | `boolean`                     | `bool`                                                     |
 * | `null`                        | `nil`                                                      |
 * | `undefined`                   | no value (a missing map key; prints `<no value>`)          |
 * | `Array`                       | a slice                                                    |
 * | `Map` / {@link GoMap}         | a map (GoMap knows its element type's zero value)          |
 * | {@link GoTime}                | `time.Time`                                                |
 * | a function                    | a func value (for `call`)                                  |
 * | any other object              | a struct: own enumerable properties are its fields, and    |
 * |                               | function-valued properties (own or inherited) are methods  |
 *
 * An object may name its Go type for error messages and `%T` with the {@link GO_TYPE} symbol.
 */

/** Property under which an object, array or map names its Go type, e.g. `template.Data`. */
export const GO_TYPE: unique symbol = Symbol.for('vigil.gotemplate.type');

/**
 * A Go map with a known element type: `zero` is what a missing key yields under
 * `missingkey=zero` and from `index` (`""` for `map[string]string`). A plain `Map` stands for
 * `map[string]interface{}`, whose zero value is `nil`.
 *
 * @example new GoMap(Object.entries({ job: 'node' }), '') // map[string]string
 */
export class GoMap<V = unknown> extends Map<string, V> {
  readonly zero: V | null;
  readonly [GO_TYPE]: string;

  constructor(entries: Iterable<readonly [string, V]> = [], zero: V | null = null, typeName?: string) {
    super(entries);
    this.zero = zero;
    this[GO_TYPE] = typeName ?? (typeof zero === 'string' ? 'map[string]string' : 'map[string]interface {}');
  }
}

/** `map[string]string` from a plain record, the shape of label sets in templates. */
export function stringMap(record: Readonly<Record<string, string>>): GoMap<string> {
  return new GoMap(Object.entries(record), '');
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/**
 * Go's `time.Time`, in UTC or at a fixed offset, with nanosecond precision. Templates call its
 * Go methods (`.Format "2006-01-02"`, `.Unix`, `.UTC`); it prints like Go's Time.String().
 */
export class GoTime {
  readonly [GO_TYPE] = 'time.Time';

  /**
   * @param unixNanos nanoseconds since the Unix epoch
   * @param offsetSeconds the zone's offset east of UTC; 0 is UTC
   * @param zoneName the zone abbreviation printed by String and `MST` in layouts
   */
  constructor(
    readonly unixNanos: bigint,
    readonly offsetSeconds = 0,
    readonly zoneName = 'UTC',
  ) {}

  /** A time from Unix milliseconds, in UTC. */
  static fromUnixMillis(ms: number): GoTime {
    return new GoTime(BigInt(Math.trunc(ms)) * 1_000_000n + BigInt(Math.round((ms % 1) * 1e6)));
  }

  /** Seconds since the epoch (Go's Time.Unix). */
  Unix(): bigint {
    return floorDiv(this.unixNanos, 1_000_000_000n);
  }
  UnixMilli(): bigint {
    return floorDiv(this.unixNanos, 1_000_000n);
  }
  UnixNano(): bigint {
    return this.unixNanos;
  }
  UTC(): GoTime {
    return new GoTime(this.unixNanos);
  }
  IsZero(): boolean {
    // Go's zero Time is year 1; Unix 0 is not zero, but rules never hand out year-1 times.
    return this.unixNanos === ZERO_TIME_NANOS;
  }
  /** Formats with a Go reference layout (`2006-01-02T15:04:05Z07:00`). */
  Format(layout: string): string {
    return formatGoTime(this, layout);
  }
  String(): string {
    return formatGoTime(this, '2006-01-02 15:04:05.999999999 -0700 MST');
  }
  /** The wall-clock fields in the time's own zone. */
  fields(): {
    year: number;
    month: number;
    day: number;
    hour: number;
    minute: number;
    second: number;
    nanos: number;
    weekday: number;
    yearDay: number;
  } {
    const shifted = this.unixNanos + BigInt(this.offsetSeconds) * 1_000_000_000n;
    const secs = floorDiv(shifted, 1_000_000_000n);
    const nanos = Number(shifted - secs * 1_000_000_000n);
    const d = new Date(Number(secs) * 1000);
    const startOfYear = Date.UTC(d.getUTCFullYear(), 0, 1);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      nanos,
      weekday: d.getUTCDay(),
      yearDay: Math.floor((d.getTime() - startOfYear) / 86_400_000) + 1,
    };
  }
}

const ZERO_TIME_NANOS = -62135596800n * 1_000_000_000n;

/** Division rounding towards negative infinity; b must be positive. */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

// Layout elements of Go's time.Format, longest first where one is a prefix of another.
const LAYOUT_TOKENS = [
  'January',
  'Jan',
  'Monday',
  'Mon',
  '2006',
  '06',
  '01',
  '002',
  '02',
  '_2',
  '__2',
  '15',
  '03',
  '04',
  '05',
  'PM',
  'pm',
  'MST',
  'Z07:00:00',
  'Z070000',
  'Z07:00',
  'Z0700',
  'Z07',
  '-07:00:00',
  '-070000',
  '-07:00',
  '-0700',
  '-07',
  '1',
  '2',
  '3',
  '4',
  '5',
].sort((a, b) => b.length - a.length);

function formatGoTime(t: GoTime, layout: string): string {
  const f = t.fields();
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  let out = '';
  let i = 0;
  while (i < layout.length) {
    // Fractional seconds: .000 / ,000 (fixed) and .999 / ,999 (trailing zeros dropped).
    const frac = /^[.,](0+|9+)(?![0-9])/.exec(layout.slice(i));
    if (frac && i > 0 && layout.slice(0, i).endsWith('05')) {
      const digits = frac[1].length;
      let s = pad(f.nanos, 9).slice(0, digits);
      if (frac[1][0] === '9') s = s.replace(/0+$/, '');
      if (s !== '') out += frac[0][0] + s;
      i += frac[0].length;
      continue;
    }
    const tok = LAYOUT_TOKENS.find((k) => layout.startsWith(k, i));
    if (!tok) {
      out += layout[i++];
      continue;
    }
    i += tok.length;
    const off = t.offsetSeconds;
    const offSign = off < 0 ? '-' : '+';
    const offH = pad(Math.floor(Math.abs(off) / 3600), 2);
    const offM = pad(Math.floor((Math.abs(off) % 3600) / 60), 2);
    const offS = pad(Math.abs(off) % 60, 2);
    switch (tok) {
      case 'January':
        out += MONTHS[f.month - 1];
        break;
      case 'Jan':
        out += MONTHS[f.month - 1].slice(0, 3);
        break;
      case 'Monday':
        out += DAYS[f.weekday];
        break;
      case 'Mon':
        out += DAYS[f.weekday].slice(0, 3);
        break;
      case '2006':
        out += pad(f.year, 4);
        break;
      case '06':
        out += pad(f.year % 100, 2);
        break;
      case '01':
        out += pad(f.month, 2);
        break;
      case '1':
        out += String(f.month);
        break;
      case '02':
        out += pad(f.day, 2);
        break;
      case '_2':
        out += String(f.day).padStart(2, ' ');
        break;
      case '2':
        out += String(f.day);
        break;
      case '002':
        out += pad(f.yearDay, 3);
        break;
      case '__2':
        out += String(f.yearDay).padStart(3, ' ');
        break;
      case '15':
        out += pad(f.hour, 2);
        break;
      case '03':
        out += pad(f.hour % 12 === 0 ? 12 : f.hour % 12, 2);
        break;
      case '3':
        out += String(f.hour % 12 === 0 ? 12 : f.hour % 12);
        break;
      case '04':
        out += pad(f.minute, 2);
        break;
      case '4':
        out += String(f.minute);
        break;
      case '05':
        out += pad(f.second, 2);
        break;
      case '5':
        out += String(f.second);
        break;
      case 'PM':
        out += f.hour >= 12 ? 'PM' : 'AM';
        break;
      case 'pm':
        out += f.hour >= 12 ? 'pm' : 'am';
        break;
      case 'MST':
        out += t.zoneName !== '' ? t.zoneName : `${offSign}${offH}${offM}`;
        break;
      default: {
        // Zone offsets; the Z forms print Z for UTC.
        if (tok.startsWith('Z') && off === 0) {
          out += 'Z';
          break;
        }
        const body = tok.slice(1);
        if (body === '07') out += offSign + offH;
        else if (body === '0700') out += offSign + offH + offM;
        else if (body === '07:00') out += `${offSign}${offH}:${offM}`;
        else if (body === '070000') out += offSign + offH + offM + offS;
        else out += `${offSign}${offH}:${offM}:${offS}`;
      }
    }
  }
  return out;
}

/** Go's name for the type of a value, as error messages and `%T` print it. */
export function goTypeName(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'float64';
    case 'bigint':
      return 'int';
    case 'boolean':
      return 'bool';
    case 'undefined':
      return '<nil>';
    case 'function':
      return 'func';
  }
  if (v === null) return '<nil>';
  const named = (v as { [GO_TYPE]?: unknown })[GO_TYPE];
  if (typeof named === 'string') return named;
  if (Array.isArray(v)) return '[]interface {}';
  if (v instanceof Map) return 'map[string]interface {}';
  if (v instanceof Error) return '*errors.errorString';
  return 'struct';
}

/** A Go map value (JS Map). */
export function isGoMap(v: unknown): v is Map<unknown, unknown> {
  return v instanceof Map;
}

/** A Go struct value: an object that is not an array, map, time or error. */
export function isStruct(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Error)
  );
}

const BUILTIN_PROTOTYPES: ReadonlySet<unknown> = new Set([
  Object.prototype,
  Array.prototype,
  Map.prototype,
  Function.prototype,
  Error.prototype,
]);

/**
 * The Go method `name` of a value: a function-valued property, own or inherited, that is not
 * one of JS's own built-in methods (so `.Values` on an Alertmanager KV map finds its method,
 * while `.get` on a Map is a key lookup, as in Go).
 */
export function findMethod(v: unknown, name: string): ((...args: unknown[]) => unknown) | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  for (let o: object | null = v; o !== null && !BUILTIN_PROTOTYPES.has(o); o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, name);
    if (d) return typeof d.value === 'function' ? (d.value as (...args: unknown[]) => unknown) : undefined;
  }
  return undefined;
}

/** The fields of a struct value in declaration order: own enumerable, non-function properties. */
export function structFields(v: object): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const key of Object.keys(v)) {
    const value = (v as Record<string, unknown>)[key];
    if (typeof value !== 'function') out.push([key, value]);
  }
  return out;
}

/** Sorts map keys the way Go's fmtsort does for the key types JS maps hold. */
export function sortedMapKeys(m: Map<unknown, unknown>): unknown[] {
  return [...m.keys()].sort(compareKeys);
}

function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return compareUtf8(a, b);
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint'))
    return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  return compareUtf8(String(a), String(b));
}

/** Compares strings by their UTF-8 bytes, as Go does (differs from UTF-16 order above U+FFFF). */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800..U+DFFF) encode code points above U+FFFF, which sort after U+E000..U+FFFF in UTF-8.
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
