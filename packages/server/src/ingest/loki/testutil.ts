/**
 * Builds Loki push requests in protobuf for tests and benchmarks, with @bufbuild/protobuf's
 * generic BinaryWriter (so the hand-written decoder is checked against an independent encoder).
 */
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import snappy from 'snappy';

export interface TestPushStream {
  readonly labels: string;
  readonly entries: readonly { ts: bigint; line: string; metadata?: readonly [string, string][] }[];
}

/** The PushRequest bytes, uncompressed. */
export function encodePushRequest(streams: readonly TestPushStream[]): Uint8Array {
  const w = new BinaryWriter();
  for (const s of streams) {
    w.tag(1, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited).string(s.labels);
    for (const e of s.entries) {
      w.tag(2, WireType.LengthDelimited).fork();
      const seconds = e.ts >= 0n ? e.ts / 1_000_000_000n : -((-e.ts + 999_999_999n) / 1_000_000_000n);
      const nanos = Number(e.ts - seconds * 1_000_000_000n);
      w.tag(1, WireType.LengthDelimited).fork();
      if (seconds !== 0n) w.tag(1, WireType.Varint).int64(seconds);
      if (nanos !== 0) w.tag(2, WireType.Varint).int32(nanos);
      w.join();
      if (e.line !== '') w.tag(2, WireType.LengthDelimited).string(e.line);
      for (const [name, value] of e.metadata ?? []) {
        w.tag(3, WireType.LengthDelimited)
          .fork()
          .tag(1, WireType.LengthDelimited)
          .string(name)
          .tag(2, WireType.LengthDelimited)
          .string(value)
          .join();
      }
      w.join();
    }
    w.join();
  }
  return w.finish();
}

/** Snappy-compressed, as the push API takes it. */
export function compressPushRequest(streams: readonly TestPushStream[]): Buffer {
  return snappy.compressSync(Buffer.from(encodePushRequest(streams)));
}
