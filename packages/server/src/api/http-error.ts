/**
 * The one error type HTTP handlers throw. It carries the status, a message for people, and, for
 * the Prometheus-compatible API, Prometheus's errorType. The server's error handler turns it into
 * a response in one place (api/server.ts).
 */
export type PromErrorType =
  | 'bad_data'
  | 'execution'
  | 'timeout'
  | 'canceled'
  | 'internal'
  | 'unavailable'
  | 'not_found'
  | 'not_acceptable';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errorType: PromErrorType = status >= 500 ? 'internal' : 'bad_data',
  ) {
    super(message);
  }
}

export function badRequest(message: string): HttpError {
  return new HttpError(400, message, 'bad_data');
}
