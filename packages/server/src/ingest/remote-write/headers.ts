/**
 * Request header checks for remote write, with Prometheus's answers (storage/remote/write_handler.go
 * and client_golang's exp/api/remote): a missing Content-Type or Content-Encoding means protobuf
 * and snappy, for senders that predate the 1.0 spec; anything else that is not
 * `application/x-protobuf` (optionally `;proto=prometheus.WriteRequest`) with `snappy` is a 415.
 * Remote write 2.0 (`proto=io.prometheus.write.v2.Request`) is refused with a 415 too, as
 * Prometheus does for a message type it is not configured to accept.
 *
 * X-Prometheus-Remote-Write-Version is not checked, as Prometheus does not check it: senders set
 * it inconsistently (0.1.0, 1.0, 2.0.0 with a 1.0 body), and the Content-Type decides the format.
 */

const PROTOBUF = 'application/x-protobuf';
const V1_MESSAGE = 'prometheus.WriteRequest';
const V2_MESSAGE = 'io.prometheus.write.v2.Request';

/** Why a request's headers are not acceptable (answered with 415), or undefined when they are. */
export function unsupportedMediaType(
  contentType: string | undefined,
  contentEncoding: string | undefined,
): string | undefined {
  if (contentType !== undefined && contentType.trim() !== '') {
    const problem = contentTypeProblem(contentType.trim());
    if (problem) return problem;
  }
  if (
    contentEncoding !== undefined &&
    contentEncoding !== '' &&
    contentEncoding.trim().toLowerCase() !== 'snappy'
  ) {
    return `${contentEncoding} encoding (compression) is not accepted by this server; only snappy is acceptable`;
  }
  return undefined;
}

function contentTypeProblem(contentType: string): string | undefined {
  const [media, ...params] = contentType.split(';');
  if (media.trim().toLowerCase() !== PROTOBUF) {
    return `expected ${PROTOBUF} as the first (media) part, got ${contentType} content-type`;
  }
  for (const param of params) {
    const pair = param.split('=');
    if (pair.length !== 2) {
      return `as per https://www.rfc-editor.org/rfc/rfc9110#parameter expected parameters to be key-values, got ${param} in ${contentType} content-type`;
    }
    if (pair[0].trim().toLowerCase() !== 'proto') continue;
    const message = pair[1].trim().replace(/^"(.*)"$/, '$1');
    if (message === V1_MESSAGE) return undefined;
    if (message === V2_MESSAGE) {
      return `${V2_MESSAGE} protobuf message is not accepted by this server; only accepts ${V1_MESSAGE} (remote write 1.0); set remote_write protobuf_message: ${V1_MESSAGE}`;
    }
    return `got ${contentType} content type; unknown type for remote write protobuf message ${message}, supported: ${V1_MESSAGE}`;
  }
  return undefined;
}
