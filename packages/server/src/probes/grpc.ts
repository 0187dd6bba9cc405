/**
 * The gRPC prober, after prober/grpc.go: calls grpc.health.v1.Health/Check for the module's
 * service over plaintext or TLS and succeeds when the answer is SERVING. The health protocol's two
 * tiny messages are encoded by hand (field 1 of each), and the call itself is one HTTP/2 request
 * (healthCheck), so no generated code is needed and the TLS handshake can be reported.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type ClientHttp2Session, connect as connectHttp2, type OutgoingHttpHeaders } from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import type { ProbeModule } from '../config/probes.ts';
import type { ProbeContext } from './context.ts';
import { chooseProtocol, type Resolved } from './resolve.ts';
import { recordTlsMetrics, snapshotTls, type TlsSnapshot, tlsOptions } from './tls.ts';

/** grpc.health.v1.HealthCheckResponse.ServingStatus names by number. */
export const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

export const HEALTH_CHECK_METHOD = '/grpc.health.v1.Health/Check';

/** HealthCheckRequest{service} as protobuf bytes. */
export function encodeHealthRequest(service: string): Buffer {
  const s = Buffer.from(service, 'utf8');
  if (s.length === 0) return Buffer.alloc(0);
  return Buffer.concat([Buffer.from([0x0a]), varint(s.length), s]);
}

/** HealthCheckResponse bytes to its status number (0 when absent); unknown fields are skipped. */
export function decodeHealthResponse(buf: Buffer): number {
  let off = 0;
  let status = 0;
  const readVarint = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      if (off >= buf.length) throw new Error('truncated varint in HealthCheckResponse');
      const b = buf[off++];
      v += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return v;
      shift += 7;
      if (shift > 63) throw new Error('varint too long in HealthCheckResponse');
    }
  };
  while (off < buf.length) {
    const key = readVarint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      const v = readVarint();
      if (field === 1) status = v;
    } else if (wire === 2) off += readVarint();
    else if (wire === 1) off += 8;
    else if (wire === 5) off += 4;
    else throw new Error(`unsupported wire type ${wire} in HealthCheckResponse`);
  }
  return status;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

export async function probeGRPC(ctx: ProbeContext, target: string, module: ProbeModule): Promise<boolean> {
  const { registry, log } = ctx;
  const cfg = module.grpc;
  const durations = registry.gauge('probe_grpc_duration_seconds', 'Duration of gRPC request by phase', [
    'phase',
  ]);
  const isSSL = registry.gauge('probe_grpc_ssl', 'Indicates if SSL was used for the connection');
  const statusCode = registry.gauge('probe_grpc_status_code', 'Response gRPC status code');
  const healthResponse = registry.gauge('probe_grpc_healthcheck_response', 'Response HealthCheck response', [
    'serving_status',
  ]);
  durations.labels('resolve');
  isSSL.set(0);
  statusCode.set(0);

  const withScheme =
    target.startsWith('http://') || target.startsWith('https://') ? target : `http://${target}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (err) {
    log.error('Could not parse target URL', { err: err as Error });
    return false;
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let port = url.port;
  let resolved: Resolved;
  try {
    resolved = await chooseProtocol(ctx, cfg.preferred_ip_protocol, cfg.ip_protocol_fallback, host);
    durations.labels('resolve').add(resolved.lookupSeconds);
  } catch (err) {
    log.error('Error resolving address', { err: err as Error });
    return false;
  }
  if (port === '') port = cfg.tls ? '443' : '80';

  let tls: ConnectionOptions | undefined;
  try {
    if (cfg.tls) tls = await tlsOptions(cfg.tls_config, ctx.baseDir, cfg.tls_config.server_name || host);
    else log.debug('Dialing GRPC without TLS');
  } catch (err) {
    log.error('Error creating TLS configuration', { err: err as Error });
    return false;
  }

  const started = performance.now();
  const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const result = await healthCheck(ctx, {
    address: resolved.address,
    port: Number(port),
    authority,
    tls,
    service: cfg.service,
    metadata: cfg.metadata,
  });
  const serving = result.serving;
  const error = result.error;
  durations.labels('check').add((performance.now() - started) / 1000);
  for (const name of SERVING_STATUS) healthResponse.labels(name).set(0);
  if (serving !== undefined) healthResponse.labels(SERVING_STATUS[serving] ?? String(serving)).set(1);
  // The exporter reads the TLS state of the peer the call reached (grpc.Peer), answer or error.
  if (result.reachedServer) {
    isSSL.set(result.tlsState ? 1 : 0);
    if (result.tlsState)
      recordTlsMetrics(registry, result.tlsState, !cfg.tls_config.insecure_skip_verify, {
        cipher: false,
        lastChain: false,
      });
  }
  statusCode.set(result.code);
  if (error || serving !== 1) {
    log.error("can't connect grpc server:", {
      err: error ?? new Error(`serving status ${SERVING_STATUS[serving ?? 0]}`),
    });
    return false;
  }
  log.debug('connect the grpc server successfully');
  return true;
}

/** gRPC status codes used here (google.golang.org/grpc/codes). */
const CODE = { OK: 0, UNKNOWN: 2, DEADLINE_EXCEEDED: 4, INTERNAL: 13, UNAVAILABLE: 14 } as const;

/** What one Health/Check call came to. */
interface CheckResult {
  /** The serving status the server answered, when it answered OK. */
  readonly serving: number | undefined;
  /** The call's gRPC status code. */
  readonly code: number;
  readonly error: Error | undefined;
  /** Whether the call reached the server (it answered, possibly with an error status). */
  readonly reachedServer: boolean;
  readonly tlsState: TlsSnapshot | undefined;
}

/**
 * One unary grpc.health.v1.Health/Check call over a fresh HTTP/2 connection (TLS with ALPN h2, or
 * plaintext with prior knowledge), done by hand so the TLS handshake is visible for the
 * certificate series. Statuses follow grpc-go: a failed connection is UNAVAILABLE, the deadline
 * DEADLINE_EXCEEDED, a non-200 HTTP answer maps as the gRPC HTTP mapping says, and an answer
 * without grpc-status is INTERNAL.
 */
function healthCheck(
  ctx: ProbeContext,
  call: {
    readonly address: string;
    readonly port: number;
    readonly authority: string;
    readonly tls: ConnectionOptions | undefined;
    readonly service: string;
    readonly metadata: Readonly<Record<string, string | readonly string[]>>;
  },
): Promise<CheckResult> {
  return new Promise<CheckResult>((resolve) => {
    let settled = false;
    let tlsState: TlsSnapshot | undefined;
    let reachedServer = false;
    let session: ClientHttp2Session | undefined;
    const finish = (code: number, error: Error | undefined, serving?: number) => {
      if (settled) return;
      settled = true;
      ctx.signal.removeEventListener('abort', onAbort);
      session?.destroy();
      socket.destroy();
      resolve({ serving, code, error, reachedServer, tlsState });
    };
    const onAbort = () =>
      finish(
        CODE.DEADLINE_EXCEEDED,
        new Error('rpc error: code = DeadlineExceeded desc = context deadline exceeded'),
      );
    const unavailable = (err: Error) =>
      finish(
        CODE.UNAVAILABLE,
        new Error(`rpc error: code = Unavailable desc = connection error: ${err.message}`),
      );

    const socket: Socket = call.tls
      ? tlsConnect({ ...call.tls, host: call.address, port: call.port, ALPNProtocols: ['h2'] })
      : netConnect({ host: call.address, port: call.port });
    socket.on('error', unavailable);
    if (ctx.signal.aborted) return onAbort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });

    const start = () => {
      if (settled) return;
      if (call.tls) tlsState = snapshotTls(socket as TLSSocket);
      const s = connectHttp2(`${call.tls ? 'https' : 'http'}://${call.authority}`, {
        createConnection: () => socket,
      });
      session = s;
      s.on('error', unavailable);
      const headers: OutgoingHttpHeaders = {
        ':method': 'POST',
        ':scheme': call.tls ? 'https' : 'http',
        ':authority': call.authority,
        ':path': HEALTH_CHECK_METHOD,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': `${Math.max(1, Math.ceil(ctx.deadline - Date.now()))}m`,
      };
      for (const [k, v] of Object.entries(call.metadata)) headers[k.toLowerCase()] = v as string | string[];
      const message = encodeHealthRequest(call.service);
      const frame = Buffer.alloc(5 + message.length);
      frame.writeUInt32BE(message.length, 1);
      message.copy(frame, 5);
      let stream: ReturnType<ClientHttp2Session['request']>;
      try {
        stream = s.request(headers);
      } catch (err) {
        return unavailable(err as Error);
      }
      let httpStatus = 0;
      let grpcStatus: string | undefined;
      let grpcMessage = '';
      const chunks: Buffer[] = [];
      const statusFrom = (h: IncomingHttpHeaders) => {
        if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']);
        if (h['grpc-message'] !== undefined) grpcMessage = percentDecode(String(h['grpc-message']));
      };
      stream.on('response', (h) => {
        reachedServer = true;
        httpStatus = Number(h[':status']);
        statusFrom(h);
      });
      stream.on('trailers', statusFrom);
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', unavailable);
      // Closed without a complete answer (reset, or the peer does not speak HTTP/2 at all).
      stream.on('close', () =>
        reachedServer
          ? finish(CODE.INTERNAL, new Error('rpc error: code = Internal desc = stream closed before its end'))
          : unavailable(new Error('the connection closed before the server answered')),
      );
      stream.on('end', () => {
        if (!reachedServer) return unavailable(new Error('the connection closed before the server answered'));
        if (httpStatus !== 200) {
          const code = HTTP_TO_GRPC[httpStatus] ?? CODE.UNKNOWN;
          return finish(
            code,
            new Error(`rpc error: code = ${code} desc = unexpected HTTP status code ${httpStatus}`),
          );
        }
        if (grpcStatus === undefined)
          return finish(
            CODE.INTERNAL,
            new Error('rpc error: code = Internal desc = server closed the stream without sending trailers'),
          );
        const code = Number(grpcStatus);
        if (code !== CODE.OK)
          return finish(code, new Error(`rpc error: code = ${code} desc = ${grpcMessage}`));
        try {
          const body = Buffer.concat(chunks);
          if (body.length < 5 || body[0] !== 0) throw new Error('missing or compressed response message');
          const length = body.readUInt32BE(1);
          finish(CODE.OK, undefined, decodeHealthResponse(body.subarray(5, 5 + length)));
        } catch (err) {
          finish(CODE.INTERNAL, new Error(`rpc error: code = Internal desc = ${(err as Error).message}`));
        }
      });
      stream.end(frame);
    };
    if (call.tls) socket.once('secureConnect', start);
    else socket.once('connect', start);
  });
}

/** The gRPC status of a non-200 HTTP answer (grpc's HTTP-to-gRPC status mapping). */
const HTTP_TO_GRPC: Readonly<Record<number, number>> = {
  400: CODE.INTERNAL,
  401: 16,
  403: 7,
  404: 12,
  429: CODE.UNAVAILABLE,
  502: CODE.UNAVAILABLE,
  503: CODE.UNAVAILABLE,
  504: CODE.UNAVAILABLE,
};

/** grpc-message is percent-encoded; a malformed encoding is shown as sent rather than thrown. */
function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
