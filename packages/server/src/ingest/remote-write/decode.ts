/**
 * The hot-path decoder for `prometheus.WriteRequest` (remote write 1.0), written by hand because
 * bench/remote-write-decode.ts shows it several times faster than the generated code: it reads
 * the wire format directly into the shapes storage wants (Float64Arrays, sorted label sets),
 * allocates no intermediate message objects, and decodes a series' labels only the first time
 * their bytes are seen (LabelCache).
 *
 * It follows protobuf's wire rules the way the Go decoder Prometheus uses does: fields in any
 * order, repeated scalars last-one-wins, unknown fields (groups included) skipped, a known field
 * with the wrong wire type or any truncation an error. Exemplars and native histograms are counted
 * and skipped without being parsed, since Vigil does not store them. Label strings are checked for
 * valid UTF-8; a series with invalid bytes is reported in `invalid` rather than failing the request.
 *
 * Fuzzed against decode-generated.ts in decode.test.ts. Only RemoteWriteDecodeError escapes.
 */

import type { Exemplar, SeriesExemplars } from '../../model/exemplar.ts';
import { sharedLabels } from '../../model/intern.ts';
import type { Label, Labels } from '../../model/labels.ts';
import type { SeriesSamples } from '../../model/sample.ts';
import type { MetricMetadata } from '../../storage/interface.ts';
import { RemoteWriteDecodeError } from './decode-error.ts';
import {
  buildLabels,
  type DecodedWriteRequest,
  describePairs,
  type InvalidSeries,
  metricTypeFromWire,
} from './decoded.ts';
import { hashKey, LabelCache } from './label-cache.ts';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;
const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32'];
const TWO_POW_32 = 4294967296;
const MAX_GROUP_DEPTH = 100;
const SLAB_SAMPLES = 8192;

// ignoreBOM: a leading U+FEFF in a protobuf string is text, not a byte-order mark.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });

export interface WriteRequestDecoderOptions {
  /**
   * Label sets cached per generation (LabelCache); 0 turns the cache off. Default 262144, so the
   * active series of a large single server stay cached; series beyond that are decoded as new.
   */
  readonly labelCacheEntries?: number;
  /** Encoded label bytes cached per generation. Default 64 MiB. */
  readonly labelCacheBytes?: number;
}

/**
 * Decodes uncompressed remote-write bodies. One instance is meant to live as long as the server so
 * its label cache stays warm; `decode` is synchronous, so concurrent requests cannot interleave.
 */
export class WriteRequestDecoder {
  private readonly cache: LabelCache;
  // Per-call state: the body being decoded and the read position.
  private buf: Uint8Array = new Uint8Array(0);
  private text: Latin1Buffer = Buffer.alloc(0) as Latin1Buffer;
  private view: DataView = new DataView(new ArrayBuffer(0));
  private pos = 0;
  // Label field ranges of the series being decoded when they are not contiguous (rare).
  private readonly ranges: number[] = [];
  // Exemplar field ranges (start, end) of the series being decoded.
  private readonly exemplarRanges: number[] = [];
  // Where sample arrays are carved from (samplesSlab).
  private slab = new Float64Array(0);
  private slabUsed = 0;

  constructor(options: WriteRequestDecoderOptions = {}) {
    this.cache = new LabelCache(options.labelCacheEntries ?? 262_144, options.labelCacheBytes ?? 64 << 20);
  }

  /** Label sets currently cached. */
  get cachedSeries(): number {
    return this.cache.size;
  }

  /**
   * Decodes one WriteRequest. The result owns its arrays (nothing points into `body`); label sets
   * may be shared with earlier results and must not be modified (they are readonly).
   * Throws RemoteWriteDecodeError, naming the byte offset, when the body is not a WriteRequest.
   */
  decode(body: Uint8Array): DecodedWriteRequest {
    this.buf = body;
    this.text = Buffer.from(body.buffer, body.byteOffset, body.byteLength) as Latin1Buffer;
    this.view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    this.pos = 0;
    const out: Output = {
      series: [],
      invalid: [],
      metadata: [],
      exemplars: [],
      histograms: 0,
    };
    try {
      const end = body.length;
      while (this.pos < end) {
        const tag = this.varint32(end);
        const field = tag >>> 3;
        const wire = tag & 7;
        if (field === 1 || field === 3) {
          this.expectWire(wire, WIRE_LEN, field === 1 ? 'WriteRequest.timeseries' : 'WriteRequest.metadata');
          const len = this.length(end);
          const start = this.pos;
          this.pos += len;
          if (field === 1) this.timeSeries(start, start + len, out);
          else this.metadata(start, start + len, out.metadata);
          this.pos = start + len;
        } else {
          this.skip(field, wire, end, 0);
        }
      }
    } finally {
      this.buf = new Uint8Array(0);
      this.text = Buffer.alloc(0) as Latin1Buffer;
      this.view = new DataView(new ArrayBuffer(0));
    }
    return out;
  }

  private timeSeries(start: number, end: number, out: Output): void {
    // Pass 1: count samples and find the label fields, without decoding either.
    this.pos = start;
    let samples = 0;
    let firstSample = -1;
    let firstSampleEnd = -1;
    let labelsStart = -1;
    let labelsEnd = -1;
    let contiguous = true;
    this.ranges.length = 0;
    this.exemplarRanges.length = 0;
    while (this.pos < end) {
      const fieldStart = this.pos;
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field >= 1 && field <= 4) {
        this.expectWire(wire, WIRE_LEN, TIME_SERIES_FIELDS[field]);
        const len = this.length(end);
        this.pos += len;
        if (field === 1) {
          if (labelsStart < 0) labelsStart = fieldStart;
          else if (fieldStart !== labelsEnd) contiguous = false;
          labelsEnd = this.pos;
          this.ranges.push(fieldStart, this.pos);
        } else if (field === 2) {
          if (samples++ === 0) {
            firstSample = fieldStart;
            firstSampleEnd = this.pos;
          }
        } else if (field === 3) this.exemplarRanges.push(this.pos - len, this.pos);
        else out.histograms++;
      } else {
        this.skip(field, wire, end, 0);
      }
    }
    if (samples === 0 && this.exemplarRanges.length === 0) return;

    const labels = this.labels(labelsStart, labelsEnd, contiguous);
    if (typeof labels === 'string') {
      if (samples > 0) out.invalid.push({ samples, message: labels });
      return;
    }
    if (this.exemplarRanges.length > 0) {
      const own: Exemplar[] = [];
      for (let r = 0; r < this.exemplarRanges.length; r += 2) {
        const e = this.exemplar(this.exemplarRanges[r], this.exemplarRanges[r + 1]);
        if (e) own.push(e);
      }
      if (own.length > 0) out.exemplars.push({ labels, exemplars: own });
    }
    if (samples === 0) return;

    // Pass 2: the samples, from the first one on (usually the only one: Prometheus sends one
    // sample per series per request in steady state).
    const timestamps = this.samplesSlab(samples);
    const values = this.samplesSlab(samples);
    if (samples === 1) {
      this.pos = firstSample;
      this.varint32(firstSampleEnd);
      const len = this.length(firstSampleEnd);
      this.sample(this.pos, this.pos + len, timestamps, values, 0);
    } else {
      let i = 0;
      this.pos = firstSample;
      while (this.pos < end) {
        const tag = this.varint32(end);
        const field = tag >>> 3;
        if (field >= 1 && field <= 4) {
          const len = this.length(end);
          const next = this.pos + len;
          if (field === 2) this.sample(this.pos, next, timestamps, values, i++);
          this.pos = next;
        } else {
          this.skip(field, tag & 7, end, 0);
        }
      }
    }
    out.series.push({ labels, timestamps, values });
  }

  /**
   * A Float64Array of `n` zeros carved from a shared slab: one view per series is about half the
   * cost of allocating each small array on its own. The slab is never reused; every view keeps
   * its slab alive for as long as the caller holds the result.
   */
  private samplesSlab(n: number): Float64Array {
    if (this.slabUsed + n > this.slab.length) {
      this.slab = new Float64Array(Math.max(SLAB_SAMPLES, n));
      this.slabUsed = 0;
    }
    const view = new Float64Array(this.slab.buffer, this.slabUsed * 8, n);
    this.slabUsed += n;
    return view;
  }

  /** Reads one Sample into slot `i`; absent fields are zero, repeated ones last-one-wins. */
  private sample(
    start: number,
    end: number,
    timestamps: Float64Array,
    values: Float64Array,
    i: number,
  ): void {
    this.pos = start;
    let t = 0;
    let v = 0;
    while (this.pos < end) {
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 1) {
        this.expectWire(wire, WIRE_FIXED64, 'Sample.value');
        if (this.pos + 8 > end) this.truncated('Sample.value');
        // DataView reads and Float64Array stores keep NaN payloads, so STALE_NAN survives.
        v = this.view.getFloat64(this.pos, true);
        this.pos += 8;
      } else if (field === 2) {
        this.expectWire(wire, WIRE_VARINT, 'Sample.timestamp');
        t = this.int64(end);
      } else {
        this.skip(field, wire, end, 0);
      }
    }
    timestamps[i] = t;
    values[i] = v;
  }

  /** One Exemplar message: labels (1), value (2), timestamp (3); undefined when its labels are unusable. */
  private exemplar(start: number, end: number): Exemplar | undefined {
    this.pos = start;
    const pairs: Label[] = [];
    let bad = false;
    let value = 0;
    let timestamp = 0;
    while (this.pos < end) {
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 1) {
        this.expectWire(wire, WIRE_LEN, 'Exemplar.labels');
        const len = this.length(end);
        const next = this.pos + len;
        const label = this.label(this.pos, next, false);
        if (label.bad) bad = true;
        pairs.push(label.pair);
        this.pos = next;
      } else if (field === 2) {
        this.expectWire(wire, WIRE_FIXED64, 'Exemplar.value');
        if (this.pos + 8 > end) this.truncated('Exemplar.value');
        value = this.view.getFloat64(this.pos, true);
        this.pos += 8;
      } else if (field === 3) {
        this.expectWire(wire, WIRE_VARINT, 'Exemplar.timestamp');
        timestamp = this.int64(end);
      } else {
        this.skip(field, wire, end, 0);
      }
    }
    const labels = buildLabels(pairs);
    if (bad || typeof labels === 'string') return undefined;
    return { labels, value, timestamp };
  }

  /** The series' label set from the cache, or decoded from its Label fields and cached. */
  private labels(start: number, end: number, contiguous: boolean): Labels | string {
    let keyView = this.view;
    let keyStart = start;
    let keyEnd = end;
    if (start < 0) keyStart = keyEnd = 0;
    else if (!contiguous) {
      // Label fields interleaved with others: the key is their bytes put together.
      const parts: Uint8Array[] = [];
      for (let r = 0; r < this.ranges.length; r += 2)
        parts.push(this.buf.subarray(this.ranges[r], this.ranges[r + 1]));
      const joined = Buffer.concat(parts);
      keyView = new DataView(joined.buffer, joined.byteOffset, joined.byteLength);
      keyStart = 0;
      keyEnd = joined.byteLength;
    }
    const hash = hashKey(keyView, keyStart, keyEnd);
    const cached = this.cache.get(hash, keyView, keyStart, keyEnd);
    if (cached !== undefined) return cached;

    const pairs: Label[] = [];
    let problem: string | undefined;
    const ranges = this.ranges;
    for (let r = 0; r < ranges.length; r += 2) {
      // Each range is a whole TimeSeries.labels field: its tag, length, then the Label message.
      this.pos = ranges[r];
      this.varint32(ranges[r + 1]);
      const len = this.length(ranges[r + 1]);
      const label = this.label(this.pos, this.pos + len);
      if (label.bad && problem === undefined) problem = label.bad;
      pairs.push(label.pair);
    }
    const labels = problem !== undefined ? `${describePairs(pairs)}: ${problem}` : buildLabels(pairs);
    this.cache.set(hash, keyView, keyStart, keyEnd, labels);
    return labels;
  }

  private label(start: number, end: number, share = true): { pair: Label; bad: string | undefined } {
    this.pos = start;
    let name = '';
    let value = '';
    let nameOk = true;
    let valueOk = true;
    while (this.pos < end) {
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 1 || field === 2) {
        this.expectWire(wire, WIRE_LEN, field === 1 ? 'Label.name' : 'Label.value');
        const len = this.length(end);
        const s = this.string(this.pos, this.pos + len);
        this.pos += len;
        if (field === 1) {
          name = s ?? lenientUtf8.decode(this.buf.subarray(this.pos - len, this.pos));
          nameOk = s !== undefined;
        } else {
          value = s ?? lenientUtf8.decode(this.buf.subarray(this.pos - len, this.pos));
          valueOk = s !== undefined;
        }
      } else {
        this.skip(field, wire, end, 0);
      }
    }
    const bad = !nameOk
      ? `label name ${JSON.stringify(name)} is not valid UTF-8`
      : !valueOk
        ? `value of label "${name}" is not valid UTF-8`
        : undefined;
    // Series label pairs repeat across series and are shared; exemplar labels (trace ids) are not.
    return { pair: share ? sharedLabels.label(name, value) : { name, value }, bad };
  }

  private metadata(start: number, end: number, out: MetricMetadata[]): void {
    this.pos = start;
    let type = 0;
    let metric = '';
    let help = '';
    let unit = '';
    while (this.pos < end) {
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 1) {
        this.expectWire(wire, WIRE_VARINT, 'MetricMetadata.type');
        type = this.varint32(end) | 0;
      } else if (field === 2 || field === 4 || field === 5) {
        this.expectWire(wire, WIRE_LEN, METADATA_FIELDS[field]);
        const len = this.length(end);
        // Metadata is informational: invalid bytes become U+FFFD instead of failing anything.
        const s = lenientUtf8.decode(this.buf.subarray(this.pos, this.pos + len));
        this.pos += len;
        if (field === 2) metric = s;
        else if (field === 4) help = s;
        else unit = s;
      } else {
        this.skip(field, wire, end, 0);
      }
    }
    if (metric !== '') out.push({ metric, type: metricTypeFromWire(type), help, unit });
  }

  /** The UTF-8 text of bytes [start, end), or undefined when they are not valid UTF-8. */
  private string(start: number, end: number): string | undefined {
    const buf = this.buf;
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (buf[i] >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return this.text.latin1Slice(start, end);
    try {
      return strictUtf8.decode(buf.subarray(start, end));
    } catch {
      return undefined;
    }
  }

  /** An unsigned varint truncated to 32 bits (tags, enums); at most 10 bytes, as protobuf allows. */
  private varint32(end: number): number {
    const buf = this.buf;
    let p = this.pos;
    if (p >= end) this.truncated('a varint');
    let b = buf[p++];
    if (b < 0x80) {
      this.pos = p;
      return b;
    }
    let v = b & 0x7f;
    for (let shift = 7; shift < 70; shift += 7) {
      if (p >= end) this.truncated('a varint');
      b = buf[p++];
      if (shift < 32) v |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = p;
        return v >>> 0;
      }
    }
    throw new RemoteWriteDecodeError(
      `invalid protobuf WriteRequest: varint longer than 10 bytes at byte ${this.pos}`,
    );
  }

  /**
   * A varint read as int64 and converted to the nearest double, as Number(BigInt) would: exact for
   * every millisecond timestamp, since those are far below 2^53.
   */
  private int64(end: number): number {
    const buf = this.buf;
    let p = this.pos;
    let lo = 0;
    let hi = 0;
    let b = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (p >= end) this.truncated('Sample.timestamp');
      b = buf[p++];
      const bits = b & 0x7f;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (shift - 32);
      if (b < 0x80) {
        this.pos = p;
        return (hi | 0) * TWO_POW_32 + (lo >>> 0);
      }
    }
    throw new RemoteWriteDecodeError(
      `invalid protobuf WriteRequest: varint longer than 10 bytes at byte ${this.pos}`,
    );
  }

  /** The length of a length-delimited field, checked against the enclosing message's end. */
  private length(end: number): number {
    const at = this.pos;
    const buf = this.buf;
    let p = at;
    let len = 0;
    let scale = 1;
    for (;;) {
      if (p >= end) this.truncated('a length');
      const b = buf[p++];
      len += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) break;
      if (p - at >= 10) {
        throw new RemoteWriteDecodeError(
          `invalid protobuf WriteRequest: varint longer than 10 bytes at byte ${at}`,
        );
      }
    }
    if (len > end - p) {
      throw new RemoteWriteDecodeError(
        `invalid protobuf WriteRequest: a field at byte ${at} claims ${len} bytes but only ${end - p} remain in its message (truncated body?)`,
      );
    }
    this.pos = p;
    return len;
  }

  /** Skips a field this decoder does not read, as the Go decoder would; `field` 0 is invalid. */
  private skip(field: number, wire: number, end: number, depth: number): void {
    const at = this.pos;
    if (field === 0) {
      throw new RemoteWriteDecodeError(
        `invalid protobuf WriteRequest: invalid field number 0 before byte ${at}`,
      );
    }
    switch (wire) {
      case WIRE_VARINT:
        this.varint32(end);
        return;
      case WIRE_FIXED64:
        if (this.pos + 8 > end) this.truncated('a fixed64 field');
        this.pos += 8;
        return;
      case WIRE_LEN: {
        const len = this.length(end); // before reading this.pos: length() moves it past the prefix
        this.pos += len;
        return;
      }
      case WIRE_FIXED32:
        if (this.pos + 4 > end) this.truncated('a fixed32 field');
        this.pos += 4;
        return;
      case WIRE_START_GROUP: {
        if (depth >= MAX_GROUP_DEPTH) {
          throw new RemoteWriteDecodeError(
            `invalid protobuf WriteRequest: groups nested too deeply at byte ${at}`,
          );
        }
        for (;;) {
          const tag = this.varint32(end);
          if ((tag & 7) === WIRE_END_GROUP) {
            if (tag >>> 3 !== field) {
              throw new RemoteWriteDecodeError(
                `invalid protobuf WriteRequest: group ${field} closed by a tag for ${tag >>> 3}`,
              );
            }
            return;
          }
          this.skip(tag >>> 3, tag & 7, end, depth + 1);
        }
      }
      default:
        throw new RemoteWriteDecodeError(
          `invalid protobuf WriteRequest: ${wire === WIRE_END_GROUP ? 'unexpected end-group tag' : `invalid wire type ${wire}`} for field ${field} before byte ${at}`,
        );
    }
  }

  private expectWire(wire: number, want: number, what: string): void {
    if (wire !== want) {
      throw new RemoteWriteDecodeError(
        `invalid protobuf WriteRequest: ${what} has wire type ${WIRE_NAMES[wire] ?? wire}, expected ${WIRE_NAMES[want]}, before byte ${this.pos}`,
      );
    }
  }

  private truncated(what: string): never {
    throw new RemoteWriteDecodeError(
      `invalid protobuf WriteRequest: the body ends inside ${what} at byte ${this.pos} (truncated?)`,
    );
  }
}

/**
 * Buffer's latin1Slice (public since Node 0.x, untyped in @types/node) is what toString('latin1')
 * calls, without the encoding dispatch; one char per byte, so it is also exact ASCII decoding.
 */
interface Latin1Buffer extends Buffer {
  latin1Slice(start: number, end: number): string;
}

const TIME_SERIES_FIELDS = [
  '',
  'TimeSeries.labels',
  'TimeSeries.samples',
  'TimeSeries.exemplars',
  'TimeSeries.histograms',
];
const METADATA_FIELDS: Record<number, string> = {
  2: 'MetricMetadata.metric_family_name',
  4: 'MetricMetadata.help',
  5: 'MetricMetadata.unit',
};

interface Output extends DecodedWriteRequest {
  readonly series: SeriesSamples[];
  readonly invalid: InvalidSeries[];
  readonly metadata: MetricMetadata[];
  readonly exemplars: SeriesExemplars[];
  histograms: number;
}
