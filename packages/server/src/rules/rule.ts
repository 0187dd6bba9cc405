/**
 * What recording and alerting rules have in common (Prometheus's rules.Rule): a name, a PromQL
 * expression, labels, health, the last error and evaluation timing, and Eval.
 */
import type { Labels } from '../model/labels.ts';
import type { QueryFunc, RuleSample } from './query.ts';
import type { TemplateQuery } from './template.ts';

/** Prometheus's RuleHealth values. */
export type RuleHealth = 'unknown' | 'ok' | 'err';

/** What a rule needs to evaluate. */
export interface EvalContext {
  readonly query: QueryFunc;
  /** `query` for templates (alerting rules' labels and annotations). */
  readonly templateQuery: TemplateQuery;
  /** The server's external URL, for templates. */
  readonly externalURL: string;
  readonly externalLabels: Readonly<Record<string, string>>;
  /** The group's limit on alerts or series; 0 = none. */
  readonly limit: number;
  readonly signal?: AbortSignal;
}

/** A recording or alerting rule. */
export interface Rule {
  readonly kind: 'recording' | 'alerting';
  readonly name: string;
  /** The expression as Prometheus prints it (parsed and formatted). */
  readonly query: string;
  /** Rule labels, group labels merged in (rule labels win). */
  readonly labels: Labels;
  health: RuleHealth;
  /** The last evaluation's error message, undefined when it succeeded. */
  lastError: string | undefined;
  /** How long the last evaluation took (ms). */
  evaluationDuration: number;
  /** Wall-clock time the last evaluation started (ms); undefined before the first. */
  evaluationTimestamp: number | undefined;
  /**
   * Evaluates at `ts` (ms) against data at `ts - queryOffset`; resolves with the samples to
   * append (recorded series, or ALERTS and ALERTS_FOR_STATE) or rejects with the rule's error.
   */
  eval(ts: number, queryOffset: number, ctx: EvalContext): Promise<RuleSample[]>;
  /** A canonical text of the rule's definition, for telling whether a reload changed it. */
  definition(): string;
}

/** Merges group labels and rule labels (rule labels win), as rules.FromMaps. */
export function mergeLabelMaps(...maps: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of maps) for (const [k, v] of Object.entries(m)) out[k] = v;
  return out;
}
