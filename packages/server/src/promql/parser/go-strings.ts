/**
 * Go string literal semantics, which PromQL inherits: `strconv.Unquote` for "..." '...' and
 * backquoted strings, and `strconv.Quote` for printing.
 *
 * Go strings are bytes; JS strings are UTF-16. Byte escapes (`\xNN`, octal) that do not form
 * valid UTF-8 are kept as lone surrogates U+DC80..U+DCFF (the "surrogate escape" trick), so the
 * text stays invalid where Go's would be invalid (label-name validation rejects it) and prints
 * back as `\xNN`.
 */

/** Thrown for a malformed string literal; the message reads like Go's. */
export class UnquoteError extends Error {}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 92,
};

/** Unquotes a PromQL string literal including its quotes. */
export function unquote(literal: string): string {
  const quote = literal[0];
  if (literal.length < 2 || literal[literal.length - 1] !== quote) throw new UnquoteError('invalid syntax');
  const body = literal.slice(1, -1);
  if (quote === '`') {
    if (body.includes('`')) throw new UnquoteError('invalid syntax');
    return body.replace(/\r/g, '');
  }
  if (quote !== '"' && quote !== "'") throw new UnquoteError('invalid syntax');
  if (!body.includes('\\')) {
    if (body.includes(quote) || body.includes('\n')) throw new UnquoteError('invalid syntax');
    return body;
  }
  // Collect UTF-8 bytes for byte escapes so multi-byte sequences written as \xNN decode properly.
  let out = '';
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length > 0) {
      out += decodeBytes(bytes);
      bytes = [];
    }
  };
  let i = 0;
  while (i < body.length) {
    const c = body[i];
    if (c === quote || c === '\n') throw new UnquoteError('invalid syntax');
    if (c !== '\\') {
      flush();
      out += c;
      i++;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) throw new UnquoteError('invalid syntax');
    i += 2;
    if (e in SIMPLE_ESCAPES) {
      flush();
      out += String.fromCharCode(SIMPLE_ESCAPES[e]);
    } else if (e === quote) {
      flush();
      out += e;
    } else if (e >= '0' && e <= '7') {
      const digits = body.slice(i - 1, i + 2);
      if (!/^[0-7]{3}$/.test(digits)) throw new UnquoteError('invalid syntax');
      const v = Number.parseInt(digits, 8);
      if (v > 255) throw new UnquoteError('invalid syntax');
      bytes.push(v);
      i += 2;
    } else if (e === 'x') {
      const digits = body.slice(i, i + 2);
      if (!/^[0-9a-fA-F]{2}$/.test(digits)) throw new UnquoteError('invalid syntax');
      bytes.push(Number.parseInt(digits, 16));
      i += 2;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const digits = body.slice(i, i + n);
      if (digits.length !== n || !/^[0-9a-fA-F]+$/.test(digits)) throw new UnquoteError('invalid syntax');
      const cp = Number.parseInt(digits, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) throw new UnquoteError('invalid syntax');
      flush();
      out += String.fromCodePoint(cp);
      i += n;
    } else {
      throw new UnquoteError('invalid syntax');
    }
  }
  flush();
  return out;
}

/** Decodes UTF-8 bytes; bytes that are not part of a valid sequence become U+DC80+byte. */
function decodeBytes(bytes: readonly number[]): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let need = 0;
    let cp = 0;
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      cp = b & 0x0f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      cp = b & 0x07;
    }
    let ok = need > 0 && i + need < bytes.length;
    for (let k = 1; ok && k <= need; k++) {
      const cb = bytes[i + k];
      if (cb === undefined || (cb & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (cb & 0x3f);
    }
    if (ok) {
      const min = need === 1 ? 0x80 : need === 2 ? 0x800 : 0x10000;
      if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) ok = false;
    }
    if (ok) {
      out += String.fromCodePoint(cp);
      i += need + 1;
    } else {
      out += String.fromCharCode(0xdc00 + b);
      i++;
    }
  }
  return out;
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** Go's strconv.Quote: double-quoted, with Go escapes for control and non-printable characters. */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') {
      out += '\\' + ch;
      continue;
    }
    if (cp >= 0xdc80 && cp <= 0xdcff && ch.length === 1) {
      // A surrogate-escaped invalid byte (see unquote).
      out += '\\x' + (cp - 0xdc00).toString(16).padStart(2, '0');
      continue;
    }
    if (cp >= 0xd800 && cp <= 0xdfff) {
      out += '\\ufffd';
      continue;
    }
    if (PRINTABLE.test(ch)) {
      out += ch;
      continue;
    }
    switch (cp) {
      case 7:
        out += '\\a';
        break;
      case 8:
        out += '\\b';
        break;
      case 12:
        out += '\\f';
        break;
      case 10:
        out += '\\n';
        break;
      case 13:
        out += '\\r';
        break;
      case 9:
        out += '\\t';
        break;
      case 11:
        out += '\\v';
        break;
      default:
        if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
        else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
        else out += '\\U' + cp.toString(16).padStart(8, '0');
    }
  }
  return out + '"';
}

/** UTF-8 byte length of a JS string prefix; positions in messages are byte columns like Go's. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/**
 * Prometheus's `line:col` for a position (a UTF-16 offset into `query`): 1-based line, and a
 * 1-based byte column counted from the last newline, as PositionRange.StartPosInput does.
 */
export function positionLineCol(query: string, pos: number): string {
  if (query === '') return 'unknown position';
  if (pos < 0 || pos > query.length) return 'invalid position';
  const before = query.slice(0, pos);
  const lastNl = before.lastIndexOf('\n');
  const line = before.split('\n').length;
  // Go: col = pos - lastLineBreak, with bytes; lastLineBreak is -1 without a newline.
  const col = lastNl < 0 ? utf8Length(before) + 1 : utf8Length(before.slice(lastNl + 1)) + 1;
  return `${line}:${col}`;
}
