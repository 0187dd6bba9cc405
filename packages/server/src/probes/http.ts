/**
 * The HTTP prober, after the blackbox exporter's prober/http.go: resolves the target with the
 * module's IP preference, sends the configured request (following up to 10 redirects unless told
 * not to), checks status code, headers, body and TLS, and records the same series, including
 * probe_http_duration_seconds per phase summed over redirects. Over TLS it offers HTTP/2 by ALPN
 * (unless enable_http2 is false), as Go's client does, and falls back to HTTP/1.1.
 */

import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import {
  type ClientRequest,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';
import { connect as http2Connect, constants as http2Constants, type OutgoingHttpHeaders } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { RE2JS } from 're2js';
import type { HttpProbeConfig, ProbeModule } from '../config/probes.ts';
import { abortError, type ProbeContext, raceSignal, resolvePath } from './context.ts';
import { chooseProtocol } from './resolve.ts';
import { recordTlsMetrics, snapshotTls, TlsConfigError, type TlsSnapshot, tlsOptions } from './tls.ts';

/** The User-Agent sent unless the module sets one. */
export const PROBE_USER_AGENT = 'Vigil-Probe/1.0 (blackbox-exporter compatible)';

const MAX_REDIRECTS = 10;

/** Timings of one round trip, in performance.now() milliseconds (0 = did not happen). */
interface RoundTrip {
  tls: boolean;
  start: number;
  dnsDone: number;
  connectDone: number;
  tlsStart: number;
  tlsDone: number;
  gotConn: number;
  responseStart: number;
  end: number;
}

/**
 * What the prober reads of a response, from HTTP/1.1 (an IncomingMessage) or HTTP/2 (a client
 * stream with the response headers attached; see http2Response).
 */
type ProbeResponse = Readable &
  Pick<IncomingMessage, 'statusCode' | 'headers' | 'headersDistinct' | 'httpVersion'> & {
    /** HTTP/2 only: the response ended with its headers (Go then reports a content length of 0). */
    readonly endedWithHeaders?: boolean;
  };

interface Hop {
  readonly response: ProbeResponse | undefined;
  readonly error: Error | undefined;
  readonly tlsState: TlsSnapshot | undefined;
  readonly trip: RoundTrip;
}

export async function probeHTTP(ctx: ProbeContext, target: string, module: ProbeModule): Promise<boolean> {
  const { registry, log } = ctx;
  const cfg = module.http;
  const durations = registry.gauge(
    'probe_http_duration_seconds',
    'Duration of http request by phase, summed over all redirects',
    ['phase'],
  );
  const contentLength = registry.gauge('probe_http_content_length', 'Length of http content response');
  const bodyLength = registry.gauge(
    'probe_http_uncompressed_body_length',
    'Length of uncompressed response body',
  );
  const redirectsGauge = registry.gauge('probe_http_redirects', 'The number of redirects');
  const isSSL = registry.gauge('probe_http_ssl', 'Indicates if SSL was used for the final redirect');
  const statusCode = registry.gauge('probe_http_status_code', 'Response HTTP status code');
  const version = registry.gauge('probe_http_version', 'Returns the version of HTTP of the probe response');
  const failedDueToRegex = registry.gauge(
    'probe_failed_due_to_regex',
    'Indicates if probe failed due to regex',
  );
  failedDueToRegex.set(0);

  const lower = target.toLowerCase();
  const withScheme =
    lower.startsWith('http://') || lower.startsWith('https://') ? target : `http://${target}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (err) {
    log.error('Could not parse target URL', { err: err as Error });
    return false;
  }

  let resolved: Awaited<ReturnType<typeof chooseProtocol>>;
  try {
    resolved = await chooseProtocol(ctx, cfg.preferred_ip_protocol, cfg.ip_protocol_fallback, url.hostname);
  } catch (err) {
    durations.labels('resolve').add(0);
    log.error('Error resolving address', { err: err as Error });
    return false;
  }
  durations.labels('resolve').add(resolved.lookupSeconds);
  for (const phase of ['connect', 'tls', 'processing', 'transfer']) durations.labels(phase);

  const hostHeader = Object.entries(cfg.headers).find(([k]) => k.toLowerCase() === 'host')?.[1];
  const serverName = cfg.tls_config.server_name || hostHeader || url.hostname;

  let body: Buffer | undefined;
  try {
    if (cfg.body !== '') body = Buffer.from(cfg.body);
    else if (cfg.body_file !== '') body = await readFile(resolvePath(ctx.baseDir, cfg.body_file));
  } catch (err) {
    log.error('Error creating request', { err: err as Error });
    return false;
  }
  let auth: string | undefined;
  try {
    auth = await authorizationHeader(cfg, ctx.baseDir);
  } catch (err) {
    log.error('Error generating HTTP client', { err: err as Error });
    return false;
  }

  // The request loop: one hop per redirect.
  const hops: Hop[] = [];
  let method = cfg.method || 'GET';
  let current = url;
  let redirects = 0;
  let final: Hop | undefined;
  const firstHost = url.host;
  for (;;) {
    const sameHost = current.host === firstHost;
    let address: string;
    const trip: RoundTrip = emptyTrip(current.protocol === 'https:');
    if (hops.length === 0) {
      address = resolved.address;
    } else {
      // Redirects resolve like any Go client: system resolver, the time counted as "resolve".
      trip.start = performance.now();
      const name = stripBrackets(current.hostname);
      try {
        address = isIP(name) ? name : (await raceSignal(ctx.signal, lookup(name))).address;
      } catch (err) {
        log.error('Error for HTTP request', { err: err as Error });
        final = { response: undefined, error: err as Error, tlsState: undefined, trip };
        hops.push(final);
        break;
      }
      trip.dnsDone = performance.now();
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(cfg.headers)) if (k.toLowerCase() !== 'host') headers[k] = v;
    headers.Host = sameHost ? (hostHeader ?? current.host) : current.host;
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'user-agent'))
      headers['User-Agent'] = PROBE_USER_AGENT;
    if (auth && sameHost && !Object.keys(headers).some((k) => k.toLowerCase() === 'authorization'))
      headers.Authorization = auth;
    let hop: Hop;
    try {
      const tls =
        current.protocol === 'https:'
          ? await tlsOptions(cfg.tls_config, ctx.baseDir, sameHost ? serverName : current.hostname)
          : undefined;
      hop = await roundTrip(ctx, current, address, method, headers, body, tls, cfg.enable_http2, trip);
    } catch (err) {
      if (err instanceof TlsConfigError) {
        log.error('Error generating HTTP client', { err });
        return false;
      }
      throw err;
    }
    hops.push(hop);
    if (hop.error || !hop.response) {
      log.error('Error for HTTP request', { err: hop.error ?? new Error('no response') });
      final = hop;
      break;
    }
    const res = hop.response;
    const location = res.headers.location;
    const code = res.statusCode ?? 0;
    if (!isRedirect(code) || location === undefined) {
      final = hop;
      break;
    }
    log.info('Received redirect', { location });
    redirects = hops.length;
    if (redirects > MAX_REDIRECTS || !cfg.follow_redirects) {
      log.info('Not following redirect');
      final = { ...hop, error: new Error("don't follow redirects") };
      break;
    }
    res.resume();
    try {
      current = new URL(location, current);
    } catch (err) {
      final = { ...hop, error: err as Error };
      break;
    }
    if (code === 301 || code === 302 || code === 303) {
      if (method !== 'GET' && method !== 'HEAD') method = 'GET';
      body = undefined;
    }
  }

  let success = false;
  let bytesRead = 0;
  const res = final?.response;
  if (res) {
    const requestErrored = final!.error !== undefined;
    const code = res.statusCode ?? 0;
    log.debug('Received HTTP response', { status_code: code });
    if (cfg.valid_status_codes.length > 0) {
      success = cfg.valid_status_codes.includes(code);
      if (!success)
        log.error('Invalid HTTP response status code', {
          status_code: code,
          valid_status_codes: `[${cfg.valid_status_codes.join(' ')}]`,
        });
    } else if (code >= 200 && code < 300) {
      success = true;
    } else {
      log.error('Invalid HTTP response status code, wanted 2xx', { status_code: code });
    }

    if (success && (cfg.fail_if_header_matches.length > 0 || cfg.fail_if_header_not_matches.length > 0)) {
      success = matchHeaders(res, cfg, ctx);
      failedDueToRegex.set(success ? 0 : 1);
    }

    const needBody =
      success &&
      (cfg.fail_if_body_matches_regexp.length > 0 || cfg.fail_if_body_not_matches_regexp.length > 0);
    if (!requestErrored || needBody) {
      const read = await readBody(ctx, res, cfg);
      bytesRead = read.bytes;
      if (read.error) {
        if (read.error instanceof DecompressionError) {
          log.error('Failed to get decompressor for HTTP response body', { err: read.error });
        } else log.error('Failed to read HTTP response body', { err: read.error });
        success = false;
      } else if (needBody) {
        success = matchBody(read.body!, cfg, ctx);
        failedDueToRegex.set(success ? 0 : 1);
      }
      if (!requestErrored) final!.trip.end = performance.now();
    } else res.resume();

    const lastModified = res.headers['last-modified'];
    if (lastModified) {
      const t = Date.parse(lastModified);
      if (Number.isFinite(t))
        registry
          .gauge(
            'probe_http_last_modified_timestamp_seconds',
            'Returns the Last-Modified HTTP response header in unixtime',
          )
          .set(Math.floor(t / 1000));
    }
    version.set(Number(res.httpVersion));
    const proto = `HTTP/${res.httpVersion}`;
    if (cfg.valid_http_versions.length > 0 && !cfg.valid_http_versions.includes(proto)) {
      log.error('Invalid HTTP version number', { version: proto });
      success = false;
    }
  }

  for (const [i, { trip }] of hops.entries()) {
    if (i !== 0) durations.labels('resolve').add(msToS(trip.dnsDone - trip.start));
    if (trip.gotConn === 0) continue;
    if (trip.tls) {
      durations.labels('connect').add(msToS(trip.connectDone - trip.dnsDone));
      durations.labels('tls').add(msToS(trip.tlsDone - trip.tlsStart));
    } else durations.labels('connect').add(msToS(trip.gotConn - trip.dnsDone));
    if (trip.responseStart === 0) continue;
    durations.labels('processing').add(msToS(trip.responseStart - trip.gotConn));
    if (trip.end === 0) continue;
    durations.labels('transfer').add(msToS(trip.end - trip.responseStart));
  }

  if (res && final?.tlsState) {
    isSSL.set(1);
    recordTlsMetrics(registry, final.tlsState, !cfg.tls_config.insecure_skip_verify);
    if (cfg.fail_if_ssl) {
      log.error('Final request was over SSL');
      success = false;
    }
  } else if (cfg.fail_if_not_ssl && success) {
    log.error('Final request was not over SSL');
    success = false;
  }

  statusCode.set(res?.statusCode ?? 0);
  const cl = res?.headers['content-length'];
  contentLength.set(
    res ? (cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : res.endedWithHeaders ? 0 : -1) : 0,
  );
  bodyLength.set(bytesRead);
  redirectsGauge.set(redirects);
  return success;
}

function emptyTrip(tls: boolean): RoundTrip {
  return {
    tls,
    start: 0,
    dnsDone: 0,
    connectDone: 0,
    tlsStart: 0,
    tlsDone: 0,
    gotConn: 0,
    responseStart: 0,
    end: 0,
  };
}

function isRedirect(code: number): boolean {
  return code === 301 || code === 302 || code === 303 || code === 307 || code === 308;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function msToS(ms: number): number {
  return Math.max(0, ms) / 1000;
}

/**
 * One request/response exchange on a fresh connection to `address`; never rejects. Over TLS with
 * HTTP/2 enabled the connection offers h2 and http/1.1 by ALPN and the server's choice decides
 * the protocol, as in Go's client.
 */
function roundTrip(
  ctx: ProbeContext,
  url: URL,
  address: string,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  tls: Awaited<ReturnType<typeof tlsOptions>> | undefined,
  http2: boolean,
  trip: RoundTrip,
): Promise<Hop> {
  if (trip.dnsDone === 0) {
    // Connecting to an IP directly: the trip starts at the connect (Go's ConnectStart).
    trip.start = performance.now();
    trip.dnsDone = trip.start;
  }
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const exchange: Exchange = { ctx, url, address, port, method, headers, body, trip };
  if (tls && http2 && url.protocol === 'https:') return negotiate(exchange, tls);
  return http1Exchange(exchange, tls, undefined);
}

/** The request of one round trip. */
interface Exchange {
  readonly ctx: ProbeContext;
  readonly url: URL;
  readonly address: string;
  readonly port: number;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer | undefined;
  readonly trip: RoundTrip;
}

/** A TLS connection whose handshake is done, handed to the protocol the server chose. */
interface Connected {
  readonly socket: TLSSocket;
  readonly tlsState: TlsSnapshot;
}

/** Connects with TLS offering h2 and http/1.1, then runs the exchange in the negotiated protocol. */
function negotiate(x: Exchange, tls: Awaited<ReturnType<typeof tlsOptions>>): Promise<Hop> {
  const { ctx, trip } = x;
  return new Promise<Hop>((resolve) => {
    let settled = false;
    let socket: TLSSocket | undefined;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      ctx.signal.removeEventListener('abort', onAbort);
      socket?.destroy();
      resolve({ response: undefined, error: err, tlsState: undefined, trip });
    };
    const onAbort = () => fail(abortError(ctx.signal));
    if (ctx.signal.aborted) return onAbort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      socket = tlsConnect({ ...tls, host: x.address, port: x.port, ALPNProtocols: ['h2', 'http/1.1'] });
    } catch (err) {
      return fail(err as Error);
    }
    const s = socket;
    s.once('connect', () => {
      trip.connectDone = performance.now();
      trip.tlsStart = trip.connectDone;
    });
    s.on('error', fail);
    s.once('secureConnect', () => {
      trip.tlsDone = performance.now();
      trip.gotConn = trip.tlsDone;
      if (settled) return;
      settled = true;
      ctx.signal.removeEventListener('abort', onAbort);
      // From here the request (HTTP/1.1) or session (HTTP/2) handles errors; http.request attaches
      // its listener a tick later, so `fail` (now a no-op) stays attached to cover that gap.
      const connected = { socket: s, tlsState: snapshotTls(s) };
      resolve(s.alpnProtocol === 'h2' ? http2Exchange(x, connected) : http1Exchange(x, undefined, connected));
    });
  });
}

/** HTTP/1.1 on a new connection, or on `connected` (a finished TLS handshake) when given. */
function http1Exchange(
  x: Exchange,
  tls: Awaited<ReturnType<typeof tlsOptions>> | undefined,
  connected: Connected | undefined,
): Promise<Hop> {
  const { ctx, url, trip, body } = x;
  return new Promise<Hop>((resolve) => {
    let tlsState = connected?.tlsState;
    let settled = false;
    const done = (hop: Omit<Hop, 'trip' | 'tlsState'>) => {
      if (settled) return;
      settled = true;
      ctx.signal.removeEventListener('abort', onAbort);
      resolve({ ...hop, tlsState, trip });
    };
    const common = {
      host: x.address,
      port: x.port,
      method: x.method,
      path: `${url.pathname}${url.search}`,
      headers: body ? { ...x.headers, 'Content-Length': String(body.length) } : x.headers,
      setHost: false,
    };
    const options = connected
      ? { ...common, createConnection: () => connected.socket }
      : { ...common, agent: false as const, ...(tls ?? {}) };
    let req: ClientRequest;
    try {
      req = url.protocol === 'https:' ? httpsRequest(options) : httpRequest(options);
    } catch (err) {
      connected?.socket.destroy();
      done({ response: undefined, error: err as Error });
      return;
    }
    const onAbort = () => {
      req.destroy(abortError(ctx.signal));
    };
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener('abort', onAbort, { once: true });
    if (!connected) {
      req.on('socket', (socket: Socket) => {
        socket.once('connect', () => {
          trip.connectDone = performance.now();
          if (trip.tls) trip.tlsStart = trip.connectDone;
          else trip.gotConn = trip.connectDone;
        });
        if (trip.tls) {
          socket.once('secureConnect', () => {
            trip.tlsDone = performance.now();
            trip.gotConn = trip.tlsDone;
            tlsState = snapshotTls(socket as TLSSocket);
          });
        }
      });
    }
    req.on('response', (res) => {
      trip.responseStart = performance.now();
      done({ response: res, error: undefined });
    });
    req.on('error', (err) => done({ response: undefined, error: err }));
    req.end(body);
  });
}

/** Request headers HTTP/2 forbids (RFC 9113 8.2.2); Go's client drops them too. */
const CONNECTION_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

/** One HTTP/2 request on a session over `connected`; the session closes when the stream does. */
function http2Exchange(x: Exchange, connected: Connected): Promise<Hop> {
  const { ctx, url, trip, body } = x;
  return new Promise<Hop>((resolve) => {
    let settled = false;
    const session = http2Connect(`https://${url.host}`, { createConnection: () => connected.socket });
    const done = (response: ProbeResponse | undefined, error: Error | undefined) => {
      if (settled) return;
      settled = true;
      ctx.signal.removeEventListener('abort', onAbort);
      if (error) session.destroy();
      resolve({ response, error, tlsState: connected.tlsState, trip });
    };
    const onAbort = () => {
      const err = abortError(ctx.signal);
      session.destroy(err);
      done(undefined, err);
    };
    session.on('error', (err) => done(undefined, err));
    if (ctx.signal.aborted) return onAbort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const h2headers: OutgoingHttpHeaders = {
      ':method': x.method,
      ':scheme': 'https',
      ':authority': x.headers.Host ?? url.host,
      ':path': `${url.pathname}${url.search}`,
    };
    for (const [name, value] of Object.entries(x.headers)) {
      const lower = name.toLowerCase();
      if (lower !== 'host' && !CONNECTION_HEADERS.has(lower)) h2headers[lower] = value;
    }
    if (body) h2headers['content-length'] = String(body.length);
    try {
      const stream = session.request(h2headers, { endStream: !body });
      stream.on('response', (headers, flags) => {
        trip.responseStart = performance.now();
        const ended = (flags & http2Constants.NGHTTP2_FLAG_END_STREAM) !== 0;
        done(http2Response(stream, headers, ended), undefined);
      });
      stream.on('error', (err) => done(undefined, err));
      stream.once('close', () => session.close());
      if (body) stream.end(body);
    } catch (err) {
      done(undefined, err as Error);
    }
  });
}

/** An HTTP/2 stream dressed as the response the prober reads: status, headers and version. */
function http2Response(stream: Readable, received: IncomingHttpHeaders, ended: boolean): ProbeResponse {
  const headers: IncomingHttpHeaders = {};
  const headersDistinct: NodeJS.Dict<string[]> = {};
  for (const [name, value] of Object.entries(received)) {
    if (name.startsWith(':') || value === undefined) continue;
    headers[name] = value;
    headersDistinct[name] = Array.isArray(value) ? value : [String(value)];
  }
  return Object.assign(stream, {
    statusCode: Number(received[':status']),
    headers,
    headersDistinct,
    httpVersion: '2.0',
    endedWithHeaders: ended,
  });
}

class DecompressionError extends Error {}

/** Reads the body (decompressing and limiting as configured); keeps it only when regexes need it. */
async function readBody(
  ctx: ProbeContext,
  res: ProbeResponse,
  cfg: HttpProbeConfig,
): Promise<{ bytes: number; body?: Buffer; error?: Error }> {
  let stream: NodeJS.ReadableStream = res;
  const algorithm = cfg.compression;
  if (algorithm === 'gzip') stream = res.pipe(createGunzip());
  else if (algorithm === 'deflate') stream = res.pipe(createInflate());
  else if (algorithm === 'br') stream = res.pipe(createBrotliDecompress());
  const keep = cfg.fail_if_body_matches_regexp.length > 0 || cfg.fail_if_body_not_matches_regexp.length > 0;
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    await raceSignal(
      ctx.signal,
      new Promise<void>((resolve, reject) => {
        stream.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (cfg.body_size_limit > 0 && bytes > cfg.body_size_limit) {
            bytes = cfg.body_size_limit;
            res.destroy();
            reject(new Error('http: request body too large'));
            return;
          }
          if (keep) chunks.push(chunk);
        });
        stream.on('end', () => resolve());
        stream.on('error', (err: Error) =>
          reject(stream === res ? err : new DecompressionError(`${algorithm}: ${err.message}`)),
        );
        res.on('error', reject);
      }),
    );
  } catch (err) {
    res.destroy();
    return { bytes, error: err as Error };
  }
  return { bytes, body: keep ? Buffer.concat(chunks) : undefined };
}

function matchBody(body: Buffer, cfg: HttpProbeConfig, ctx: ProbeContext): boolean {
  const text = body.toString('utf8');
  for (const re of cfg.fail_if_body_matches_regexp) {
    if (RE2JS.compile(re).matcher(text).find()) {
      ctx.log.error('Body matched regular expression', { regexp: re });
      return false;
    }
  }
  for (const re of cfg.fail_if_body_not_matches_regexp) {
    if (!RE2JS.compile(re).matcher(text).find()) {
      ctx.log.error('Body did not match regular expression', { regexp: re });
      return false;
    }
  }
  return true;
}

function matchHeaders(res: ProbeResponse, cfg: HttpProbeConfig, ctx: ProbeContext): boolean {
  const values = (name: string): string[] => {
    const v = res.headersDistinct[name.toLowerCase()];
    return v ?? [];
  };
  for (const spec of cfg.fail_if_header_matches) {
    const vs = values(spec.header);
    if (vs.length === 0) {
      if (!spec.allow_missing) {
        ctx.log.error('Missing required header', { header: spec.header });
        return false;
      }
      continue;
    }
    const re = RE2JS.compile(spec.regexp);
    if (vs.some((v) => re.matcher(v).find())) {
      ctx.log.error('Header matched regular expression', {
        header: spec.header,
        regexp: spec.regexp,
        value_count: vs.length,
      });
      return false;
    }
  }
  for (const spec of cfg.fail_if_header_not_matches) {
    const vs = values(spec.header);
    if (vs.length === 0) {
      if (!spec.allow_missing) {
        ctx.log.error('Missing required header', { header: spec.header });
        return false;
      }
      continue;
    }
    const re = RE2JS.compile(spec.regexp);
    if (!vs.some((v) => re.matcher(v).find())) {
      ctx.log.error('Header did not match regular expression', {
        header: spec.header,
        regexp: spec.regexp,
        value_count: vs.length,
      });
      return false;
    }
  }
  return true;
}

/** The Authorization header from basic_auth, bearer_token(_file) or authorization. */
async function authorizationHeader(cfg: HttpProbeConfig, baseDir: string): Promise<string | undefined> {
  const file = async (path: string) => (await readFile(resolvePath(baseDir, path), 'utf8')).trim();
  if (cfg.basic_auth) {
    const password =
      cfg.basic_auth.password_file !== undefined
        ? await file(cfg.basic_auth.password_file)
        : (cfg.basic_auth.password ?? '');
    return `Basic ${Buffer.from(`${cfg.basic_auth.username}:${password}`).toString('base64')}`;
  }
  if (cfg.bearer_token !== undefined) return `Bearer ${cfg.bearer_token}`;
  if (cfg.bearer_token_file !== undefined) return `Bearer ${await file(cfg.bearer_token_file)}`;
  if (cfg.authorization) {
    const credentials =
      cfg.authorization.credentials_file !== undefined
        ? await file(cfg.authorization.credentials_file)
        : (cfg.authorization.credentials ?? '');
    return `${cfg.authorization.type} ${credentials}`;
  }
  return undefined;
}
