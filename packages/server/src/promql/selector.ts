import type { Matcher } from '../model/matcher.ts';
import { ParseError } from './parser/errors.ts';
import { parseMetricSelector } from './parser/parser.ts';

/**
 * Parses a series selector as given in match[] parameters (`name{label="value"}`), requiring at
 * least one matcher that does not match the empty string, as Prometheus's API does. Throws an
 * Error whose message says what is wrong.
 *
 * @example parseSeriesSelector('up{job="node"}') // [job="node", __name__="up"]
 */
export function parseSeriesSelector(text: string): Matcher[] {
  let matchers: Matcher[];
  try {
    matchers = parseMetricSelector(text);
  } catch (err) {
    if (err instanceof ParseError) throw new Error(err.message);
    throw err;
  }
  if (!matchers.some((m) => !m.matches(''))) {
    throw new Error('match[] must contain at least one non-empty matcher');
  }
  return matchers;
}
