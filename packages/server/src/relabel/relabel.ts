import { createHash } from 'node:crypto';
import { RE2JS } from 're2js';
import { isValidUtf8Name, type Labels } from '../model/labels.ts';
import { type CompiledRegex, compileRegex } from '../model/regex.ts';
import { LabelsBuilder } from './builder.ts';
import type { RelabelConfig } from './config.ts';
import { expandTemplate, type MatchGroups } from './expand.ts';

/** A relabel config ready to run: regexes compiled once. */
export interface RelabelRule {
  readonly config: RelabelConfig;
  /** Fully anchored matcher (Prometheus semantics) for keep/drop/label* actions. */
  readonly matcher: CompiledRegex;
  /** Returns the groups of a full match, or undefined; for replace and labelmap. */
  readonly capture: (value: string) => MatchGroups | undefined;
}

/**
 * Compiles validated configs (see relabelConfigSchema). Throws RegexError for an invalid regex,
 * which the schema has already ruled out.
 */
export function compileRelabelRules(configs: readonly RelabelConfig[]): RelabelRule[] {
  return configs.map((config) => {
    const matcher = compileRegex(config.regex);
    let re2: RE2JS | undefined;
    let names: Record<string, number> = {};
    const capture = (value: string): MatchGroups | undefined => {
      if (!re2) {
        re2 = RE2JS.compile(`^(?s:${config.regex})$`);
        names = re2.namedGroups();
      }
      const m = re2.matcher(value);
      if (!m.matches()) return undefined;
      const groups: (string | null)[] = [];
      for (let i = 0; i <= m.groupCount(); i++) groups.push(m.group(i));
      return { groups, names };
    };
    return { config, matcher, capture };
  });
}

/**
 * Applies the rules in order to `builder`, as Prometheus's relabel.ProcessBuilder does. Returns
 * false as soon as a rule drops the label set (the builder is then left half-changed).
 */
export function processBuilder(builder: LabelsBuilder, rules: readonly RelabelRule[]): boolean {
  for (const rule of rules) if (!applyRule(rule, builder)) return false;
  return true;
}

/** Relabels a label set; undefined when a rule drops it. */
export function relabel(labels: Labels, rules: readonly RelabelRule[]): Labels | undefined {
  if (rules.length === 0) return labels;
  const b = new LabelsBuilder(labels);
  return processBuilder(b, rules) ? b.labels() : undefined;
}

function applyRule(rule: RelabelRule, b: LabelsBuilder): boolean {
  const cfg = rule.config;
  let val: string;
  if (cfg.source_labels.length === 1) val = b.get(cfg.source_labels[0]);
  else {
    const parts: string[] = [];
    for (const name of cfg.source_labels) parts.push(b.get(name));
    val = parts.join(cfg.separator);
  }

  switch (cfg.action) {
    case 'drop':
      return !rule.matcher.matches(val);
    case 'keep':
      return rule.matcher.matches(val);
    case 'dropequal':
      return b.get(cfg.target_label) !== val;
    case 'keepequal':
      return b.get(cfg.target_label) === val;
    case 'replace': {
      // The common "set a label" rule needs no regex work.
      if (val === '' && !cfg.regex_set && !cfg.target_label.includes('$') && !cfg.replacement.includes('$')) {
        b.set(cfg.target_label, cfg.replacement);
        return true;
      }
      const m = rule.capture(val);
      if (!m) return true;
      const target = expandTemplate(cfg.target_label, m);
      if (!isValidUtf8Name(target)) return true;
      const result = expandTemplate(cfg.replacement, m);
      if (result === '') b.delete(target);
      else b.set(target, result);
      return true;
    }
    case 'lowercase':
      b.set(cfg.target_label, val.toLowerCase());
      return true;
    case 'uppercase':
      b.set(cfg.target_label, val.toUpperCase());
      return true;
    case 'hashmod':
      b.set(cfg.target_label, hashMod(val, cfg.modulus));
      return true;
    case 'labelmap':
      b.range((l) => {
        const m = rule.matcher.matches(l.name) ? rule.capture(l.name) : undefined;
        if (m) b.set(expandTemplate(cfg.replacement, m), l.value);
      });
      return true;
    case 'labeldrop':
      b.range((l) => {
        if (rule.matcher.matches(l.name)) b.delete(l.name);
      });
      return true;
    case 'labelkeep':
      b.range((l) => {
        if (!rule.matcher.matches(l.name)) b.delete(l.name);
      });
      return true;
  }
}

/**
 * Prometheus's hashmod: the MD5 of the value, its last 8 bytes read as a big-endian unsigned
 * 64-bit integer, modulo `modulus`. Identical to Prometheus so shards split targets the same way.
 */
export function hashMod(value: string, modulus: number): string {
  const digest = createHash('md5').update(value, 'utf8').digest();
  return (digest.readBigUInt64BE(8) % BigInt(modulus)).toString();
}
