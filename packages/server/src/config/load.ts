import { readFileSync } from 'node:fs';
import { type Document, isMap, isNode, isScalar, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type VigilConfig } from './schema.ts';

/** A configuration problem; the message names the file, line and key. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly problems: readonly string[] = [message],
  ) {
    super(message);
  }
}

/** The defaults, as if an empty file had been given. */
export function defaultConfig(): VigilConfig {
  return configSchema.parse({});
}

export function loadConfigFile(path: string): VigilConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  return parseConfig(text, path);
}

/**
 * Parses and validates YAML text against `schema` (the whole config by default). Every problem is
 * reported as `file:line: key.path: message`.
 */
export function parseConfig(text: string, file: string): VigilConfig;
export function parseConfig<S extends z.ZodType>(text: string, file: string, schema: S): z.infer<S>;
export function parseConfig(text: string, file: string, schema: z.ZodType = configSchema): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: invalid YAML: ${e.message.split('\n')[0]}`;
    });
    throw new ConfigError(problems.join('\n'), problems);
  }
  const raw = doc.toJS({ maxAliasCount: 1000 }) ?? {};
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const problems = describeSchemaIssues(result.error.issues, doc, lineCounter, file);
  throw new ConfigError(problems.join('\n'), problems);
}

/**
 * Schema problems of one parsed YAML document as `file:line: key.path: message`, each pointing at
 * the deepest node that exists (for a missing key, its parent mapping). Also used for other YAML
 * files validated by a zod schema (e.g. SLO files, which may hold several documents).
 */
export function describeSchemaIssues(
  issues: readonly z.core.$ZodIssue[],
  doc: Document,
  lineCounter: LineCounter,
  file: string,
): string[] {
  return issues.map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    // The deepest node that exists: for a missing key this is its parent mapping.
    let line: number | undefined;
    if (issue.code === 'unrecognized_keys') {
      const map = path.length ? doc.getIn(path, true) : doc.contents;
      if (isMap(map)) {
        const pair = map.items.find((p) => isScalar(p.key) && p.key.value === issue.keys[0]);
        const keyNode = pair?.key;
        if (isNode(keyNode) && keyNode.range) line = lineCounter.linePos(keyNode.range[0]).line;
      }
    }
    for (let n = path.length; n >= 0 && line === undefined; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) line = lineCounter.linePos(node.range[0]).line;
    }
    const key = path.length ? path.join('.') : '(top level)';
    return `${file}${line !== undefined ? `:${line}` : ''}: ${key}: ${describeIssue(issue)}`;
  });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return issue.message;
}
