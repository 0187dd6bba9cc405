import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { HttpError } from '../http-error.ts';
import { type LiveLimits, LiveSession, type RangeQueryFunc } from './live-session.ts';

export type { RangeQueryFunc } from './live-session.ts';

export interface LiveOptions {
  /**
   * Evaluates PromQL over a range; main.ts passes
   * `(q, start, end, step, o) => engine.rangeQuery(storage, q, start, end, step, o)`.
   */
  readonly rangeQuery: RangeQueryFunc;
  readonly now?: () => number;
  /** How often subscriptions are checked for a new step (ms); default 1000. */
  readonly tickMs?: number;
  /** Open live connections allowed at once; default 200. */
  readonly maxConnections?: number;
  readonly limits?: Partial<LiveLimits>;
}

/** Where the live WebSocket is served. */
export const LIVE_PATH = '/api/vigil/v1/live';

const DEFAULT_LIMITS: LiveLimits = { maxSubscriptions: 100, minStep: 1000, maxCatchUpSteps: 60 };

/**
 * Live mode for dashboards: a WebSocket at /api/vigil/v1/live over which the UI subscribes to
 * PromQL queries and receives each new step's points as time passes (see live-session.ts for the
 * protocol). The upgrade goes through Fastify's router, so authentication applies as to every API.
 * Needs @fastify/websocket on the server, which createHttpServer registers.
 */
export function registerLive(app: FastifyInstance, options: LiveOptions): void {
  const now = options.now ?? Date.now;
  const tickMs = options.tickMs ?? 1000;
  const maxConnections = options.maxConnections ?? 200;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  let open = 0;

  const serve = (socket: WebSocket) => {
    const session = new LiveSession(
      options.rangeQuery,
      (message) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
      },
      now,
      limits,
    );
    open++;
    const timer = setInterval(() => void session.tick(), tickMs);
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        socket.send(JSON.stringify({ type: 'error', error: 'send JSON text frames, not binary' }));
        return;
      }
      session.handle(data.toString());
      void session.tick();
    });
    socket.on('close', () => {
      clearInterval(timer);
      session.close();
      open--;
    });
  };

  app.register(async (scope) => {
    if (!scope.hasDecorator('websocketServer')) {
      throw new Error(
        'registerLive needs @fastify/websocket registered on the server (createHttpServer does it)',
      );
    }
    scope.route({
      method: 'GET',
      url: LIVE_PATH,
      // Runs before the upgrade, so a refusal is a plain HTTP answer.
      preValidation: async () => {
        if (open >= maxConnections) {
          throw new HttpError(
            429,
            `too many live connections (at most ${maxConnections}); close other dashboards in live mode`,
          );
        }
      },
      handler: async () => {
        throw new HttpError(426, `${LIVE_PATH} is a WebSocket endpoint; connect with a WebSocket client`);
      },
      wsHandler: (socket: WebSocket) => serve(socket),
    });
  });
}
