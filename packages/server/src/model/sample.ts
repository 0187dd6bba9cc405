/**
 * Sample values. A staleness marker is a NaN with a specific bit pattern (Prometheus's
 * value.StaleNaN, 0x7ff0000000000002); an ordinary NaN is a valid sample value.
 *
 * The bit pattern survives in Float64Array, DataView and object fields, but V8 may canonicalise
 * NaN payloads in plain JS arrays of doubles. Keep values that may be stale in Float64Arrays.
 */
const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = littleEndian ? 1 : 0;
const LO = littleEndian ? 0 : 1;

export const STALE_NAN: number = (() => {
  scratchWords[HI] = 0x7ff00000;
  scratchWords[LO] = 0x00000002;
  return scratch[0];
})();

export function isStaleNaN(value: number): boolean {
  if (!Number.isNaN(value)) return false;
  scratch[0] = value;
  return scratchWords[HI] === 0x7ff00000 && scratchWords[LO] === 0x00000002;
}

/** One series with its samples in time order; timestamps are Unix milliseconds. */
export interface SeriesSamples<L = import('./labels.ts').Labels> {
  readonly labels: L;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}
