/**
 * Reads Sloth spec files (`slo_files:` globs): each file may hold several `---`-separated
 * `prometheus/v1` documents, as Sloth accepts. Every problem names the file, line and key.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { describeSchemaIssues } from '../config/load.ts';
import { type SlothSpec, slothSpecSchema } from '../config/slo.ts';
import { glob } from '../rules/glob.ts';

/** The documents of one source: a spec file, or the config file's inline `slos:`. */
export interface SpecSource {
  readonly file: string;
  readonly specs: readonly SlothSpec[];
}

/** Parses one file's text into its Sloth documents; problems are `file:line: key: message`. */
export function parseSpecText(text: string, file: string): { specs: SlothSpec[]; problems: string[] } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const specs: SlothSpec[] = [];
  const problems: string[] = [];
  if (!Array.isArray(docs)) return { specs, problems }; // an empty file: nothing declared
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const pos = e.linePos?.[0];
        problems.push(
          `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: invalid YAML: ${e.message.split('\n')[0]}`,
        );
      }
      continue;
    }
    const raw = doc.toJS({ maxAliasCount: 1000 });
    if (raw === null || raw === undefined) continue; // an empty document (e.g. after a trailing ---)
    const result = slothSpecSchema.safeParse(raw);
    if (result.success) specs.push(result.data);
    else problems.push(...describeSchemaIssues(result.error.issues, doc, lineCounter, file));
  }
  return { specs, problems };
}

/** Files matched by the globs (relative to `baseDir`), each once, in order. */
export function expandSpecFiles(
  patterns: readonly string[],
  baseDir: string,
  warn: (m: string) => void,
): string[] {
  const out: string[] = [];
  for (const p of patterns) {
    let files: string[];
    try {
      files = glob(isAbsolute(p) ? p : resolve(baseDir, p));
    } catch (err) {
      warn(`slo_files: pattern ${p} is not valid: ${(err as Error).message}`);
      continue;
    }
    if (files.length === 0) warn(`slo_files: no file matches ${p}`);
    for (const f of files) if (!out.includes(f)) out.push(f);
  }
  return out;
}

/** Reads every matched file; the SLOs load completely or not at all, like rule files. */
export function loadSpecFiles(files: readonly string[]): { sources: SpecSource[]; problems: string[] } {
  const sources: SpecSource[] = [];
  const problems: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      problems.push(`${file}: cannot read SLO file: ${(err as Error).message}`);
      continue;
    }
    const parsed = parseSpecText(text, file);
    problems.push(...parsed.problems);
    sources.push({ file, specs: parsed.specs });
  }
  return { sources, problems };
}
