/**
 * HTTP access to Vigil's APIs. Every failure becomes an ApiError whose message is what the server
 * said (Prometheus's `error`, Alertmanager's and Loki's text bodies), so a failing panel shows
 * the server's reason rather than a blank space.
 */

/** A request that failed; `message` is the server's own explanation when it gave one. */
export class ApiError extends Error {
  constructor(
    message: string,
    /** HTTP status, or 0 when the server could not be reached. */
    readonly status: number,
    /** Prometheus's errorType (bad_data, execution, timeout ...), when present. */
    readonly errorType?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** True for the error a superseded (aborted) request rejects with; such errors are not shown. */
export function isAbort(err: unknown): boolean {
  return (err as { name?: string })?.name === 'AbortError';
}

export type QueryParams = Readonly<Record<string, string | number | readonly string[] | undefined>>;

/** `path` with `params` encoded as its query string; arrays repeat the key (match[]). */
export function buildUrl(path: string, params: QueryParams = {}): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) qs.append(k, item);
    else qs.set(k, String(v));
  }
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

export interface RequestOptions {
  readonly signal?: AbortSignal;
  readonly method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** A JSON body (sent as application/json), or form parameters (sent url-encoded). */
  readonly json?: unknown;
  readonly form?: QueryParams;
  readonly text?: string;
  readonly contentType?: string;
}

/** Sends a request and returns the parsed JSON body; throws ApiError. */
export async function requestJson<T>(url: string, options: RequestOptions = {}): Promise<T> {
  const res = await send(url, options);
  const text = await res.text();
  if (!res.ok) throw errorFrom(res, text, url);
  if (!text) return undefined as T;
  try {
    const body = JSON.parse(text) as unknown;
    const env = body as { status?: string; error?: string; errorType?: string };
    if (env && env.status === 'error')
      throw new ApiError(env.error ?? 'the query failed', res.status, env.errorType);
    return body as T;
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(`${url} answered something that is not JSON: ${text.slice(0, 200)}`, res.status);
  }
}

/** Sends a request and returns the body as text; throws ApiError. */
export async function requestText(url: string, options: RequestOptions = {}): Promise<string> {
  const res = await send(url, options);
  const text = await res.text();
  if (!res.ok) throw errorFrom(res, text, url);
  return text;
}

/** GET of a Prometheus-style `{status, data}` endpoint; resolves with `data`. */
export async function promGet<T>(path: string, params: QueryParams = {}, signal?: AbortSignal): Promise<T> {
  const body = await requestJson<{ data: T; warnings?: string[] }>(buildUrl(path, params), { signal });
  return body.data;
}

async function send(url: string, options: RequestOptions): Promise<Response> {
  const init: RequestInit = { method: options.method ?? 'GET', signal: options.signal, headers: {} };
  const headers = init.headers as Record<string, string>;
  headers.accept = 'application/json, text/plain;q=0.9';
  if (options.json !== undefined) {
    init.method = options.method ?? 'POST';
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.json);
  } else if (options.form) {
    init.method = options.method ?? 'POST';
    headers['content-type'] = 'application/x-www-form-urlencoded';
    init.body = buildUrl('', options.form).slice(1);
  } else if (options.text !== undefined) {
    init.method = options.method ?? 'POST';
    headers['content-type'] = options.contentType ?? 'text/plain';
    init.body = options.text;
  }
  try {
    return await fetch(url, init);
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new ApiError(`cannot reach Vigil (${(err as Error).message}); is the server running?`, 0);
  }
}

function errorFrom(res: Response, text: string, url: string): ApiError {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const body = JSON.parse(trimmed) as { error?: string; message?: string; errorType?: string };
      const message = body.error ?? body.message;
      if (message) return new ApiError(message, res.status, body.errorType);
    } catch {
      // Not JSON after all: fall through to the text.
    }
  }
  if (trimmed) return new ApiError(trimmed.replace(/^"|"$/g, ''), res.status);
  if (res.status === 404)
    return new ApiError(`${url.split('?')[0]} is not available on this server (404)`, 404);
  return new ApiError(`${url.split('?')[0]} failed with HTTP ${res.status} ${res.statusText}`, res.status);
}
