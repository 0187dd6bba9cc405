/**
 * Alerting: the notification pipeline with Alertmanager's semantics (routing, grouping,
 * inhibition, silences, time intervals, receivers, a notification log), its API v2, and optional
 * forwarding to external Alertmanagers as Prometheus does. Rules deliver alerts through `notify`.
 */

import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type AlertmanagerBackend, registerAlertmanagerApi } from '../api/alertmanager/index.ts';
import { fatigueJson } from '../api/alertmanager/json.ts';
import type { AlertingConfigInput } from '../config/alerting.ts';
import type { VigilConfig } from '../config/schema.ts';
import type { Stoppable } from '../ingest/deps.ts';
import type { Alert, NotifyFunc } from '../model/alert.ts';
import { type Labels, labelsFromRecord, labelsToRecord } from '../model/labels.ts';
import { compileRelabelRules, type RelabelRule, relabel } from '../relabel/index.ts';
import type { SelfMetrics } from '../self/metrics.ts';
import { VIGIL_VERSION } from '../self/version.ts';
import { Alertmanager, type PostableAlert } from './alertmanager.ts';
import { type Clock, systemClock } from './clock.ts';
import { loadAmConfig } from './config.ts';
import { Forwarder } from './forward.ts';
import { fingerprint, withoutEmptyValues } from './labelset.ts';

export type { FatigueStatus, PostableAlert } from './alertmanager.ts';
export { Alertmanager } from './alertmanager.ts';
export type { Clock, Timer } from './clock.ts';
export { ManualClock, systemClock } from './clock.ts';

/** What main.ts gives alerting. */
export interface AlertingDeps {
  readonly config: VigilConfig;
  /** Directory relative paths (alertmanager config_file, templates) resolve against. */
  readonly baseDir: string;
  /** Alerting's own directory (`<data-dir>/alerting`): silences, notification log. */
  readonly dataDir: string;
  readonly logger: Logger;
  readonly self: SelfMetrics;
  readonly now: () => number;
  readonly externalURL: string;
  /** Replaces real time (timers and `now`) for timing tests; `now` is then ignored. */
  readonly clock?: Clock;
  /** Jitter source for retry backoff; tests may pin it. */
  readonly random?: () => number;
}

/** The running notification pipeline (Alertmanager semantics). */
export interface AlertingModule extends Stoppable {
  /** Where rules (and POST /api/v2/alerts) deliver alerts. */
  readonly notify: NotifyFunc;
  /** Registers the Alertmanager API v2 routes. */
  registerApi(app: FastifyInstance): void;
  /** Applies a new alertmanager configuration; rejects (keeping the old one) when invalid. */
  reload(config: VigilConfig): Promise<void>;
  /** The built-in Alertmanager (state for tests and the UI). */
  readonly alertmanager: Alertmanager;
  /**
   * The alert-fatigue state of a rule's alert, found by its labels as the rules engine has them
   * (external labels and alert relabeling are applied first, as on delivery); undefined when
   * flap detection is off and no rate limit holds it. As JSON, the `vigil` object of the
   * Alertmanager API's alerts; for /api/v1/alerts.
   */
  fatigueFor(labels: Labels): Record<string, unknown> | undefined;
}

const NO_FORWARDING: AlertingConfigInput = { alertmanagers: [], alert_relabel_configs: [] };

/** Starts the notification pipeline; throws ConfigError when the alertmanager configuration is invalid. */
export async function startAlerting(deps: AlertingDeps): Promise<AlertingModule> {
  const logger = deps.logger.child({ component: 'alerting' });
  const clock: Clock = deps.clock ?? { ...systemClock, now: deps.now };
  const loaded = loadAmConfig(deps.config, deps.baseDir);
  const am = new Alertmanager({
    clock,
    logger,
    self: deps.self,
    dataDir: deps.dataDir,
    externalURL: deps.externalURL,
    random: deps.random,
  });
  am.start(loaded);
  logger.info({ config: loaded.source, receivers: loaded.config.receivers.length }, 'alerting started');

  const forwarder = new Forwarder(deps.config.alerting ?? NO_FORWARDING, { logger, self: deps.self });
  let settings = routingSettings(deps.config, forwarder);

  const notify: NotifyFunc = (alerts) => {
    try {
      const postable = toPostable(alerts, settings);
      if (postable.length === 0) return;
      if (settings.builtIn) {
        const errors = am.receive(postable);
        if (errors.length > 0) logger.warn({ errors }, 'alerts from rules rejected');
      }
      forwarder.send(postable);
    } catch (err) {
      // NotifyFunc must not throw into the rules engine.
      logger.error({ err: (err as Error).message }, 'delivering alerts failed');
    }
  };

  const backend: AlertmanagerBackend = {
    now: () => clock.now(),
    startedAt: am.startedAt,
    version: VIGIL_VERSION,
    receive: (alerts) => am.receive(alerts),
    alerts: () => am.store.list(),
    status: (a) => am.status(a),
    receiversFor: (labels) => am.route.match(labels).map((r) => r.opts.receiver),
    groups: (receiverFilter, alertFilter) => am.groups((r) => receiverFilter(r.opts.receiver), alertFilter),
    silences: () => am.silences.list(),
    silence: (id) => am.silences.get(id),
    setSilence: (input) => am.silences.set(input),
    expireSilence: (id) => am.silences.expire(id),
    originalConfig: () => am.originalConfig,
    receiverNames: () => am.config.receivers.map((r) => r.name),
    fatigue: (a) => am.fatigue(a.fingerprint),
    rateLimits: () => am.rateLimits(),
  };

  return {
    notify,
    alertmanager: am,
    fatigueFor(labels) {
      const [postable] = toPostable(
        [{ labels, annotations: [], startsAt: 0, endsAt: 0, generatorURL: '' }],
        settings,
      );
      if (!postable || !settings.builtIn) return undefined;
      const status = am.fatigue(fingerprint(withoutEmptyValues(postable.labels)));
      return status.flap || status.heldFor.length > 0 ? fatigueJson(status) : undefined;
    },
    registerApi(app) {
      registerAlertmanagerApi(app, () => backend);
    },
    async reload(config) {
      const next = loadAmConfig(config, deps.baseDir);
      await am.reload(next);
      forwarder.update(config.alerting ?? NO_FORWARDING);
      settings = routingSettings(config, forwarder);
      logger.info({ config: next.source }, 'alerting configuration reloaded');
    },
    async stop() {
      await forwarder.stop();
      await am.stop();
    },
  };
}

interface RoutingSettings {
  /** Rules' alerts go to the built-in pipeline. */
  readonly builtIn: boolean;
  readonly externalLabels: Readonly<Record<string, string>>;
  readonly relabel: readonly RelabelRule[];
}

/**
 * Rules' alerts go to the built-in pipeline when there is an `alertmanager:` section or no
 * external Alertmanager to forward to; to external ones when `alerting.alertmanagers` lists any.
 */
function routingSettings(config: VigilConfig, forwarder: Forwarder): RoutingSettings {
  return {
    builtIn: config.alertmanager !== undefined || !forwarder.active,
    externalLabels: config.global.external_labels,
    relabel: compileRelabelRules((config.alerting ?? NO_FORWARDING).alert_relabel_configs),
  };
}

/**
 * What Prometheus's notifier does before sending: add external labels the alert lacks, apply
 * `alerting.alert_relabel_configs`, drop alerts relabeled to nothing.
 */
function toPostable(alerts: readonly Alert[], s: RoutingSettings): PostableAlert[] {
  const out: PostableAlert[] = [];
  for (const a of alerts) {
    const record = labelsToRecord(a.labels);
    for (const [k, v] of Object.entries(s.externalLabels)) if (!(k in record)) record[k] = v;
    const labels =
      s.relabel.length > 0 ? relabel(labelsFromRecord(record), s.relabel) : labelsFromRecord(record);
    if (!labels || labels.length === 0) continue;
    out.push({
      labels: labelsToRecord(labels),
      annotations: labelsToRecord(a.annotations),
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      generatorURL: a.generatorURL,
    });
  }
  return out;
}
