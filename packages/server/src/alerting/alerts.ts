/**
 * The alert store (Alertmanager's provider/mem): every alert received, merged by fingerprint,
 * handed to subscribers (dispatcher, inhibitor) as it arrives, and dropped once resolved at a
 * garbage collection.
 *
 * Unlike Alertmanager, which forgets alerts on restart and relies on Prometheus resending them,
 * Vigil journals the store in its data directory: a resolved alert whose notification was still
 * due when the process stopped is notified after the restart instead of being lost.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type AmAlert, mergeAlerts, resolvedAt } from './alert.ts';
import type { Clock } from './clock.ts';
import { Journal } from './persist.ts';

/** Called for each alert stored, in order. Must not throw. */
export type AlertListener = (alert: AmAlert) => void;

export class AlertStore {
  private readonly alerts = new Map<string, AmAlert>();
  private readonly listeners = new Set<AlertListener>();
  /** When each alert was last journaled (see persist). */
  private readonly journaledAt = new Map<string, number>();
  private readonly journal: Journal<AmAlert> | undefined;
  private gcTimer: { cancel(): void } | undefined;

  constructor(
    private readonly options: {
      readonly clock: Clock;
      readonly logger: Logger;
      /** Directory for the journal; undefined = memory only. */
      readonly dataDir: string | undefined;
      /** How often resolved alerts are dropped (Alertmanager's --alerts.gc-interval, 30m). */
      readonly gcInterval: number;
      /** Called with each alert removed by GC (the marker forgets it). */
      readonly onDelete: (alert: AmAlert) => void;
      /** Resolved alerts GC keeps for now (flapping ones, which are held firing). */
      readonly keep?: (alert: AmAlert, now: number) => boolean;
    },
  ) {
    if (options.dataDir) {
      this.journal = new Journal<AmAlert>(join(options.dataDir, 'alerts.jsonl'), { fsync: false });
      const restored = this.journal.read((line) =>
        options.logger.warn(
          { file: this.journal!.path, line },
          'skipping an unreadable line in the alert journal',
        ),
      );
      for (const a of restored) if (a && typeof a.fingerprint === 'string') this.alerts.set(a.fingerprint, a);
    }
  }

  /** Starts periodic garbage collection. */
  start(): void {
    const tick = () => {
      this.gc();
      this.gcTimer = this.options.clock.setTimer(this.options.gcInterval, tick);
    };
    this.gcTimer = this.options.clock.setTimer(this.options.gcInterval, tick);
  }

  stop(): void {
    this.gcTimer?.cancel();
    this.journal?.close();
  }

  /** Stores alerts, merging each with the one it replaces when their activity overlaps. */
  put(alerts: readonly AmAlert[]): void {
    const now = this.options.clock.now();
    const stored: AmAlert[] = [];
    const previous: (AmAlert | undefined)[] = [];
    for (let alert of alerts) {
      const old = this.alerts.get(alert.fingerprint);
      previous.push(old);
      if (old) {
        // Merge when the new one's activity overlaps the old one's (Alertmanager's rule).
        if (
          (alert.endsAt > old.startsAt && alert.endsAt < old.endsAt) ||
          (alert.startsAt > old.startsAt && alert.startsAt < old.endsAt)
        ) {
          alert = mergeAlerts(old, alert, now);
        }
      }
      this.alerts.set(alert.fingerprint, alert);
      stored.push(alert);
    }
    this.persist(stored, previous);
    for (const alert of stored) for (const l of this.listeners) l(alert);
  }

  /** Every alert held, resolved ones included until GC. */
  list(): AmAlert[] {
    return [...this.alerts.values()];
  }

  get(fp: string): AmAlert | undefined {
    return this.alerts.get(fp);
  }

  /**
   * Calls `listener` with every alert held now, then with each one stored later; returns the
   * unsubscribe function (Alertmanager's Subscribe).
   */
  subscribe(listener: AlertListener): () => void {
    for (const a of this.alerts.values()) listener(a);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Drops resolved alerts; returns how many. */
  gc(): number {
    const now = this.options.clock.now();
    let n = 0;
    for (const [fp, a] of this.alerts) {
      if (resolvedAt(a, now) && !this.options.keep?.(a, now)) {
        this.alerts.delete(fp);
        this.journaledAt.delete(fp);
        this.options.onDelete(a);
        n++;
      }
    }
    if (this.journal && (n > 0 || this.journal.length > 2 * this.alerts.size + 100)) {
      try {
        this.journal.rewrite([...this.alerts.values()]);
      } catch (err) {
        this.options.logger.error({ err: (err as Error).message }, 'cannot compact the alert journal');
      }
    }
    return n;
  }

  /**
   * Journals what changed. Senders re-post active alerts every evaluation (Prometheus: each
   * rule evaluation, with endsAt a few minutes ahead), so an alert that differs only in its
   * updatedAt/endsAt is written at most once a minute: after a restart its end time is then at
   * most a minute stale, well inside the window senders give it.
   */
  private persist(alerts: readonly AmAlert[], previous: readonly (AmAlert | undefined)[]): void {
    if (!this.journal) return;
    const now = this.options.clock.now();
    const changed = alerts.filter((a, i) => {
      const prev = previous[i];
      const last = this.journaledAt.get(a.fingerprint);
      if (prev && last !== undefined && now - last < 60_000 && sameButTimes(prev, a, now)) return false;
      this.journaledAt.set(a.fingerprint, now);
      return true;
    });
    try {
      this.journal.append(changed);
      if (this.journal.length > 4 * this.alerts.size + 10_000)
        this.journal.rewrite([...this.alerts.values()]);
    } catch (err) {
      this.options.logger.error(
        { err: (err as Error).message, file: this.journal.path },
        'cannot write the alert journal; alerts received now may be lost on restart',
      );
    }
  }
}

/** Equal apart from updatedAt and a still-future endsAt: a sender's routine resend. */
function sameButTimes(a: AmAlert, b: AmAlert, now: number): boolean {
  if (a.startsAt !== b.startsAt || a.generatorURL !== b.generatorURL || a.timeout !== b.timeout) return false;
  if (resolvedAt(a, now) || resolvedAt(b, now)) return false;
  const ka = Object.keys(a.annotations);
  if (ka.length !== Object.keys(b.annotations).length) return false;
  for (const k of ka) if (a.annotations[k] !== b.annotations[k]) return false;
  return true;
}
