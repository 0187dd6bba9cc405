/**
 * line_format and label_format templates: Go text/template (the shared gotemplate engine) with
 * the functions Loki adds (its own and the Sprig subset it exposes), `__line__` and
 * `__timestamp__`. Data is the line's labels as map[string]string; a missing label is "".
 */
import {
  compileTemplate,
  type FuncMap,
  GoTime,
  goFunc,
  stringMap,
  TemplateError,
} from '../../gotemplate/index.ts';
import { LogQLParseError } from '../errors.ts';
import { parseBytes, parseDurationNs } from '../units.ts';
import { compileGoRegex } from './regex.ts';

/** The line and time a template runs for; set before each execution. */
interface LineContext {
  line: string;
  timestampNs: bigint;
}

/** A compiled template; `render` throws TemplateFormatError when execution fails. */
export interface LineTemplate {
  render(labels: Readonly<Record<string, string>>, line: string, timestampNs: bigint): string;
}

export class TemplateFormatError extends Error {}

const toStr = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const toNum = (v: unknown): number => {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  const n = Number.parseFloat(toStr(v));
  return Number.isNaN(n) ? 0 : n;
};
const toInt = (v: unknown): bigint => {
  const n = toNum(v);
  return BigInt(Math.trunc(Number.isFinite(n) ? n : 0));
};

function baseFuncs(ctx: LineContext): FuncMap {
  const str1 = (fn: (s: string) => string) => goFunc(['string'], fn);
  return {
    __line__: () => ctx.line,
    __timestamp__: () => new GoTime(ctx.timestampNs),
    ToLower: str1((s) => s.toLowerCase()),
    ToUpper: str1((s) => s.toUpperCase()),
    lower: str1((s) => s.toLowerCase()),
    upper: str1((s) => s.toUpperCase()),
    title: str1((s) => s.replace(/\b\p{L}/gu, (c) => c.toUpperCase())),
    TrimSpace: str1((s) => s.trim()),
    trim: str1((s) => s.trim()),
    Trim: goFunc(['string', 'string'], (s: string, cut: string) => trimChars(s, cut, true, true)),
    TrimLeft: goFunc(['string', 'string'], (s: string, cut: string) => trimChars(s, cut, true, false)),
    TrimRight: goFunc(['string', 'string'], (s: string, cut: string) => trimChars(s, cut, false, true)),
    trimAll: goFunc(['string', 'string'], (cut: string, s: string) => trimChars(s, cut, true, true)),
    TrimPrefix: goFunc(['string', 'string'], (s: string, p: string) =>
      s.startsWith(p) ? s.slice(p.length) : s,
    ),
    TrimSuffix: goFunc(['string', 'string'], (s: string, p: string) =>
      p !== '' && s.endsWith(p) ? s.slice(0, -p.length) : s,
    ),
    trimPrefix: goFunc(['string', 'string'], (p: string, s: string) =>
      s.startsWith(p) ? s.slice(p.length) : s,
    ),
    trimSuffix: goFunc(['string', 'string'], (p: string, s: string) =>
      p !== '' && s.endsWith(p) ? s.slice(0, -p.length) : s,
    ),
    Replace: goFunc(['string', 'string', 'string', 'int'], (s: string, o: string, n: string, count: bigint) =>
      replaceN(s, o, n, Number(count)),
    ),
    replace: goFunc(['string', 'string', 'string'], (o: string, n: string, s: string) => s.replaceAll(o, n)),
    contains: goFunc(['string', 'string'], (sub: string, s: string) => s.includes(sub)),
    hasPrefix: goFunc(['string', 'string'], (p: string, s: string) => s.startsWith(p)),
    hasSuffix: goFunc(['string', 'string'], (p: string, s: string) => s.endsWith(p)),
    repeat: goFunc(['int', 'string'], (n: bigint, s: string) => s.repeat(Math.max(0, Number(n)))),
    trunc: goFunc(['int', 'string'], (n: bigint, s: string) => {
      const k = Number(n);
      return k >= 0 ? s.slice(0, k) : s.slice(Math.max(0, s.length + k));
    }),
    substr: goFunc(['int', 'int', 'string'], (a: bigint, b: bigint, s: string) => {
      const start = Number(a);
      const end = Number(b);
      if (start < 0) return s.slice(0, end);
      if (end < 0 || end > s.length) return s.slice(start);
      return s.slice(start, end);
    }),
    indent: goFunc(['int', 'string'], (n: bigint, s: string) => indent(s, Number(n))),
    nindent: goFunc(['int', 'string'], (n: bigint, s: string) => `\n${indent(s, Number(n))}`),
    alignLeft: goFunc(['int', 'string'], (n: bigint, s: string) => align(s, Number(n), true)),
    alignRight: goFunc(['int', 'string'], (n: bigint, s: string) => align(s, Number(n), false)),
    count: goFunc(['string', 'string'], (re: string, s: string) => {
      const r = compileRegexOrThrow(re);
      let n = 0;
      let rest = s;
      for (;;) {
        const m = r.exec(rest);
        if (!m) return BigInt(n);
        n++;
        rest = rest.slice(m.index + Math.max(1, m[0].length));
      }
    }),
    regexReplaceAll: goFunc(['string', 'string', 'string'], (re: string, s: string, repl: string) =>
      s.replace(
        globalRegex(re),
        repl.replace(/\$\{?(\w+)\}?/g, (_m, g) => (/^\d+$/.test(g) ? `$${g}` : `$<${g}>`)),
      ),
    ),
    regexReplaceAllLiteral: goFunc(['string', 'string', 'string'], (re: string, s: string, repl: string) =>
      s.replace(globalRegex(re), () => repl),
    ),
    urlencode: str1((s) => encodeURIComponent(s)),
    urldecode: str1((s) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        throw new Error(`invalid URL escape in ${JSON.stringify(s)}`);
      }
    }),
    b64enc: str1((s) => Buffer.from(s, 'utf8').toString('base64')),
    b64dec: str1((s) => Buffer.from(s, 'base64').toString('utf8')),
    bytes: str1((s) => String(parseBytes(s) ?? 0)),
    duration: str1((s) => String((parseDurationNs(s) ?? 0) / 1e9)),
    duration_seconds: str1((s) => String((parseDurationNs(s) ?? 0) / 1e9)),
    unixEpoch: (t: unknown) => (t instanceof GoTime ? t.unixNanos / 1_000_000_000n : 0n),
    unixEpochMillis: (t: unknown) => (t instanceof GoTime ? t.unixNanos / 1_000_000n : 0n),
    unixEpochNanos: (t: unknown) => (t instanceof GoTime ? t.unixNanos : 0n),
    unixToTime: (v: unknown) => {
      const s = toStr(v);
      if (!/^\d+$/.test(s)) throw new Error(`unable to parse ${JSON.stringify(s)} as a unix time`);
      const n = BigInt(s);
      // Seconds, milliseconds, microseconds or nanoseconds, by length, as Loki.
      const ns =
        s.length <= 10
          ? n * 1_000_000_000n
          : s.length <= 13
            ? n * 1_000_000n
            : s.length <= 16
              ? n * 1000n
              : n;
      return new GoTime(ns);
    },
    int: (v: unknown) => toInt(v),
    float64: (v: unknown) => toNum(v),
    add: (...a: unknown[]) => a.reduce<bigint>((s, v) => s + toInt(v), 0n),
    sub: (a: unknown, b: unknown) => toInt(a) - toInt(b),
    mul: (...a: unknown[]) => a.reduce<bigint>((s, v) => s * toInt(v), 1n),
    div: (a: unknown, b: unknown) => {
      const d = toInt(b);
      if (d === 0n) throw new Error('integer divide by zero');
      return toInt(a) / d;
    },
    mod: (a: unknown, b: unknown) => {
      const d = toInt(b);
      if (d === 0n) throw new Error('integer divide by zero');
      return toInt(a) % d;
    },
    addf: (...a: unknown[]) => a.reduce<number>((s, v) => s + toNum(v), 0),
    subf: (a: unknown, ...b: unknown[]) => b.reduce<number>((s, v) => s - toNum(v), toNum(a)),
    mulf: (...a: unknown[]) => a.reduce<number>((s, v) => s * toNum(v), 1),
    divf: (a: unknown, ...b: unknown[]) => b.reduce<number>((s, v) => s / toNum(v), toNum(a)),
    max: (...a: unknown[]) => a.map(toInt).reduce((x, y) => (y > x ? y : x)),
    min: (...a: unknown[]) => a.map(toInt).reduce((x, y) => (y < x ? y : x)),
    maxf: (...a: unknown[]) => Math.max(...a.map(toNum)),
    minf: (...a: unknown[]) => Math.min(...a.map(toNum)),
    ceil: (v: unknown) => Math.ceil(toNum(v)),
    floor: (v: unknown) => Math.floor(toNum(v)),
    round: (v: unknown, p?: unknown, r?: unknown) => {
      const places = p === undefined ? 0 : Number(toInt(p));
      const f = 10 ** places;
      const x = toNum(v) * f;
      const half = r === undefined ? 0.5 : toNum(r);
      return (x - Math.floor(x) >= half ? Math.ceil(x) : Math.floor(x)) / f;
    },
    default: (d: unknown, v?: unknown) => (v === undefined || v === null || v === '' || v === false ? d : v),
    fromJson: str1((s) => {
      try {
        return JSON.stringify(JSON.parse(s));
      } catch {
        return '';
      }
    }),
    now: () => new GoTime(BigInt(Date.now()) * 1_000_000n),
    toDate: goFunc(['string', 'string'], (_layout: string, value: string) => {
      const ms = Date.parse(value);
      if (Number.isNaN(ms)) throw new Error(`cannot parse ${JSON.stringify(value)} as a date`);
      return new GoTime(BigInt(ms) * 1_000_000n);
    }),
  };
}

function compileRegexOrThrow(re: string): RegExp {
  const g = compileGoRegex(re);
  return new RegExp(g.source.replace(/\(\?P</g, '(?<'), 'u');
}

function globalRegex(re: string): RegExp {
  compileGoRegex(re); // validates with RE2 rules
  return new RegExp(re.replace(/\(\?P</g, '(?<'), 'gu');
}

function trimChars(s: string, cut: string, left: boolean, right: boolean): string {
  const set = new Set(cut);
  let a = 0;
  let b = s.length;
  if (left) while (a < b && set.has(s[a])) a++;
  if (right) while (b > a && set.has(s[b - 1])) b--;
  return s.slice(a, b);
}

function replaceN(s: string, o: string, n: string, count: number): string {
  if (count < 0) return s.replaceAll(o, n);
  let out = s;
  let from = 0;
  for (let i = 0; i < count; i++) {
    const k = out.indexOf(o, from);
    if (k < 0) break;
    out = out.slice(0, k) + n + out.slice(k + o.length);
    from = k + n.length;
  }
  return out;
}

function indent(s: string, n: number): string {
  const pad = ' '.repeat(Math.max(0, n));
  return pad + s.replaceAll('\n', `\n${pad}`);
}

function align(s: string, n: number, left: boolean): string {
  const chars = [...s];
  if (chars.length >= n) return left ? chars.slice(0, n).join('') : chars.slice(chars.length - n).join('');
  const pad = ' '.repeat(n - chars.length);
  return left ? s + pad : pad + s;
}

/** Compiles a template; a syntax error is a LogQLParseError naming the stage. */
export function compileLineTemplate(text: string, stage: string): LineTemplate {
  const ctx: LineContext = { line: '', timestampNs: 0n };
  let t: ReturnType<typeof compileTemplate>;
  try {
    t = compileTemplate(text, { name: stage, funcs: baseFuncs(ctx), missingKey: 'zero' });
  } catch (err) {
    throw new LogQLParseError(`stage '${stage}' : ${(err as Error).message}`);
  }
  return {
    render(labels, line, timestampNs) {
      ctx.line = line;
      ctx.timestampNs = timestampNs;
      try {
        return t.execute(stringMap(labels));
      } catch (err) {
        if (err instanceof TemplateError) throw new TemplateFormatError(err.message);
        throw new TemplateFormatError((err as Error).message);
      }
    },
  };
}
