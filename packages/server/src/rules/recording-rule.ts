/**
 * A recording rule (Prometheus's rules.RecordingRule): evaluates its expression, renames the
 * result to the rule's name and adds the rule's labels.
 */
import { type Labels, labelsFromRecord, labelsKey, METRIC_NAME, withLabel } from '../model/labels.ts';
import type { RuleSample } from './query.ts';
import type { EvalContext, Rule, RuleHealth } from './rule.ts';

export class RecordingRule implements Rule {
  readonly kind = 'recording' as const;
  readonly labels: Labels;
  health: RuleHealth = 'unknown';
  lastError: string | undefined;
  evaluationDuration = 0;
  evaluationTimestamp: number | undefined;

  constructor(
    readonly name: string,
    /** The formatted expression. */
    readonly query: string,
    labels: Readonly<Record<string, string>>,
  ) {
    this.labels = labelsFromRecord(labels);
  }

  async eval(ts: number, queryOffset: number, ctx: EvalContext): Promise<RuleSample[]> {
    const vector = await ctx.query(this.query, ts - queryOffset, ctx.signal);
    const seen = new Set<string>();
    const out: RuleSample[] = [];
    for (const s of vector) {
      let labels = withLabel(s.labels, METRIC_NAME, this.name);
      for (const l of this.labels) labels = withLabel(labels, l.name, l.value);
      const key = labelsKey(labels);
      if (seen.has(key))
        throw new Error('vector contains metrics with the same labelset after applying rule labels');
      seen.add(key);
      out.push({ labels, t: s.t, value: s.value });
    }
    if (ctx.limit > 0 && out.length > ctx.limit)
      throw new Error(`exceeded limit of ${ctx.limit} with ${out.length} series`);
    return out;
  }

  definition(): string {
    return JSON.stringify({ record: this.name, expr: this.query, labels: this.labels });
  }
}
