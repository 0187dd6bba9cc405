/**
 * Go's fmt package over the value conventions of values.ts: Sprint, Sprintln and Sprintf with
 * Go's verbs, flags, widths, precisions, argument indexes and its in-band error strings
 * (`%!d(string=x)`, `%!v(MISSING)`, `%!(EXTRA int=1)`). Not supported: %p, and %b/%x/%X on
 * floats (they print as bad verbs).
 */
import { canBackquote, formatFloat, quote, quoteRune } from './strconv.ts';
import { findMethod, goTypeName, isGoMap, isStruct, sortedMapKeys, structFields } from './values.ts';

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  plusV: boolean;
  sharpV: boolean;
  widPresent: boolean;
  precPresent: boolean;
  wid: number;
  prec: number;
}

function clearFlags(): Flags {
  return {
    plus: false,
    minus: false,
    sharp: false,
    space: false,
    zero: false,
    plusV: false,
    sharpV: false,
    widPresent: false,
    precPresent: false,
    wid: 0,
    prec: 0,
  };
}

const utf8 = new TextEncoder();

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** The string a value's Go String() or Error() method gives, if it has one. */
export function methodString(v: unknown): string | undefined {
  if (v instanceof Error) return v.message;
  if (typeof v !== 'object' || v === null) return undefined;
  const err = findMethod(v, 'Error');
  if (err) return String(err.call(v));
  const str = findMethod(v, 'String');
  if (str) return String(str.call(v));
  return undefined;
}

class Printer {
  buf = '';
  f: Flags = clearFlags();
  private erroring = false;
  reordered = false;
  goodArgNum = true;

  private writePadding(n: number): void {
    if (n > 0) this.buf += (this.f.zero ? '0' : ' ').repeat(n);
  }

  pad(s: string): void {
    if (!this.f.widPresent || this.f.wid === 0) {
      this.buf += s;
      return;
    }
    const width = this.f.wid - runeCount(s);
    if (!this.f.minus) {
      this.writePadding(width);
      this.buf += s;
    } else {
      this.buf += s;
      this.writePadding(width);
    }
  }

  private truncate(s: string): string {
    if (!this.f.precPresent) return s;
    let n = this.f.prec;
    let i = 0;
    for (const ch of s) {
      if (--n < 0) return s.slice(0, i);
      i += ch.length;
    }
    return s;
  }

  badVerb(verb: string, arg: unknown): void {
    this.erroring = true;
    this.buf += '%!' + verb + '(';
    if (arg === null || arg === undefined) this.buf += '<nil>';
    else {
      this.buf += goTypeName(arg) + '=';
      this.printArg(arg, 'v');
    }
    this.buf += ')';
    this.erroring = false;
  }

  private fmtBool(v: boolean, verb: string): void {
    if (verb === 't' || verb === 'v') this.pad(v ? 'true' : 'false');
    else this.badVerb(verb, v);
  }

  private fmtInteger(v: bigint, verb: string): void {
    switch (verb) {
      case 'v':
      case 'd':
        this.fmtIntegerBase(v, 10, verb, false);
        return;
      case 'b':
        this.fmtIntegerBase(v, 2, verb, false);
        return;
      case 'o':
      case 'O':
        this.fmtIntegerBase(v, 8, verb, false);
        return;
      case 'x':
        this.fmtIntegerBase(v, 16, verb, false);
        return;
      case 'X':
        this.fmtIntegerBase(v, 16, verb, true);
        return;
      case 'c':
        this.pad(runeString(v));
        return;
      case 'q':
        this.pad(quoteRune(Number(v), this.f.plus));
        return;
      case 'U':
        this.fmtUnicode(v);
        return;
      default:
        this.badVerb(verb, v);
    }
  }

  private fmtIntegerBase(v: bigint, base: number, verb: string, upper: boolean): void {
    const negative = v < 0n;
    const u = negative ? -v : v;
    let prec = 0;
    if (this.f.precPresent) {
      prec = this.f.prec;
      if (prec === 0 && u === 0n) {
        const oldZero = this.f.zero;
        this.f.zero = false;
        this.writePadding(this.f.wid);
        this.f.zero = oldZero;
        return;
      }
    } else if (this.f.zero && this.f.widPresent) {
      prec = this.f.wid;
      if (negative || this.f.plus || this.f.space) prec--; // leave room for the sign
    }
    let digits = u.toString(base);
    if (upper) digits = digits.toUpperCase();
    if (digits.length < prec) digits = '0'.repeat(prec - digits.length) + digits;
    if (this.f.sharp) {
      if (base === 2) digits = '0b' + digits;
      else if (base === 8 && digits[0] !== '0') digits = '0' + digits;
      else if (base === 16) digits = (upper ? '0X' : '0x') + digits;
    }
    if (verb === 'O') digits = '0o' + digits;
    if (negative) digits = '-' + digits;
    else if (this.f.plus) digits = '+' + digits;
    else if (this.f.space) digits = ' ' + digits;
    const oldZero = this.f.zero;
    this.f.zero = false;
    this.pad(digits);
    this.f.zero = oldZero;
  }

  private fmtUnicode(v: bigint): void {
    const prec = this.f.precPresent && this.f.prec > 4 ? this.f.prec : 4;
    let s = 'U+' + (v < 0n ? BigInt.asUintN(64, v) : v).toString(16).toUpperCase().padStart(prec, '0');
    if (this.f.sharp && v >= 0n && v <= 0x10ffffn) {
      const ch = String.fromCodePoint(Number(v));
      if (/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) s += ` '${ch}'`;
    }
    const oldZero = this.f.zero;
    this.f.zero = false;
    this.pad(s);
    this.f.zero = oldZero;
  }

  private fmtFloat(v: number, verb: string): void {
    switch (verb) {
      case 'v':
        this.fmtFloatVerb(v, 'g', -1);
        return;
      case 'g':
      case 'G':
        this.fmtFloatVerb(v, verb, -1);
        return;
      case 'f':
      case 'F':
      case 'e':
      case 'E':
        this.fmtFloatVerb(v, verb, 6);
        return;
      default:
        this.badVerb(verb, v);
    }
  }

  private fmtFloatVerb(v: number, verb: 'g' | 'G' | 'f' | 'F' | 'e' | 'E', defaultPrec: number): void {
    const prec = this.f.precPresent ? this.f.prec : defaultPrec;
    let num = formatFloat(v, verb, prec);
    num = num[0] === '-' || num[0] === '+' ? num : '+' + num;
    if (this.f.space && num[0] === '+' && !this.f.plus) num = ' ' + num.slice(1);
    if (num[1] === 'I' || num[1] === 'N') {
      const oldZero = this.f.zero;
      this.f.zero = false;
      if (num[1] === 'N' && !this.f.space && !this.f.plus) num = num.slice(1);
      this.pad(num);
      this.f.zero = oldZero;
      return;
    }
    if (this.f.sharp) {
      // %#g keeps trailing zeros and a decimal point.
      let digits = verb === 'g' || verb === 'G' ? (prec === -1 ? 6 : prec) : 0;
      let tail = '';
      let body = num;
      const e = body.search(/[eE]/);
      if (e >= 0) {
        tail = body.slice(e);
        body = body.slice(0, e);
      }
      let hasDot = false;
      for (let i = 1; i < body.length; i++) {
        if (body[i] === '.') hasDot = true;
        else digits--;
      }
      if (!hasDot) body += '.';
      if (digits > 0) body += '0'.repeat(digits);
      num = body + tail;
    }
    if (this.f.plus || num[0] !== '+') {
      if (this.f.zero && !this.f.minus && this.f.widPresent && this.f.wid > num.length) {
        this.buf += num[0];
        this.writePadding(this.f.wid - num.length);
        this.buf += num.slice(1);
        return;
      }
      this.pad(num);
      return;
    }
    this.pad(num.slice(1));
  }

  private fmtString(v: string, verb: string): void {
    switch (verb) {
      case 'v':
        if (this.f.sharpV) {
          this.fmtQ(v);
          return;
        }
        this.pad(this.truncate(v));
        return;
      case 's':
        this.pad(this.truncate(v));
        return;
      case 'x':
      case 'X':
        this.fmtSx(v, verb === 'X');
        return;
      case 'q':
        this.fmtQ(v);
        return;
      default:
        this.badVerb(verb, v);
    }
  }

  private fmtQ(v: string): void {
    const s = this.truncate(v);
    if (this.f.sharp && canBackquote(s)) this.pad('`' + s + '`');
    else this.pad(quote(s, this.f.plus));
  }

  private fmtSx(s: string, upper: boolean): void {
    let bytes = utf8.encode(s);
    if (this.f.precPresent && this.f.prec < bytes.length) bytes = bytes.subarray(0, this.f.prec);
    const prefix = upper ? '0X' : '0x';
    let out = '';
    bytes.forEach((b, i) => {
      if (this.f.space && i > 0) out += ' ';
      if (this.f.sharp && (i === 0 || this.f.space)) out += prefix;
      const h = b.toString(16).padStart(2, '0');
      out += upper ? h.toUpperCase() : h;
    });
    if (out === '') {
      if (this.f.widPresent) this.writePadding(this.f.wid);
      return;
    }
    const oldZero = this.f.zero;
    this.pad(out);
    this.f.zero = oldZero;
  }

  /** Formats one operand with one verb (Go's printArg). */
  printArg(arg: unknown, verb: string): void {
    if (arg === null || arg === undefined) {
      if (verb === 'T' || verb === 'v') this.pad('<nil>');
      else this.badVerb(verb, arg);
      return;
    }
    if (verb === 'T') {
      this.pad(goTypeName(arg));
      return;
    }
    switch (typeof arg) {
      case 'boolean':
        this.fmtBool(arg, verb);
        return;
      case 'number':
        this.fmtFloat(arg, verb);
        return;
      case 'bigint':
        this.fmtInteger(arg, verb);
        return;
      case 'string':
        this.fmtString(arg, verb);
        return;
    }
    if (!this.handleMethods(arg, verb)) this.printValue(arg, verb, 0);
  }

  private handleMethods(arg: unknown, verb: string): boolean {
    if (this.erroring || this.f.sharpV) return false;
    if (verb !== 'v' && verb !== 's' && verb !== 'x' && verb !== 'X' && verb !== 'q') return false;
    const s = methodString(arg);
    if (s === undefined) return false;
    this.fmtString(s, verb);
    return true;
  }

  private printValue(v: unknown, verb: string, depth: number): void {
    if (depth > 0 && v !== null && v !== undefined) {
      if (typeof v !== 'object' && typeof v !== 'function') {
        this.printArg(v, verb);
        return;
      }
      if (this.handleMethods(v, verb)) return;
    }
    if (v === null || v === undefined) {
      if (depth === 0) this.buf += '<invalid reflect.Value>';
      else if (verb === 'v') this.pad('<nil>');
      else this.badVerb(verb, v);
      return;
    }
    if (typeof v === 'function') {
      if (verb === 'v' || verb === 'p') this.buf += this.f.sharpV ? '(func)(0x0)' : '0x0';
      else this.badVerb(verb, v);
      return;
    }
    if (isGoMap(v)) {
      if (this.f.sharpV) {
        this.buf += goTypeName(v);
        this.buf += '{';
      } else this.buf += 'map[';
      sortedMapKeys(v).forEach((key, i) => {
        if (i > 0) this.buf += this.f.sharpV ? ', ' : ' ';
        this.printValue(key, verb, depth + 1);
        this.buf += ':';
        this.printValue(v.get(key), verb, depth + 1);
      });
      this.buf += this.f.sharpV ? '}' : ']';
      return;
    }
    if (Array.isArray(v)) {
      if (this.f.sharpV) this.buf += goTypeName(v) + '{';
      else this.buf += '[';
      v.forEach((e, i) => {
        if (i > 0) this.buf += this.f.sharpV ? ', ' : ' ';
        this.printValue(e, verb, depth + 1);
      });
      this.buf += this.f.sharpV ? '}' : ']';
      return;
    }
    if (isStruct(v)) {
      if (this.f.sharpV) this.buf += goTypeName(v);
      this.buf += '{';
      structFields(v).forEach(([name, value], i) => {
        if (i > 0) this.buf += this.f.sharpV ? ', ' : ' ';
        if (this.f.plusV || this.f.sharpV) this.buf += name + ':';
        this.printValue(value, verb, depth + 1);
      });
      this.buf += '}';
      return;
    }
    this.badVerb(verb, v);
  }
}

function runeString(v: bigint): string {
  if (v < 0n || v > 0x10ffffn || (v >= 0xd800n && v <= 0xdfffn)) return '\ufffd';
  return String.fromCodePoint(Number(v));
}

/** Go's fmt.Sprint: operands' default formats, with spaces between operands when neither is a string. */
export function sprint(args: readonly unknown[]): string {
  const p = new Printer();
  let prevString = false;
  args.forEach((arg, i) => {
    const isString = typeof arg === 'string';
    if (i > 0 && !isString && !prevString) p.buf += ' ';
    p.printArg(arg, 'v');
    prevString = isString;
  });
  return p.buf;
}

/** Go's fmt.Sprintln: operands separated by spaces, with a trailing newline. */
export function sprintln(args: readonly unknown[]): string {
  const p = new Printer();
  args.forEach((arg, i) => {
    if (i > 0) p.buf += ' ';
    p.printArg(arg, 'v');
  });
  return p.buf + '\n';
}

/** Parses a decimal number at format[i..end); Go's parsenum. */
function parsenum(s: string, start: number, end: number): { num: number; ok: boolean; next: number } {
  let num = 0;
  let ok = false;
  let i = start;
  for (; i < end && s[i] >= '0' && s[i] <= '9'; i++) {
    if (num > 1e6) return { num: 0, ok: false, next: end };
    num = num * 10 + (s.charCodeAt(i) - 48);
    ok = true;
  }
  return { num, ok, next: i };
}

function intFromArg(args: readonly unknown[], argNum: number): { num: number; ok: boolean; argNum: number } {
  if (argNum >= args.length) return { num: 0, ok: false, argNum };
  const a = args[argNum];
  if (typeof a !== 'bigint') return { num: 0, ok: false, argNum: argNum + 1 };
  if (a > 1_000_000n || a < -1_000_000n) return { num: 0, ok: false, argNum: argNum + 1 };
  return { num: Number(a), ok: true, argNum: argNum + 1 };
}

/** Go's fmt.Sprintf. */
export function sprintf(format: string, args: readonly unknown[]): string {
  const p = new Printer();
  const end = format.length;
  let argNum = 0;
  let afterIndex = false;

  const argNumber = (i: number): { i: number; found: boolean } => {
    if (i >= end || format[i] !== '[') return { i, found: false };
    p.reordered = true;
    // [n]: one-based argument index
    if (end - i < 3) {
      p.goodArgNum = false;
      return { i: i + 1, found: false };
    }
    for (let j = i + 1; j < end; j++) {
      if (format[j] === ']') {
        const n = parsenum(format, i + 1, j);
        if (!n.ok || n.next !== j) {
          p.goodArgNum = false;
          return { i: j + 1, found: false };
        }
        const index = n.num - 1;
        if (index >= 0 && index < args.length) {
          argNum = index;
          return { i: j + 1, found: true };
        }
        p.goodArgNum = false;
        return { i: j + 1, found: true };
      }
    }
    p.goodArgNum = false;
    return { i: i + 1, found: false };
  };

  let i = 0;
  formatLoop: while (i < end) {
    p.goodArgNum = true;
    const lasti = i;
    while (i < end && format[i] !== '%') i++;
    if (i > lasti) p.buf += format.slice(lasti, i);
    if (i >= end) break;
    i++; // past the %
    p.f = clearFlags();
    simple: for (; i < end; i++) {
      const c = format[i];
      switch (c) {
        case '#':
          p.f.sharp = true;
          break;
        case '0':
          p.f.zero = !p.f.minus; // only pad with zeros on the left
          break;
        case '+':
          p.f.plus = true;
          break;
        case '-':
          p.f.minus = true;
          p.f.zero = false;
          break;
        case ' ':
          p.f.space = true;
          break;
        default:
          if (c >= 'a' && c <= 'z' && argNum < args.length) {
            if (c === 'v') {
              p.f.sharpV = p.f.sharp;
              p.f.sharp = false;
              p.f.plusV = p.f.plus;
              p.f.plus = false;
            }
            p.printArg(args[argNum], c);
            argNum++;
            i++;
            continue formatLoop;
          }
          break simple;
      }
    }

    let r = argNumber(i);
    i = r.i;
    afterIndex = r.found;

    if (i < end && format[i] === '*') {
      i++;
      const w = intFromArg(args, argNum);
      p.f.wid = w.num;
      p.f.widPresent = w.ok;
      argNum = w.argNum;
      if (!w.ok) p.buf += '%!(BADWIDTH)';
      if (p.f.wid < 0) {
        p.f.wid = -p.f.wid;
        p.f.minus = true;
        p.f.zero = false;
      }
      afterIndex = false;
    } else {
      const n = parsenum(format, i, end);
      p.f.wid = n.num;
      p.f.widPresent = n.ok;
      i = n.next;
      if (afterIndex && p.f.widPresent) p.goodArgNum = false;
    }

    if (i + 1 < end && format[i] === '.') {
      i++;
      if (afterIndex) p.goodArgNum = false;
      r = argNumber(i);
      i = r.i;
      afterIndex = r.found;
      if (i < end && format[i] === '*') {
        i++;
        const w = intFromArg(args, argNum);
        p.f.prec = w.num;
        p.f.precPresent = w.ok;
        argNum = w.argNum;
        if (p.f.prec < 0) {
          p.f.prec = 0;
          p.f.precPresent = false;
        }
        if (!w.ok) p.buf += '%!(BADPREC)';
        afterIndex = false;
      } else {
        const n = parsenum(format, i, end);
        p.f.prec = n.ok ? n.num : 0;
        p.f.precPresent = true;
        i = n.next;
      }
    }

    if (!afterIndex) {
      r = argNumber(i);
      i = r.i;
      afterIndex = r.found;
    }

    if (i >= end) {
      p.buf += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;

    if (verb === '%') p.buf += '%';
    else if (!p.goodArgNum) p.buf += `%!${verb}(BADINDEX)`;
    else if (argNum >= args.length) p.buf += `%!${verb}(MISSING)`;
    else {
      if (verb === 'v') {
        p.f.sharpV = p.f.sharp;
        p.f.sharp = false;
        p.f.plusV = p.f.plus;
        p.f.plus = false;
      }
      p.printArg(args[argNum], verb);
      argNum++;
    }
  }

  if (!p.reordered && argNum < args.length) {
    p.f = clearFlags();
    p.buf += '%!(EXTRA ';
    args.slice(argNum).forEach((arg, k) => {
      if (k > 0) p.buf += ', ';
      if (arg === null || arg === undefined) p.buf += '<nil>';
      else {
        p.buf += goTypeName(arg) + '=';
        p.printArg(arg, 'v');
      }
    });
    p.buf += ')';
  }
  return p.buf;
}
