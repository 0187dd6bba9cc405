/**
 * Editing a LogQL query from clicks: a stream label goes into the selector (`{job="a", k="v"}`),
 * anything else (structured metadata, parsed fields) becomes a label filter after the pipeline
 * (`| k="v"`). Pure functions (tested in filters.test.ts).
 */

/** A LogQL string literal for `v` (double-quoted, escaped). */
export function quoteLogql(v: string): string {
  return JSON.stringify(v);
}

/** Where the stream selector of a log query ends (the index of its `}`), or -1. */
function selectorEnd(query: string): number {
  let quote = '';
  let started = false;
  for (let i = 0; i < query.length; i++) {
    const c = query[i];
    if (quote) {
      if (c === '\\' && quote !== '`') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === '`') quote = c;
    else if (c === '{') started = true;
    else if (c === '}' && started) return i;
  }
  return -1;
}

/** `query` with `name op "value"` added to its stream selector (a new selector if it has none). */
export function addStreamMatcher(query: string, name: string, value: string, op = '='): string {
  const matcher = `${name}${op}${quoteLogql(value)}`;
  const q = query.trim();
  const end = selectorEnd(q);
  if (end < 0) return `{${matcher}}${q ? ` ${q}` : ''}`;
  const inside = q.slice(q.lastIndexOf('{', end) + 1, end).trim();
  if (inside.includes(matcher)) return q;
  const sep = inside ? ', ' : '';
  return `${q.slice(0, end).replace(/\s+$/, '')}${sep}${matcher}${q.slice(end)}`;
}

/** `query` with a label filter `| name op "value"` appended to its pipeline. */
export function addPipelineFilter(query: string, name: string, value: string, op = '='): string {
  const filter = `| ${name}${op}${quoteLogql(value)}`;
  const q = query.trim() || '{job=~".+"}';
  return q.endsWith(filter) ? q : `${q} ${filter}`;
}
