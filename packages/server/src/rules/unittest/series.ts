/**
 * promtool's series notation: `name{label="value", ...}` (equality only, PromQL string
 * literals, UTF-8 names quoted) and the expanding value notation (`1+2x3`, `_x5`, `stale`).
 * Errors are SeriesError with Prometheus's `1:COL: parse error: ...` wording where it matters.
 */
import { type Label, type Labels, labelsFromPairs, METRIC_NAME } from '../../model/labels.ts';
import { STALE_NAN } from '../../model/sample.ts';

/** A malformed series or value; the message reads like the PromQL parser's. */
export class SeriesError extends Error {}

/** A value position: a float (possibly the stale marker), or nothing. */
export type SeriesValue = { readonly kind: 'float'; readonly value: number } | { readonly kind: 'omitted' };

function fail(col: number, message: string): never {
  throw new SeriesError(`1:${col}: parse error: ${message}`);
}

function goRuneQuote(ch: string): string {
  return ch === "'" ? "'\\''" : `'${ch}'`;
}

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_CHAR = /[a-zA-Z0-9_]/;

/** Reads a PromQL string literal at text[i]; returns its value and the index after it. */
function readString(text: string, i: number): { value: string; end: number } {
  const q = text[i];
  let j = i + 1;
  let out = '';
  while (j < text.length && text[j] !== q) {
    if (text[j] === '\\' && q !== '`') {
      const e = text[j + 1];
      const simple: Record<string, string> = {
        a: '\x07',
        b: '\b',
        f: '\f',
        n: '\n',
        r: '\r',
        t: '\t',
        v: '\v',
        '\\': '\\',
      };
      if (e === undefined) break;
      if (e in simple) out += simple[e];
      else if (e === q) out += q;
      else if (e === 'u' || e === 'U' || e === 'x') {
        const n = e === 'u' ? 4 : e === 'U' ? 8 : 2;
        const hex = text.slice(j + 2, j + 2 + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) fail(j + 1, 'invalid escape sequence');
        out += String.fromCodePoint(Number.parseInt(hex, 16));
        j += n;
      } else fail(j + 1, `unknown escape sequence ${goRuneQuote(e)}`);
      j += 2;
      continue;
    }
    if (text[j] === '\n' && q !== '`') break;
    out += text[j++];
  }
  if (j >= text.length || text[j] !== q) fail(i + 1, 'unterminated quoted string');
  return { value: out, end: j + 1 };
}

/**
 * Parses the labels of a series (`name{a="b"}`, `{a="b"}`, `{"utf8.name", a="b"}`); returns
 * them and the index after them. `allowEmpty` accepts an empty text as the empty label set.
 */
export function parseSeriesLabels(text: string, allowEmpty = false): { labels: Labels; end: number } {
  let i = 0;
  while (text[i] === ' ' || text[i] === '\t') i++;
  if (i >= text.length) {
    if (allowEmpty) return { labels: [], end: i };
    fail(i + 1, 'unexpected end of input');
  }
  const pairs: Label[] = [];
  if (NAME_START.test(text[i])) {
    let j = i + 1;
    while (j < text.length && NAME_CHAR.test(text[j])) j++;
    pairs.push({ name: METRIC_NAME, value: text.slice(i, j) });
    i = j;
  }
  if (text[i] === '{') {
    i++;
    for (;;) {
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (i >= text.length) fail(i + 1, 'unexpected end of input inside braces');
      if (text[i] === '}') {
        i++;
        break;
      }
      let name: string;
      if (text[i] === '"' || text[i] === "'" || text[i] === '`') {
        const s = readString(text, i);
        i = s.end;
        while (text[i] === ' ' || text[i] === '\t') i++;
        if (text[i] === ',' || text[i] === '}') {
          // A quoted name alone is the metric name.
          if (pairs.some((p) => p.name === METRIC_NAME)) fail(i + 1, 'metric name must not be set twice');
          pairs.push({ name: METRIC_NAME, value: s.value });
          if (text[i] === ',') i++;
          continue;
        }
        name = s.value;
      } else if (LABEL_START.test(text[i])) {
        const j0 = i;
        while (i < text.length && LABEL_CHAR.test(text[i])) i++;
        name = text.slice(j0, i);
      } else if (text[i] === ',') {
        fail(i + 1, 'unexpected "," in label matching, expected identifier or "}"');
      } else fail(i + 1, `unexpected character inside braces: ${goRuneQuote(text[i])}`);
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (i >= text.length) fail(i + 1, 'unexpected end of input inside braces');
      if (text[i] !== '=' || text[i + 1] === '~') {
        if (/[!=~]/.test(text[i])) fail(i + 1, 'only equality matchers are allowed in series descriptions');
        fail(i + 1, `unexpected character inside braces: ${goRuneQuote(text[i])}`);
      }
      i++;
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (i >= text.length) fail(i + 1, 'unexpected end of input inside braces');
      if (text[i] !== '"' && text[i] !== "'" && text[i] !== '`')
        fail(i + 1, `unexpected character inside braces: ${goRuneQuote(text[i])}`);
      const v = readString(text, i);
      i = v.end;
      pairs.push({ name, value: v.value });
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (text[i] === ',') i++;
      else if (text[i] !== '}') {
        if (i >= text.length) fail(i + 1, 'unexpected end of input inside braces');
        fail(i + 1, `unexpected character inside braces: ${goRuneQuote(text[i])}`);
      }
    }
  } else if (pairs.length === 0) {
    fail(i + 1, `unexpected character: ${goRuneQuote(text[i])}`);
  }
  const names = new Set<string>();
  for (const p of pairs) {
    if (names.has(p.name)) fail(1, `label ${JSON.stringify(p.name)} is set twice`);
    names.add(p.name);
  }
  return { labels: labelsFromPairs(pairs), end: i };
}

const NUMBER = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[iI][nN][fF]|[nN][aA][nN])$/;

function parseNumber(s: string, col: number): number {
  if (!NUMBER.test(s)) fail(col, `invalid number ${JSON.stringify(s)}`);
  const lower = s.toLowerCase().replace(/^\+/, '');
  if (lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan' || lower === '-nan') return Number.NaN;
  return Number(s);
}

/**
 * Expands a value sequence: `N`, `_`, `_xK`, `stale`, `NxK` (K+1 copies), `N+DxK` / `N-DxK`
 * (K+1 values by repeated addition). Native histograms (`{{...}}`) are refused: Vigil stores
 * float samples only.
 */
export function parseSeriesValues(text: string, offset = 0): SeriesValue[] {
  const out: SeriesValue[] = [];
  const re = /\S+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const item = m[0];
    const col = offset + m.index + 1;
    if (item.startsWith('{{'))
      throw new SeriesError(
        `1:${col}: native histogram values (${item.slice(0, 20)}...) are not supported: Vigil stores float samples only`,
      );
    if (item === '_') {
      out.push({ kind: 'omitted' });
      continue;
    }
    if (item.toLowerCase() === 'stale') {
      out.push({ kind: 'float', value: STALE_NAN });
      continue;
    }
    const rep = /^(.+)x(\d+)$/.exec(item);
    if (rep) {
      const times = Number(rep[2]);
      const head = rep[1];
      if (head === '_') {
        for (let k = 0; k < times; k++) out.push({ kind: 'omitted' });
        continue;
      }
      // N+D or N-D: the first + or - after the start that is not an exponent's sign.
      let opAt = -1;
      for (let k = 1; k < head.length; k++) {
        if ((head[k] === '+' || head[k] === '-') && !/[eE]/.test(head[k - 1])) {
          opAt = k;
          break;
        }
      }
      if (opAt > 0) {
        let v = parseNumber(head.slice(0, opAt), col);
        const d = parseNumber(head.slice(opAt + 1), col) * (head[opAt] === '-' ? -1 : 1);
        for (let k = 0; k <= times; k++) {
          out.push({ kind: 'float', value: v });
          v += d;
        }
        continue;
      }
      const v = parseNumber(head, col);
      for (let k = 0; k <= times; k++) out.push({ kind: 'float', value: v });
      continue;
    }
    out.push({ kind: 'float', value: parseNumber(item, col) });
  }
  return out;
}

/** Parses `series` and `values` of an input series as promtool's load line (`series values`). */
export function parseInputSeries(series: string, values: string): { labels: Labels; values: SeriesValue[] } {
  const line = `${series} ${values}`;
  const { labels, end } = parseSeriesLabels(line);
  if (end < line.length && line[end] !== ' ' && line[end] !== '\t')
    fail(end + 1, `unexpected character: ${goRuneQuote(line[end])}`);
  return { labels, values: parseSeriesValues(line.slice(end), end) };
}
