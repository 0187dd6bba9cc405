/**
 * A realistic log workload for the logs benchmarks: a mix of JSON (half), logfmt (30%) and
 * nginx-style plain lines (20%) from `services` services with a few pods each; a third of the
 * JSON lines carry a trace id. Deterministic (seeded), so runs compare.
 */
export interface LogLine {
  readonly stream: number;
  readonly tsNs: bigint;
  readonly line: string;
  readonly traceId: string;
}

export interface LogWorkload {
  /** Stream label sets, indexed by LogLine.stream. */
  readonly streams: readonly Record<string, string>[];
  lines(count: number, startNs: bigint, spacingNs: bigint): Generator<LogLine>;
}

const PATHS = [
  '/api/users',
  '/api/orders',
  '/api/cart',
  '/health',
  '/api/products/123',
  '/login',
  '/static/app.js',
];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const MSGS = [
  'request completed',
  'cache miss',
  'user logged in',
  'connection reset by peer',
  'retrying upstream call',
  'slow query detected',
];
const LEVELS = ['info', 'info', 'info', 'info', 'debug', 'warn', 'error'];

export function logWorkload(services = 10, podsPerService = 5, seed = 42): LogWorkload {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const hex = (n: number) => {
    let out = '';
    for (let i = 0; i < n; i++) out += '0123456789abcdef'[Math.floor(rnd() * 16)];
    return out;
  };
  const streams: Record<string, string>[] = [];
  for (let i = 0; i < services; i++) {
    for (let p = 0; p < podsPerService; p++) {
      streams.push({ service: `svc-${i}`, pod: `svc-${i}-${p}`, env: i % 3 === 0 ? 'staging' : 'prod' });
    }
  }
  return {
    streams,
    *lines(count, startNs, spacingNs) {
      for (let i = 0; i < count; i++) {
        const tsNs = startNs + BigInt(i) * spacingNs;
        const t = new Date(Number(tsNs / 1_000_000n));
        const status = rnd() < 0.03 ? 500 : rnd() < 0.08 ? 404 : 200;
        const r = rnd();
        let line: string;
        let traceId = '';
        if (r < 0.5) {
          traceId = rnd() < 0.33 ? hex(32) : '';
          line = JSON.stringify({
            ts: t.toISOString(),
            level: pick(LEVELS),
            msg: pick(MSGS),
            method: pick(METHODS),
            path: pick(PATHS),
            status,
            duration_ms: Math.floor(rnd() * 500),
            user_id: Math.floor(rnd() * 10000),
          });
        } else if (r < 0.8) {
          line = `level=${pick(LEVELS)} ts=${t.toISOString()} caller=server.go:${Math.floor(rnd() * 300)} msg="${pick(MSGS)}" method=${pick(METHODS)} path=${pick(PATHS)} status=${status} duration=${Math.floor(rnd() * 900)}ms`;
        } else {
          line = `10.0.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)} - - [${t.toUTCString()}] "${pick(METHODS)} ${pick(PATHS)} HTTP/1.1" ${status} ${Math.floor(rnd() * 50000)} "-" "Mozilla/5.0 (X11; Linux x86_64)"`;
        }
        yield { stream: Math.floor(rnd() * streams.length), tsNs, line, traceId };
      }
    },
  };
}
