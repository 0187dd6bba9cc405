/**
 * The dispatcher (Alertmanager's dispatch package): routes every alert of the store, puts it in
 * the aggregation group of each matching route (one group per route and value of its group_by
 * labels), and flushes each group through the pipeline on Alertmanager's timing:
 *
 * - a new group waits group_wait before its first notification — unless its alert is already
 *   older than that (after a restart or reload), then it flushes at once;
 * - after a flush the next comes group_interval later, for as long as the group holds alerts;
 * - whether a flush notifies is the pipeline's dedup decision (changes, or repeat_interval passed);
 * - resolved alerts leave the group once a flush notified them successfully.
 */
import type { Logger } from 'pino';
import type { Gauge, SelfMetrics } from '../self/metrics.ts';
import { type AmAlert, compareAlerts, resolvedAt } from './alert.ts';
import type { AlertStore } from './alerts.ts';
import type { Clock, Timer } from './clock.ts';
import { compareLabelSets, fingerprint, type LabelSet, labelSetString, labelSetsEqual } from './labelset.ts';
import type { FlushContext, Pipeline } from './pipeline.ts';
import type { Route } from './route.ts';

/** Notifications may take this long at least before a flush is abandoned (notify.MinTimeout). */
export const MIN_FLUSH_TIMEOUT = 10_000;

/** One aggregation group as the API shows it. */
export interface AlertGroupView {
  readonly labels: LabelSet;
  readonly receiver: string;
  readonly route: Route;
  readonly alerts: readonly AmAlert[];
}

export class AggregationGroup {
  readonly groupKey: string;
  private readonly alerts = new Map<string, AmAlert>();
  private timer: Timer | undefined;
  private hasFlushed = false;
  private flushing: Promise<void> | undefined;
  private tickPending = false;
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(
    readonly labels: LabelSet,
    readonly route: Route,
    private readonly clock: Clock,
    private readonly pipeline: Pipeline,
    private readonly logger: Logger,
  ) {
    this.groupKey = `${route.key()}:${labelSetString(labels)}`;
    this.timer = clock.setTimer(route.opts.groupWait, () => this.tick());
  }

  /** Adds or replaces an alert; an alert older than group_wait makes the first flush happen now. */
  insert(alert: AmAlert): void {
    this.alerts.set(alert.fingerprint, alert);
    if (!this.hasFlushed && alert.startsAt + this.route.opts.groupWait < this.clock.now()) {
      this.timer?.cancel();
      this.timer = this.clock.setTimer(0, () => this.tick());
    }
  }

  get empty(): boolean {
    return this.alerts.size === 0;
  }

  list(): AmAlert[] {
    return [...this.alerts.values()];
  }

  /** Stops the timer and aborts a running flush; resolves once the flush has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.abort.abort(new Error('alerting stopped or reloaded'));
    await this.flushing;
  }

  private tick(): Promise<void> | undefined {
    if (this.stopped) return undefined;
    // A tick while the last flush still runs is taken when it ends (Go's buffered timer channel).
    if (this.flushing) {
      this.tickPending = true;
      return undefined;
    }
    const now = this.clock.now();
    this.timer = this.clock.setTimer(this.route.opts.groupInterval, () => this.tick());
    this.hasFlushed = true;
    this.flushing = this.flush(now).finally(() => {
      this.flushing = undefined;
      if (this.tickPending && !this.stopped) {
        this.tickPending = false;
        this.timer?.cancel();
        void this.tick();
      }
    });
    return this.flushing;
  }

  private async flush(tickTime: number): Promise<void> {
    if (this.alerts.size === 0) return;
    const now = this.clock.now();
    // Alerts that have not resolved by now are sent as firing, without their tentative end (and
    // flapping ones as firing whatever they do, so they stay in the group until released).
    const snapshot = this.list()
      .map((a) => this.pipeline.present(a, now))
      .sort(compareAlerts);
    const timeout = new AbortController();
    const deadline = this.clock.setTimer(Math.max(this.route.opts.groupInterval, MIN_FLUSH_TIMEOUT), () =>
      timeout.abort(new Error('flush deadline exceeded (group_interval)')),
    );
    const onStop = () => timeout.abort(this.abort.signal.reason);
    this.abort.signal.addEventListener('abort', onStop, { once: true });
    const ctx: FlushContext = {
      groupKey: this.groupKey,
      groupLabels: this.labels,
      receiver: this.route.opts.receiver,
      repeatInterval: this.route.opts.repeatInterval,
      muteTimeIntervals: this.route.opts.muteTimeIntervals,
      activeTimeIntervals: this.route.opts.activeTimeIntervals,
      now: tickTime,
      signal: timeout.signal,
    };
    let ok = false;
    try {
      ok = await this.pipeline.exec(ctx, snapshot);
    } catch (err) {
      this.logger.error({ err: (err as Error).message, groupKey: this.groupKey }, 'Notify for alerts failed');
    } finally {
      deadline.cancel();
      this.abort.signal.removeEventListener('abort', onStop);
    }
    if (!ok) return;
    for (const a of snapshot) {
      // Forget a resolved alert unless it was updated while the notification was on its way.
      const current = this.alerts.get(a.fingerprint);
      if (current && resolvedAt(a, now) && current.updatedAt === a.updatedAt)
        this.alerts.delete(a.fingerprint);
    }
  }
}

export class Dispatcher {
  private readonly groups = new Map<Route, Map<string, AggregationGroup>>();
  private unsubscribe: (() => void) | undefined;
  private cleanupTimer: Timer | undefined;
  private readonly groupsGauge: Gauge;

  constructor(
    private readonly route: Route,
    private readonly pipeline: Pipeline,
    private readonly clock: Clock,
    private readonly logger: Logger,
    self: SelfMetrics,
  ) {
    this.groupsGauge = self
      .gauge('alertmanager_dispatcher_aggregation_groups', 'Number of active aggregation groups')
      .collect(() => this.groupsGauge.set(this.count()));
  }

  /** Takes every alert in the store, then each new one. */
  start(store: AlertStore): void {
    this.unsubscribe = store.subscribe((alert) => {
      for (const r of this.route.match(alert.labels)) this.process(alert, r);
    });
    const cleanup = () => {
      // Empty groups go away every 30s, as in Alertmanager.
      for (const groups of this.groups.values()) {
        for (const [key, g] of groups) {
          if (g.empty) {
            void g.stop();
            groups.delete(key);
          }
        }
      }
      this.cleanupTimer = this.clock.setTimer(30_000, cleanup);
    };
    this.cleanupTimer = this.clock.setTimer(30_000, cleanup);
  }

  /** Stops every group, waiting for running flushes to end. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.cleanupTimer?.cancel();
    const all = [...this.groups.values()].flatMap((m) => [...m.values()]);
    this.groups.clear();
    await Promise.all(all.map((g) => g.stop()));
  }

  private process(alert: AmAlert, route: Route): void {
    const labels = route.groupLabels(alert.labels);
    const key = fingerprint(labels);
    let byRoute = this.groups.get(route);
    if (!byRoute) {
      byRoute = new Map();
      this.groups.set(route, byRoute);
    }
    let group = byRoute.get(key);
    if (!group) {
      group = new AggregationGroup(labels, route, this.clock, this.pipeline, this.logger);
      byRoute.set(key, group);
    }
    group.insert(alert);
  }

  /** Number of aggregation groups. */
  count(): number {
    let n = 0;
    for (const m of this.groups.values()) n += m.size;
    return n;
  }

  /**
   * The groups and their alerts that pass the filters, sorted as Alertmanager sorts them (by group
   * labels, then receiver; alerts by job, instance, labels), and for each alert fingerprint the
   * receivers of the groups it is in.
   */
  snapshot(
    routeFilter: (r: Route) => boolean,
    alertFilter: (a: AmAlert) => boolean,
  ): { groups: AlertGroupView[]; receivers: Map<string, string[]> } {
    const groups: AlertGroupView[] = [];
    const receivers = new Map<string, string[]>();
    for (const [route, byKey] of this.groups) {
      if (!routeFilter(route)) continue;
      for (const g of byKey.values()) {
        const alerts = g.list().filter(alertFilter);
        if (alerts.length === 0) continue;
        for (const a of alerts) {
          const list = receivers.get(a.fingerprint);
          if (list) list.push(route.opts.receiver);
          else receivers.set(a.fingerprint, [route.opts.receiver]);
        }
        groups.push({
          labels: g.labels,
          receiver: route.opts.receiver,
          route,
          alerts: alerts.sort(compareAlerts),
        });
      }
    }
    groups.sort((a, b) => {
      if (labelSetsEqual(a.labels, b.labels))
        return a.receiver < b.receiver ? -1 : a.receiver > b.receiver ? 1 : 0;
      return compareLabelSets(a.labels, b.labels);
    });
    for (const list of receivers.values()) list.sort();
    return { groups, receivers };
  }
}
