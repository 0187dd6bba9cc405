/**
 * The client side of live mode: one WebSocket to /api/vigil/v1/live shared by a dashboard's
 * panels. Reconnects with backoff and re-subscribes from the last point each subscription got.
 */
import type { LiveSeries } from './live-merge.ts';

export type LiveStatus = 'connecting' | 'open' | 'closed';

interface Sub {
  readonly id: string;
  readonly query: string;
  readonly step: number;
  since: number;
  readonly onData: (series: LiveSeries[]) => void;
  readonly onError: (message: string) => void;
}

export class LiveClient {
  private socket: WebSocket | undefined;
  private readonly subs = new Map<string, Sub>();
  private retry = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private nextId = 0;
  status: LiveStatus = 'connecting';

  constructor(
    private readonly onStatus: (status: LiveStatus) => void = () => {},
    private readonly url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/vigil/v1/live`,
  ) {
    this.connect();
  }

  /**
   * Receives the points of `query` at `step` after `since` (ms) as they come. Returns the
   * function that ends the subscription.
   */
  subscribe(
    query: string,
    step: number,
    since: number,
    onData: (series: LiveSeries[]) => void,
    onError: (message: string) => void,
  ): () => void {
    const sub: Sub = { id: `s${this.nextId++}`, query, step, since, onData, onError };
    this.subs.set(sub.id, sub);
    this.sendSubscribe(sub);
    return () => {
      this.subs.delete(sub.id);
      this.send({ type: 'unsubscribe', id: sub.id });
    };
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.subs.clear();
    this.socket?.close(1000);
  }

  private connect(): void {
    this.setStatus('connecting');
    const ws = new WebSocket(this.url);
    this.socket = ws;
    ws.onopen = () => {
      this.retry = 0;
      this.setStatus('open');
      for (const s of this.subs.values()) this.sendSubscribe(s);
    };
    ws.onmessage = (e) => this.receive(String(e.data));
    ws.onclose = () => {
      if (this.socket === ws) this.socket = undefined;
      if (this.closed) return;
      this.setStatus('closed');
      const delay = Math.min(10_000, 500 * 2 ** this.retry++);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  private receive(text: string): void {
    let msg: { type?: string; id?: string; series?: LiveSeries[]; error?: string };
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    const sub = msg.id ? this.subs.get(msg.id) : undefined;
    if (!sub) return;
    if (msg.type === 'data' && msg.series) {
      for (const s of msg.series) {
        const last = s.values[s.values.length - 1];
        if (last && last[0] > sub.since) sub.since = last[0];
      }
      sub.onData(msg.series);
    } else if (msg.type === 'error') {
      sub.onError(msg.error ?? 'live query failed');
    }
  }

  private sendSubscribe(s: Sub): void {
    this.send({ type: 'subscribe', id: s.id, query: s.query, step: s.step, since: s.since });
  }

  private send(message: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private setStatus(status: LiveStatus): void {
    this.status = status;
    this.onStatus(status);
  }
}
