import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { SecureVersion } from 'node:tls';
import { createGunzip } from 'node:zlib';
import { formatDuration } from '../../model/duration.ts';
import type { HttpClientSettings } from './config.ts';

/** Why a scrape failed; the `reason` label of vigil_scrape_failures_total. */
export type ScrapeFailureReason =
  | 'http' // connection problems and non-200 answers
  | 'timeout'
  | 'body_size_limit'
  | 'content_type'
  | 'parse'
  | 'sample_limit'
  | 'label_limit'
  | 'invalid_series'
  | 'target_limit'
  | 'config';

/** A failed scrape, with a message for people and a reason for metrics. */
export class ScrapeError extends Error {
  constructor(
    message: string,
    readonly reason: ScrapeFailureReason,
  ) {
    super(message);
  }
}

/** A successful (HTTP 200) scrape response. */
export interface ScrapeResponse {
  /** The uncompressed body. */
  readonly body: Buffer;
  readonly contentType: string | undefined;
}

/** Everything about a job that shapes its HTTP requests. */
export interface HttpScrapeOptions {
  readonly settings: HttpClientSettings;
  readonly accept: string;
  readonly enableCompression: boolean;
  readonly bodySizeLimit: number;
  readonly userAgent: string;
}

const MAX_REDIRECTS = 10;
const TLS_VERSIONS: Record<string, SecureVersion> = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
};

/**
 * Fetches expositions over HTTP(S) for one job, the way Prometheus's targetScraper does: one
 * keep-alive connection pool, Accept/Accept-Encoding/X-Prometheus-Scrape-Timeout-Seconds headers,
 * authentication (credential files re-read on every scrape so rotation works), TLS settings,
 * redirects, and hard limits on time and body size so a slow or hostile target cannot hurt the
 * server.
 */
export class HttpScraper {
  private agents: { http: http.Agent; https: https.Agent } | undefined;
  private agentError: string | undefined;

  constructor(private readonly options: HttpScrapeOptions) {}

  /** Closes idle connections. */
  close(): void {
    this.agents?.http.destroy();
    this.agents?.https.destroy();
  }

  /**
   * GETs `url`, failing after `timeoutMs` (the whole exchange, body included) or when `signal`
   * aborts. Throws ScrapeError.
   */
  async scrape(url: URL, timeoutMs: number, signal: AbortSignal): Promise<ScrapeResponse> {
    const agents = this.getAgents();
    const headers = await this.requestHeaders(timeoutMs);
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    try {
      let current = url;
      for (let hop = 0; ; hop++) {
        const res = await get(
          current,
          headers,
          current.protocol === 'https:' ? agents.https : agents.http,
          controller.signal,
        );
        const location = res.headers.location;
        if (isRedirect(res.statusCode) && location && this.options.settings.followRedirects) {
          res.resume();
          if (hop >= MAX_REDIRECTS)
            throw new ScrapeError(`GET ${url.href}: stopped after ${MAX_REDIRECTS} redirects`, 'http');
          current = new URL(location, current);
          continue;
        }
        if (res.statusCode !== 200) {
          res.resume();
          throw new ScrapeError(
            `GET ${current.href}: server returned HTTP status ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd(),
            'http',
          );
        }
        const body = await readBody(res, this.options.bodySizeLimit, current);
        return { body, contentType: res.headers['content-type'] };
      }
    } catch (err) {
      if (err instanceof ScrapeError) throw err;
      if (timedOut) {
        throw new ScrapeError(
          `GET ${url.href}: no complete answer within the scrape timeout (${formatDuration(timeoutMs)})`,
          'timeout',
        );
      }
      if (signal.aborted) throw new ScrapeError(`GET ${url.href}: scrape cancelled`, 'http');
      throw new ScrapeError(`GET ${url.href}: ${(err as Error).message}`, 'http');
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  private getAgents(): { http: http.Agent; https: https.Agent } {
    if (this.agentError) throw new ScrapeError(this.agentError, 'config');
    if (this.agents) return this.agents;
    const tls = this.options.settings.tls;
    const tlsOptions: https.AgentOptions = { keepAlive: true, maxSockets: 4 };
    if (tls) {
      try {
        tlsOptions.ca = tls.ca ?? (tls.caFile ? readFileSync(tls.caFile) : undefined);
        tlsOptions.cert = tls.cert ?? (tls.certFile ? readFileSync(tls.certFile) : undefined);
        tlsOptions.key = tls.key ?? (tls.keyFile ? readFileSync(tls.keyFile) : undefined);
      } catch (err) {
        this.agentError = `tls_config: ${(err as Error).message}`;
        throw new ScrapeError(this.agentError, 'config');
      }
      tlsOptions.rejectUnauthorized = !tls.insecureSkipVerify;
      if (tls.serverName) tlsOptions.servername = tls.serverName;
      if (tls.minVersion) tlsOptions.minVersion = TLS_VERSIONS[tls.minVersion];
      if (tls.maxVersion) tlsOptions.maxVersion = TLS_VERSIONS[tls.maxVersion];
    }
    this.agents = {
      http: new http.Agent({ keepAlive: true, maxSockets: 4 }),
      https: new https.Agent(tlsOptions),
    };
    return this.agents;
  }

  private async requestHeaders(timeoutMs: number): Promise<Record<string, string>> {
    const headers: Record<string, string> = {
      accept: this.options.accept,
      'accept-encoding': this.options.enableCompression ? 'gzip' : 'identity',
      'user-agent': this.options.userAgent,
      'x-prometheus-scrape-timeout-seconds': String(timeoutMs / 1000),
    };
    const { basicAuth, authorization } = this.options.settings;
    if (basicAuth) {
      const username = basicAuth.usernameFile
        ? await readSecret(basicAuth.usernameFile, 'username_file')
        : (basicAuth.username ?? '');
      const password = basicAuth.passwordFile
        ? await readSecret(basicAuth.passwordFile, 'password_file')
        : (basicAuth.password ?? '');
      headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    } else if (authorization) {
      const credentials = authorization.credentialsFile
        ? await readSecret(authorization.credentialsFile, 'credentials file')
        : (authorization.credentials ?? '');
      headers.authorization = `${authorization.type} ${credentials}`;
    }
    return headers;
  }
}

async function readSecret(path: string, what: string): Promise<string> {
  try {
    // Like Prometheus, trailing whitespace (the usual final newline) is not part of the secret.
    return (await readFile(path, 'utf8')).trimEnd();
  } catch (err) {
    throw new ScrapeError(`cannot read ${what} ${path}: ${(err as Error).message}`, 'config');
  }
}

function isRedirect(status: number | undefined): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function get(
  url: URL,
  headers: Record<string, string>,
  agent: http.Agent,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(url, { method: 'GET', headers, agent, signal }, resolve);
    req.on('error', reject);
    req.end();
  });
}

/** Reads (and gunzips) the body, failing as soon as it exceeds `limit` bytes. */
function readBody(res: IncomingMessage, limit: number, url: URL): Promise<Buffer> {
  const encoding = (res.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding !== 'gzip' && encoding !== 'identity' && encoding !== '') {
    res.resume();
    return Promise.reject(
      new ScrapeError(`GET ${url.href}: unsupported Content-Encoding ${JSON.stringify(encoding)}`, 'http'),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let rawSize = 0;
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      res.destroy();
      gunzip?.destroy();
      reject(err);
    };
    const tooLarge = () =>
      new ScrapeError(
        `GET ${url.href}: body is larger than the body size limit of ${limit} bytes (body_size_limit, or server.max_body_bytes when unset)`,
        'body_size_limit',
      );
    const gunzip = encoding === 'gzip' ? createGunzip() : undefined;
    const source = gunzip ?? res;
    res.on('data', (chunk: Buffer) => {
      rawSize += chunk.length;
      if (rawSize > limit) fail(tooLarge());
    });
    res.on('error', fail);
    res.on('close', () => {
      if (!res.complete) fail(new Error('connection closed before the body was complete'));
    });
    if (gunzip) {
      res.pipe(gunzip);
      gunzip.on('error', (err) =>
        fail(new ScrapeError(`GET ${url.href}: invalid gzip body: ${err.message}`, 'http')),
      );
    }
    source.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) fail(tooLarge());
      else chunks.push(chunk);
    });
    source.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, size));
    });
  });
}
