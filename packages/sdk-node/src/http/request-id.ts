/** Request ids: taken from the incoming header when it looks like one, else generated. */
import { randomUUID } from 'node:crypto';

const SAFE = /^[\w.:@/+=-]{1,128}$/;

/**
 * The request id for a request: the incoming header's value if it is short and made of safe
 * characters (so it cannot inject anything into logs), otherwise a new UUID.
 */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && SAFE.test(value) ? value : randomUUID();
}
