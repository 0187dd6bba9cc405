/**
 * The one error the remote-write decoders throw for bad input: the body is not a snappy block or
 * not a `prometheus.WriteRequest`. The handler turns it into a 400 with this message.
 */
export class RemoteWriteDecodeError extends Error {
  override readonly name = 'RemoteWriteDecodeError';
}
