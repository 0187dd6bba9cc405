/**
 * `promtool check rules`: parse and validate a rule file and lint it for duplicate rules (same
 * name and labels), as cmd/promtool's checkRules/checkDuplicates.
 */
import { compareLabels, type Labels } from '../model/labels.ts';
import { mergeLabelMaps } from './rule.ts';
import { parseRules } from './rulefmt.ts';

export interface LintSettings {
  readonly duplicateRules: boolean;
  /** Lint findings make the exit code 3. */
  readonly fatal: boolean;
}

/** A rule name with labels found more than once. */
export interface DuplicateRule {
  readonly metric: string;
  readonly labels: Labels;
}

export interface CheckResult {
  /** Parse and validation errors (without the file name). */
  readonly errors: readonly string[];
  readonly ruleCount: number;
  readonly duplicates: readonly DuplicateRule[];
}

/** labels.FromMap: sorted, empty values kept. */
function fromMap(m: Readonly<Record<string, string>>): Labels {
  return Object.entries(m)
    .map(([name, value]) => ({ name, value }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function compareRule(a: DuplicateRule, b: DuplicateRule): number {
  if (a.metric !== b.metric) return a.metric < b.metric ? -1 : 1;
  return compareLabels(a.labels, b.labels);
}

/** Checks one rule file's text. */
export function checkRuleText(
  text: string,
  opts: { ignoreUnknownFields?: boolean; lint: LintSettings },
): CheckResult {
  const parsed = parseRules(text, { ignoreUnknownFields: opts.ignoreUnknownFields });
  if (parsed.errors.length > 0) return { errors: parsed.errors, ruleCount: 0, duplicates: [] };
  let ruleCount = 0;
  for (const g of parsed.groups) ruleCount += g.rules.length;
  const duplicates: DuplicateRule[] = [];
  if (opts.lint.duplicateRules) {
    const all: DuplicateRule[] = [];
    for (const g of parsed.groups)
      for (const r of g.rules)
        all.push({
          metric: r.alert !== '' ? r.alert : r.record,
          labels: fromMap(mergeLabelMaps(g.labels, r.labels)),
        });
    all.sort(compareRule);
    for (let i = 1; i < all.length; i++) {
      if (compareRule(all[i - 1], all[i]) !== 0) continue;
      const last = duplicates[duplicates.length - 1];
      if (!last || compareRule(all[i - 1], last) !== 0) duplicates.push(all[i]);
    }
  }
  return { errors: [], ruleCount, duplicates };
}

/** promtool's duplicate report (after its "lint error " prefix). */
export function formatDuplicates(duplicates: readonly DuplicateRule[]): string {
  let s = `${duplicates.length} duplicate rule(s) found.\n`;
  for (const d of duplicates) {
    s += `Metric: ${d.metric}\nLabel(s):\n`;
    for (const l of d.labels) s += `\t${l.name}: ${l.value}\n`;
  }
  return s + 'Might cause inconsistency while recording expressions';
}
