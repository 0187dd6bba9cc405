/**
 * One live-mode connection: the PromQL subscriptions a dashboard holds open, and the loop that
 * sends each one its new points as time passes. Only the newest steps are evaluated (a short
 * range query from the last point sent to now), never the whole panel range again.
 *
 * Protocol (JSON text frames):
 * - client → `{"type":"subscribe","id":"p1","query":"rate(x[1m])","step":15000,"since":1700000000000}`
 *   (`since`: the last step time the client already has, ms; without it the newest step is sent)
 * - client → `{"type":"unsubscribe","id":"p1"}`
 * - server → `{"type":"data","id":"p1","series":[{"metric":{...},"values":[[1700000015000,"1.5"]]}]}`
 *   values as Prometheus writes them (strings, "NaN", "+Inf"); the last step already sent is
 *   sent again with the new ones because late samples can change it, so clients replace points
 *   with equal timestamps.
 * - server → `{"type":"error","id":"p1","error":"..."}` (id absent for a bad message)
 */
import type { QueryResult } from '../../promql/index.ts';

/** Runs a PromQL range query (times in ms); rejects with an error whose message is for people. */
export type RangeQueryFunc = (
  query: string,
  start: number,
  end: number,
  step: number,
  options: { signal: AbortSignal },
) => Promise<QueryResult>;

export interface LiveLimits {
  /** Subscriptions one connection may hold. */
  readonly maxSubscriptions: number;
  /** Smallest step accepted (ms). */
  readonly minStep: number;
  /** Most steps evaluated at once when catching up (after a pause or a slow query). */
  readonly maxCatchUpSteps: number;
}

interface Subscription {
  readonly id: string;
  readonly query: string;
  readonly step: number;
  /** The newest step time already sent (ms). */
  last: number;
}

/** Sends one JSON message to the client. */
export type SendFunc = (message: object) => void;

export class LiveSession {
  private readonly subs = new Map<string, Subscription>();
  private readonly abort = new AbortController();
  private running = false;

  constructor(
    private readonly rangeQuery: RangeQueryFunc,
    private readonly send: SendFunc,
    private readonly now: () => number,
    private readonly limits: LiveLimits,
  ) {}

  /** Handles one client message; problems are answered as error messages, never thrown. */
  handle(text: string): void {
    let msg: Record<string, unknown>;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      msg = parsed as Record<string, unknown>;
    } catch {
      this.send({ type: 'error', error: 'messages must be JSON objects such as {"type":"subscribe",...}' });
      return;
    }
    const id = typeof msg.id === 'string' && msg.id.length > 0 && msg.id.length <= 200 ? msg.id : undefined;
    if (msg.type === 'unsubscribe') {
      if (id) this.subs.delete(id);
      return;
    }
    if (msg.type !== 'subscribe') {
      this.send({
        type: 'error',
        id,
        error: `unknown message type ${JSON.stringify(msg.type)}; use "subscribe" or "unsubscribe"`,
      });
      return;
    }
    if (!id) {
      this.send({ type: 'error', error: 'a subscription needs an "id" (a string of 1 to 200 characters)' });
      return;
    }
    if (typeof msg.query !== 'string' || msg.query.trim() === '') {
      this.send({ type: 'error', id, error: 'a subscription needs a PromQL "query"' });
      return;
    }
    const step = msg.step;
    if (typeof step !== 'number' || !Number.isFinite(step) || step < this.limits.minStep) {
      this.send({
        type: 'error',
        id,
        error: `"step" must be a number of milliseconds, at least ${this.limits.minStep}`,
      });
      return;
    }
    if (!this.subs.has(id) && this.subs.size >= this.limits.maxSubscriptions) {
      this.send({
        type: 'error',
        id,
        error: `too many subscriptions on one connection (at most ${this.limits.maxSubscriptions})`,
      });
      return;
    }
    const aligned = Math.floor(this.now() / step) * step;
    // Without `since` the client has nothing yet: it gets the newest step at once.
    const since = typeof msg.since === 'number' && Number.isFinite(msg.since) ? msg.since : aligned - step;
    // Never further back than the catch-up window, never in the future.
    const last = Math.min(aligned, Math.max(since, aligned - this.limits.maxCatchUpSteps * step));
    this.subs.set(id, { id, query: msg.query, step: Math.round(step), last });
  }

  /**
   * Evaluates every subscription that has a new step and sends the points. A tick that finds the
   * previous one still running does nothing (slow queries do not pile up).
   */
  async tick(): Promise<void> {
    if (this.running || this.abort.signal.aborted) return;
    this.running = true;
    try {
      for (const sub of [...this.subs.values()]) {
        if (this.abort.signal.aborted) return;
        const end = Math.floor(this.now() / sub.step) * sub.step;
        if (end <= sub.last) continue;
        // From the last step sent (re-sent: samples that arrived late may have changed it).
        const start = Math.max(sub.last, end - this.limits.maxCatchUpSteps * sub.step);
        try {
          const res = await this.rangeQuery(sub.query, start, end, sub.step, { signal: this.abort.signal });
          // Unsubscribed or replaced while the query ran: drop the result.
          if (this.subs.get(sub.id) !== sub) continue;
          sub.last = end;
          this.send({ type: 'data', id: sub.id, series: seriesJson(res) });
        } catch (err) {
          if (this.abort.signal.aborted) return;
          sub.last = end; // try again at the next step rather than at every tick
          this.send({ type: 'error', id: sub.id, error: (err as Error).message });
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Stops everything: in-flight queries are cancelled and nothing more is sent. */
  close(): void {
    this.abort.abort();
    this.subs.clear();
  }

  /** Subscriptions currently held (for limits and tests). */
  get size(): number {
    return this.subs.size;
  }
}

function seriesJson(res: QueryResult): { metric: Record<string, string>; values: [number, string][] }[] {
  const v = res.result;
  if (v.type === 'matrix') {
    return v.series.map((s) => {
      const metric: Record<string, string> = {};
      for (const l of s.metric) metric[l.name] = l.value;
      const values: [number, string][] = [];
      for (let i = 0; i < s.timestamps.length; i++) values.push([s.timestamps[i], formatValue(s.values[i])]);
      return { metric, values };
    });
  }
  if (v.type === 'scalar') return [{ metric: {}, values: [[v.t, formatValue(v.v)]] }];
  return [];
}

/** Sample values as the Prometheus API writes them. */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}
