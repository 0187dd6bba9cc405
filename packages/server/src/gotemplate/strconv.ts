/**
 * The parts of Go's strconv that templates depend on: float formatting (FormatFloat's 'e', 'f',
 * 'g' with exact, round-half-even decimal conversion), quoting, unquoting and number literals.
 */

/** A decimal: value = 0.d × 10^dp, digits without trailing zeros ("" for zero). */
interface Decimal {
  d: string;
  dp: number;
}

/** The shortest digits that read back as the same float64 (what %v and strconv's -1 precision use). */
function shortestDecimal(abs: number): Decimal {
  if (abs === 0) return { d: '', dp: 0 };
  const s = String(abs); // JS gives the shortest round-tripping digits, closest to the value, as Go does
  const e = s.indexOf('e');
  const mantissa = e < 0 ? s : s.slice(0, e);
  const exp = e < 0 ? 0 : Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const intPart = dot < 0 ? mantissa : mantissa.slice(0, dot);
  const frac = dot < 0 ? '' : mantissa.slice(dot + 1);
  let digits = intPart + frac;
  let dp = intPart.length + exp;
  const lead = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(lead);
  dp -= lead;
  return { d: digits.replace(/0+$/, ''), dp };
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The exact decimal expansion of a finite float64 (up to ~767 significant digits). */
function exactDecimal(abs: number): Decimal {
  if (abs === 0) return { d: '', dp: 0 };
  f64[0] = abs;
  const bits = u64[0];
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & 0xfffffffffffffn;
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  let digits: string;
  let dp: number;
  if (exp >= 0) {
    digits = (mant << BigInt(exp)).toString();
    dp = digits.length;
  } else {
    // mant / 2^k = mant * 5^k / 10^k
    digits = (mant * 5n ** BigInt(-exp)).toString();
    dp = digits.length + exp;
  }
  const trimmed = digits.replace(/0+$/, '');
  const lead = trimmed.length - trimmed.replace(/^0+/, '').length;
  return { d: trimmed.slice(lead), dp: dp - lead };
}

/** Rounds to nd significant digits, half to even (the decimal is exact, so a 5 alone is a tie). */
function roundDecimal(x: Decimal, nd: number): Decimal {
  if (nd < 0 || nd >= x.d.length) return x;
  const next = x.d.charCodeAt(nd) - 48;
  let up: boolean;
  if (next > 5) up = true;
  else if (next < 5) up = false;
  else if (nd + 1 < x.d.length) up = true;
  else up = nd > 0 && (x.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  if (!up) return { d: x.d.slice(0, nd).replace(/0+$/, ''), dp: x.dp };
  // Round up: increment the kept digits, carrying over nines.
  let i = nd - 1;
  while (i >= 0 && x.d[i] === '9') i--;
  if (i < 0) return { d: '1', dp: x.dp + 1 };
  return { d: x.d.slice(0, i) + String.fromCharCode(x.d.charCodeAt(i) + 1), dp: x.dp };
}

function fmtE(x: Decimal, prec: number, upper: boolean): string {
  let out = x.d.length === 0 ? '0' : x.d[0];
  if (prec > 0) {
    out += '.';
    let i = 1;
    const m = Math.min(x.d.length, prec + 1);
    if (i < m) {
      out += x.d.slice(i, m);
      i = m;
    }
    for (; i <= prec; i++) out += '0';
  }
  out += upper ? 'E' : 'e';
  let exp = x.d.length === 0 ? 0 : x.dp - 1;
  out += exp < 0 ? '-' : '+';
  exp = Math.abs(exp);
  out += exp < 10 ? `0${exp}` : String(exp);
  return out;
}

function fmtF(x: Decimal, prec: number): string {
  let out: string;
  if (x.dp > 0) {
    const m = Math.min(x.d.length, x.dp);
    out = x.d.slice(0, m) + '0'.repeat(x.dp - m);
  } else out = '0';
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) {
      const j = x.dp + i - 1;
      out += j >= 0 && j < x.d.length ? x.d[j] : '0';
    }
  }
  return out;
}

/** The float formats Go's FormatFloat supports here. */
export type FloatFormat = 'e' | 'E' | 'f' | 'F' | 'g' | 'G';

/**
 * Go's strconv.FormatFloat(v, fmt, prec, 64). `prec` -1 means the fewest digits that represent
 * the value exactly (Go's "shortest"). Infinities print as `+Inf`/`-Inf`, NaN as `NaN`.
 *
 * @example formatFloat(1e6, 'g', -1) // '1e+06'
 * @example formatFloat(2.5, 'f', 0)  // '2' (round half to even)
 */
export function formatFloat(v: number, fmt: FloatFormat, prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const neg = v < 0 || Object.is(v, -0);
  const abs = Math.abs(v);
  const shortest = prec < 0;
  let digs: Decimal;
  if (shortest) {
    digs = shortestDecimal(abs);
    switch (fmt) {
      case 'e':
      case 'E':
        prec = Math.max(digs.d.length - 1, 0);
        break;
      case 'f':
      case 'F':
        prec = Math.max(digs.d.length - digs.dp, 0);
        break;
      default:
        prec = digs.d.length;
    }
  } else {
    const exact = exactDecimal(abs);
    switch (fmt) {
      case 'e':
      case 'E':
        digs = roundDecimal(exact, prec + 1);
        break;
      case 'f':
      case 'F':
        digs = roundDecimal(exact, exact.dp + prec);
        break;
      default:
        if (prec === 0) prec = 1;
        digs = roundDecimal(exact, prec);
    }
  }
  const sign = neg ? '-' : '';
  switch (fmt) {
    case 'e':
    case 'E':
      return sign + fmtE(digs, prec, fmt === 'E');
    case 'f':
    case 'F':
      return sign + fmtF(digs, prec);
  }
  // %g: %e for large or small exponents, else %f.
  let eprec = prec;
  if (eprec > digs.d.length && digs.d.length >= digs.dp) eprec = digs.d.length;
  if (shortest) eprec = 6;
  const exp = digs.dp - 1;
  if (digs.d.length > 0 && (exp < -4 || exp >= eprec)) {
    if (prec > digs.d.length) prec = digs.d.length;
    return sign + fmtE(digs, prec - 1, fmt === 'G');
  }
  if (prec > digs.dp) prec = digs.d.length;
  return sign + fmtF(digs, Math.max(prec - digs.dp, 0));
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** Go's strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isPrint(ch: string): boolean {
  return PRINTABLE.test(ch);
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function escapeRune(ch: string, quote: string, asciiOnly: boolean): string {
  const cp = ch.codePointAt(0)!;
  if (ch === quote || ch === '\\') return '\\' + ch;
  if (asciiOnly ? cp < 0x80 && isPrint(ch) : isPrint(ch)) return ch;
  switch (ch) {
    case '\x07':
      return '\\a';
    case '\b':
      return '\\b';
    case '\f':
      return '\\f';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    case '\v':
      return '\\v';
  }
  if (cp < 0x20 || cp === 0x7f) return '\\x' + hex(cp, 2);
  if (cp >= 0xd800 && cp <= 0xdfff) return '\\ufffd'; // a lone surrogate: invalid, as Go's RuneError
  if (cp < 0x10000) return '\\u' + hex(cp, 4);
  return '\\U' + hex(cp, 8);
}

/** Go's strconv.Quote (or QuoteToASCII): a double-quoted Go string literal. */
export function quote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const ch of s) out += escapeRune(ch, '"', asciiOnly);
  return out + '"';
}

/** Go's strconv.QuoteRune: a single-quoted Go character literal. */
export function quoteRune(cp: number, asciiOnly = false): string {
  const ch = cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? '\ufffd' : String.fromCodePoint(cp);
  return "'" + escapeRune(ch, "'", asciiOnly) + "'";
}

/** Go's strconv.CanBackquote: no control characters other than tab, no backquote. */
export function canBackquote(s: string): boolean {
  for (const ch of s) {
    if (ch === '`' || ch === '\ufeff') return false;
    const cp = ch.codePointAt(0)!;
    if ((cp < 0x20 && ch !== '\t') || cp === 0x7f) return false;
  }
  return true;
}

/** A malformed Go literal; the message is strconv's. */
export class LiteralError extends Error {}

const SIMPLE: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

/** Go's strconv.Unquote for "…", `…` and '…' literals; throws LiteralError('invalid syntax'). */
export function unquote(literal: string): string {
  const q = literal[0];
  if (literal.length < 2 || literal[literal.length - 1] !== q) throw new LiteralError('invalid syntax');
  const body = literal.slice(1, -1);
  if (q === '`') {
    if (body.includes('`')) throw new LiteralError('invalid syntax');
    return body.replace(/\r/g, '');
  }
  if (q !== '"' && q !== "'") throw new LiteralError('invalid syntax');
  let out = '';
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length > 0) {
      out += new TextDecoder().decode(new Uint8Array(bytes));
      bytes = [];
    }
  };
  let i = 0;
  let runes = 0;
  while (i < body.length) {
    const c = body[i];
    if (c === q || c === '\n') throw new LiteralError('invalid syntax');
    runes++;
    if (c !== '\\') {
      flush();
      const cp = body.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      out += ch;
      i += ch.length;
      continue;
    }
    const e = body[i + 1];
    i += 2;
    if (e === undefined) throw new LiteralError('invalid syntax');
    if (e in SIMPLE) {
      flush();
      out += SIMPLE[e];
    } else if (e === q) {
      flush();
      out += e;
    } else if (e >= '0' && e <= '7') {
      const digits = body.slice(i - 1, i + 2);
      if (!/^[0-7]{3}$/.test(digits) || Number.parseInt(digits, 8) > 255)
        throw new LiteralError('invalid syntax');
      bytes.push(Number.parseInt(digits, 8));
      i += 2;
    } else if (e === 'x') {
      const digits = body.slice(i, i + 2);
      if (!/^[0-9a-fA-F]{2}$/.test(digits)) throw new LiteralError('invalid syntax');
      bytes.push(Number.parseInt(digits, 16));
      i += 2;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const digits = body.slice(i, i + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) throw new LiteralError('invalid syntax');
      const cp = Number.parseInt(digits, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new LiteralError('invalid syntax');
      flush();
      out += String.fromCodePoint(cp);
      i += n;
    } else throw new LiteralError('invalid syntax');
  }
  flush();
  if (q === "'" && runes !== 1) throw new LiteralError('invalid syntax');
  return out;
}

/** A Go numeric literal as text/template's parser reads it (parse.NumberNode). */
export interface GoNumber {
  readonly isInt: boolean;
  readonly isFloat: boolean;
  readonly int: bigint;
  readonly float: number;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/** Go's ParseInt/ParseUint with base 0: prefixes 0x 0o 0b and a leading-0 octal, underscores. */
function parseIntBase0(text: string): bigint | undefined {
  let s = text;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  let base = 10;
  let digits = s;
  let prefixed = false;
  if (/^0[xX]/.test(s)) {
    base = 16;
    digits = s.slice(2);
    prefixed = true;
  } else if (/^0[oO]/.test(s)) {
    base = 8;
    digits = s.slice(2);
    prefixed = true;
  } else if (/^0[bB]/.test(s)) {
    base = 2;
    digits = s.slice(2);
    prefixed = true;
  } else if (s.length > 1 && s[0] === '0') {
    base = 8;
    digits = s.slice(1);
    prefixed = true;
  }
  // Underscores must separate digits (a base prefix counts as a digit).
  if (digits.includes('_')) {
    const check = (prefixed ? '0' : '') + digits;
    if (/__|^_|_$/.test(check) || (!prefixed && digits.startsWith('_'))) return undefined;
    digits = digits.replace(/_/g, '');
  }
  if (digits === '') return undefined;
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[base]!;
  if (!valid.test(digits)) return undefined;
  const prefix = { 2: '0b', 8: '0o', 10: '', 16: '0x' }[base]!;
  const v = BigInt(prefix + digits);
  return neg ? -v : v;
}

/** Go's ParseFloat for decimal and hexadecimal literals with optional underscores. */
function parseFloatGo(text: string): number | undefined {
  const s = text.replace(/_/g, '');
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  const hexFloat = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)$/.exec(s);
  if (hexFloat && (hexFloat[2] !== '' || hexFloat[3] !== '')) {
    const mant = Number.parseInt(hexFloat[2] + hexFloat[3] || '0', 16);
    const v = mant * 2 ** (Number(hexFloat[4]) - 4 * hexFloat[3].length);
    return hexFloat[1] === '-' ? -v : v;
  }
  return undefined;
}

/**
 * Reads a number token the way text/template's parser does: an integer if it parses as one
 * (then also a float), else a float (then also an integer if it is integral). Throws
 * LiteralError with Go's message for bad literals.
 */
export function parseGoNumber(text: string): GoNumber {
  if (text.endsWith('i')) throw new LiteralError(`complex numbers are not supported: ${quote(text)}`);
  const i = parseIntBase0(text);
  if (i !== undefined && i >= INT64_MIN && i <= INT64_MAX)
    return { isInt: true, isFloat: true, int: i, float: Number(i) };
  if (i !== undefined && i > 0n && i <= UINT64_MAX) {
    // A uint64 beyond int64: a float, but not an int.
    return { isInt: false, isFloat: true, int: 0n, float: Number(i) };
  }
  const f = parseFloatGo(text);
  if (f !== undefined && Number.isFinite(f)) {
    if (!/[.eEpP]/.test(text)) throw new LiteralError(`integer overflow: ${quote(text)}`);
    const integral = Number.isInteger(f) && f >= -(2 ** 63) && f < 2 ** 63;
    return { isInt: integral, isFloat: true, int: integral ? BigInt(f) : 0n, float: f };
  }
  throw new LiteralError(`illegal number syntax: ${quote(text)}`);
}
