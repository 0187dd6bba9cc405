/**
 * The gRPC prober, after prober/grpc.go: calls grpc.health.v1.Health/Check for the module's
 * service over plaintext or TLS and succeeds when the answer is SERVING. The health protocol's two
 * tiny messages are encoded by hand (field 1 of each), so no generated code is needed.
 */
import {
  type CallOptions,
  type ChannelCredentials,
  Client,
  credentials,
  Metadata,
  type ServiceError,
} from '@grpc/grpc-js';
import type { ProbeModule } from '../config/probes.ts';
import type { ProbeContext } from './context.ts';
import { chooseProtocol } from './resolve.ts';
import { tlsOptions } from './tls.ts';

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
  try {
    const ip = await chooseProtocol(ctx, cfg.preferred_ip_protocol, cfg.ip_protocol_fallback, host);
    durations.labels('resolve').add(ip.lookupSeconds);
  } catch (err) {
    log.error('Error resolving address', { err: err as Error });
    return false;
  }
  if (port === '') port = cfg.tls ? '443' : '80';

  let creds: ChannelCredentials;
  const channelOptions: Record<string, string | number> = {};
  try {
    if (cfg.tls) {
      const serverName = cfg.tls_config.server_name || host;
      const opts = await tlsOptions(cfg.tls_config, ctx.baseDir, serverName);
      creds = credentials.createSsl(
        opts.ca ? Buffer.from(opts.ca as string) : null,
        opts.key ? Buffer.from(opts.key as string) : null,
        opts.cert ? Buffer.from(opts.cert as string) : null,
        {
          rejectUnauthorized: opts.rejectUnauthorized,
          checkServerIdentity: opts.checkServerIdentity as never,
        },
      );
      if (serverName !== host) channelOptions['grpc.ssl_target_name_override'] = serverName;
    } else {
      log.debug('Dialing GRPC without TLS');
      creds = credentials.createInsecure();
    }
  } catch (err) {
    log.error('Error creating TLS configuration', { err: err as Error });
    return false;
  }

  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const client = new Client(address, creds, channelOptions);
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(cfg.metadata))
    for (const value of Array.isArray(v) ? v : [v]) metadata.add(k, value);
  const started = performance.now();
  const onAbort = () => client.close();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let serving: number | undefined;
  let error: ServiceError | undefined;
  try {
    serving = await new Promise<number>((resolve, reject) => {
      const options: CallOptions = { deadline: deadlineOf(ctx) };
      client.makeUnaryRequest(
        HEALTH_CHECK_METHOD,
        (req: Buffer) => req,
        (res: Buffer) => decodeHealthResponse(res),
        encodeHealthRequest(cfg.service),
        metadata,
        options,
        (err, value) => (err ? reject(err) : resolve(value ?? 0)),
      );
    });
  } catch (err) {
    error = err as ServiceError;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    client.close();
  }
  durations.labels('check').add((performance.now() - started) / 1000);
  for (const name of SERVING_STATUS) healthResponse.labels(name).set(0);
  if (serving !== undefined) {
    healthResponse.labels(SERVING_STATUS[serving] ?? String(serving)).set(1);
    isSSL.set(cfg.tls ? 1 : 0);
  }
  // A status code of 2 (UNKNOWN) stands for errors that carry none, as Go's status.FromError says.
  statusCode.set(error ? (typeof error.code === 'number' ? error.code : 2) : 0);
  if (error || serving !== 1) {
    log.error("can't connect grpc server:", {
      err: error ?? new Error(`serving status ${SERVING_STATUS[serving ?? 0]}`),
    });
    return false;
  }
  log.debug('connect the grpc server successfully');
  return true;
}

/** The probe's deadline as a Date, from the abort signal's timer (kept on the context). */
function deadlineOf(ctx: ProbeContext): Date {
  return new Date(ctx.deadline);
}
