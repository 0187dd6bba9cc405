/**
 * Rules: Prometheus recording and alerting rules from `rule_files`, evaluated like Prometheus
 * (aligned group schedules, in-order rules, ALERTS/ALERTS_FOR_STATE, `for` state restored after
 * a restart, alerts re-sent and resolved as Prometheus's notifier does), with /api/v1/rules and
 * /api/v1/alerts. Rules see the engine only through a QueryFunc and alerting through NotifyFunc.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type AlertExtras, registerPrometheusRulesApi } from '../api/prometheus/rules.ts';
import type { VigilConfig } from '../config/schema.ts';
import type { Stoppable } from '../ingest/deps.ts';
import type { MetricsSink } from '../ingest/metrics-sink.ts';
import type { NotifyFunc } from '../model/alert.ts';
import type { Engine, Queryable } from '../promql/index.ts';
import type { SelfMetrics } from '../self/metrics.ts';
import { type Clock, systemClock } from './clock.ts';
import type { GroupDeps } from './group.ts';
import { RuleManager, RulesLoadError } from './manager.ts';
import { rulesMetrics } from './metrics.ts';
import { engineQueryFunc } from './query.ts';
import { rulesView } from './view.ts';

export type { ManualClock } from './clock.ts';
export { RulesLoadError } from './manager.ts';

/** What main.ts gives the rules engine. */
export interface RulesDeps {
  readonly config: VigilConfig;
  /** Directory `rule_files` globs resolve against. */
  readonly baseDir: string;
  readonly engine: Engine;
  readonly queryable: Queryable;
  /** Recorded series, ALERTS and ALERTS_FOR_STATE are appended here (protocol 'rules'). */
  readonly sink: MetricsSink;
  /** Firing and resolved alerts go here. */
  readonly notify: NotifyFunc;
  readonly logger: Logger;
  readonly self: SelfMetrics;
  readonly now: () => number;
  /** The server's external URL, for templates and generatorURL. */
  readonly externalURL: string;
  /** Replaces real time (timers and `now`) for timing tests; `now` is then ignored. */
  readonly clock?: Clock;
  /** Overrides the config's rules.resend_delay (Prometheus's --rules.alert.resend-delay, 1m). */
  readonly resendDelay?: number;
  /** Overrides rules.for_outage_tolerance (--rules.alert.for-outage-tolerance, 1h). */
  readonly outageTolerance?: number;
  /** Overrides rules.for_grace_period (--rules.alert.for-grace-period, 10m). */
  readonly forGracePeriod?: number;
  /** Extra per-alert facts for /api/v1/alerts (alerting's flap and rate-limit state). */
  readonly alertExtras?: AlertExtras;
}

/** The running rules engine. */
export interface RulesModule extends Stoppable {
  /** Registers /api/v1/rules and /api/v1/alerts. */
  registerApi(app: FastifyInstance): void;
  /** Applies new rule files without losing alert state; rejects (keeping the old rules) when invalid. */
  reload(config: VigilConfig): Promise<void>;
  /** The rule manager (groups, rules and alerts; for tests and the UI). */
  readonly manager: RuleManager;
}

/**
 * Loads rule files and starts evaluating them. Rejects with RulesLoadError when a rule file is
 * invalid (Vigil does not start with half its rules).
 */
export async function startRules(deps: RulesDeps): Promise<RulesModule> {
  const logger = deps.logger.child({ component: 'rules' });
  const clock: Clock = deps.clock ?? { ...systemClock, now: deps.now };
  const query = engineQueryFunc(deps.engine, deps.queryable);
  const metrics = rulesMetrics(deps.self);
  const groupDeps = (config: VigilConfig): GroupDeps => ({
    query,
    templateQuery: async (q, t) => (await query(q, t)).map((s) => ({ labels: s.labels, value: s.value })),
    // Rule results are recomputable: a group must not wait for the disk between its rules
    // (Prometheus does not fsync rule results either). They are still written to the WAL.
    append: (batch) => deps.sink.append('rules', batch, { durable: false }),
    queryable: deps.queryable,
    notify: deps.notify,
    clock,
    logger,
    metrics,
    externalURL: deps.externalURL,
    externalLabels: config.global.external_labels,
    resendDelay: deps.resendDelay ?? config.rules.resend_delay,
    outageTolerance: deps.outageTolerance ?? config.rules.for_outage_tolerance,
    forGracePeriod: deps.forGracePeriod ?? config.rules.for_grace_period,
    defaultQueryOffset: config.global.rule_query_offset,
  });
  const manager = new RuleManager(groupDeps(deps.config));
  const setting = (config: VigilConfig) => ({
    patterns: config.rule_files,
    baseDir: deps.baseDir,
    defaultInterval: config.global.evaluation_interval,
  });
  await manager.update(setting(deps.config));
  const groups = manager.ruleGroups();
  if (groups.length > 0)
    logger.info(
      { groups: groups.length, rules: groups.reduce((n, g) => n + g.rules.length, 0) },
      'rules loaded',
    );

  return {
    manager,
    registerApi(app) {
      registerPrometheusRulesApi(app, rulesView(manager), deps.alertExtras);
    },
    async reload(config) {
      manager.setDeps(groupDeps(config));
      try {
        await manager.update(setting(config));
      } catch (err) {
        if (err instanceof RulesLoadError) logger.error({ problems: err.problems }, 'loading rules failed');
        throw err;
      }
      logger.info({ groups: manager.ruleGroups().length }, 'rules reloaded');
    },
    stop: () => manager.stop(),
  };
}
