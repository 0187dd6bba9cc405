/**
 * The notification pipeline one flush of an aggregation group goes through (Alertmanager's
 * notify package): drop inhibited alerts, stop outside active time intervals and inside mute
 * ones, drop silenced alerts; then, for each integration of the receiver at once, ask the
 * notification log whether anything changed since the last notification (dedup), send with
 * retries and exponential backoff until the flush's deadline, and record what was sent.
 *
 * Vigil's alert-fatigue controls hook in here too: a group is notified once when one of its
 * alerts starts flapping (flapping.ts), and a receiver's rate limit holds a flush back for a
 * digest (ratelimit.ts), which this pipeline also sends.
 */
import type { Logger } from 'pino';
import type { Counter, Histogram, SelfMetrics } from '../self/metrics.ts';
import { type AmAlert, compareAlerts, resolvedAt } from './alert.ts';
import type { Clock } from './clock.ts';
import type { FlapDetector } from './flapping.ts';
import type { Inhibitor } from './inhibit.ts';
import type { LabelSet } from './labelset.ts';
import type { NflogEntry, NflogReceiver, NotificationLog } from './nflog.ts';
import type { HeldNotification, RateLimiter } from './ratelimit.ts';
import { type Integration, NotifyError } from './receivers/index.ts';
import type { Silencer } from './silences.ts';
import { containsTime, type TimeInterval } from './timeinterval.ts';

/** What the dispatcher tells the pipeline about a flush. */
export interface FlushContext {
  readonly groupKey: string;
  readonly groupLabels: LabelSet;
  readonly receiver: string;
  readonly repeatInterval: number;
  readonly muteTimeIntervals: readonly string[];
  readonly activeTimeIntervals: readonly string[];
  /** The tick time of the flush (Unix ms): time intervals are judged at it. */
  readonly now: number;
  /** Aborts at the flush deadline (group_interval, at least 10s) or when alerting stops. */
  readonly signal: AbortSignal;
}

export interface PipelineDeps {
  readonly receivers: ReadonlyMap<string, readonly Integration[]>;
  readonly inhibitor: Inhibitor;
  readonly silencer: Silencer;
  readonly timeIntervals: ReadonlyMap<string, readonly TimeInterval[]>;
  readonly nflog: NotificationLog;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: PipelineMetrics;
  /** Backoff jitter source; tests may pin it. */
  readonly random?: () => number;
  /** Flap detection, when configured. */
  readonly flapping?: FlapDetector;
  /** Per-receiver rate limits (a limiter without limits admits everything). */
  readonly rateLimiter?: RateLimiter;
}

/** Annotation added to a flapping alert in notifications. */
export const FLAPPING_ANNOTATION = 'vigil_flapping';

/** How long a digest may take, retries included (a flush's deadline is group_interval, ≥ 10s). */
export const DIGEST_TIMEOUT = 60_000;

/** Alertmanager's notification metrics, by integration. */
export interface PipelineMetrics {
  readonly notifications: Counter;
  readonly notificationsFailed: Counter;
  readonly requests: Counter;
  readonly requestsFailed: Counter;
  readonly latency: Histogram;
}

export function pipelineMetrics(self: SelfMetrics): PipelineMetrics {
  const m: PipelineMetrics = {
    notifications: self.counter(
      'alertmanager_notifications_total',
      'The total number of attempted notifications.',
      ['integration'],
    ),
    notificationsFailed: self.counter(
      'alertmanager_notifications_failed_total',
      'The total number of failed notifications.',
      ['integration'],
    ),
    requests: self.counter(
      'alertmanager_notification_requests_total',
      'The total number of attempted notification requests.',
      ['integration'],
    ),
    requestsFailed: self.counter(
      'alertmanager_notification_requests_failed_total',
      'The total number of failed notification requests.',
      ['integration'],
    ),
    latency: self.histogram(
      'alertmanager_notification_latency_seconds',
      'The latency of notifications in seconds.',
      ['integration'],
      [1, 5, 10, 15, 20],
    ),
  };
  for (const i of ['email', 'pagerduty', 'opsgenie', 'slack', 'webhook']) {
    m.notifications.labels(i);
    m.notificationsFailed.labels(i);
    m.requests.labels(i);
    m.requestsFailed.labels(i);
    m.latency.labels(i);
  }
  return m;
}

/** Exponential backoff as Alertmanager's (cenkalti/backoff defaults): 0.5s × 1.5ⁿ ± 50%, at most 60s. */
export function backoffDelay(attempt: number, random: () => number): number {
  const interval = Math.min(500 * 1.5 ** (attempt - 1), 60_000);
  const delta = 0.5 * interval;
  return interval - delta + random() * (2 * delta);
}

export class Pipeline {
  constructor(private readonly deps: PipelineDeps) {
    deps.rateLimiter?.setSender((receiver, held) => this.sendDigest(receiver, held));
  }

  /**
   * The alert as a flush at `now` sends it: still-active alerts without their tentative end; a
   * flapping alert as firing, whatever it does, marked with the vigil_flapping annotation.
   */
  present(a: AmAlert, now: number): AmAlert {
    if (this.deps.flapping?.status(a.fingerprint, now).flapping) {
      return { ...a, endsAt: 0, annotations: { ...a.annotations, [FLAPPING_ANNOTATION]: 'true' } };
    }
    return resolvedAt(a, now) ? a : { ...a, endsAt: 0 };
  }

  /**
   * Runs a flush through the pipeline. Resolves true when every integration either notified or
   * had nothing to notify (the group may then forget its resolved alerts), false otherwise.
   */
  async exec(ctx: FlushContext, alerts: readonly AmAlert[]): Promise<boolean> {
    const { deps } = this;
    const integrations = deps.receivers.get(ctx.receiver);
    if (!integrations) {
      deps.logger.error({ receiver: ctx.receiver }, 'Notify for alerts failed: stage for receiver missing');
      return false;
    }
    let pending = alerts.filter((a) => !deps.inhibitor.mutes(a.labels, a.fingerprint));
    if (pending.length === 0) return true;
    if (ctx.activeTimeIntervals.length > 0 && !this.inIntervals(ctx.activeTimeIntervals, ctx.now)) {
      deps.logger.debug(
        { groupKey: ctx.groupKey },
        'Notifications not sent, route is not within active time',
      );
      return true;
    }
    if (ctx.muteTimeIntervals.length > 0 && this.inIntervals(ctx.muteTimeIntervals, ctx.now)) {
      deps.logger.debug({ groupKey: ctx.groupKey }, 'Notifications not sent, route is within mute time');
      return true;
    }
    pending = pending.filter((a) => !deps.silencer.mutes(a.labels, a.fingerprint));
    if (pending.length === 0) return true;

    const results = await deps.clock.all(
      integrations.map((integration) => () => this.notifyIntegration(ctx, integration, pending)),
    );
    let ok = true;
    let held = false;
    for (const r of results) {
      if (r.status === 'fulfilled' && r.value === 'held') held = true;
      if (r.status === 'rejected') {
        ok = false;
        const err = r.reason as Error;
        deps.logger[ctx.signal.aborted && !(err instanceof NotifyError) ? 'debug' : 'error'](
          { err: err.message, groupKey: ctx.groupKey, receiver: ctx.receiver, num_alerts: pending.length },
          'Notify for alerts failed',
        );
      }
    }
    if (held) {
      // Not notified yet: the group keeps its resolved alerts until the digest or a later flush.
      deps.rateLimiter?.hold(ctx.receiver, {
        groupKey: ctx.groupKey,
        groupLabels: ctx.groupLabels,
        repeatInterval: ctx.repeatInterval,
        alerts,
        heldAt: deps.clock.now(),
      });
      deps.logger.info(
        { groupKey: ctx.groupKey, receiver: ctx.receiver },
        'Notification held back by the receiver rate limit; it goes out in the next digest',
      );
      return false;
    }
    if (ok) deps.rateLimiter?.release(ctx.receiver, ctx.groupKey);
    return ok;
  }

  private inIntervals(names: readonly string[], now: number): boolean {
    for (const name of names) {
      // Config validation guarantees every name exists.
      for (const ti of this.deps.timeIntervals.get(name) ?? []) if (containsTime(ti, now)) return true;
    }
    return false;
  }

  /**
   * Dedup, rate limit, retry, log — for one integration. Throws when the notification failed;
   * 'held' when the rate limit kept it back.
   */
  private async notifyIntegration(
    ctx: FlushContext,
    integration: Integration,
    alerts: readonly AmAlert[],
  ): Promise<'done' | 'held'> {
    const { deps } = this;
    const receiver: NflogReceiver = {
      groupName: ctx.receiver,
      integration: integration.name,
      idx: integration.index,
    };
    const now = deps.clock.now();
    const firing: string[] = [];
    const resolved: string[] = [];
    for (const a of alerts) (resolvedAt(a, now) ? resolved : firing).push(a.fingerprint);

    const entry = deps.nflog.query(ctx.groupKey, receiver);
    if (
      !needsUpdate(
        entry,
        new Set(firing),
        new Set(resolved),
        integration.sendResolved,
        ctx.repeatInterval,
        now,
      ) &&
      !this.startedFlapping(alerts, entry, now)
    )
      return 'done';

    let sent: readonly AmAlert[] = alerts;
    if (!integration.sendResolved) {
      // Only resolved alerts and no wish to hear about them: count it as done so the log forgets them.
      if (firing.length === 0) {
        deps.nflog.log(receiver, ctx.groupKey, firing, resolved, 2 * ctx.repeatInterval);
        return 'done';
      }
      sent = alerts.filter((a) => !resolvedAt(a, now));
    }
    if (deps.rateLimiter && !deps.rateLimiter.admit(ctx.receiver, `${ctx.groupKey}@${ctx.now}`, now))
      return 'held';
    await this.retry(ctx, integration, sent);
    try {
      deps.nflog.log(receiver, ctx.groupKey, firing, resolved, 2 * ctx.repeatInterval);
    } catch (err) {
      throw new Error(
        `notification sent but not recorded in the notification log: ${(err as Error).message}`,
      );
    }
    return 'done';
  }

  /** An alert of the group began flapping after its last notification: notify it once. */
  private startedFlapping(alerts: readonly AmAlert[], entry: NflogEntry | undefined, now: number): boolean {
    const flapping = this.deps.flapping;
    if (!flapping || !entry) return false;
    return alerts.some((a) => {
      const since = flapping.status(a.fingerprint, now).flappingSince;
      return since !== undefined && since > entry.timestamp;
    });
  }

  /**
   * Sends one digest for a receiver's held flushes to each of its integrations: the alerts of
   * every held group that still needs notifying (after inhibition and silences, judged now), as
   * one notification with group key `vigil-digest/<receiver>` and the group label
   * `vigil_digest`; then records each group in the notification log as notified.
   */
  async sendDigest(receiver: string, held: readonly HeldNotification[]): Promise<boolean> {
    const { deps } = this;
    const integrations = deps.receivers.get(receiver);
    // The receiver was removed by a reload: nothing to send to.
    if (!integrations) return true;
    const now = deps.clock.now();
    const timeout = new AbortController();
    const deadline = deps.clock.setTimer(DIGEST_TIMEOUT, () =>
      timeout.abort(new Error('digest deadline exceeded')),
    );
    try {
      const results = await deps.clock.all(
        integrations.map((i) => () => this.digestIntegration(receiver, i, held, now, timeout.signal)),
      );
      let ok = true;
      for (const r of results) {
        if (r.status === 'rejected') {
          ok = false;
          deps.logger.error(
            { err: (r.reason as Error).message, receiver },
            'Notify for the rate-limit digest failed',
          );
        }
      }
      return ok;
    } finally {
      deadline.cancel();
    }
  }

  private async digestIntegration(
    receiverName: string,
    integration: Integration,
    held: readonly HeldNotification[],
    now: number,
    signal: AbortSignal,
  ): Promise<void> {
    const { deps } = this;
    const receiver: NflogReceiver = {
      groupName: receiverName,
      integration: integration.name,
      idx: integration.index,
    };
    const parts: { h: HeldNotification; firing: string[]; resolved: string[] }[] = [];
    const sent = new Map<string, AmAlert>();
    for (const h of held) {
      const pending = h.alerts.filter(
        (a) =>
          !deps.inhibitor.mutes(a.labels, a.fingerprint) && !deps.silencer.mutes(a.labels, a.fingerprint),
      );
      const firing: string[] = [];
      const resolved: string[] = [];
      for (const a of pending) (resolvedAt(a, now) ? resolved : firing).push(a.fingerprint);
      const entry = deps.nflog.query(h.groupKey, receiver);
      const changed =
        needsUpdate(
          entry,
          new Set(firing),
          new Set(resolved),
          integration.sendResolved,
          h.repeatInterval,
          now,
        ) || this.startedFlapping(pending, entry, now);
      if (!changed) continue;
      parts.push({ h, firing, resolved });
      for (const a of pending)
        if (integration.sendResolved || !resolvedAt(a, now)) sent.set(a.fingerprint, a);
    }
    if (parts.length === 0) return;
    if (sent.size > 0) {
      const ctx: FlushContext = {
        groupKey: `vigil-digest/${receiverName}`,
        groupLabels: { vigil_digest: `${parts.length} notifications held back by the rate limit` },
        receiver: receiverName,
        repeatInterval: 0,
        muteTimeIntervals: [],
        activeTimeIntervals: [],
        now,
        signal,
      };
      await this.retry(ctx, integration, [...sent.values()].sort(compareAlerts));
    }
    for (const { h, firing, resolved } of parts) {
      deps.nflog.log(receiver, h.groupKey, firing, resolved, 2 * h.repeatInterval);
    }
  }

  private async retry(
    ctx: FlushContext,
    integration: Integration,
    alerts: readonly AmAlert[],
  ): Promise<void> {
    const { deps } = this;
    const name = integration.name;
    const where = `${ctx.receiver}/${name}[${integration.index}]`;
    deps.metrics.notifications.labels(name).inc();
    const random = deps.random ?? Math.random;
    let lastError: Error | undefined;
    for (let attempt = 1; ; attempt++) {
      if (ctx.signal.aborted) {
        deps.metrics.notificationsFailed.labels(name).inc();
        throw new NotifyError(
          `${where}: notify retry canceled after ${attempt - 1} attempts: ${lastError?.message ?? 'context canceled'}`,
          false,
        );
      }
      const started = process.hrtime.bigint();
      try {
        await integration.notifier.notify(
          {
            groupKey: ctx.groupKey,
            receiver: ctx.receiver,
            groupLabels: ctx.groupLabels,
            now: ctx.now,
            signal: ctx.signal,
          },
          alerts,
        );
        deps.metrics.latency.labels(name).observeSince(started);
        deps.metrics.requests.labels(name).inc();
        if (attempt > 1)
          deps.logger.info(
            { receiver: ctx.receiver, integration: where, attempts: attempt },
            'Notify success',
          );
        return;
      } catch (err) {
        deps.metrics.latency.labels(name).observeSince(started);
        deps.metrics.requests.labels(name).inc();
        deps.metrics.requestsFailed.labels(name).inc();
        const e = err instanceof NotifyError ? err : new NotifyError((err as Error).message, true);
        if (!e.retry) {
          deps.metrics.notificationsFailed.labels(name).inc();
          throw new NotifyError(
            `${where}: notify retry canceled due to unrecoverable error after ${attempt} attempts: ${e.message}`,
            false,
          );
        }
        if (!ctx.signal.aborted && e.message !== lastError?.message) {
          deps.logger.warn(
            { receiver: ctx.receiver, integration: where, attempts: attempt, err: e.message },
            'Notify attempt failed, will retry later',
          );
        }
        lastError = e;
      }
      try {
        await deps.clock.sleep(backoffDelay(attempt, random), ctx.signal);
      } catch {
        // Aborted: the loop reports it.
      }
    }
  }
}

/** Alertmanager's DedupStage.needsUpdate. */
export function needsUpdate(
  entry: NflogEntry | undefined,
  firing: ReadonlySet<string>,
  resolved: ReadonlySet<string>,
  sendResolved: boolean,
  repeatInterval: number,
  now: number,
): boolean {
  // Never notified: only when something fires.
  if (!entry) return firing.size > 0;
  if (!isSubset(new Set(entry.firingAlerts), firing)) return true;
  // All resolved: notify (whatever send_resolved says) so the log forgets the firing ones; but not
  // when nothing that fired was ever notified.
  if (firing.size === 0) return entry.firingAlerts.length > 0;
  if (sendResolved && !isSubset(new Set(entry.resolvedAlerts), resolved)) return true;
  // Nothing changed: only once the repeat interval has passed.
  return entry.timestamp < now - repeatInterval;
}

function isSubset(set: ReadonlySet<string>, subset: ReadonlySet<string>): boolean {
  for (const k of subset) if (!set.has(k)) return false;
  return true;
}
