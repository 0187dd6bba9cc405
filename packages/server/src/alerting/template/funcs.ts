/**
 * Alertmanager's template functions (template.DefaultFuncs): toUpper, toLower, title, join,
 * match, safeHtml, reReplaceAll, stringSlice — with Go's signatures and regexp semantics (RE2).
 */
import { RE2JS } from 're2js';
import { type FuncMap, goFunc } from '../../gotemplate/index.ts';
import { expandTemplate } from '../../relabel/index.ts';

const stringList = { name: '[]string', accepts: (v: unknown) => Array.isArray(v), nilable: true };

function compile(pattern: string): RE2JS {
  try {
    return RE2JS.compile(pattern);
  } catch (err) {
    throw new Error(`error parsing regexp: ${(err as Error).message.replace(/^error parsing regexp: /, '')}`);
  }
}

/** Go's Regexp.ReplaceAllString: every non-overlapping match, `$1`/`${name}` expanded. */
export function replaceAll(pattern: string, repl: string, text: string): string {
  const re = compile(pattern);
  const names = re.namedGroups() as Record<string, number>;
  const m = re.matcher(text);
  let out = '';
  let last = 0;
  let searchFrom = 0;
  while (searchFrom <= text.length && m.find(searchFrom)) {
    const start = m.start();
    const end = m.end();
    const groups: (string | null)[] = [];
    for (let g = 0; g <= m.groupCount(); g++) groups.push(m.group(g));
    out += text.slice(last, start) + expandTemplate(repl, { groups, names });
    last = end;
    // An empty match advances by one character, as Go does.
    searchFrom = end > start ? end : end + 1;
  }
  return out + text.slice(last);
}

/**
 * cases.Title(language.AmericanEnglish): each word capitalised, the rest of it lower case. Words
 * follow Unicode word breaking: `_` joins (`high_latency` → `High_latency`), and so do `.`, `:`
 * and apostrophes between letters.
 */
export function title(s: string): string {
  return s.replace(/[\p{L}\p{N}_][\p{L}\p{M}\p{N}_]*(?:['’.:][\p{L}\p{M}\p{N}_]+)*/gu, (w) => {
    const [first, ...rest] = [...w];
    return first.toUpperCase() + rest.join('').toLowerCase();
  });
}

const HTML_ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&#34;': '"',
  '&#39;': "'",
};

/**
 * The functions for text templates; `html` variants let `safeHtml` undo the escaping applied to
 * alert data, which is how Vigil approximates html/template's contextual escaping.
 */
export function templateFuncs(mode: 'text' | 'html'): FuncMap {
  return {
    toUpper: goFunc(['string'], (s: string) => s.toUpperCase()),
    toLower: goFunc(['string'], (s: string) => s.toLowerCase()),
    title: goFunc(['string'], title),
    join: goFunc(['string', stringList], (sep: string, list: string[] | null) => (list ?? []).join(sep)),
    match: goFunc(['string', 'string'], (pattern: string, s: string) => compile(pattern).matcher(s).find()),
    safeHtml: goFunc(['string'], (s: string) =>
      mode === 'html' ? s.replace(/&(amp|lt|gt|#34|#39);/g, (e) => HTML_ENTITIES[e]) : s,
    ),
    reReplaceAll: goFunc(['string', 'string', 'string'], replaceAll),
    stringSlice: goFunc([], (...s: string[]) => s, 'string'),
  };
}
