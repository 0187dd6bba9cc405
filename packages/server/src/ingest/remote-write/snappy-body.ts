/**
 * Snappy block format (not the framed stream format), as remote write uses it. The uncompressed
 * length is a varint at the start of the block, so a body that would inflate past the limit is
 * refused before any memory is spent on it.
 */
import snappy from 'snappy';
import { RemoteWriteDecodeError } from './decode-error.ts';

/** Thrown when the declared uncompressed size is over the limit; the handler answers 400 like Prometheus. */
export class DecompressedTooLargeError extends RemoteWriteDecodeError {}

/**
 * The uncompressed length a snappy block declares, or undefined when the header is not a valid
 * varint of at most 32 bits (Go's snappy.DecodedLen rejects the same inputs).
 */
export function snappyDecodedLength(block: Uint8Array): number | undefined {
  let value = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const b = block[i];
    value += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return i === 4 && b > 0x0f ? undefined : value;
  }
  return undefined;
}

/**
 * Decompresses a snappy block whose declared length is at most `maxBytes`. Throws
 * DecompressedTooLargeError when it is larger, RemoteWriteDecodeError when it is not snappy.
 */
export function decompressSnappyBlock(block: Uint8Array, maxBytes: number): Buffer {
  if (block.length === 0) {
    throw new RemoteWriteDecodeError('the body is empty; expected a snappy-compressed protobuf WriteRequest');
  }
  const length = snappyDecodedLength(block);
  if (length === undefined) {
    throw new RemoteWriteDecodeError(
      'the body is not snappy block format: it does not start with a valid uncompressed-length header (framed snappy is not accepted)',
    );
  }
  if (length > maxBytes) {
    throw new DecompressedTooLargeError(
      `the body would decompress to ${length} bytes, more than the ${maxBytes} bytes this server accepts (server.max_body_bytes); send smaller batches (queue_config.max_samples_per_send)`,
    );
  }
  try {
    // copyOutputData: the default hands back an external buffer, which bench/remote-write-decode.ts
    // measured at 4-6x slower for remote-write-sized bodies than copying into a V8 buffer.
    return snappy.uncompressSync(block, { asBuffer: true, copyOutputData: true }) as Buffer;
  } catch (err) {
    throw new RemoteWriteDecodeError(
      `the body is not valid snappy block format: ${(err as Error).message.replace(/^snappy: /, '')}`,
    );
  }
}
