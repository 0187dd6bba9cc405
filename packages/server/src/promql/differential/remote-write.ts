/**
 * Sends the differential data set by remote write 1.0. The WriteRequest is encoded by hand here,
 * writing each sample value's eight bytes from a Float64Array, so the staleness marker's NaN
 * payload reaches the wire bit for bit (an encoder that passes values through plain JS numbers
 * may canonicalise it). Requests carry every series for a few minutes of data at a time, in time
 * order, which keeps Prometheus's head (it accepts samples at most one hour older than its
 * newest) happy.
 */
import snappy from 'snappy';
import { postRemoteWrite } from '../../ingest/remote-write/client.ts';
import type { DatasetSeries } from './dataset.ts';

const encoder = new TextEncoder();

/** Appends protobuf varints and length-delimited fields to a growing byte list. */
class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  varint(v: number): this {
    const bytes: number[] = [];
    while (v >= 0x80) {
      bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    bytes.push(v);
    return this.raw(Uint8Array.from(bytes));
  }

  raw(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    this.length += bytes.length;
    return this;
  }

  /** A length-delimited field (wire type 2). */
  message(field: number, body: Uint8Array): this {
    return this.varint((field << 3) | 2)
      .varint(body.length)
      .raw(body);
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

/** One TimeSeries message with the samples of `series` at indexes [from, to). */
function encodeTimeSeries(series: DatasetSeries, from: number, to: number): Uint8Array {
  const ts = new ProtoWriter();
  for (const [name, value] of series.labels) {
    const label = new ProtoWriter().message(1, encoder.encode(name)).message(2, encoder.encode(value));
    ts.message(1, label.bytes());
  }
  const valueBytes = new Uint8Array(8);
  const view = new DataView(valueBytes.buffer);
  for (let i = from; i < to; i++) {
    // Copy the double's bits straight from the Float64Array (little endian, as protobuf wants).
    view.setFloat64(0, series.values[i], true);
    const sample = new ProtoWriter()
      .varint((1 << 3) | 1) // value, fixed64
      .raw(valueBytes.slice())
      .varint(2 << 3) // timestamp, varint
      .varint(series.timestamps[i]);
    ts.message(2, sample.bytes());
  }
  return ts.bytes();
}

/**
 * Encodes the data set as snappy-compressed WriteRequests, each holding every series' samples in
 * one window of `windowMs`, windows in time order.
 */
export function encodeDataset(series: readonly DatasetSeries[], windowMs: number): Buffer[] {
  let minT = Number.POSITIVE_INFINITY;
  let maxT = Number.NEGATIVE_INFINITY;
  for (const s of series) {
    if (s.timestamps.length === 0) continue;
    minT = Math.min(minT, s.timestamps[0]);
    maxT = Math.max(maxT, s.timestamps[s.timestamps.length - 1]);
  }
  const cursors = series.map(() => 0);
  const bodies: Buffer[] = [];
  for (let windowEnd = minT + windowMs; ; windowEnd += windowMs) {
    const request = new ProtoWriter();
    series.forEach((s, i) => {
      const from = cursors[i];
      let to = from;
      while (to < s.timestamps.length && s.timestamps[to] < windowEnd) to++;
      if (to > from) request.message(1, encodeTimeSeries(s, from, to));
      cursors[i] = to;
    });
    bodies.push(snappy.compressSync(Buffer.from(request.bytes())));
    if (windowEnd > maxT) break;
  }
  return bodies;
}

/** POSTs every request to `writeUrl` in order; throws naming the system and its answer on a failure. */
export async function sendDataset(
  system: string,
  writeUrl: string,
  bodies: readonly Buffer[],
): Promise<void> {
  for (let i = 0; i < bodies.length; i++) {
    const res = await postRemoteWrite(writeUrl, bodies[i]);
    if (res.status < 200 || res.status >= 300)
      throw new Error(
        `${system} rejected remote-write request ${i + 1}/${bodies.length} with ${res.status}: ${res.body}`,
      );
  }
}
