/**
 * POSTing an OTLP/HTTP protobuf payload. Resolves to an outcome instead of throwing: callers are
 * background exporters that report failures and carry on.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** What came of one export. */
export type PostOutcome = { ok: true } | { ok: false; error: string };

/** POSTs `body` to `url` as application/x-protobuf, with a timeout. */
export function postProtobuf(
  url: string,
  body: Uint8Array,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<PostOutcome> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve({ ok: false, error: `invalid OTLP endpoint ${JSON.stringify(url)}` });
      return;
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/x-protobuf', 'content-length': body.length },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve({ ok: true });
          else {
            const text = Buffer.concat(chunks).toString('utf8').slice(0, 300);
            resolve({ ok: false, error: `${url} answered ${status}${text ? `: ${text}` : ''}` });
          }
        });
        res.on('error', (err) => resolve({ ok: false, error: `${url}: ${err.message}` }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ ok: false, error: `cannot send to ${url}: ${err.message}` }));
    req.end(body);
  });
}
