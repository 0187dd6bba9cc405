/**
 * Time for the rules engine: the wall clock, or a manual clock that tests advance, so that
 * evaluation timing, `for`, `keep_firing_for` and resends can be tested without waiting.
 */

/** What the rules engine asks of time. A timer callback may return a promise (an evaluation). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void | Promise<void>, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Real time. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(() => void fn(), ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

interface Pending {
  at: number;
  seq: number;
  fn: () => void | Promise<void>;
}

/**
 * A clock that only moves when told. advanceTo/advance run due timers in time order and wait
 * for the promises they return, so an evaluation started by a timer has finished when they
 * resolve.
 */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly timers = new Map<number, Pending>();

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void | Promise<void>, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + Math.max(0, ms), seq: id, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.time + ms);
  }

  async advanceTo(t: number): Promise<void> {
    for (;;) {
      let next: [number, Pending] | undefined;
      for (const e of this.timers) {
        if (e[1].at > t) continue;
        if (!next || e[1].at < next[1].at || (e[1].at === next[1].at && e[1].seq < next[1].seq)) next = e;
      }
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = Math.max(this.time, next[1].at);
      await next[1].fn();
    }
    this.time = Math.max(this.time, t);
  }
}
