import { type CompiledRegex, compileRegex } from './regex.ts';

export type MatchType = '=' | '!=' | '=~' | '!~';

/** A label matcher as in a PromQL selector; regex matchers are fully anchored. */
export interface Matcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
  /** Whether the matcher accepts `value` (an absent label has value ""). */
  matches(value: string): boolean;
  /** Compiled regex for =~ and !~; undefined otherwise. */
  readonly regex: CompiledRegex | undefined;
}

/** Builds a matcher; throws RegexError for an invalid regex. */
export function newMatcher(type: MatchType, name: string, value: string): Matcher {
  switch (type) {
    case '=':
      return { type, name, value, regex: undefined, matches: (v) => v === value };
    case '!=':
      return { type, name, value, regex: undefined, matches: (v) => v !== value };
    case '=~': {
      const regex = compileRegex(value);
      return { type, name, value, regex, matches: (v) => regex.matches(v) };
    }
    case '!~': {
      const regex = compileRegex(value);
      return { type, name, value, regex, matches: (v) => !regex.matches(v) };
    }
  }
}

/** True when the matcher also accepts a series that lacks the label altogether. */
export function matchesEmpty(m: Matcher): boolean {
  return m.matches('');
}

export function formatMatcher(m: Matcher): string {
  return `${m.name}${m.type}${JSON.stringify(m.value)}`;
}
