/**
 * The rules engine's self-metrics, named after Prometheus's prometheus_rule_* metrics with the
 * vigil_ prefix, so dashboards for Prometheus's rule manager translate directly.
 */
import type { Counter, Gauge, Histogram, SelfMetrics } from '../self/metrics.ts';

export interface RulesMetrics {
  readonly evalTotal: Counter;
  readonly evalFailures: Counter;
  readonly iterationsScheduled: Counter;
  readonly iterationsMissed: Counter;
  readonly evalDuration: Histogram;
  readonly groupDuration: Histogram;
  readonly groupLastDuration: Gauge;
  readonly groupLastEvalTime: Gauge;
  readonly groupRules: Gauge;
  readonly groupInterval: Gauge;
}

/** Registers (or finds) the rules metrics in the self-metrics registry. */
export function rulesMetrics(self: SelfMetrics): RulesMetrics {
  const g = ['rule_group'];
  return {
    evalTotal: self.counter('vigil_rule_evaluations_total', 'The total number of rule evaluations.', g),
    evalFailures: self.counter(
      'vigil_rule_evaluation_failures_total',
      'The total number of rule evaluation failures.',
      g,
    ),
    iterationsScheduled: self.counter(
      'vigil_rule_group_iterations_total',
      'The total number of scheduled rule group evaluations, whether executed or missed.',
      g,
    ),
    iterationsMissed: self.counter(
      'vigil_rule_group_iterations_missed_total',
      'The total number of rule group evaluations missed due to slow rule group evaluation.',
      g,
    ),
    evalDuration: self.histogram(
      'vigil_rule_evaluation_duration_seconds',
      'The duration for a rule to execute.',
    ),
    groupDuration: self.histogram(
      'vigil_rule_group_duration_seconds',
      'The duration of rule group evaluations.',
    ),
    groupLastDuration: self.gauge(
      'vigil_rule_group_last_duration_seconds',
      'The duration of the last rule group evaluation.',
      g,
    ),
    groupLastEvalTime: self.gauge(
      'vigil_rule_group_last_evaluation_timestamp_seconds',
      'The timestamp of the last rule group evaluation in seconds.',
      g,
    ),
    groupRules: self.gauge('vigil_rule_group_rules', 'The number of rules.', g),
    groupInterval: self.gauge('vigil_rule_group_interval_seconds', 'The interval of a rule group.', g),
  };
}
