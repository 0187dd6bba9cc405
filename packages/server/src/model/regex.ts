import { RE2JS } from 're2js';

/**
 * Prometheus regex semantics: RE2 syntax, fully anchored (`^(?s:re)$`), `.` matches newlines
 * (Prometheus 3). Compilation validates with re2js, a port of RE2, so patterns RE2 rejects
 * (look-arounds, back-references) are rejected here too, with RE2's message.
 *
 * Matching takes the fastest correct path: literal alternations become a Set lookup, common
 * prefix/suffix/contains shapes become string tests, the rest runs on V8's RegExp when the pattern
 * only uses syntax both engines read identically, else on re2js.
 */
export interface CompiledRegex {
  readonly source: string;
  matches(value: string): boolean;
  /** Literal values this regex can match, when it is an alternation of literals; used by postings lookup. */
  readonly literals: readonly string[] | undefined;
}

export class RegexError extends Error {}

const cache = new Map<string, CompiledRegex>();
const CACHE_LIMIT = 4096;

export function compileRegex(source: string): CompiledRegex {
  const hit = cache.get(source);
  if (hit) return hit;
  const compiled = build(source);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(source, compiled);
  return compiled;
}

function build(source: string): CompiledRegex {
  let re2: RE2JS;
  try {
    re2 = RE2JS.compile(`^(?s:${source})$`);
  } catch (err) {
    throw new RegexError(
      `invalid regular expression ${JSON.stringify(source)}: ${(err as Error).message.replace(/^error parsing regexp: /, '')}`,
    );
  }
  const literals = literalAlternation(source);
  if (literals) {
    if (literals.length === 1) {
      const only = literals[0];
      return { source, literals, matches: (v) => v === only };
    }
    const set = new Set(literals);
    return { source, literals, matches: (v) => set.has(v) };
  }
  if (source === '.*') return { source, literals: undefined, matches: () => true };
  if (source === '.+') return { source, literals: undefined, matches: (v) => v.length > 0 };
  const shape = /^(\.\*)?([^\\^$.|?*+()[\]{}]*)(\.\*)?$/.exec(source);
  if (shape && shape[2] !== '' && (shape[1] || shape[3])) {
    const lit = shape[2];
    if (shape[1] && shape[3]) return { source, literals: undefined, matches: (v) => v.includes(lit) };
    if (shape[3]) return { source, literals: undefined, matches: (v) => v.startsWith(lit) };
    return { source, literals: undefined, matches: (v) => v.endsWith(lit) };
  }
  const js = toJsRegExp(source);
  if (js) return { source, literals: undefined, matches: (v) => js.test(v) };
  return { source, literals: undefined, matches: (v) => re2.matches(v) };
}

/** `a|b|c` with no metacharacters → ['a','b','c']; a single plain literal too. */
function literalAlternation(source: string): string[] | undefined {
  if (source === '') return [''];
  if (/[\\^$.?*+()[\]{}]/.test(source)) return undefined;
  return source.split('|');
}

/**
 * V8's RegExp with the `s` and `u` flags reads this subset of RE2 syntax the same way: no
 * inline flags or groups beyond plain/non-capturing, no POSIX classes, \Q..\E, \p, \z or \C.
 * Anything else stays on re2js rather than risk a different answer.
 */
function toJsRegExp(source: string): RegExp | undefined {
  if (/\(\?(?!:)|\\[QEpPzCAbBsS]|\[\[:|\\[0-9]|\{,/.test(source)) return undefined;
  try {
    return new RegExp(`^(?:${source})$`, 'su');
  } catch {
    return undefined;
  }
}
