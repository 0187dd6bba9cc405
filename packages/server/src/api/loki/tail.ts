/**
 * GET /loki/api/v1/tail over WebSocket, as logcli and Grafana's live mode use it: first the lines
 * since `start` (default one hour ago, at most `limit`), then every new line the query accepts,
 * each exactly once, as `{"streams":[...],"dropped_entries":null}` messages.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { LogSelectorExpr } from '../../logql/ast.ts';
import type { LogQLEngine, QueryStats, ResultEntry } from '../../logql/engine.ts';
import { LogQLParseError } from '../../logql/errors.ts';
import { parseLogQL } from '../../logql/parser.ts';
import { labelsKey } from '../../model/labels.ts';
import { badRequest, HttpError } from '../http-error.ts';
import { streamsJson } from './encode.ts';
import { one, type Params, parseLimit, parseTime } from './params.ts';

/** Where live lines come from (the logs module's TailHub). */
export interface TailSource {
  subscribe(expr: LogSelectorExpr, send: (entries: ResultEntry[]) => void): () => void;
  readonly size: number;
}

export interface LokiTailDeps {
  readonly engine: LogQLEngine;
  readonly tail: TailSource;
  readonly now: () => number;
  readonly maxConnections: number;
}

interface TailRequest {
  expr: LogSelectorExpr;
  limit: number;
  startNs: bigint;
}

const parsed = new WeakMap<FastifyRequest, TailRequest>();

export function registerLokiTail(app: FastifyInstance, deps: LokiTailDeps): void {
  app.register(async (scope) => {
    // @fastify/websocket is registered once for the whole server (api/server.ts).
    scope.get(
      '/loki/api/v1/tail',
      {
        websocket: true,
        // Checked before the upgrade, so a bad query gets a plain 400 as from Loki.
        preValidation: async (request) => {
          const p = (request.query ?? {}) as Params;
          const text = one(p, 'query');
          if (text === undefined)
            throw badRequest('query parameter is missing; pass query=<LogQL log query>');
          let expr: ReturnType<typeof parseLogQL>;
          try {
            expr = parseLogQL(text);
          } catch (err) {
            if (err instanceof LogQLParseError) throw badRequest(err.message);
            throw err;
          }
          if (expr.kind !== 'LogSelector') throw badRequest('tail takes a log query, not a metric query');
          if (deps.tail.size >= deps.maxConnections) {
            throw new HttpError(
              429,
              `too many live tails (limits.max_tail_connections = ${deps.maxConnections})`,
            );
          }
          const limit = Math.min(parseLimit(p, 100), deps.engine.limits.maxEntriesPerQuery);
          const startNs = parseTime(one(p, 'start'), BigInt(deps.now() - 3_600_000) * 1_000_000n, 'start');
          parsed.set(request, { expr, limit, startNs });
        },
      },
      (socket: WebSocket, request: FastifyRequest) => {
        const req = parsed.get(request);
        if (!req) {
          socket.close(1011, 'internal error');
          return;
        }
        void serveTail(socket, req, deps);
      },
    );
  });
}

async function serveTail(socket: WebSocket, req: TailRequest, deps: LokiTailDeps): Promise<void> {
  const send = (entries: readonly ResultEntry[]) => {
    if (entries.length === 0 || socket.readyState !== socket.OPEN) return;
    socket.send(`{"streams":${streamsJson(entries, false)},"dropped_entries":null}`);
  };
  // Subscribe first and hold live lines while the history is read, so none is missed; lines
  // that are in both are sent once.
  let backlog: ResultEntry[] | undefined = [];
  const unsubscribe = deps.tail.subscribe(req.expr, (entries) => {
    if (backlog) backlog.push(...entries);
    else send(entries);
  });
  const controller = new AbortController();
  socket.on('close', () => {
    unsubscribe();
    controller.abort();
  });
  socket.on('error', () => socket.terminate());
  try {
    const stats: QueryStats = { linesScanned: 0, bytesScanned: 0, entriesReturned: 0, execSeconds: 0 };
    const nowNs = BigInt(deps.now()) * 1_000_000n;
    const history =
      req.limit > 0 && req.startNs < nowNs
        ? await deps.engine.logQuery(
            req.expr,
            {
              startNs: req.startNs,
              endNs: nowNs + 1n,
              direction: 'backward',
              limit: req.limit,
              signal: controller.signal,
            },
            stats,
          )
        : [];
    history.reverse();
    const seen = new Set(history.map(entryKey));
    send(history);
    const pending = backlog ?? [];
    backlog = undefined;
    send(pending.filter((e) => !seen.has(entryKey(e))));
  } catch (err) {
    if (socket.readyState === socket.OPEN) socket.close(1011, (err as Error).message.slice(0, 120));
    unsubscribe();
  }
}

function entryKey(e: ResultEntry): string {
  return `${e.timestampNs}\u0000${labelsKey(e.labels)}\u0000${e.line}`;
}
