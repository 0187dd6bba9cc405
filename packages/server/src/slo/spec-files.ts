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
    if (typeof raw === 'object' && 'apiVersion' in raw) {
      const k8s = fromKubernetes(raw as Record<string, unknown>);
      if (typeof k8s === 'string') {
        problems.push(`${file}${lineOf(doc, lineCounter, [])}: ${k8s}`);
        continue;
      }
      const result = slothSpecSchema.safeParse(k8s);
      if (result.success) {
        KUBERNETES_SPECS.add(result.data);
        specs.push(result.data);
      } else {
        // Point at the keys as written: under spec:, in camelCase.
        const issues = result.error.issues.map((i) => ({ ...i, path: ['spec', ...i.path.map(toCamel)] }));
        problems.push(...describeSchemaIssues(issues, doc, lineCounter, file));
      }
      continue;
    }
    const result = slothSpecSchema.safeParse(raw);
    if (result.success) specs.push(result.data);
    else problems.push(...describeSchemaIssues(result.error.issues, doc, lineCounter, file));
  }
  return { specs, problems };
}

/** Specs that came from Sloth's Kubernetes CRD (their sloth_spec label says so). */
const KUBERNETES_SPECS = new WeakSet<SlothSpec>();

/** The `sloth_spec` a document was written in: `prometheus/v1` or Sloth's CRD `sloth.slok.dev/v1`. */
export function specFormat(spec: SlothSpec): 'prometheus/v1' | 'sloth.slok.dev/v1' {
  return KUBERNETES_SPECS.has(spec) ? 'sloth.slok.dev/v1' : 'prometheus/v1';
}

/** The CRD's camelCase keys and their prometheus/v1 names. */
const CAMEL_TO_SNAKE: Readonly<Record<string, string>> = {
  errorQuery: 'error_query',
  totalQuery: 'total_query',
  errorRatioQuery: 'error_ratio_query',
  pageAlert: 'page_alert',
  ticketAlert: 'ticket_alert',
  sloPlugins: 'slo_plugins',
  sloPeriod: 'slo_period',
};
const SNAKE_TO_CAMEL = Object.fromEntries(Object.entries(CAMEL_TO_SNAKE).map(([c, s]) => [s, c]));

function toCamel(key: PropertyKey): PropertyKey {
  return typeof key === 'string' ? (SNAKE_TO_CAMEL[key] ?? key) : key;
}

/** Renames the CRD's keys at every level except inside label and annotation maps. */
function renameKeys(v: unknown, inMap: boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => renameKeys(x, false));
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const name = inMap ? k : (CAMEL_TO_SNAKE[k] ?? k);
    out[name] = renameKeys(x, inMap || k === 'labels' || k === 'annotations' || k === 'options');
  }
  return out;
}

/**
 * Sloth's Kubernetes CRD (`apiVersion: sloth.slok.dev/v1`, `kind: PrometheusServiceLevel`): the
 * same fields under `spec:` in camelCase. Returns the prometheus/v1 document, or what is wrong.
 */
function fromKubernetes(raw: Record<string, unknown>): Record<string, unknown> | string {
  if (raw.apiVersion !== 'sloth.slok.dev/v1' || raw.kind !== 'PrometheusServiceLevel')
    return `apiVersion ${JSON.stringify(raw.apiVersion)}, kind ${JSON.stringify(raw.kind)}: Vigil reads Sloth's prometheus/v1 documents and its sloth.slok.dev/v1 PrometheusServiceLevel`;
  if (raw.spec === null || typeof raw.spec !== 'object') return 'spec: a PrometheusServiceLevel needs a spec';
  return { version: 'prometheus/v1', ...(renameKeys(raw.spec, false) as Record<string, unknown>) };
}

/** `:line` of the node at `path` in the document (the document start for []), or ''. */
function lineOf(doc: ReturnType<typeof parseAllDocuments>[number], lc: LineCounter, path: string[]): string {
  const node = path.length === 0 ? doc.contents : doc.getIn(path, true);
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? `:${lc.linePos(range[0]).line}` : '';
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
