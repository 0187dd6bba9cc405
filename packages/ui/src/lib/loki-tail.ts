/**
 * Live tail of a LogQL query over Loki's tail WebSocket (/loki/api/v1/tail). The server first
 * sends the recent lines since `start`, then each new line once. Reconnects with backoff and
 * resumes after the newest line it saw, dropping lines it already has.
 */
import { type LogEntry, toEntries } from './loki.ts';

export type TailStatus = 'connecting' | 'open' | 'closed' | 'error';

export interface TailOptions {
  readonly query: string;
  /** Send lines from this time on (ms). */
  readonly start: number;
  readonly limit: number;
  readonly onEntries: (entries: LogEntry[]) => void;
  readonly onStatus: (status: TailStatus, message?: string) => void;
}

/** Starts tailing; returns the function that stops it. */
export function tailLogs(options: TailOptions): () => void {
  let stopped = false;
  let socket: WebSocket | undefined;
  let retry = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let newestNs = `${options.start}000000`;
  const seen = new Set<string>();

  const connect = () => {
    options.onStatus('connecting');
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const qs = new URLSearchParams({
      query: options.query,
      start: newestNs,
      limit: String(options.limit),
    });
    const ws = new WebSocket(`${proto}://${location.host}/loki/api/v1/tail?${qs}`);
    socket = ws;
    ws.onopen = () => {
      retry = 0;
      options.onStatus('open');
    };
    ws.onmessage = (e) => {
      let msg: { streams?: Parameters<typeof toEntries>[0] };
      try {
        msg = JSON.parse(String(e.data));
      } catch {
        return;
      }
      const fresh = toEntries(msg.streams ?? []).filter((x) => {
        const key = `${x.tsNs}\u0000${x.line}\u0000${JSON.stringify(x.stream)}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      // The dedup set only needs the lines near the resume point; keep it bounded.
      if (seen.size > 20_000) seen.clear();
      for (const x of fresh) if (cmpNs(x.tsNs, newestNs) > 0) newestNs = x.tsNs;
      if (fresh.length) options.onEntries(fresh);
    };
    ws.onclose = (e) => {
      if (socket === ws) socket = undefined;
      if (stopped) return;
      // 1011 carries the server's reason (a bad query): show it and do not retry blindly.
      if (e.code === 1011 || e.code === 1008) {
        options.onStatus('error', e.reason || 'the server ended the live tail');
        return;
      }
      options.onStatus('closed', e.reason || undefined);
      timer = setTimeout(connect, Math.min(10_000, 500 * 2 ** retry++));
    };
  };
  connect();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    socket?.close(1000);
  };
}

function cmpNs(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}
