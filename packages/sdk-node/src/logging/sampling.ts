/**
 * Sampling of noisy low-level logs, the way zap does it: per level and message, the first
 * `initial` lines of each interval are written, then one in every `thereafter`. A debug line in
 * a hot loop costs a map lookup instead of flooding the output; rare messages are never lost.
 */

/** Sampling settings. */
export interface LogSamplingOptions {
  /** Levels at or below this pino level number are sampled (default 20, debug). */
  maxLevel?: number;
  /** Lines per message per interval written in full (default 100). */
  initial?: number;
  /** After that, one in this many (default 100). */
  thereafter?: number;
  /** Interval length in ms (default 1000). */
  intervalMs?: number;
  /**
   * Install the sampler even when the logger starts at a level above `maxLevel` (for apps that
   * turn debug on at runtime). Otherwise it is installed only when the logger starts at a level
   * that logs debug lines, so services logging at info pay nothing for it.
   */
  always?: boolean;
  /** Clock, for tests. */
  now?: () => number;
}

/** Decides line by line; `keep(level, message)` is true when the line should be written. */
export class LogSampler {
  private readonly maxLevel: number;
  private readonly initial: number;
  private readonly thereafter: number;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private counts = new Map<string, number>();
  private intervalStart: number;

  constructor(options: LogSamplingOptions = {}) {
    this.maxLevel = options.maxLevel ?? 20;
    this.initial = options.initial ?? 100;
    this.thereafter = Math.max(1, options.thereafter ?? 100);
    this.intervalMs = options.intervalMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.intervalStart = this.now();
  }

  /** Whether this sampler applies to `level` at all (cheap check for the hot path). */
  applies(level: number): boolean {
    return level <= this.maxLevel;
  }

  keep(level: number, message: string): boolean {
    const now = this.now();
    if (now - this.intervalStart >= this.intervalMs) {
      this.counts = new Map();
      this.intervalStart = now;
    }
    const key = `${level}\u0000${message}`;
    const n = (this.counts.get(key) ?? 0) + 1;
    // Bounded: a flood of distinct messages stops being tracked (and is sampled as one).
    if (this.counts.size < 10_000 || this.counts.has(key)) this.counts.set(key, n);
    if (n <= this.initial) return true;
    return (n - this.initial) % this.thereafter === 0;
  }
}
