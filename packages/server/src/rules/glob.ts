/**
 * Go's filepath.Glob for rule_files: `*`, `?` and `[...]` in any path segment (no `**`),
 * results sorted per directory as Go's does. A pattern without metacharacters matches the file
 * if it exists.
 */
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';

const META = /[*?[\\]/;

function segmentRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new Error('syntax error in pattern');
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else re += c.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Files matching `pattern`, in the pattern's own form: a relative pattern (resolved against the
 * working directory) gives relative paths, as Go's filepath.Glob does.
 */
export function glob(pattern: string): string[] {
  const full = normalize(pattern);
  if (!META.test(full)) return exists(full) ? [full] : [];
  const parts = full.split(sep);
  const absolute = isAbsolute(full);
  let paths = [absolute ? sep : ''];
  for (const part of parts.slice(absolute ? 1 : 0)) {
    if (part === '') continue;
    const next: string[] = [];
    for (const dir of paths) {
      if (!META.test(part)) {
        const p = dir === '' ? part : join(dir, part);
        if (exists(p)) next.push(p);
        continue;
      }
      const re = segmentRegExp(part);
      let names: string[];
      try {
        names = readdirSync(dir === '' ? '.' : dir);
      } catch {
        continue;
      }
      for (const name of names.sort()) if (re.test(name)) next.push(dir === '' ? name : join(dir, name));
    }
    paths = next;
  }
  return paths;
}
