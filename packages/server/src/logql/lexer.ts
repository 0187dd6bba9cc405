/**
 * The LogQL lexer, reading input the way Loki's (Go text/scanner based) does: numbers directly
 * followed by a unit become DURATION or BYTES tokens, `[5m]` is one RANGE token, `--strict` is a
 * FLAG, `#` starts a comment. Keywords are ordinary identifiers here; the parser tells them
 * apart by context (Loki treats `rate` as a function only when `(` follows).
 */
import { UnquoteError, unquote } from '../promql/index.ts';
import { LogQLParseError } from './errors.ts';
import { parseBytes, parseDurationNs } from './units.ts';

export type TokenKind =
  | 'IDENT'
  | 'STRING'
  | 'NUMBER'
  | 'DURATION'
  | 'BYTES'
  | 'RANGE'
  | 'FLAG'
  | 'OP'
  | 'EOF';

export interface Token {
  readonly kind: TokenKind;
  /** The source text (for OP the operator itself). */
  readonly text: string;
  /** STRING: the unquoted value. */
  readonly value?: string;
  /** NUMBER: the number; DURATION and RANGE: nanoseconds; BYTES: bytes. */
  readonly num?: number;
  readonly line: number;
  readonly col: number;
}

const OPERATORS = [
  '|=',
  '|~',
  '|>',
  '!=',
  '!~',
  '!>',
  '=~',
  '==',
  '>=',
  '<=',
  '|',
  '=',
  '>',
  '<',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '(',
  ')',
  '{',
  '}',
  ',',
  '.',
];

const DURATION_RUNE = /[0-9nuµmshdwy.]/;
const BYTES_RUNE = /[0-9BikKMGTP.]/;
const FLAGS = new Set(['--strict', '--keep-empty']);

/** Splits a query into tokens; throws LogQLParseError for text that is not a token. */
export function lex(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const err = (msg: string, at: number): never => {
    throw new LogQLParseError(msg, line, colOf(input, lineStart, at));
  };
  while (i < input.length) {
    const c = input[i];
    if (c === '\n') {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < input.length && input[i] !== '\n') i++;
      continue;
    }
    const start = i;
    const col = colOf(input, lineStart, start);
    const push = (kind: TokenKind, text: string, extra: Partial<Token> = {}) =>
      out.push({ kind, text, line, col, ...extra });

    if (c === '"' || c === '`') {
      let j = i + 1;
      if (c === '"') {
        while (j < input.length && input[j] !== '"') {
          if (input[j] === '\n') err('literal not terminated', start);
          if (input[j] === '\\') j++;
          j++;
        }
      } else {
        while (j < input.length && input[j] !== '`') {
          if (input[j] === '\n') {
            line++;
            lineStart = j + 1;
          }
          j++;
        }
      }
      if (j >= input.length) err('literal not terminated', start);
      const text = input.slice(i, j + 1);
      let value: string;
      try {
        value = unquote(text);
      } catch (e) {
        if (e instanceof UnquoteError) return err(e.message, start);
        throw e;
      }
      if (!(value as { isWellFormed?: () => boolean }).isWellFormed?.call(value))
        err('invalid UTF-8 rune', start);
      push('STRING', text, { value });
      i = j + 1;
      continue;
    }
    if (c === '[') {
      const close = input.indexOf(']', i);
      if (close < 0) err("missing closing ']' in duration", start);
      const text = input.slice(i + 1, close);
      const ns = parseDurationNs(text);
      if (ns === undefined) err(`not a valid duration string: "${text}"`, start);
      push('RANGE', input.slice(i, close + 1), { num: ns });
      i = close + 1;
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(input[i + 1] ?? ''))) {
      let j = i;
      if (c === '0' && (input[i + 1] === 'x' || input[i + 1] === 'X')) {
        j += 2;
        while (j < input.length && /[0-9a-fA-F_]/.test(input[j])) j++;
      } else {
        while (j < input.length && isDigit(input[j])) j++;
        if (input[j] === '.') {
          j++;
          while (j < input.length && isDigit(input[j])) j++;
        }
        if ((input[j] === 'e' || input[j] === 'E') && /[-+0-9]/.test(input[j + 1] ?? '')) {
          let k = j + 1;
          if (input[k] === '-' || input[k] === '+') k++;
          if (isDigit(input[k] ?? '')) {
            j = k;
            while (j < input.length && isDigit(input[j])) j++;
          }
        }
      }
      const numberText = input.slice(i, j);
      // A unit directly after the number makes it a duration or a byte size.
      const dur = scanUnit(input, j, DURATION_RUNE);
      if (dur > j) {
        const ns = parseDurationNs(input.slice(i, dur));
        if (ns !== undefined) {
          push('DURATION', input.slice(i, dur), { num: ns });
          i = dur;
          continue;
        }
      }
      const bytesEnd = scanUnit(input, j, BYTES_RUNE);
      if (bytesEnd > j) {
        const b = parseBytes(input.slice(i, bytesEnd));
        if (b !== undefined) {
          push('BYTES', input.slice(i, bytesEnd), { num: b });
          i = bytesEnd;
          continue;
        }
      }
      const num = Number(numberText.replaceAll('_', ''));
      if (Number.isNaN(num)) err(`invalid number ${JSON.stringify(numberText)}`, start);
      push('NUMBER', numberText, { num });
      i = j;
      continue;
    }
    if (c === '-' && input[i + 1] === '-') {
      let j = i + 2;
      while (j < input.length && /[\p{L}-]/u.test(input[j])) j++;
      const flag = input.slice(i, j);
      if (FLAGS.has(flag)) {
        push('FLAG', flag);
        i = j;
        continue;
      }
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < input.length && isIdentPart(input[j])) j++;
      push('IDENT', input.slice(i, j));
      i = j;
      continue;
    }
    const op = OPERATORS.find((o) => input.startsWith(o, i));
    if (op) {
      push('OP', op);
      i += op.length;
      continue;
    }
    err(`unexpected character ${JSON.stringify(c)}`, start);
  }
  out.push({ kind: 'EOF', text: '', line, col: colOf(input, lineStart, input.length) });
  return out;
}

/** End of the run of `allowed` characters from `from`, stopping at whitespace. */
function scanUnit(input: string, from: number, allowed: RegExp): number {
  let j = from;
  while (j < input.length && allowed.test(input[j])) j++;
  return j;
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function isIdentStart(c: string): boolean {
  return /[\p{L}_]/u.test(c);
}

function isIdentPart(c: string): boolean {
  return /[\p{L}\p{Nd}_]/u.test(c);
}

/** 1-based column in characters (Go's scanner counts runes). */
function colOf(input: string, lineStart: number, at: number): number {
  return [...input.slice(lineStart, at)].length + 1;
}

/** How a token reads in an error message, in the terms of Loki's grammar. */
export function describeToken(t: Token): string {
  switch (t.kind) {
    case 'EOF':
      return '$end';
    case 'IDENT':
      return `IDENTIFIER`;
    case 'OP':
      return OP_NAMES[t.text] ?? t.text;
    default:
      return t.kind;
  }
}

const OP_NAMES: Readonly<Record<string, string>> = {
  '{': 'OPEN_BRACE',
  '}': 'CLOSE_BRACE',
  '(': 'OPEN_PARENTHESIS',
  ')': 'CLOSE_PARENTHESIS',
  ',': 'COMMA',
  '.': 'DOT',
  '|': 'PIPE',
  '|=': 'PIPE_EXACT',
  '|~': 'PIPE_MATCH',
  '|>': 'PIPE_PATTERN',
  '!=': 'NEQ',
  '!~': 'NRE',
  '!>': 'NPA',
  '=~': 'RE',
  '=': 'EQ',
  '==': 'CMP_EQ',
  '>': 'GT',
  '>=': 'GTE',
  '<': 'LT',
  '<=': 'LTE',
  '+': 'ADD',
  '-': 'SUB',
  '*': 'MUL',
  '/': 'DIV',
  '%': 'MOD',
  '^': 'POW',
};
