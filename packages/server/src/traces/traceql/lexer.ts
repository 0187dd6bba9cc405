/**
 * TraceQL tokens, with offsets for error messages. Follows Tempo's lexer (pkg/traceql/lexer.go):
 * attributes are read whole (`span.http.status_code`, `.foo`, `resource."a b"`), since their
 * names may contain dots and most punctuation; scoped intrinsics (`span:name`, `trace:duration`)
 * are one token; durations accept Go's and Prometheus's units (`1h30m`, `1.5s`, `100ms`, `1d`).
 */
import type { AttributeScope } from './ast.ts';
import { TraceQLParseError } from './errors.ts';

export type TokenKind =
  | 'op'
  | 'ident'
  | 'string'
  | 'int'
  | 'float'
  | 'duration'
  | 'attribute'
  | 'scopedIntrinsic'
  | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Operator or punctuation text, identifier, string value, or the attribute/intrinsic name. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** Numeric value (int, float; duration in nanoseconds). */
  readonly number?: number;
  /** For attributes: the scope; for scoped intrinsics: `span`, `trace`, `event`, `link`, `instrumentation`. */
  readonly scope?: string;
}

const OPERATORS = [
  '!>>',
  '!<<',
  '&>>',
  '&<<',
  '&&',
  '||',
  '>>',
  '<<',
  '>=',
  '<=',
  '!=',
  '=~',
  '!~',
  '!>',
  '!<',
  '&>',
  '&<',
  '&~',
  '=',
  '>',
  '<',
  '!',
  '~',
  '|',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '{',
  '}',
  '(',
  ')',
  ',',
];

const ATTRIBUTE_SCOPES: Record<string, AttributeScope> = {
  span: 'span',
  resource: 'resource',
  event: 'event',
  link: 'link',
  instrumentation: 'instrumentation',
};
const INTRINSIC_SCOPES = new Set(['span', 'trace', 'event', 'link', 'instrumentation']);

/** Nanoseconds per duration unit (Go's time.ParseDuration units plus Prometheus's d, w, y). */
const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
  d: 86400e9,
  w: 7 * 86400e9,
  y: 365 * 86400e9,
};

/** Characters that end an attribute name (Tempo's isAttributeRune). */
function isAttributeChar(c: string | undefined): boolean {
  if (c === undefined || /\s/.test(c)) return false;
  return !'{}()=~!<>&|^,'.includes(c);
}

function isIdentStart(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z_]/.test(c);
}

function isIdentChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_]/.test(c);
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Splits a query into tokens (the last one is `eof`); throws TraceQLParseError. */
export function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (msg: string, start: number, end = start + 1): never => {
    throw new TraceQLParseError(msg, query, start, end);
  };

  while (i < query.length) {
    const c = query[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;

    // Strings: "..." with escapes, `...` raw.
    if (c === '"' || c === '`') {
      const { value, end } = readString(query, i, fail);
      tokens.push({ kind: 'string', text: value, start, end });
      i = end;
      continue;
    }

    // Numbers and durations (a leading '.' followed by a digit is a number, as in Go).
    if (isDigit(c) || (c === '.' && isDigit(query[i + 1]))) {
      const tok = readNumber(query, i, fail);
      tokens.push(tok);
      i = tok.end;
      continue;
    }

    // Unscoped attribute: .name
    if (c === '.') {
      const { name, end } = readAttributeName(query, i + 1, fail);
      if (name === '') fail('expected an attribute name after "."', start);
      tokens.push({ kind: 'attribute', text: name, start, end, scope: 'none' });
      i = end;
      continue;
    }

    if (isIdentStart(c)) {
      let j = i + 1;
      while (isIdentChar(query[j])) j++;
      const word = query.slice(i, j);
      if (query[j] === '.' && word in ATTRIBUTE_SCOPES) {
        const { name, end } = readAttributeName(query, j + 1, fail);
        if (name === '') fail(`expected an attribute name after "${word}."`, start, j + 1);
        tokens.push({ kind: 'attribute', text: name, start, end, scope: ATTRIBUTE_SCOPES[word] });
        i = end;
        continue;
      }
      if (query[j] === '.' && word === 'parent') {
        fail(
          'the parent. scope is not supported; use the structural operators (>, >>) instead',
          start,
          j + 1,
        );
      }
      if (query[j] === ':' && INTRINSIC_SCOPES.has(word)) {
        let k = j + 1;
        while (isIdentChar(query[k])) k++;
        const name = query.slice(j + 1, k);
        if (name === '') fail(`expected an intrinsic name after "${word}:"`, start, k);
        tokens.push({ kind: 'scopedIntrinsic', text: name, start, end: k, scope: word });
        i = k;
        continue;
      }
      tokens.push({ kind: 'ident', text: word, start, end: j });
      i = j;
      continue;
    }

    const op = OPERATORS.find((o) => query.startsWith(o, i));
    if (op) {
      tokens.push({ kind: 'op', text: op, start, end: i + op.length });
      i += op.length;
      continue;
    }
    fail(`unexpected character ${JSON.stringify(c)}`, start);
  }
  tokens.push({ kind: 'eof', text: '', start: query.length, end: query.length });
  return tokens;
}

function readString(
  query: string,
  i: number,
  fail: (msg: string, start: number, end?: number) => never,
): { value: string; end: number } {
  const quote = query[i];
  let j = i + 1;
  let value = '';
  while (j < query.length && query[j] !== quote) {
    const ch = query[j];
    if (quote === '"' && ch === '\\') {
      const next = query[j + 1];
      const simple: Record<string, string> = {
        n: '\n',
        t: '\t',
        r: '\r',
        '"': '"',
        '\\': '\\',
        a: '\x07',
        b: '\b',
        f: '\f',
        v: '\v',
        "'": "'",
      };
      if (next !== undefined && next in simple) {
        value += simple[next];
        j += 2;
        continue;
      }
      const hex = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
      if (hex > 0) {
        const digits = query.slice(j + 2, j + 2 + hex);
        if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits))
          fail('invalid escape in string', j, j + 2 + hex);
        value += String.fromCodePoint(Number.parseInt(digits, 16));
        j += 2 + hex;
        continue;
      }
      fail(`invalid escape sequence "\\${next ?? ''}" in string`, j, j + 2);
    }
    if (quote === '"' && ch === '\n') fail('newline in string', j);
    value += ch;
    j++;
  }
  if (j >= query.length) fail(`unterminated string: missing closing ${quote}`, i, query.length);
  return { value, end: j + 1 };
}

function readAttributeName(
  query: string,
  i: number,
  fail: (msg: string, start: number, end?: number) => never,
): { name: string; end: number } {
  let j = i;
  let name = '';
  for (;;) {
    const ch = query[j];
    if (ch === '"') {
      // A quoted part: everything up to the closing quote, with \" and \\ escapes.
      let k = j + 1;
      while (k < query.length && query[k] !== '"') {
        if (query[k] === '\\') {
          if (query[k + 1] !== '"' && query[k + 1] !== '\\')
            fail('invalid escape in quoted attribute name', k, k + 2);
          name += query[k + 1];
          k += 2;
          continue;
        }
        name += query[k];
        k++;
      }
      if (k >= query.length) fail('unterminated quoted attribute name', j, query.length);
      j = k + 1;
      continue;
    }
    if (!isAttributeChar(ch)) break;
    name += ch;
    j++;
  }
  return { name, end: j };
}

function readNumber(
  query: string,
  i: number,
  fail: (msg: string, start: number, end?: number) => never,
): Token {
  const start = i;
  const m = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(query.slice(i));
  const numText = m![0];
  let j = i + numText.length;
  // A duration: number-unit pairs, e.g. 1h30m, 1.5s, 250ms.
  if (/[a-zµμ]/i.test(query[j] ?? '')) {
    let k = j;
    while (k < query.length && /[0-9.a-zA-Zµμ]/.test(query[k])) k++;
    const text = query.slice(start, k);
    const ns = parseDurationNs(text);
    if (ns === undefined)
      fail(`invalid duration ${JSON.stringify(text)}; use e.g. 500ms, 1.5s, 2m, 1h30m`, start, k);
    return { kind: 'duration', text, start, end: k, number: ns };
  }
  const isFloat = /[.eE]/.test(numText);
  const value = Number(numText);
  if (!isFloat && !Number.isSafeInteger(value)) {
    // Integers beyond 2^53 lose precision in JavaScript; keep them as floats rather than refuse.
    return { kind: 'float', text: numText, start, end: j, number: value };
  }
  j = i + numText.length;
  return { kind: isFloat ? 'float' : 'int', text: numText, start, end: j, number: value };
}

/** Parses `1h30m`, `1.5s`, `100ms`, `2d` to nanoseconds; undefined when it is not a duration. */
export function parseDurationNs(text: string): number | undefined {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w|y)/y;
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    pos = re.lastIndex;
  }
  return pos > 0 ? Math.round(total) : undefined;
}
