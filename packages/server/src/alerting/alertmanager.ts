/**
 * The built-in Alertmanager: one alert store, silences and notification log for the life of the
 * process, and a routing tree, inhibitor, receivers and dispatcher built from the current
 * configuration and rebuilt on reload (as Alertmanager's coordinator does). Alerts, silences and
 * the notification log are kept in the data directory.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AmConfig } from '../config/alerting.ts';
import type { CounterChild, SelfMetrics } from '../self/metrics.ts';
import { type AmAlert, newAlert, resolvedAt } from './alert.ts';
import { AlertStore } from './alerts.ts';
import type { Clock, Timer } from './clock.ts';
import type { LoadedAmConfig } from './config.ts';
import { type AlertGroupView, Dispatcher } from './dispatch.ts';
import { FlapDetector, type FlapStatus, type SavedHistory } from './flapping.ts';
import { Inhibitor } from './inhibit.ts';
import { LABEL_NAME, type LabelSet, withoutEmptyValues } from './labelset.ts';
import { type AlertStatus, Marker } from './marker.ts';
import { NotificationLog } from './nflog.ts';
import { Pipeline, pipelineMetrics } from './pipeline.ts';
import { RateLimiter, type RateLimitStatus } from './ratelimit.ts';
import { buildIntegrations, type Integration } from './receivers/index.ts';
import { Route } from './route.ts';
import { Silencer, Silences } from './silences.ts';

/** An alert as posted to Alertmanager (API v2 PostableAlert); times in Unix ms, 0 = not set. */
export interface PostableAlert {
  readonly labels: LabelSet;
  readonly annotations: LabelSet;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly generatorURL: string;
}

export interface AlertmanagerOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly self: SelfMetrics;
  /** Where state is kept; undefined = memory only. */
  readonly dataDir: string | undefined;
  readonly externalURL: string;
  /** Retention of expired silences and notification log entries (Alertmanager's 120h). */
  readonly retention?: number;
  /** Resolved alerts are dropped this often (Alertmanager's 30m). */
  readonly alertGcInterval?: number;
  /** Silences and log maintenance (Alertmanager's 15m). */
  readonly maintenanceInterval?: number;
  /** Backoff jitter source for retries; tests may pin it. */
  readonly random?: () => number;
}

/** An alert's alert-fatigue state (Vigil-specific, for the APIs). */
export interface FatigueStatus {
  /** Undefined when flap detection is off. */
  readonly flap: FlapStatus | undefined;
  /** Receivers holding a notification with this alert for their rate-limit digest. */
  readonly heldFor: readonly { receiver: string; digestAt: number | undefined }[];
}

interface Running {
  readonly loaded: LoadedAmConfig;
  readonly route: Route;
  readonly inhibitor: Inhibitor;
  readonly silencer: Silencer;
  readonly dispatcher: Dispatcher;
}

export class Alertmanager {
  readonly silences: Silences;
  readonly marker = new Marker();
  readonly store: AlertStore;
  readonly nflog: NotificationLog;
  readonly startedAt: number;
  private running: Running | undefined;
  private maintenanceTimer: Timer | undefined;
  private readonly postedFiring: CounterChild;
  private readonly postedResolved: CounterChild;
  private readonly postedInvalid: CounterChild;
  /** Lives as long as the process (histories survive reloads); undefined while not configured. */
  private flapDetector: FlapDetector | undefined;
  private unsubscribeFlaps: (() => void) | undefined;
  readonly rateLimiter: RateLimiter;
  /** `<dataDir>/fatigue.json`: flap histories and rate-limit windows across restarts. */
  private readonly fatigueFile: string | undefined;
  private savedFlaps: SavedHistory[] = [];
  private lastSavedFatigue = '';
  private fatigueTimer: Timer | undefined;

  constructor(private readonly options: AlertmanagerOptions) {
    const { clock, logger, dataDir, self } = options;
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const retention = options.retention ?? 120 * 3600_000;
    this.startedAt = clock.now();
    this.silences = new Silences({ clock, logger, dataDir, retention });
    this.nflog = new NotificationLog({ clock, logger, dataDir, retention });
    this.store = new AlertStore({
      clock,
      logger,
      dataDir,
      gcInterval: options.alertGcInterval ?? 30 * 60_000,
      onDelete: (a) => this.marker.delete(a.fingerprint),
      keep: (a, now) => this.flapDetector?.status(a.fingerprint, now).flapping ?? false,
    });
    const received = self.counter(
      'alertmanager_alerts_received_total',
      'The total number of received alerts.',
      ['version', 'status'],
    );
    this.postedFiring = received.labels('v2', 'firing');
    this.postedResolved = received.labels('v2', 'resolved');
    this.postedInvalid = self
      .counter(
        'alertmanager_alerts_invalid_total',
        'The total number of received alerts that were invalid.',
        ['version'],
      )
      .labels('v2');
    const alertsGauge = self.gauge('alertmanager_alerts', 'How many alerts by state.', ['state']);
    alertsGauge.collect(() => {
      const now = clock.now();
      const counts = { active: 0, suppressed: 0, unprocessed: 0 };
      for (const a of this.store.list())
        if (!resolvedAt(a, now)) counts[this.marker.status(a.fingerprint).state]++;
      for (const [state, n] of Object.entries(counts)) alertsGauge.labels(state).set(n);
    });
    const silencesGauge = self.gauge('alertmanager_silences', 'How many silences by state.', ['state']);
    silencesGauge.collect(() => {
      for (const s of ['active', 'pending', 'expired'] as const)
        silencesGauge.labels(s).set(this.silences.count(s));
    });
    const heldTotal = self.counter(
      'vigil_alerting_notifications_held_total',
      'Notifications (group flushes) held back by a receiver rate limit for a digest.',
      ['receiver'],
    );
    const digestsTotal = self.counter(
      'vigil_alerting_digests_total',
      'Rate-limit digests sent (each to every integration of the receiver).',
      ['receiver'],
    );
    this.rateLimiter = new RateLimiter(
      [],
      clock,
      (receiver, err) => logger.error({ receiver, err: err.message }, 'sending the rate-limit digest failed'),
      {
        held: (receiver) => heldTotal.labels(receiver).inc(),
        digest: (receiver) => digestsTotal.labels(receiver).inc(),
      },
    );
    const flappingGauge = self.gauge(
      'vigil_alerting_flapping_alerts',
      'Alerts held in the flapping state by flap detection.',
    );
    flappingGauge.collect(() => flappingGauge.set(this.flapDetector?.flappingCount(clock.now()) ?? 0));
    this.fatigueFile = dataDir ? join(dataDir, 'fatigue.json') : undefined;
    this.loadFatigue();
    const nflogGauge = self.gauge('alertmanager_nflog_entries', 'Entries in the notification log.');
    nflogGauge.collect(() => nflogGauge.set(this.nflog.size));
  }

  /** Starts with a configuration: GC, maintenance, dispatching. */
  start(loaded: LoadedAmConfig): void {
    this.store.start();
    const maintain = () => {
      this.silences.gc();
      this.nflog.gc();
      this.flapDetector?.gc(this.options.clock.now());
      this.maintenanceTimer = this.options.clock.setTimer(
        this.options.maintenanceInterval ?? 15 * 60_000,
        maintain,
      );
    };
    this.maintenanceTimer = this.options.clock.setTimer(
      this.options.maintenanceInterval ?? 15 * 60_000,
      maintain,
    );
    const saveFatigue = () => {
      this.saveFatigue();
      this.fatigueTimer = this.options.clock.setTimer(FATIGUE_SAVE_INTERVAL, saveFatigue);
    };
    this.fatigueTimer = this.options.clock.setTimer(FATIGUE_SAVE_INTERVAL, saveFatigue);
    this.apply(loaded);
  }

  /** Switches to a new configuration: new routes, inhibitions and receivers; state is kept. */
  async reload(loaded: LoadedAmConfig): Promise<void> {
    const old = this.running;
    this.running = undefined;
    if (old) {
      old.inhibitor.stop();
      await old.dispatcher.stop();
    }
    this.apply(loaded);
  }

  async stop(): Promise<void> {
    this.maintenanceTimer?.cancel();
    this.fatigueTimer?.cancel();
    this.saveFatigue();
    this.rateLimiter.stop();
    this.unsubscribeFlaps?.();
    const old = this.running;
    this.running = undefined;
    if (old) {
      old.inhibitor.stop();
      await old.dispatcher.stop();
    }
    this.store.stop();
    this.silences.close();
    this.nflog.close();
  }

  get config(): AmConfig {
    return this.current().loaded.config;
  }

  get originalConfig(): string {
    return this.current().loaded.original;
  }

  get route(): Route {
    return this.current().route;
  }

  /**
   * Receives alerts as POST /api/v2/alerts does: fills in missing times (startsAt = now or
   * endsAt; endsAt = now + resolve_timeout, marked as a guess), drops empty label values, stores
   * the valid ones and returns a message for each invalid one.
   */
  receive(alerts: readonly PostableAlert[]): string[] {
    const now = this.options.clock.now();
    const resolveTimeout = this.config.global.resolve_timeout;
    const valid: AmAlert[] = [];
    const errors: string[] = [];
    for (const p of alerts) {
      let startsAt = p.startsAt;
      let endsAt = p.endsAt;
      let timeout = false;
      if (!startsAt) startsAt = endsAt || now;
      if (!endsAt) {
        timeout = true;
        endsAt = now + resolveTimeout;
      }
      if (endsAt > now) this.postedFiring.inc();
      else this.postedResolved.inc();
      const labels = withoutEmptyValues(p.labels);
      const problem = validateAlert(labels, p.annotations, startsAt, endsAt);
      if (problem) {
        this.postedInvalid.inc();
        errors.push(problem);
        continue;
      }
      valid.push(
        newAlert({
          labels,
          annotations: p.annotations,
          startsAt,
          endsAt,
          generatorURL: p.generatorURL,
          updatedAt: now,
          timeout,
        }),
      );
    }
    this.store.put(valid);
    return errors;
  }

  /** Runs the inhibitor and silencer for the alert (updating its marker) and returns its status. */
  status(alert: AmAlert): AlertStatus {
    const r = this.current();
    r.inhibitor.mutes(alert.labels, alert.fingerprint);
    r.silencer.mutes(alert.labels, alert.fingerprint);
    return this.marker.status(alert.fingerprint);
  }

  /** The alert's flap and rate-limit state. */
  fatigue(fp: string): FatigueStatus {
    return {
      flap: this.flapDetector?.status(fp, this.options.clock.now()),
      heldFor: this.rateLimiter.heldAlert(fp),
    };
  }

  /** Every receiver with a rate limit: its usage and what it holds. */
  rateLimits(): RateLimitStatus[] {
    const now = this.options.clock.now();
    const out: RateLimitStatus[] = [];
    for (const r of this.config.receivers) {
      const s = this.rateLimiter.status(r.name, now);
      if (s) out.push(s);
    }
    return out;
  }

  /** The aggregation groups, filtered (for GET /api/v2/alerts/groups). */
  groups(
    routeFilter: (r: Route) => boolean,
    alertFilter: (a: AmAlert) => boolean,
  ): { groups: AlertGroupView[]; receivers: Map<string, string[]> } {
    return this.current().dispatcher.snapshot(routeFilter, alertFilter);
  }

  private current(): Running {
    if (!this.running) throw new Error('alerting is reloading its configuration; try again');
    return this.running;
  }

  private apply(loaded: LoadedAmConfig): void {
    const { clock, logger, self } = this.options;
    const config = loaded.config;
    const route = new Route(config.route, undefined);
    const inhibitor = new Inhibitor(config.inhibit_rules, this.marker, clock);
    const silencer = new Silencer(this.silences, this.marker, clock);
    this.applyFatigue(loaded);
    const env = { templates: loaded.templates, externalURL: this.options.externalURL };
    const receivers = new Map<string, Integration[]>();
    for (const rcv of config.receivers) receivers.set(rcv.name, buildIntegrations(rcv, env));
    const pipeline = new Pipeline({
      receivers,
      inhibitor,
      silencer,
      timeIntervals: config.time_intervals,
      nflog: this.nflog,
      clock,
      logger,
      metrics: pipelineMetrics(self),
      random: this.options.random,
      flapping: this.flapDetector,
      rateLimiter: this.rateLimiter,
    });
    const dispatcher = new Dispatcher(route, pipeline, clock, logger, self);
    route.walk((r) => {
      if (r.opts.repeatInterval > (this.options.retention ?? 120 * 3600_000)) {
        logger.warn(
          { route: r.key(), repeat_interval: r.opts.repeatInterval },
          'repeat_interval is greater than the data retention period. It can lead to notifications being repeated more often than expected.',
        );
      }
    });
    inhibitor.start(this.store);
    dispatcher.start(this.store);
    this.running = { loaded, route, inhibitor, silencer, dispatcher };
  }

  /** Reads what the last run saved; a missing or unreadable file means starting afresh. */
  private loadFatigue(): void {
    if (!this.fatigueFile) return;
    let text: string;
    try {
      text = readFileSync(this.fatigueFile, 'utf8');
    } catch {
      return;
    }
    try {
      const saved = JSON.parse(text) as { flaps?: unknown; rateLimits?: unknown };
      if (Array.isArray(saved.flaps)) this.savedFlaps = saved.flaps as SavedHistory[];
      if (saved.rateLimits && typeof saved.rateLimits === 'object')
        this.rateLimiter.restore(saved.rateLimits as Record<string, unknown>);
      this.lastSavedFatigue = text;
    } catch (err) {
      this.options.logger.warn(
        { file: this.fatigueFile, err: (err as Error).message },
        'ignoring an unreadable alert-fatigue state file; flap counts and rate-limit windows start afresh',
      );
    }
  }

  /** Writes flap histories and rate-limit windows when they changed (write, rename). */
  private saveFatigue(): void {
    if (!this.fatigueFile) return;
    const text = JSON.stringify({
      flaps: this.flapDetector?.save() ?? [],
      rateLimits: this.rateLimiter.save(),
    });
    // Nothing to keep and nothing kept before: no file.
    if (text === this.lastSavedFatigue || (this.lastSavedFatigue === '' && text === NO_FATIGUE_STATE)) return;
    try {
      writeFileSync(`${this.fatigueFile}.tmp`, text);
      renameSync(`${this.fatigueFile}.tmp`, this.fatigueFile);
      this.lastSavedFatigue = text;
    } catch (err) {
      this.options.logger.error(
        { file: this.fatigueFile, err: (err as Error).message },
        'cannot save the alert-fatigue state; a restart would reset flap counts and rate-limit windows',
      );
    }
  }

  /**
   * Turns flap detection on, off or to new settings (keeping histories while it stays on) and
   * sets the rate limits. The detector watches the store before the dispatcher does, so a
   * flush never sees an alert whose change it has not counted.
   */
  private applyFatigue(loaded: LoadedAmConfig): void {
    const { flapDetection, rateLimits } = loaded.fatigue;
    this.rateLimiter.update(rateLimits);
    if (!flapDetection) {
      this.unsubscribeFlaps?.();
      this.unsubscribeFlaps = undefined;
      this.flapDetector = undefined;
      return;
    }
    if (this.flapDetector) {
      this.flapDetector.update(flapDetection);
      return;
    }
    const detector = new FlapDetector(flapDetection);
    // Before subscribing: the store's alerts are then judged against the saved histories.
    detector.restore(this.savedFlaps);
    this.savedFlaps = [];
    this.flapDetector = detector;
    this.unsubscribeFlaps = this.store.subscribe((a) => detector.observe(a, this.options.clock.now()));
  }
}

/** How often flap histories and rate-limit windows are saved (and at a graceful stop). */
export const FATIGUE_SAVE_INTERVAL = 60_000;
const NO_FATIGUE_STATE = JSON.stringify({ flaps: [], rateLimits: {} });

/** Alertmanager's (model.Alert).Validate, with its messages. */
export function validateAlert(
  labels: LabelSet,
  annotations: LabelSet,
  startsAt: number,
  endsAt: number,
): string | undefined {
  if (!startsAt) return 'start time missing';
  if (endsAt && endsAt < startsAt) return 'start time must be before end time';
  for (const name of Object.keys(labels)) {
    if (!LABEL_NAME.test(name)) return `invalid label set: invalid name ${JSON.stringify(name)}`;
  }
  if (Object.keys(labels).length === 0) return 'at least one label pair required';
  for (const name of Object.keys(annotations)) {
    if (!LABEL_NAME.test(name)) return `invalid annotations: invalid name ${JSON.stringify(name)}`;
  }
  return undefined;
}
