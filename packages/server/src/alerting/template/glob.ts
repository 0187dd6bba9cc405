/**
 * Go's filepath.Glob for template paths: `*`, `?` and `[...]` within one path element, any
 * element. Node 20 has no fs.glob, and template globs are small, so a direct walk will do.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

/** Matching paths, sorted; a pattern without wildcards matches itself if it exists. */
export function glob(pattern: string): string[] {
  const absolute = pattern.startsWith(sep);
  const parts = pattern.split(sep).filter((p) => p !== '');
  let current = [absolute ? sep : '.'];
  for (const part of parts) {
    const next: string[] = [];
    if (!/[*?[]/.test(part)) {
      for (const dir of current) {
        const p = join(dir, part);
        if (exists(p)) next.push(p);
      }
    } else {
      const re = elementRegExp(part);
      for (const dir of current) {
        let names: string[];
        try {
          names = readdirSync(dir);
        } catch {
          continue;
        }
        for (const name of names) if (re.test(name)) next.push(join(dir, name));
      }
    }
    current = next;
  }
  return current.sort();
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Throws for a malformed pattern (unclosed `[`), as Go's ErrBadPattern. */
function elementRegExp(element: string): RegExp {
  let re = '';
  for (let i = 0; i < element.length; i++) {
    const c = element[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = element.indexOf(']', i + 2);
      if (end < 0) throw new Error(`syntax error in pattern ${JSON.stringify(element)}`);
      // Go's class syntax: [^...] negates, ranges as in regular expressions.
      re += `[${element.slice(i + 1, end)}]`;
      i = end;
    } else if (c === '\\' && i + 1 < element.length) {
      re += `\\${element[++i]}`;
    } else re += c.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
