/**
 * The HTTP client receivers use: node's http/https with the settings of Alertmanager's
 * `http_config` (basic auth, authorization header, TLS with custom CA and client certificates,
 * redirects), a deadline from the flush, and Alertmanager's rule for which failures to retry.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { HttpConfig } from '../../config/alerting.ts';
import { NotifyError } from './notifier.ts';

export const USER_AGENT = 'Alertmanager/0.25.0 (Vigil)';

// Connections are reused between notifications, as Go's HTTP client does.
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const httpsAgents = new Map<string, https.Agent>();

/** One keep-alive agent per TLS setup (agents pool connections per host and TLS options). */
function httpsAgent(key: string): https.Agent {
  let agent = httpsAgents.get(key);
  if (!agent) {
    agent = new https.Agent({ keepAlive: true, maxSockets: 64 });
    httpsAgents.set(key, agent);
  }
  return agent;
}

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal: AbortSignal;
  readonly httpConfig: HttpConfig;
}

/**
 * Sends a request; network failures become retryable NotifyErrors whose message does not
 * include the URL (it may hold a secret, as Slack's does), as Alertmanager's RedactURL.
 */
export async function request(url: string, options: RequestOptions, redirects = 0): Promise<HttpResponse> {
  const u = new URL(url);
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...options.headers };
  const auth = authorizationHeader(options.httpConfig);
  if (auth) headers.authorization = auth;
  const body = options.body === undefined ? undefined : Buffer.from(options.body, 'utf8');
  if (body) headers['content-length'] = String(body.length);
  const isHttps = u.protocol === 'https:';
  const tls = options.httpConfig.tls_config;
  const response = await new Promise<HttpResponse & { location?: string }>((resolve, reject) => {
    const req = (isHttps ? https : http).request(
      u,
      {
        method: options.method ?? 'POST',
        headers,
        signal: options.signal,
        agent: isHttps ? httpsAgent(JSON.stringify(tls)) : httpAgent,
        ...(isHttps
          ? {
              ca: tls.ca ?? (tls.ca_file ? readFileSync(tls.ca_file) : undefined),
              cert: tls.cert ?? (tls.cert_file ? readFileSync(tls.cert_file) : undefined),
              key: tls.key ?? (tls.key_file ? readFileSync(tls.key_file) : undefined),
              servername: tls.server_name,
              rejectUnauthorized: !tls.insecure_skip_verify,
            }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          // Keep only what an error message needs.
          if (size < 64 * 1024) chunks.push(c);
          size += c.length;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            location: res.headers.location,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  }).catch((err: Error) => {
    if (options.signal.aborted)
      throw new NotifyError(
        `request canceled: ${String(options.signal.reason?.message ?? options.signal.reason)}`,
        true,
      );
    throw new NotifyError(`${options.method ?? 'POST'} to ${u.protocol}//${u.host}: ${err.message}`, true);
  });
  if (
    options.httpConfig.follow_redirects &&
    [301, 302, 303, 307, 308].includes(response.status) &&
    response.location &&
    redirects < 10
  ) {
    const next = new URL(response.location, u).toString();
    // Go's client turns a redirected POST into a GET except for 307 and 308.
    const keep = response.status === 307 || response.status === 308;
    return request(next, keep ? options : { ...options, method: 'GET', body: undefined }, redirects + 1);
  }
  return response;
}

function authorizationHeader(c: HttpConfig): string | undefined {
  if (c.basic_auth) {
    const user = c.basic_auth.username_file
      ? readSecretFile(c.basic_auth.username_file)
      : c.basic_auth.username;
    const pass = c.basic_auth.password_file
      ? readSecretFile(c.basic_auth.password_file)
      : (c.basic_auth.password ?? '');
    return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  }
  if (c.authorization) {
    const creds = c.authorization.credentials_file
      ? readSecretFile(c.authorization.credentials_file)
      : (c.authorization.credentials ?? '');
    return `${c.authorization.type} ${creds}`;
  }
  return undefined;
}

/** Reads a secret from a file, trimmed; failures are not retryable (the file will not appear by itself). */
export function readSecretFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new NotifyError(`cannot read ${path}: ${(err as Error).message}`, false);
  }
}

/**
 * Alertmanager's Retrier.Check: 2xx succeeds; 5xx and the given extra codes are retried; anything
 * else fails for good. The error carries the status and the response body.
 */
export function checkResponse(
  res: HttpResponse,
  retryCodes: readonly number[] = [],
  detailPrefix = '',
): void {
  if (res.status >= 200 && res.status < 300) return;
  const retry = Math.floor(res.status / 100) === 5 || retryCodes.includes(res.status);
  const details = `${detailPrefix}${res.body}`.trim();
  throw new NotifyError(`unexpected status code ${res.status}${details ? `: ${details}` : ''}`, retry);
}
