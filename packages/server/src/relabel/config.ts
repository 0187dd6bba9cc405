import { z } from 'zod';
import { isValidUtf8Name } from '../model/labels.ts';
import { compileRegex, RegexError } from '../model/regex.ts';

/** The relabel actions Prometheus knows. */
export const RELABEL_ACTIONS = [
  'replace',
  'keep',
  'drop',
  'keepequal',
  'dropequal',
  'hashmod',
  'labelmap',
  'labeldrop',
  'labelkeep',
  'lowercase',
  'uppercase',
] as const;
/** A relabel action name, lower-case. */
export type RelabelAction = (typeof RELABEL_ACTIONS)[number];

/** One relabeling rule with Prometheus's defaults filled in. */
export interface RelabelConfig {
  readonly source_labels: readonly string[];
  /** Whether `source_labels` was given at all (labeldrop/labelkeep forbid it). */
  readonly source_labels_set: boolean;
  readonly separator: string;
  /** The regex as written, not yet anchored. */
  readonly regex: string;
  /** Whether `regex` was given; the default `(.*)` enables a fast path and is required by *equal actions. */
  readonly regex_set: boolean;
  readonly modulus: number;
  readonly target_label: string;
  readonly replacement: string;
  readonly action: RelabelAction;
}

/** Prometheus's defaults for omitted fields. */
export const DEFAULT_SEPARATOR = ';';
export const DEFAULT_REGEX = '(.*)';
export const DEFAULT_REPLACEMENT = '$1';

/** YAML scalars Go's YAML decoder accepts for string fields (`replacement: 9100`). */
const scalarString = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

/**
 * A `relabel_configs` / `metric_relabel_configs` entry, validated as Prometheus's
 * relabel.Config.Validate does (UTF-8 name validation). `regex: null` (or an empty `regex:`)
 * means the empty regex, as in Prometheus; an absent one means `(.*)`.
 */
export const relabelConfigSchema = z
  .object({
    source_labels: z.array(scalarString).nullish(),
    separator: scalarString.nullish(),
    regex: scalarString.nullish(),
    modulus: z.number().int().nonnegative().nullish(),
    target_label: scalarString.nullish(),
    replacement: scalarString.nullish(),
    action: z.string().nullish(),
  })
  .strict()
  .transform((raw, ctx): RelabelConfig => {
    const action = (raw.action ?? 'replace').toLowerCase();
    const issue = (message: string, path: string) => ctx.addIssue({ code: 'custom', message, path: [path] });
    if (!(RELABEL_ACTIONS as readonly string[]).includes(action)) {
      issue(
        `unknown relabel action ${JSON.stringify(raw.action)}; use one of ${RELABEL_ACTIONS.join(', ')}`,
        'action',
      );
      return z.NEVER;
    }
    const cfg: RelabelConfig = {
      source_labels: raw.source_labels ?? [],
      source_labels_set: raw.source_labels !== undefined && raw.source_labels !== null,
      separator: raw.separator ?? DEFAULT_SEPARATOR,
      regex: raw.regex === undefined ? DEFAULT_REGEX : (raw.regex ?? ''),
      regex_set: raw.regex !== undefined,
      modulus: raw.modulus ?? 0,
      target_label: raw.target_label ?? '',
      replacement: raw.replacement === undefined ? DEFAULT_REPLACEMENT : (raw.replacement ?? ''),
      action: action as RelabelAction,
    };
    const problem = validateRelabelConfig(cfg);
    if (problem) {
      issue(problem.message, problem.key);
      return z.NEVER;
    }
    return cfg;
  });

/** A relabel config as written in YAML. */
export type RelabelConfigInput = z.input<typeof relabelConfigSchema>;

/**
 * Prometheus's relabel.Config.Validate with UTF-8 names: returns the first problem and the key it
 * concerns, or undefined.
 */
export function validateRelabelConfig(c: RelabelConfig): { key: string; message: string } | undefined {
  const a = c.action;
  try {
    compileRegex(c.regex);
  } catch (err) {
    if (err instanceof RegexError) return { key: 'regex', message: err.message };
    throw err;
  }
  for (const name of c.source_labels) {
    if (!isValidUtf8Name(name))
      return { key: 'source_labels', message: `invalid label name ${JSON.stringify(name)}` };
  }
  if (a === 'hashmod' && c.modulus === 0) {
    return { key: 'modulus', message: 'the hashmod action requires a non-zero modulus' };
  }
  const needsTarget = ['replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal'];
  if (needsTarget.includes(a) && c.target_label === '') {
    return { key: 'target_label', message: `the ${a} action requires target_label` };
  }
  // With UTF-8 names any non-empty target is valid, ${1} templates included.
  if (needsTarget.includes(a) && !isValidUtf8Name(c.target_label)) {
    return {
      key: 'target_label',
      message: `${JSON.stringify(c.target_label)} is an invalid target_label for ${a}`,
    };
  }
  const noReplacement = ['lowercase', 'uppercase', 'keepequal', 'dropequal'];
  if (noReplacement.includes(a) && c.replacement !== DEFAULT_REPLACEMENT) {
    return { key: 'replacement', message: `replacement cannot be set for the ${a} action` };
  }
  if (a === 'labelmap' && !isValidUtf8Name(c.replacement)) {
    return {
      key: 'replacement',
      message: `${JSON.stringify(c.replacement)} is an invalid replacement for labelmap`,
    };
  }
  if (
    (a === 'keepequal' || a === 'dropequal') &&
    (c.regex_set || c.modulus !== 0 || c.separator !== DEFAULT_SEPARATOR)
  ) {
    return {
      key: 'action',
      message: `the ${a} action takes only source_labels and target_label, no other fields`,
    };
  }
  if (
    (a === 'labeldrop' || a === 'labelkeep') &&
    (c.source_labels_set ||
      c.target_label !== '' ||
      c.modulus !== 0 ||
      c.separator !== DEFAULT_SEPARATOR ||
      c.replacement !== DEFAULT_REPLACEMENT)
  ) {
    return { key: 'action', message: `the ${a} action takes only regex, no other fields` };
  }
  return undefined;
}
