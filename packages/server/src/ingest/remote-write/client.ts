/**
 * A minimal remote write 1.0 sender for tests and benchmarks: encodes a WriteRequest with the
 * generated code, compresses it with snappy (block format) and POSTs it with the headers
 * Prometheus sends. No retries, queues or sharding; the caller sees exactly what the server said.
 */
import { create, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import snappy from 'snappy';
import { WriteRequestSchema } from '../../gen/remote_pb.ts';

/** A WriteRequest as plain data: `{ timeseries: [{ labels: [{ name, value }], samples: [{ value, timestamp }] }] }`. */
export type WriteRequestInit = MessageInitShape<typeof WriteRequestSchema>;

export interface RemoteWriteResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: Headers;
}

export interface SendOptions {
  /** Headers to add or override (e.g. a wrong Content-Type in a test); `undefined` removes one. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
}

/** The protobuf bytes of a WriteRequest, uncompressed. */
export function encodeWriteRequest(request: WriteRequestInit): Uint8Array {
  return toBinary(WriteRequestSchema, create(WriteRequestSchema, request));
}

/** The request body remote write sends: the WriteRequest's protobuf bytes in one snappy block. */
export function compressWriteRequest(request: WriteRequestInit): Buffer {
  return snappy.compressSync(encodeWriteRequest(request));
}

/** The headers Prometheus's remote write 1.0 sender sets (storage/remote/client.go). */
export const REMOTE_WRITE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
  'user-agent': 'vigil-remote-write-client',
};

/**
 * POSTs `body` (already encoded; see compressWriteRequest) to `url` with remote write's headers.
 * Example: `await postRemoteWrite(`${vigil.url}/api/v1/write`, compressWriteRequest({ timeseries }))`
 * gives `{ status: 204, body: '' }` when everything was stored.
 */
export async function postRemoteWrite(
  url: string,
  body: Uint8Array,
  options: SendOptions = {},
): Promise<RemoteWriteResponse> {
  const headers: Record<string, string> = { ...REMOTE_WRITE_HEADERS };
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value === undefined) delete headers[name.toLowerCase()];
    else headers[name.toLowerCase()] = value;
  }
  // The cast only narrows the buffer type for the DOM typings (the UI's e2e tests compile this file);
  // fetch sends any Uint8Array.
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: body as Uint8Array<ArrayBuffer>,
    signal: options.signal,
  });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** Encodes, compresses and POSTs one WriteRequest. */
export function sendWriteRequest(
  url: string,
  request: WriteRequestInit,
  options: SendOptions = {},
): Promise<RemoteWriteResponse> {
  return postRemoteWrite(url, compressWriteRequest(request), options);
}
