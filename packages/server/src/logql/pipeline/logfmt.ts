/**
 * A logfmt reader following go-logfmt's decoder, which Loki uses: `key=value` pairs separated by
 * spaces, values bare or double-quoted with Go escapes, a key without `=` has an empty value.
 */
export interface LogfmtPair {
  readonly key: string;
  readonly value: string;
}

export interface LogfmtResult {
  readonly pairs: LogfmtPair[];
  /** The first syntax problem, when there was one (the pairs before it are kept). */
  readonly error: string | undefined;
}

/** Splits a line into pairs; `strict` stops at the first error, otherwise bad pairs are skipped. */
export function parseLogfmt(line: string, strict: boolean): LogfmtResult {
  const pairs: LogfmtPair[] = [];
  let error: string | undefined;
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i >= n) break;
    const keyStart = i;
    while (i < n && line[i] !== '=' && !isSpace(line.charCodeAt(i)) && line[i] !== '"') i++;
    const key = line.slice(keyStart, i);
    if (key === '') {
      error ??= `logfmt syntax error at pos ${i + 1} on line 1: unexpected '${line[i]}'`;
      if (strict) break;
      // Skip to the next space.
      while (i < n && !isSpace(line.charCodeAt(i))) i++;
      continue;
    }
    if (i >= n || isSpace(line.charCodeAt(i))) {
      pairs.push({ key, value: '' });
      continue;
    }
    if (line[i] === '"') {
      error ??= `logfmt syntax error at pos ${i + 1} on line 1: unexpected '"'`;
      if (strict) break;
      while (i < n && !isSpace(line.charCodeAt(i))) i++;
      continue;
    }
    i++; // '='
    if (i < n && line[i] === '"') {
      const start = i;
      i++;
      let escaped = false;
      let closed = false;
      while (i < n) {
        const c = line[i];
        if (c === '\\') {
          escaped = true;
          i += 2;
          continue;
        }
        if (c === '"') {
          closed = true;
          break;
        }
        i++;
      }
      if (!closed) {
        error ??= `logfmt syntax error at pos ${n + 1} on line 1: unterminated quoted value`;
        if (strict) break;
        break;
      }
      const raw = line.slice(start, i + 1);
      i++;
      let value = raw.slice(1, -1);
      if (escaped) {
        try {
          value = JSON.parse(raw.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1')) as string;
        } catch {
          error ??= `logfmt syntax error at pos ${start + 1} on line 1: invalid quoted value`;
          if (strict) break;
          continue;
        }
      }
      pairs.push({ key, value });
      if (i < n && !isSpace(line.charCodeAt(i))) {
        error ??= `logfmt syntax error at pos ${i + 1} on line 1: unexpected '${line[i]}'`;
        if (strict) break;
        while (i < n && !isSpace(line.charCodeAt(i))) i++;
      }
      continue;
    }
    const valueStart = i;
    while (i < n && !isSpace(line.charCodeAt(i))) {
      if (line[i] === '"' || line[i] === '=') {
        error ??= `logfmt syntax error at pos ${i + 1} on line 1: unexpected '${line[i]}'`;
        if (strict) return { pairs, error };
      }
      i++;
    }
    pairs.push({ key, value: line.slice(valueStart, i) });
  }
  return { pairs, error };
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}
