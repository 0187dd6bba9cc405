/**
 * The notification pipeline's sense of time. Everything that waits (group_wait, group_interval,
 * retry backoff, timeouts, maintenance) goes through a Clock, so tests can replace real time with
 * a ManualClock and step through Alertmanager's timing deterministically.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** A scheduled callback; cancel() is safe to call more than once. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Unix milliseconds. */
  now(): number;
  /** Runs `fn` once after `delayMs` (0 = as soon as possible). Errors from `fn` are its own to handle. */
  setTimer(delayMs: number, fn: () => void | Promise<void>): Timer;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Runs the functions concurrently (Promise.allSettled); a ManualClock tracks each on its own. */
  all<T>(fns: readonly (() => Promise<T>)[]): Promise<PromiseSettledResult<T>[]>;
}

/** Real time: Date.now and setTimeout. Timers do not keep the process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(delayMs, fn) {
    const handle = setTimeout(() => void fn(), Math.max(0, delayMs));
    handle.unref?.();
    return { cancel: () => clearTimeout(handle) };
  },
  sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const handle = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(handle);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
  all: (fns) => Promise.allSettled(fns.map((fn) => fn())),
};

interface ManualTimer {
  due: number;
  seq: number;
  fn: () => void | Promise<void>;
  cancelled: boolean;
}

/** A callback the clock started, or a branch of one (Clock.all). */
interface Task {
  done: boolean;
  /** Waiting on this clock. */
  sleeping: boolean;
  /** Branches it waits for, while in Clock.all. */
  children: Set<Task> | undefined;
}

/** Busy = neither finished, nor sleeping on the clock, nor waiting only for idle branches. */
function busy(task: Task): boolean {
  if (task.done || task.sleeping) return false;
  if (task.children) {
    for (const c of task.children) if (busy(c)) return true;
    return false;
  }
  return true;
}

/**
 * A clock that only moves when told to. `advance(ms)` fires due timers in time order and, after
 * each, waits until every callback it started has finished or is sleeping on this clock; real
 * I/O those callbacks do (HTTP to a test receiver) is awaited, so a test sees its effects.
 */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly timers: ManualTimer[] = [];
  private readonly tasks = new Set<Task>();
  private readonly context = new AsyncLocalStorage<Task>();

  constructor(startMs: number) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, fn: () => void | Promise<void>): Timer {
    const timer: ManualTimer = {
      due: this.current + Math.max(0, delayMs),
      seq: this.seq++,
      fn,
      cancelled: false,
    };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const task = this.context.getStore();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      if (task) task.sleeping = true;
      const wake = () => {
        if (task) task.sleeping = false;
      };
      const timer = this.setTimer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        wake();
        resolve();
      });
      const onAbort = () => {
        timer.cancel();
        wake();
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  all<T>(fns: readonly (() => Promise<T>)[]): Promise<PromiseSettledResult<T>[]> {
    const parent = this.context.getStore();
    if (!parent) return Promise.allSettled(fns.map((fn) => fn()));
    const children = new Set<Task>();
    parent.children = children;
    const runs = fns.map((fn) => {
      const child: Task = { done: false, sleeping: false, children: undefined };
      children.add(child);
      return this.context.run(child, () =>
        fn().finally(() => {
          child.done = true;
        }),
      );
    });
    return Promise.allSettled(runs).finally(() => {
      parent.children = undefined;
    });
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.current = next.due;
      next.cancelled = true;
      this.run(next.fn);
      await this.settle();
    }
    this.current = target;
    await this.settle();
  }

  /** Moves time to `ms` (Unix), as advance does. */
  async advanceTo(ms: number): Promise<void> {
    await this.advance(Math.max(0, ms - this.current));
  }

  /** Waits until every started callback has finished or sleeps on this clock. */
  async settle(): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      // Let promise chains and I/O callbacks run.
      await new Promise((r) => setImmediate(r));
      let anyBusy = false;
      for (const t of this.tasks) {
        if (t.done) this.tasks.delete(t);
        else if (busy(t)) anyBusy = true;
      }
      if (!anyBusy) {
        // Timers due now (delay 0) started by the callbacks also run before settling.
        const due = this.nextDue(this.current);
        if (!due) return;
        due.cancelled = true;
        this.run(due.fn);
        continue;
      }
      if (Date.now() > deadline)
        throw new Error('ManualClock: callbacks still running after 20s of real time');
    }
  }

  private run(fn: () => void | Promise<void>): void {
    const task: Task = { done: false, sleeping: false, children: undefined };
    this.tasks.add(task);
    const finish = () => {
      task.done = true;
    };
    this.context.run(task, () => {
      let result: void | Promise<void>;
      try {
        result = fn();
      } catch {
        finish();
        return;
      }
      if (result instanceof Promise) result.then(finish, finish);
      else finish();
    });
  }

  private nextDue(limit: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (let i = this.timers.length - 1; i >= 0; i--) {
      const t = this.timers[i];
      if (t.cancelled) {
        this.timers.splice(i, 1);
        continue;
      }
      if (t.due <= limit && (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq))) best = t;
    }
    return best;
  }
}
