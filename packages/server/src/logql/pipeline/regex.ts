import { RE2JS } from 're2js';
import { LogQLParseError } from '../errors.ts';

/**
 * An unanchored Go (RE2) regular expression, as LogQL's `|~`, `regexp` and label_replace use.
 * Patterns are validated with re2js (so what Go rejects is rejected) and run on V8's RegExp when
 * they use only syntax both read the same way, else on re2js.
 */
export interface GoRegex {
  readonly source: string;
  /** Whether the pattern matches anywhere in `s`. */
  test(s: string): boolean;
  /** Named capture groups of the leftmost match, or undefined when there is none. */
  groups(s: string): Map<string, string> | undefined;
  /** Capture group names in order (Go's SubexpNames without the unnamed ones). */
  readonly names: readonly string[];
}

const cache = new Map<string, GoRegex>();

/** Compiles a Go regex; throws LogQLParseError for a pattern RE2 rejects. */
export function compileGoRegex(source: string): GoRegex {
  const hit = cache.get(source);
  if (hit) return hit;
  let re2: RE2JS;
  try {
    re2 = RE2JS.compile(source);
  } catch (err) {
    throw new LogQLParseError(
      `invalid regular expression ${JSON.stringify(source)}: ${(err as Error).message.replace(/^error parsing regexp: /, '')}`,
    );
  }
  const names = namesOf(source);
  const js = toJsRegExp(source);
  const compiled: GoRegex = js
    ? {
        source,
        names,
        test: (s) => js.test(s),
        groups: (s) => {
          const m = js.exec(s);
          if (!m) return undefined;
          const out = new Map<string, string>();
          for (const n of names) out.set(n, m.groups?.[n] ?? '');
          return out;
        },
      }
    : {
        source,
        names,
        test: (s) => re2.matcher(s).find(),
        groups: (s) => {
          const m = re2.matcher(s);
          if (!m.find()) return undefined;
          const out = new Map<string, string>();
          for (const n of names) out.set(n, m.group(n) ?? '');
          return out;
        },
      };
  if (cache.size > 1000) cache.clear();
  cache.set(source, compiled);
  return compiled;
}

function namesOf(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/g)) out.push(m[1]);
  return out;
}

/**
 * The same pattern for V8 when it only uses syntax V8 reads identically: no inline flags except a
 * leading (?i)/(?s)/(?is), no \Q..\E, \z, \A, \C, \p, POSIX classes or \s/\b (whose character
 * sets differ). Named groups (?P<n>...) become (?<n>...).
 */
function toJsRegExp(source: string): RegExp | undefined {
  let body = source;
  let flags = 'u';
  const lead = /^\(\?([is]+)\)/.exec(body);
  if (lead) {
    if (lead[1].includes('i')) flags += 'i';
    if (lead[1].includes('s')) flags += 's';
    body = body.slice(lead[0].length);
  }
  if (/\(\?(?![:P<]|<[A-Za-z_])|\\[QEzACpPsSbB]|\[\[:|\\[0-9]|\{,/.test(body)) return undefined;
  try {
    return new RegExp(body.replace(/\(\?P</g, '(?<'), flags);
  } catch {
    return undefined;
  }
}
