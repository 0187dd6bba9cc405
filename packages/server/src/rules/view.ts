/**
 * The rule manager as the Prometheus API sees it (api/prometheus/rules.ts RulesSource).
 * Alerting rules are listed by state, then name, as Prometheus's AlertingRules() does for
 * /api/v1/alerts; rule order within a group stays the file order for /api/v1/rules.
 */
import type {
  ApiAlert,
  ApiAlertingRule,
  ApiRecordingRule,
  ApiRuleGroup,
  RulesSource,
} from '../api/prometheus/rules.ts';
import { compareLabels } from '../model/labels.ts';
import { AlertingRule } from './alerting-rule.ts';
import type { RuleManager } from './manager.ts';
import type { Rule } from './rule.ts';

function ruleView(r: Rule): ApiAlertingRule | ApiRecordingRule {
  const common = {
    name: r.name,
    query: r.query,
    labels: r.labels,
    health: r.health,
    lastError: r.lastError,
    evaluationTime: r.evaluationDuration / 1000,
    lastEvaluation: r.evaluationTimestamp,
  };
  if (r instanceof AlertingRule) {
    return {
      ...common,
      type: 'alerting',
      state: r.state() ?? 'unknown',
      duration: r.holdDuration / 1000,
      keepFiringFor: r.keepFiringFor / 1000,
      annotations: r.annotations,
      alerts: (): ApiAlert[] =>
        r
          .activeAlerts()
          .sort((a, b) => compareLabels(a.labels, b.labels))
          .map((a) => ({
            labels: a.labels,
            annotations: a.annotations,
            state: a.state,
            activeAt: a.activeAt,
            keepFiringSince: a.keepFiringSince,
            value: a.value,
          })),
    };
  }
  return { ...common, type: 'recording' };
}

/** Adapts the manager to the API's RulesSource. */
export function rulesView(manager: RuleManager): RulesSource {
  return {
    groups: (): ApiRuleGroup[] =>
      manager.ruleGroups().map((g) => ({
        name: g.name,
        file: g.file,
        interval: g.interval / 1000,
        limit: g.limit,
        evaluationTime: g.evaluationTime / 1000,
        lastEvaluation: g.lastEvaluation,
        rules: g.rules.map(ruleView),
      })),
  };
}
