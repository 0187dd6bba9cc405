/**
 * Alertmanager's label matchers (pkg/labels): the `matchers:` strings in routes and inhibit rules,
 * amtool's and the API's `filter` parameters, and silence matchers.
 *
 * They differ from PromQL's in two ways that matter: a regex is anchored as `^(?:re)$` without
 * the `s` flag (so `.` does not match a newline, as in Alertmanager 0.25), and the text syntax is
 * the forgiving one Alertmanager parses (`{a="b", c=~d}` with optional braces and quotes).
 */
import { RE2JS } from 're2js';
import { LABEL_NAME, type LabelSet } from './labelset.ts';

export type AmMatchType = '=' | '!=' | '=~' | '!~';

/** One matcher; matches() sees "" for an absent label. */
export interface AmMatcher {
  readonly type: AmMatchType;
  readonly name: string;
  readonly value: string;
  matches(value: string): boolean;
}

/** A matcher that cannot be parsed or compiled; the message says what is wrong. */
export class MatcherError extends Error {}

/** Builds a matcher; throws MatcherError for a regex RE2 rejects. */
export function newAmMatcher(type: AmMatchType, name: string, value: string): AmMatcher {
  if (type === '=') return { type, name, value, matches: (v) => v === value };
  if (type === '!=') return { type, name, value, matches: (v) => v !== value };
  const re = compileAnchored(value);
  if (type === '=~') return { type, name, value, matches: (v) => re(v) };
  return { type, name, value, matches: (v) => !re(v) };
}

const regexCache = new Map<string, (v: string) => boolean>();

/** Compiles `^(?:re)$` with RE2 semantics (re2js); plain literals skip the regex engine. */
export function compileAnchored(source: string): (value: string) => boolean {
  const hit = regexCache.get(source);
  if (hit) return hit;
  let fn: (value: string) => boolean;
  if (!/[\\^$.|?*+()[\]{}]/.test(source)) {
    fn = (v) => v === source;
  } else {
    let re: RE2JS;
    try {
      re = RE2JS.compile(`^(?:${source})$`);
    } catch (err) {
      throw new MatcherError(
        `invalid regular expression ${JSON.stringify(source)}: ${(err as Error).message.replace(/^error parsing regexp: /, '')}`,
      );
    }
    fn = (v) => re.matches(v);
  }
  if (regexCache.size > 4096) regexCache.clear();
  regexCache.set(source, fn);
  return fn;
}

/** True when every matcher accepts the label set (absent labels count as ""). */
export function matchersMatch(matchers: readonly AmMatcher[], ls: LabelSet): boolean {
  for (const m of matchers) if (!m.matches(ls[m.name] ?? '')) return false;
  return true;
}

/** Alertmanager's printed form: `name="value"` with OpenMetrics escaping. */
export function formatAmMatcher(m: AmMatcher): string {
  return `${m.name}${m.type}"${openMetricsEscape(m.value)}"`;
}

/** `{a="b",c=~"d"}`, the form route keys use. */
export function formatAmMatchers(ms: readonly AmMatcher[]): string {
  return `{${ms.map(formatAmMatcher).join(',')}}`;
}

function openMetricsEscape(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

const TYPE_ORDER: Record<AmMatchType, number> = { '=': 0, '!=': 1, '=~': 2, '!~': 3 };

/** Alertmanager's Matchers sort order: name, then value, then type. */
export function compareAmMatchers(a: AmMatcher, b: AmMatcher): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  return TYPE_ORDER[a.type] - TYPE_ORDER[b.type];
}

// Go's \s is [\t\n\f\r ]; the value runs lazily to the trailing whitespace.
const MATCHER =
  /^[\t\n\f\r ]*([a-zA-Z_:][a-zA-Z0-9_:]*)[\t\n\f\r ]*(=~|=|!=|!~)[\t\n\f\r ]*([\s\S]*?)[\t\n\f\r ]*$/;

/**
 * Parses a comma-separated list like `{foo="bar", dings!=bums}`; braces, quotes and a trailing
 * comma are optional, commas inside quotes do not split (Alertmanager's ParseMatchers).
 */
export function parseAmMatchers(text: string): AmMatcher[] {
  let s = text.startsWith('{') ? text.slice(1) : text;
  if (s.endsWith('}')) s = s.slice(0, -1);
  const tokens: string[] = [];
  let inQuotes = false;
  let escaped = false;
  let token = '';
  for (const ch of s) {
    if (ch === ',' && !inQuotes) {
      tokens.push(token);
      token = '';
      continue;
    }
    if (ch === '"') {
      if (!escaped) inQuotes = !inQuotes;
      else escaped = false;
    } else if (ch === '\\') {
      escaped = !escaped;
    } else {
      escaped = false;
    }
    token += ch;
  }
  if (token.trim() !== '') tokens.push(token.trim());
  return tokens.map(parseAmMatcher);
}

/**
 * Parses one matcher: a label name, an operator and a value that may be double-quoted, with
 * `\"`, `\n` and `\\` escapes (Alertmanager's ParseMatcher, including its tolerances).
 */
export function parseAmMatcher(text: string): AmMatcher {
  const m = MATCHER.exec(text);
  if (!m) throw new MatcherError(`bad matcher format: ${text}`);
  let raw = m[3];
  let expectTrailingQuote = false;
  if (raw.startsWith('"')) {
    raw = raw.slice(1);
    expectTrailingQuote = true;
  }
  let value = '';
  let escaped = false;
  const chars = [...raw];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (escaped) {
      escaped = false;
      if (ch === 'n') value += '\n';
      else if (ch === '"' || ch === '\\') value += ch;
      else value += `\\${ch}`;
      continue;
    }
    if (ch === '\\') {
      if (i < chars.length - 1) escaped = true;
      else value += '\\';
    } else if (ch === '"') {
      if (!expectTrailingQuote || i < chars.length - 1) {
        throw new MatcherError(`matcher value contains unescaped double quote: ${m[3]}`);
      }
      expectTrailingQuote = false;
    } else {
      value += ch;
    }
  }
  if (expectTrailingQuote) throw new MatcherError(`matcher value contains unescaped double quote: ${m[3]}`);
  return newAmMatcher(m[2] as AmMatchType, m[1], value);
}

/** Checks a label name the way Alertmanager 0.25 does (legacy Prometheus charset). */
export function isValidLabelName(name: string): boolean {
  return LABEL_NAME.test(name);
}
