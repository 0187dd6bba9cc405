/**
 * JSON for the `json` and `unpack` parsers and `| json a="x.y[0]"` expressions, following Loki:
 * nested object keys are joined with `_`, arrays and nulls are skipped, numbers and booleans
 * become their text.
 */

/** Loki's sanitizeLabelKey: invalid characters become `_`; a leading digit gets a `_` prefix. */
export function sanitizeKey(key: string, isPrefix: boolean): string {
  let k = key.trim();
  if (k === '') return k;
  if (isPrefix && k.charCodeAt(0) >= 48 && k.charCodeAt(0) <= 57) k = `_${k}`;
  return k.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** Parses a line as a JSON object; undefined when it is not one. */
export function parseJsonObject(line: string): { value?: Record<string, unknown>; error?: string } {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    return { error: "Value looks like object, but can't find closing '}' symbol" };
  }
  return { value: v as Record<string, unknown> };
}

/** Every scalar leaf as (flattened key, text), in document order. */
export function flattenJson(obj: Record<string, unknown>, emit: (key: string, value: string) => void): void {
  const walk = (o: Record<string, unknown>, prefix: string) => {
    for (const rawKey of Object.keys(o)) {
      const v = o[rawKey];
      const part = sanitizePart(rawKey, prefix === '');
      if (part === '') continue;
      const key = prefix === '' ? part : `${prefix}_${part}`;
      if (v === null || Array.isArray(v)) continue;
      if (typeof v === 'object') walk(v as Record<string, unknown>, key);
      else emit(key, scalarText(v));
    }
  };
  walk(obj, '');
}

function sanitizePart(key: string, first: boolean): string {
  return sanitizeKey(key, first);
}

/** A JSON scalar as a label value. */
export function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return String(v);
  return '';
}

/** A path of `| json a="x.y[0]"`: keys and array indexes. */
export type JsonPath = readonly (string | number)[];

/** Parses Loki's jsonexpr: `a.b`, `a[0]`, `a["key with space"]`, `["x"].y`. */
export function parseJsonPath(expr: string): JsonPath | undefined {
  const out: (string | number)[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i];
    if (c === '.') {
      if (i === 0) return undefined;
      i++;
      continue;
    }
    if (c === '[') {
      const close = expr.indexOf(']', i);
      if (close < 0) return undefined;
      const inner = expr.slice(i + 1, close).trim();
      if (/^\d+$/.test(inner)) out.push(Number(inner));
      else if (/^"(?:[^"\\]|\\.)*"$/.test(inner)) out.push(JSON.parse(inner) as string);
      else return undefined;
      i = close + 1;
      continue;
    }
    let j = i;
    while (j < expr.length && expr[j] !== '.' && expr[j] !== '[') j++;
    const key = expr.slice(i, j);
    if (key === '') return undefined;
    out.push(key);
    i = j;
  }
  return out.length > 0 ? out : undefined;
}

/** The value at a path: scalars as text, objects and arrays as their JSON; undefined when missing. */
export function valueAtPath(root: unknown, path: JsonPath): string | undefined {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    if (typeof p === 'number') {
      if (!Array.isArray(v)) return undefined;
      v = v[p];
    } else {
      if (Array.isArray(v)) return undefined;
      v = (v as Record<string, unknown>)[p];
    }
    if (v === undefined) return undefined;
  }
  if (v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return scalarText(v);
}
