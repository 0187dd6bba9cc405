/**
 * The TCP prober, after prober/tcp.go and query_response.go: connects (optionally with TLS), then
 * plays the module's query/response dialogue line by line: `expect` reads lines until one matches,
 * `expect_bytes` compares raw bytes, `send` writes a line (with ${1}-style groups of the last
 * match expanded), `starttls` upgrades the connection.
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { RE2JS } from 're2js';
import type { ProbeModule } from '../config/probes.ts';
import { abortError, type ProbeContext } from './context.ts';
import { chooseProtocol } from './resolve.ts';
import { recordTlsMetrics, snapshotTls, tlsOptions } from './tls.ts';

/** Go's net.SplitHostPort: `host:port` or `[v6]:port`; throws when the port is missing. */
export function splitHostPort(target: string): { host: string; port: string } {
  const m = /^\[([^\]]*)\]:([^:]*)$/.exec(target) ?? /^([^:[\]]*):([^:]*)$/.exec(target);
  if (!m) {
    throw new Error(
      target.includes(':') && !target.startsWith('[')
        ? `address ${target}: too many colons in address`
        : `address ${target}: missing port in address`,
    );
  }
  return { host: m[1], port: m[2] };
}

export async function probeTCP(ctx: ProbeContext, target: string, module: ProbeModule): Promise<boolean> {
  const { registry, log } = ctx;
  const cfg = module.tcp;
  const failedDueToRegex = registry.gauge(
    'probe_failed_due_to_regex',
    'Indicates if probe failed due to regex',
  );
  const failedDueToBytes = registry.gauge(
    'probe_failed_due_to_bytes',
    'Indicates if probe failed due to bytes',
  );
  let hostPort: { host: string; port: string };
  try {
    hostPort = splitHostPort(target);
  } catch (err) {
    log.error('Error splitting target address and port', { err: err as Error });
    return false;
  }
  let socket: Socket;
  try {
    const ip = await chooseProtocol(ctx, cfg.preferred_ip_protocol, cfg.ip_protocol_fallback, hostPort.host);
    socket = await dial(ctx, ip.address, Number(hostPort.port), module, hostPort.host);
  } catch (err) {
    log.error('Error dialing TCP', { err: err as Error });
    return false;
  }
  log.debug('Successfully dialed');
  const conn = new LineConn(socket, ctx.signal);
  try {
    if (cfg.tls)
      recordTlsMetrics(registry, snapshotTls(socket as TLSSocket), !cfg.tls_config.insecure_skip_verify, {
        cipher: false,
      });
    for (const [i, qr] of cfg.query_response.entries()) {
      log.debug('Processing query response entry', { entry_number: i });
      let send = qr.send ?? '';
      if (qr.expect !== undefined) {
        const re = RE2JS.compile(qr.expect);
        let groups: (string | null)[] | undefined;
        let names: Record<string, number> = {};
        let line: string | undefined;
        for (;;) {
          line = await conn.readLine();
          if (line === undefined) break;
          log.debug('Read line', { line });
          const m = re.matcher(line);
          if (m.find()) {
            groups = Array.from({ length: m.groupCount() + 1 }, (_, g) => m.group(g));
            names = re.namedGroups() as Record<string, number>;
            log.debug('Regexp matched', { regexp: qr.expect, line });
            break;
          }
        }
        if (conn.error) {
          log.error('Error reading from connection', { err: conn.error });
          return false;
        }
        if (!groups) {
          failedDueToRegex.set(1);
          log.error('Regexp did not match', { regexp: qr.expect, line: line ?? '' });
          return false;
        }
        failedDueToRegex.set(0);
        send = expandTemplate(send, groups, names);
        if (qr.labels) {
          const g = registry.gauge(
            'probe_expect_info',
            'Explicit content matched',
            qr.labels.map((l) => l.name),
          );
          g.labels(...qr.labels.map((l) => expandTemplate(l.value, groups!, names))).set(1);
        }
      }
      if (qr.expect_bytes !== undefined && qr.expect_bytes !== '') {
        const want = Buffer.from(qr.expect_bytes);
        const got = await conn.readBytes(want.length);
        if (conn.error && got.length === 0) {
          log.error('Error reading from connection', { err: conn.error });
          return false;
        }
        if (got.length < want.length) {
          log.error('Read less data than expected', { expected: qr.expect_bytes, bytes: got.toString() });
          return false;
        }
        if (!got.equals(want)) {
          failedDueToBytes.set(1);
          log.error('Bytes did not match', { expected: qr.expect_bytes, bytes: got.toString() });
          return false;
        }
        failedDueToBytes.set(0);
      }
      if (send !== '') {
        log.debug('Sending line', { line: send });
        if (!(await conn.write(`${send}\n`))) {
          log.error('Failed to send', { err: conn.error ?? new Error('connection closed') });
          return false;
        }
      }
      if (qr.starttls) {
        try {
          const opts = await tlsOptions(
            cfg.tls_config,
            ctx.baseDir,
            cfg.tls_config.server_name || hostPort.host,
          );
          const upgraded = await upgrade(ctx, conn.detach(), opts);
          conn.attach(upgraded);
          log.debug('TLS Handshake (client) succeeded.');
          recordTlsMetrics(registry, snapshotTls(upgraded), !cfg.tls_config.insecure_skip_verify, {
            cipher: false,
          });
        } catch (err) {
          log.error('TLS Handshake (client) failed', { err: err as Error });
          return false;
        }
      }
    }
    return true;
  } finally {
    conn.close();
  }
}

async function dial(
  ctx: ProbeContext,
  ip: string,
  port: number,
  module: ProbeModule,
  host: string,
): Promise<Socket> {
  const cfg = module.tcp;
  if (cfg.source_ip_address !== '' && !isIP(cfg.source_ip_address))
    throw new Error(`error parsing source ip address: ${cfg.source_ip_address}`);
  const localAddress = cfg.source_ip_address || undefined;
  const tls = cfg.tls
    ? await tlsOptions(cfg.tls_config, ctx.baseDir, cfg.tls_config.server_name || host)
    : undefined;
  const socket = await new Promise<Socket>((resolve, reject) => {
    const socket = netConnect({ host: ip, port, localAddress });
    const onAbort = () => socket.destroy(abortError(ctx.signal));
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      ctx.signal.removeEventListener('abort', onAbort);
      resolve(socket);
    });
    socket.once('error', (err) => {
      ctx.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(err);
    });
  });
  if (!tls) return socket;
  try {
    return await upgrade(ctx, socket, tls);
  } catch (err) {
    socket.destroy();
    throw err;
  }
}

/** Runs a TLS handshake over a connected socket. */
export function upgrade(
  ctx: ProbeContext,
  socket: Socket,
  opts: Awaited<ReturnType<typeof tlsOptions>>,
): Promise<TLSSocket> {
  return new Promise<TLSSocket>((resolve, reject) => {
    const tls = tlsConnect({ ...opts, socket });
    const onAbort = () => tls.destroy(abortError(ctx.signal));
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    tls.once('secureConnect', () => {
      ctx.signal.removeEventListener('abort', onAbort);
      resolve(tls);
    });
    tls.once('error', (err) => {
      ctx.signal.removeEventListener('abort', onAbort);
      reject(err);
    });
  });
}

/**
 * Go's regexp Expand: `$1`, `${1}`, `$name`, `${name}` become the groups of the match (empty
 * when absent), `$$` a dollar sign.
 */
export function expandTemplate(
  template: string,
  groups: readonly (string | null)[],
  names: Record<string, number>,
): string {
  return template.replace(
    /\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g,
    (_all, what: string, braced?: string, bare?: string) => {
      if (what === '$') return '$';
      const name = braced ?? bare ?? '';
      const index = /^\d+$/.test(name) ? Number(name) : names[name];
      return (index !== undefined ? groups[index] : undefined) ?? '';
    },
  );
}

/**
 * A socket read as lines (split on \n, a trailing \r removed, as Go's bufio.Scanner does) or as
 * raw bytes. Reads end with undefined at EOF, on error or at the deadline (then `error` is set).
 */
class LineConn {
  private buffer = Buffer.alloc(0);
  private ended = false;
  error: Error | undefined;
  private waiter: (() => void) | undefined;
  private socket: Socket;
  private readonly onData = (chunk: Buffer) => {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    this.wake();
  };
  private readonly onEnd = () => {
    this.ended = true;
    this.wake();
  };
  private readonly onError = (err: Error) => {
    this.error ??= err;
    this.ended = true;
    this.wake();
  };

  constructor(
    socket: Socket,
    private readonly signal: AbortSignal,
  ) {
    this.socket = socket;
    this.attach(socket);
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = () => {
    this.onError(abortError(this.signal));
  };

  attach(socket: Socket): void {
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.ended = false;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  /** Stops reading and hands the socket over (for a STARTTLS upgrade). */
  detach(): Socket {
    const s = this.socket;
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('close', this.onEnd);
    s.off('error', this.onError);
    return s;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  async readLine(): Promise<string | undefined> {
    for (;;) {
      const nl = this.buffer.indexOf(0x0a);
      if (nl >= 0) {
        let line = this.buffer.subarray(0, nl);
        this.buffer = this.buffer.subarray(nl + 1);
        if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
        return line.toString('utf8');
      }
      if (this.ended || this.error) {
        if (this.buffer.length > 0 && !this.error) {
          const rest = this.buffer.toString('utf8').replace(/\r$/, '');
          this.buffer = Buffer.alloc(0);
          return rest;
        }
        return undefined;
      }
      await this.wait();
    }
  }

  /** Up to n bytes: what arrives first (like one conn.Read), waiting until at least one byte. */
  async readBytes(n: number): Promise<Buffer> {
    while (this.buffer.length === 0 && !this.ended && !this.error) await this.wait();
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(out.length);
    return Buffer.from(out);
  }

  write(data: string): Promise<boolean> {
    if (this.error || this.socket.destroyed) return Promise.resolve(false);
    return new Promise((resolve) => this.socket.write(data, (err) => resolve(!err)));
  }

  close(): void {
    this.signal.removeEventListener('abort', this.onAbort);
    this.socket.destroy();
  }
}
