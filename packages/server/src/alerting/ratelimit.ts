/**
 * Per-receiver notification rate limits (Vigil's alert-fatigue control; Alertmanager has none).
 * A receiver with a limit gets at most `max` notifications in any `interval` (a sliding window).
 * A flush that would exceed it is held instead: the group's latest alerts are kept, and once the
 * window has room again they all go out as one digest notification, which counts as one. A held
 * group that gets a slot on its own before the digest (its next group_interval tick) notifies
 * normally and leaves the digest.
 *
 * A notification is one flush of one group: its integrations (two webhooks, say) share one slot.
 */
import type { RateLimitConfig } from '../config/alerting.ts';
import type { AmAlert } from './alert.ts';
import type { Clock, Timer } from './clock.ts';
import type { LabelSet } from './labelset.ts';

/** A flush held back by the limit, waiting for the digest. */
export interface HeldNotification {
  readonly groupKey: string;
  readonly groupLabels: LabelSet;
  readonly repeatInterval: number;
  /** The group's alerts at the last flush held (as the dispatcher presented them). */
  readonly alerts: readonly AmAlert[];
  readonly heldAt: number;
}

/** Sends a digest for the held notifications; resolves true when every integration got it. */
export type DigestSender = (receiver: string, held: readonly HeldNotification[]) => Promise<boolean>;

/** A receiver's limit and usage, as the API shows it. */
export interface RateLimitStatus {
  readonly receiver: string;
  readonly maxNotifications: number;
  /** ms */
  readonly interval: number;
  /** Notifications sent within the current window. */
  readonly sent: number;
  /** Group keys held for the digest. */
  readonly held: readonly string[];
  /** When the digest is due (Unix ms); undefined when nothing is held. */
  readonly digestAt: number | undefined;
}

interface ReceiverState {
  /** Times of the notifications admitted within the window, oldest first. */
  sent: number[];
  /** Flushes admitted (key → time), so a flush's other integrations share its slot. */
  admitted: Map<string, number>;
  held: Map<string, HeldNotification>;
  digestTimer: Timer | undefined;
  digestAt: number | undefined;
}

export class RateLimiter {
  private readonly state = new Map<string, ReceiverState>();
  private sender: DigestSender | undefined;
  private stopped = false;
  /** Alert fingerprint → receivers holding it; rebuilt after the held flushes change. */
  private heldIndex: Map<string, string[]> | undefined;

  constructor(
    private limits: readonly RateLimitConfig[],
    private readonly clock: Clock,
    private readonly onError: (receiver: string, err: Error) => void,
    /** Self-metrics hooks: a flush held, a digest sent. */
    private readonly events: {
      readonly held?: (receiver: string) => void;
      readonly digest?: (receiver: string) => void;
    } = {},
  ) {}

  /** Applies new limits (on reload); usage and held notifications are kept. */
  update(limits: readonly RateLimitConfig[]): void {
    this.limits = limits;
  }

  /** Who sends digests: the current pipeline (replaced on reload). */
  setSender(sender: DigestSender): void {
    this.sender = sender;
  }

  /** The first limit naming the receiver, or the first one for all receivers. */
  limitFor(receiver: string): RateLimitConfig | undefined {
    return this.limits.find((l) => l.receivers === undefined || l.receivers.includes(receiver));
  }

  /**
   * Takes a slot for the flush `flushKey` of the receiver at `now`; false when the window is
   * full. A flush already admitted (another of its integrations) is admitted again for free.
   */
  admit(receiver: string, flushKey: string, now: number): boolean {
    const limit = this.limitFor(receiver);
    if (!limit) return true;
    const st = this.receiverState(receiver);
    this.prune(st, limit, now);
    if (st.admitted.has(flushKey)) return true;
    if (st.sent.length >= limit.max) return false;
    st.sent.push(now);
    st.admitted.set(flushKey, now);
    return true;
  }

  /** Holds a flush for the digest (replacing the group's earlier held flush) and schedules it. */
  hold(receiver: string, held: HeldNotification): void {
    const st = this.receiverState(receiver);
    st.held.set(held.groupKey, held);
    this.heldIndex = undefined;
    this.events.held?.(receiver);
    this.schedule(receiver, st, held.heldAt);
  }

  /** The group notified on its own: it no longer needs the digest. */
  release(receiver: string, groupKey: string): void {
    if (this.state.get(receiver)?.held.delete(groupKey)) this.heldIndex = undefined;
  }

  status(receiver: string, now: number): RateLimitStatus | undefined {
    const limit = this.limitFor(receiver);
    if (!limit) return undefined;
    const st = this.receiverState(receiver);
    this.prune(st, limit, now);
    return {
      receiver,
      maxNotifications: limit.max,
      interval: limit.interval,
      sent: st.sent.length,
      held: [...st.held.keys()].sort(),
      digestAt: st.held.size > 0 ? st.digestAt : undefined,
    };
  }

  /** The receivers holding a notification that contains the alert, and when their digest is due. */
  heldAlert(fp: string): { receiver: string; digestAt: number | undefined }[] {
    if (!this.heldIndex) {
      // Built once per change, so listing every alert through the API stays linear.
      const index = new Map<string, string[]>();
      for (const [receiver, st] of [...this.state].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        for (const h of st.held.values()) {
          for (const a of h.alerts) {
            const list = index.get(a.fingerprint);
            if (!list) index.set(a.fingerprint, [receiver]);
            else if (list.at(-1) !== receiver) list.push(receiver);
          }
        }
      }
      this.heldIndex = index;
    }
    return (this.heldIndex.get(fp) ?? []).map((receiver) => ({
      receiver,
      digestAt: this.state.get(receiver)?.digestAt,
    }));
  }

  /** Notifications sent per receiver (times), for saving across a restart. */
  save(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const [receiver, st] of this.state) if (st.sent.length > 0) out[receiver] = [...st.sent];
    return out;
  }

  /**
   * Takes the notification times saved before a restart, so a restart does not reset the window.
   * (Held flushes are not saved: the notification log never recorded them, so their groups flush
   * them again after the restart and are held again if the window is still full.)
   */
  restore(saved: Readonly<Record<string, unknown>>): void {
    for (const [receiver, times] of Object.entries(saved)) {
      if (!Array.isArray(times)) continue;
      this.receiverState(receiver).sent = times
        .filter((t): t is number => typeof t === 'number')
        .sort((a, b) => a - b);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const st of this.state.values()) st.digestTimer?.cancel();
  }

  /** When the window next has room (Unix ms). */
  private nextFree(st: ReceiverState, limit: RateLimitConfig, now: number): number {
    this.prune(st, limit, now);
    if (st.sent.length < limit.max) return now;
    return st.sent[st.sent.length - limit.max] + limit.interval;
  }

  private schedule(receiver: string, st: ReceiverState, now: number): void {
    if (st.digestTimer || this.stopped) return;
    const limit = this.limitFor(receiver);
    // The limit was removed by a reload: the digest goes out at once.
    const at = limit ? this.nextFree(st, limit, now) : now;
    st.digestAt = at;
    st.digestTimer = this.clock.setTimer(Math.max(0, at - this.clock.now()), () => this.digest(receiver));
  }

  private async digest(receiver: string): Promise<void> {
    const st = this.receiverState(receiver);
    st.digestTimer = undefined;
    st.digestAt = undefined;
    if (st.held.size === 0 || this.stopped || !this.sender) return;
    const now = this.clock.now();
    if (!this.admit(receiver, `digest@${now}`, now)) {
      // A group's own flush took the slot first; the digest waits for the next one.
      this.schedule(receiver, st, now);
      return;
    }
    const held = [...st.held.values()];
    let ok = false;
    try {
      ok = await this.sender(receiver, held);
    } catch (err) {
      this.onError(receiver, err as Error);
    }
    if (ok) {
      this.events.digest?.(receiver);
      // Flushes held while the digest was on its way stay for the next one.
      for (const h of held) if (st.held.get(h.groupKey) === h) st.held.delete(h.groupKey);
      this.heldIndex = undefined;
    }
    if (st.held.size > 0) this.schedule(receiver, st, this.clock.now());
  }

  private prune(st: ReceiverState, limit: RateLimitConfig, now: number): void {
    const from = now - limit.interval;
    let i = 0;
    while (i < st.sent.length && st.sent[i] <= from) i++;
    if (i > 0) st.sent.splice(0, i);
    for (const [key, t] of st.admitted) if (t <= from) st.admitted.delete(key);
  }

  private receiverState(receiver: string): ReceiverState {
    let st = this.state.get(receiver);
    if (!st) {
      st = { sent: [], admitted: new Map(), held: new Map(), digestTimer: undefined, digestAt: undefined };
      this.state.set(receiver, st);
    }
    return st;
  }
}
