/**
 * A circuit breaker: closed (calls pass, outcomes are counted over a rolling window), open (calls
 * fail fast, or get the fallback) and half-open (a few trial calls decide whether to close again).
 * It opens when, over the window, at least `minimumThroughput` calls were made and the share of
 * failures (errors and timeouts) reaches `failureRatio`. Each transition is counted, logged and
 * added as an event to the active span.
 */
import { trace } from '@opentelemetry/api';
import { VigilConfigError } from '../errors.ts';
import type { Registry } from '../metrics/registry.ts';

/** Breaker states. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** Thrown when the breaker is open (and there is no fallback). */
export class BreakerOpenError extends Error {
  constructor(readonly breaker: string) {
    super(`circuit breaker ${breaker} is open: calls are refused until it recovers`);
    this.name = 'BreakerOpenError';
  }
}

/** Thrown when a call takes longer than the breaker's timeout. */
export class BreakerTimeoutError extends Error {
  constructor(
    readonly breaker: string,
    readonly timeoutMs: number,
  ) {
    super(`circuit breaker ${breaker}: call timed out after ${timeoutMs} ms`);
    this.name = 'BreakerTimeoutError';
  }
}

/** Breaker options. */
export interface BreakerOptions<A extends unknown[], R> {
  /** Share of failed calls in the window that opens the breaker (default 0.5). */
  failureRatio?: number;
  /** Calls needed in the window before the ratio counts (default 10). */
  minimumThroughput?: number;
  /** Rolling window length (default 10 s), kept in `windowBuckets` slices (default 10). */
  windowMs?: number;
  windowBuckets?: number;
  /** How long to stay open before trying again (default 30 s). */
  resetAfterMs?: number;
  /** Trial calls allowed while half-open (default 1). */
  halfOpenMaxCalls?: number;
  /** A call slower than this fails with BreakerTimeoutError (default: no timeout). */
  timeoutMs?: number;
  /** Which errors count as failures (default all); others pass through as successes. */
  isFailure?: (error: unknown) => boolean;
  /** Called instead of failing: when open, or when the call failed. */
  fallback?: (error: unknown, ...args: A) => R | Promise<R>;
  /** Clock, for tests. */
  now?: () => number;
}

/** Where a breaker reports. */
export interface BreakerTelemetry {
  registry?: Registry;
  log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

/** The guarded function plus the breaker's state and controls. */
export type Breaker<A extends unknown[], R> = ((...args: A) => Promise<R>) & {
  readonly name: string;
  /** Current state. */
  state(): BreakerState;
  /** Calls and failures in the current window. */
  stats(): { calls: number; failures: number };
  /** Forces a state (e.g. from an admin endpoint). */
  force(state: BreakerState): void;
};

function positive(name: string, key: string, v: number, max = Number.POSITIVE_INFINITY): number {
  if (!(typeof v === 'number' && v > 0 && v <= max)) {
    throw new VigilConfigError(
      `circuit breaker ${name}: ${key} must be a number in (0, ${max}], got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/** Wraps `fn` in a circuit breaker. */
export function createBreaker<A extends unknown[], R>(
  name: string,
  fn: (...args: A) => R | Promise<R>,
  options: BreakerOptions<A, R> = {},
  telemetry: BreakerTelemetry = {},
): Breaker<A, R> {
  if (typeof name !== 'string' || name === '')
    throw new VigilConfigError('circuit breaker name must be a non-empty string');
  if (typeof fn !== 'function')
    throw new VigilConfigError(`circuit breaker ${name}: the guarded call must be a function`);
  const failureRatio = positive(name, 'failureRatio', options.failureRatio ?? 0.5, 1);
  const minimumThroughput = positive(name, 'minimumThroughput', options.minimumThroughput ?? 10);
  const windowMs = positive(name, 'windowMs', options.windowMs ?? 10_000);
  const bucketCount = Math.ceil(positive(name, 'windowBuckets', options.windowBuckets ?? 10));
  const resetAfterMs = positive(name, 'resetAfterMs', options.resetAfterMs ?? 30_000);
  const halfOpenMax = Math.ceil(positive(name, 'halfOpenMaxCalls', options.halfOpenMaxCalls ?? 1));
  const timeoutMs =
    options.timeoutMs === undefined ? undefined : positive(name, 'timeoutMs', options.timeoutMs);
  const isFailure = options.isFailure ?? (() => true);
  const now = options.now ?? Date.now;
  const bucketMs = windowMs / bucketCount;

  const stateGauge = telemetry.registry?.gauge({
    name: 'circuit_breaker_state',
    help: 'Circuit breaker state: 1 for the current state of each breaker, 0 for the others.',
    labelNames: ['breaker', 'state'],
    aggregate: 'perWorker',
  });
  const transitions = telemetry.registry?.counter({
    name: 'circuit_breaker_transitions_total',
    help: 'Circuit breaker state changes.',
    labelNames: ['breaker', 'from', 'to'],
  });
  const calls = telemetry.registry?.counter({
    name: 'circuit_breaker_calls_total',
    help: 'Calls through circuit breakers by outcome: success, failure, timeout, rejected (open), fallback.',
    labelNames: ['breaker', 'outcome'],
  });

  // Rolling window: per slice, calls and failures; slices older than the window are reset lazily.
  const sliceCalls = new Array<number>(bucketCount).fill(0);
  const sliceFailures = new Array<number>(bucketCount).fill(0);
  const sliceEpoch = new Array<number>(bucketCount).fill(-1);
  let state: BreakerState = 'closed';
  let openedAt = 0;
  let halfOpenInFlight = 0;

  const slice = (t: number) => {
    const epoch = Math.floor(t / bucketMs);
    const i = epoch % bucketCount;
    if (sliceEpoch[i] !== epoch) {
      sliceEpoch[i] = epoch;
      sliceCalls[i] = 0;
      sliceFailures[i] = 0;
    }
    return i;
  };
  const windowStats = () => {
    const current = Math.floor(now() / bucketMs);
    let c = 0;
    let f = 0;
    for (let i = 0; i < bucketCount; i++) {
      if (current - sliceEpoch[i] < bucketCount) {
        c += sliceCalls[i];
        f += sliceFailures[i];
      }
    }
    return { calls: c, failures: f };
  };
  const resetWindow = () => sliceEpoch.fill(-1);

  const setGauge = () => {
    for (const s of ['closed', 'open', 'half_open'] as const)
      stateGauge?.set({ breaker: name, state: s }, s === state ? 1 : 0);
  };
  setGauge();

  const transition = (to: BreakerState, reason: string) => {
    if (to === state) return;
    const from = state;
    state = to;
    if (to === 'open') openedAt = now();
    if (to === 'closed') resetWindow();
    halfOpenInFlight = 0;
    setGauge();
    transitions?.inc({ breaker: name, from, to });
    trace.getActiveSpan()?.addEvent('circuit_breaker.state_change', {
      'circuit_breaker.name': name,
      'circuit_breaker.from': from,
      'circuit_breaker.to': to,
      'circuit_breaker.reason': reason,
    });
    const line = { breaker: name, from, to, reason };
    if (to === 'open') telemetry.log?.warn(line, `circuit breaker ${name} opened`);
    else telemetry.log?.info(line, `circuit breaker ${name} is ${to.replace('_', '-')}`);
  };

  const record = (failed: boolean) => {
    const i = slice(now());
    sliceCalls[i]++;
    if (failed) sliceFailures[i]++;
    if (state === 'half_open') {
      transition(failed ? 'open' : 'closed', failed ? 'trial call failed' : 'trial call succeeded');
      return;
    }
    if (failed && state === 'closed') {
      const { calls: c, failures: f } = windowStats();
      if (c >= minimumThroughput && f / c >= failureRatio) {
        transition('open', `${f} of ${c} calls failed in the last ${windowMs} ms`);
      }
    }
  };

  const withTimeout = (p: Promise<R>): Promise<R> => {
    if (timeoutMs === undefined) return p;
    let timer: NodeJS.Timeout;
    return Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new BreakerTimeoutError(name, timeoutMs)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  };

  const fail = async (error: unknown, args: A, outcome: 'failure' | 'timeout' | 'rejected'): Promise<R> => {
    calls?.inc({ breaker: name, outcome });
    if (!options.fallback) throw error;
    calls?.inc({ breaker: name, outcome: 'fallback' });
    return options.fallback(error, ...args);
  };

  const guarded = async (...args: A): Promise<R> => {
    if (state === 'open' && now() - openedAt >= resetAfterMs)
      transition('half_open', `${resetAfterMs} ms passed`);
    if (state === 'open' || (state === 'half_open' && halfOpenInFlight >= halfOpenMax)) {
      return fail(new BreakerOpenError(name), args, 'rejected');
    }
    const trial = state === 'half_open';
    if (trial) halfOpenInFlight++;
    try {
      const result = await withTimeout(Promise.resolve().then(() => fn(...args)));
      record(false);
      calls?.inc({ breaker: name, outcome: 'success' });
      return result;
    } catch (err) {
      const timedOut = err instanceof BreakerTimeoutError;
      const counts = timedOut || isFailure(err);
      record(counts);
      if (!counts) {
        calls?.inc({ breaker: name, outcome: 'success' });
        throw err;
      }
      return fail(err, args, timedOut ? 'timeout' : 'failure');
    } finally {
      if (trial && halfOpenInFlight > 0) halfOpenInFlight--;
    }
  };

  Object.defineProperty(guarded, 'name', { value: name });
  return Object.assign(guarded, {
    state: () => {
      if (state === 'open' && now() - openedAt >= resetAfterMs) return 'half_open' as const;
      return state;
    },
    stats: windowStats,
    force: (to: BreakerState) => transition(to, 'forced'),
  }) as unknown as Breaker<A, R>;
}
