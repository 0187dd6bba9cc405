import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isStaleNaN, STALE_NAN } from '../../model/sample.ts';
import { ChunkFormatError } from './bits.ts';
import { decodeChunk, decodeXorChunk, encodeChunk, XorAppender } from './xor.ts';

function bits(v: number): string {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, v);
  return b.getBigUint64(0).toString(16);
}

test('round-trips arbitrary timestamps and values bit for bit', () => {
  const sample = fc.tuple(fc.integer({ min: 0, max: 2 ** 40 }), fc.double());
  fc.assert(
    fc.property(
      fc.integer({ min: -(2 ** 45), max: 2 ** 45 }),
      fc.array(sample, { minLength: 1, maxLength: 300 }),
      (start, raw) => {
        let t = start;
        const ts: number[] = [];
        const vs = new Float64Array(raw.length);
        raw.forEach(([gap, v], i) => {
          t += i === 0 ? 0 : gap + 1;
          ts.push(t);
          vs[i] = v;
        });
        const out = decodeChunk(encodeChunk(ts, vs));
        assert.deepEqual([...out.ts], ts);
        assert.deepEqual([...out.vs].map(bits), [...vs].map(bits));
      },
    ),
    { numRuns: 300 },
  );
});

test('keeps the staleness marker and regular series compactly', () => {
  const a = new XorAppender();
  const n = 480;
  for (let i = 0; i < n; i++)
    a.append(1_700_000_000_000 + i * 15_000, i === n - 1 ? STALE_NAN : 1000 + i * 3);
  const bytes = a.bytes();
  const { ts, vs } = decodeChunk(bytes);
  assert.equal(ts.length, n);
  assert.ok(isStaleNaN(vs[n - 1]));
  assert.equal(vs[10], 1030);
  // A counter scraped every 15s: well under 2 bytes per sample.
  assert.ok(bytes.length / n < 2, `bytes per sample ${bytes.length / n}`);
});

test('decodes only the requested time range', () => {
  const ts = [0, 10, 20, 30, 40];
  const vs = new Float64Array([1, 2, 3, 4, 5]);
  const outT = new Float64Array(5);
  const outV = new Float64Array(5);
  const n = decodeXorChunk(encodeChunk(ts, vs), outT, outV, 0, 10, 30);
  assert.deepEqual([...outT.subarray(0, n)], [10, 20, 30]);
  assert.deepEqual([...outV.subarray(0, n)], [2, 3, 4]);
});

test('a truncated chunk is an error, never samples made up from missing bytes', () => {
  const ts = Array.from({ length: 50 }, (_, i) => i * 15_000 + (i % 7) * 1000);
  const vs = Float64Array.from(ts, (t, i) => Math.sin(i) * t);
  const full = encodeChunk(ts, vs);
  const outT = new Float64Array(50);
  const outV = new Float64Array(50);
  assert.equal(decodeXorChunk(full, outT, outV, 0), 50);
  for (let cut = 2; cut < full.length; cut++) {
    assert.throws(
      () => decodeXorChunk(full.subarray(0, cut), outT, outV, 0),
      ChunkFormatError,
      `cut at ${cut} of ${full.length} bytes`,
    );
  }
});
