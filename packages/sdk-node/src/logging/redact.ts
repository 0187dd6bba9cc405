/**
 * Redaction of secrets in log lines. Instead of a list of paths (whose cost grows with every path
 * on every line), the line's plain data is walked once, a few levels deep, and any field whose
 * name is a secret name is replaced, wherever it sits: `password`, `user.password`,
 * `req.headers.authorization`. The app's own objects are never modified: a line with a secret is
 * copied along the path to it. Names match case-insensitively; a name with dots
 * (`body.card.number`) matches that exact path.
 */

/** Field names redacted by default. */
export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'password',
  'passwd',
  'secret',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'id_token',
  'apiKey',
  'api_key',
  'x-api-key',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'clientSecret',
  'client_secret',
  'privateKey',
  'private_key',
  'creditCard',
  'cardNumber',
];

/** Redaction settings. */
export interface RedactOptions {
  /** More field names (or dotted paths like `body.card.number`). */
  keys?: readonly string[];
  /** Use only `keys`, not DEFAULT_REDACT_KEYS. */
  replaceDefaults?: boolean;
  /** Replacement text (default `[REDACTED]`). */
  censor?: string;
  /** Levels of nesting searched (default 4). */
  maxDepth?: number;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A function that returns `obj` itself when it holds no secret, else a redacted copy. */
export type Redactor = <T>(obj: T) => T;

/** Builds the redactor for these options. */
export function createRedactor(options: RedactOptions = {}): Redactor {
  const all = [...(options.replaceDefaults ? [] : DEFAULT_REDACT_KEYS), ...(options.keys ?? [])];
  const names = new Set(all.filter((k) => !k.includes('.')).map((k) => k.toLowerCase()));
  const paths = new Set(all.filter((k) => k.includes('.')).map((k) => k.toLowerCase()));
  const censor = options.censor ?? '[REDACTED]';
  const maxDepth = options.maxDepth ?? 4;
  const usePaths = paths.size > 0;

  // Log lines reuse the same few keys, so each key's verdict is remembered (bounded).
  const verdicts = new Map<string, boolean>();
  const secretName = (key: string): boolean => {
    let v = verdicts.get(key);
    if (v === undefined) {
      v = names.has(key.toLowerCase());
      if (verdicts.size < 10_000) verdicts.set(key, v);
    }
    return v;
  };
  const secret = (key: string, path: string | undefined): boolean =>
    secretName(key) || (usePaths && path !== undefined && paths.has(path.toLowerCase()));

  // Returns the value itself when nothing inside is secret, else a copy with secrets replaced.
  const walk = (value: unknown, depth: number, prefix: string | undefined): unknown => {
    if (depth > maxDepth) return value;
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const v = value[i];
        if (typeof v !== 'object' || v === null) continue;
        const r = walk(v, depth + 1, prefix);
        if (r !== v) {
          copy ??= value.slice();
          copy[i] = r;
        }
      }
      return copy ?? value;
    }
    if (!isPlain(value)) return value;
    let copy: Record<string, unknown> | undefined;
    for (const key in value) {
      const path = usePaths ? (prefix === undefined ? key : `${prefix}.${key}`) : undefined;
      const v = value[key];
      if (secret(key, path)) {
        if (v !== undefined) {
          copy ??= { ...value };
          copy[key] = censor;
        }
        continue;
      }
      if (typeof v !== 'object' || v === null) continue;
      const r = walk(v, depth + 1, path);
      if (r !== v) {
        copy ??= { ...value };
        copy[key] = r;
      }
    }
    return copy ?? value;
  };
  return <T>(obj: T): T => {
    if (typeof obj !== 'object' || obj === null) return obj;
    // Most lines are a few plain fields with ordinary names: check them without the walk.
    if (!usePaths) {
      let simple = true;
      for (const key in obj) {
        const v = (obj as Record<string, unknown>)[key];
        if (secretName(key) || (typeof v === 'object' && v !== null)) {
          simple = false;
          break;
        }
      }
      if (simple) return obj;
    }
    return walk(obj, 0, undefined) as T;
  };
}
