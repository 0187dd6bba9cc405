import { type Label, type Labels, labelsFromPairs } from '../../model/labels.ts';
import { UnquoteError, unquote } from '../../promql/parser/go-strings.ts';
import { LokiPushDecodeError } from './errors.ts';

const cache = new Map<string, Labels>();
const CACHE_LIMIT = 10_000;

/**
 * Parses a stream's label string as Loki's push API sends it, `{app="api", env="prod"}`
 * (Prometheus label syntax with Go-quoted values), into a sorted label set. The same text from
 * the next request is answered from a small cache, since senders repeat their streams.
 */
export function parseLabelString(text: string): Labels {
  const hit = cache.get(text);
  if (hit) return hit;
  const labels = parse(text);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, labels);
  return labels;
}

function parse(text: string): Labels {
  const s = text.trim();
  if (!s.startsWith('{') || !s.endsWith('}')) {
    throw new LokiPushDecodeError(
      `stream labels ${JSON.stringify(text)} are not of the form {name="value", ...}`,
    );
  }
  const pairs: Label[] = [];
  let i = 1;
  const end = s.length - 1;
  const skipSpace = () => {
    while (i < end && /\s/.test(s[i])) i++;
  };
  skipSpace();
  while (i < end) {
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(s.slice(i, i + 1024));
    if (!m) throw bad(text, `expected a label name at offset ${i}`);
    const name = m[0];
    i += name.length;
    skipSpace();
    if (s[i] !== '=') throw bad(text, `expected = after label name ${name}`);
    i++;
    skipSpace();
    if (s[i] !== '"' && s[i] !== '`') throw bad(text, `expected a quoted value for label ${name}`);
    const quote = s[i];
    let j = i + 1;
    while (j < end && s[j] !== quote) j += s[j] === '\\' && quote === '"' ? 2 : 1;
    if (j >= end) throw bad(text, `unterminated value of label ${name}`);
    let value: string;
    try {
      value = unquote(s.slice(i, j + 1));
    } catch (err) {
      if (err instanceof UnquoteError) throw bad(text, `invalid value of label ${name}: ${err.message}`);
      throw err;
    }
    pairs.push({ name, value });
    i = j + 1;
    skipSpace();
    if (s[i] === ',') {
      i++;
      skipSpace();
    } else if (i < end) throw bad(text, `expected , or } after the value of label ${name}`);
  }
  return labelsFromPairs(pairs);
}

function bad(text: string, what: string): LokiPushDecodeError {
  return new LokiPushDecodeError(`invalid stream labels ${JSON.stringify(text.slice(0, 200))}: ${what}`);
}
