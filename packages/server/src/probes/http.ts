/**
 * The HTTP prober, after the blackbox exporter's prober/http.go: resolves the target with the
 * module's IP preference, sends the configured request (following up to 10 redirects unless told
 * not to), checks status code, headers, body and TLS, and records the same series, including
 * probe_http_duration_seconds per phase summed over redirects. HTTP/1.1 only.
 */

import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
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

interface Hop {
  readonly response: IncomingMessage | undefined;
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
      hop = await roundTrip(ctx, current, address, method, headers, body, tls, trip);
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
  contentLength.set(res ? (cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : -1) : 0);
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

/** One request/response exchange on a fresh connection to `address`; never rejects. */
function roundTrip(
  ctx: ProbeContext,
  url: URL,
  address: string,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  tls: Awaited<ReturnType<typeof tlsOptions>> | undefined,
  trip: RoundTrip,
): Promise<Hop> {
  return new Promise<Hop>((resolve) => {
    let tlsState: TlsSnapshot | undefined;
    let settled = false;
    const done = (hop: Omit<Hop, 'trip' | 'tlsState'>) => {
      if (settled) return;
      settled = true;
      ctx.signal.removeEventListener('abort', onAbort);
      resolve({ ...hop, tlsState, trip });
    };
    if (trip.dnsDone === 0) {
      // Connecting to an IP directly: the trip starts at the connect (Go's ConnectStart).
      trip.start = performance.now();
      trip.dnsDone = trip.start;
    }
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    const options = {
      host: address,
      port,
      method,
      path: `${url.pathname}${url.search}`,
      headers: body ? { ...headers, 'Content-Length': String(body.length) } : headers,
      agent: false as const,
      setHost: false,
      ...(tls ?? {}),
    };
    let req: ClientRequest;
    try {
      req = url.protocol === 'https:' ? httpsRequest(options) : httpRequest(options);
    } catch (err) {
      done({ response: undefined, error: err as Error });
      return;
    }
    const onAbort = () => {
      req.destroy(abortError(ctx.signal));
    };
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener('abort', onAbort, { once: true });
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
    req.on('response', (res) => {
      trip.responseStart = performance.now();
      done({ response: res, error: undefined });
    });
    req.on('error', (err) => done({ response: undefined, error: err }));
    req.end(body);
  });
}

class DecompressionError extends Error {}

/** Reads the body (decompressing and limiting as configured); keeps it only when regexes need it. */
async function readBody(
  ctx: ProbeContext,
  res: IncomingMessage,
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

function matchHeaders(res: IncomingMessage, cfg: HttpProbeConfig, ctx: ProbeContext): boolean {
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
