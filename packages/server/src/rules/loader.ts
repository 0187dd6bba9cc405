/**
 * Loads rule files into groups of rule objects (Prometheus's Manager.LoadGroups): globs,
 * strict parsing and validation, expressions formatted as Prometheus prints them, default
 * interval from the global evaluation_interval.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { formatExpr, parseExpr } from '../promql/index.ts';
import { AlertingRule } from './alerting-rule.ts';
import { glob } from './glob.ts';
import { RecordingRule } from './recording-rule.ts';
import { mergeLabelMaps, type Rule } from './rule.ts';
import { type GroupSpec, type NameValidation, parseRules } from './rulefmt.ts';

/** A group as loaded, before it is scheduled. */
export interface LoadedGroup {
  readonly name: string;
  readonly file: string;
  readonly interval: number;
  readonly queryOffset: number | undefined;
  readonly limit: number;
  readonly rules: readonly Rule[];
}

export interface LoadOptions {
  /** Interval of groups that set none (ms). */
  readonly defaultInterval: number;
  /** Whether alerting rules start out "restored" (ALERTS written from the first evaluation). */
  readonly restored: boolean;
  readonly ignoreUnknownFields?: boolean;
  readonly nameValidation?: NameValidation;
}

/** Files matched by the patterns, in order, each once. Warns through `onWarning` for empty globs. */
export function expandRuleFiles(
  patterns: readonly string[],
  baseDir: string,
  onWarning?: (m: string) => void,
): string[] {
  const out: string[] = [];
  for (const p of patterns) {
    const files = glob(isAbsolute(p) ? p : resolve(baseDir, p));
    if (files.length === 0) onWarning?.(`no file match pattern ${p}`);
    for (const f of files) if (!out.includes(f)) out.push(f);
  }
  return out;
}

/**
 * Reads and builds the groups of the given files. On any problem returns the errors
 * (`<file>: <problem>`), Prometheus's way: a rule set loads completely or not at all.
 */
export function loadRuleFiles(
  files: readonly string[],
  opts: LoadOptions,
): { groups: LoadedGroup[]; errors: string[] } {
  const groups: LoadedGroup[] = [];
  const errors: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      errors.push(`${file}: ${(err as Error).message}`);
      continue;
    }
    const parsed = parseRules(text, {
      ignoreUnknownFields: opts.ignoreUnknownFields,
      nameValidation: opts.nameValidation,
    });
    if (parsed.errors.length > 0) {
      for (const e of parsed.errors) errors.push(`${file}: ${e}`);
      continue;
    }
    for (const g of parsed.groups) groups.push(buildGroup(g, file, opts));
  }
  return { groups, errors };
}

/**
 * Builds the rule objects of one validated group. Also used for groups that do not come from a
 * rule file (the rules generated for SLOs), which are built exactly like a file's.
 */
export function buildGroup(g: GroupSpec, file: string, opts: LoadOptions): LoadedGroup {
  const rules: Rule[] = [];
  for (const r of g.rules) {
    const query = formatExpr(parseExpr(r.expr));
    const labels = mergeLabelMaps(g.labels, r.labels);
    if (r.alert !== '')
      rules.push(
        new AlertingRule(r.alert, query, r.for, r.keepFiringFor, labels, r.annotations, opts.restored),
      );
    else rules.push(new RecordingRule(r.record, query, labels));
  }
  return {
    name: g.name,
    file,
    interval: g.interval && g.interval > 0 ? g.interval : opts.defaultInterval,
    queryOffset: g.queryOffset,
    limit: g.limit,
    rules,
  };
}
