import { brotliCompressSync, constants, deflateRawSync } from 'node:zlib';
import snappy from 'snappy';
import { realisticRequest } from './gen.ts';

const buf = Buffer.from(realisticRequest(2000, 7));
// crude: compress the whole request in 64KB pages
let total = 0,
  comp = 0,
  compD = 0;
let t = performance.now();
for (let o = 0; o < buf.length; o += 65536) {
  const p = buf.subarray(o, o + 65536);
  total += p.length;
  comp += snappy.compressSync(p).length;
}
console.log('snappy ratio', total / comp, 'bytes/span', comp / 2000, 'ms', performance.now() - t);
t = performance.now();
for (let o = 0; o < buf.length; o += 65536) {
  const p = buf.subarray(o, o + 65536);
  compD += deflateRawSync(p, { level: 1 }).length;
}
console.log('deflate1 ratio', total / compD, 'bytes/span', compD / 2000, 'ms', performance.now() - t);
t = performance.now();
let compB = 0;
for (let o = 0; o < buf.length; o += 262144) {
  const p = buf.subarray(o, o + 262144);
  compB += deflateRawSync(p, { level: 6 }).length;
}
console.log('deflate6 256k ratio', total / compB, 'bytes/span', compB / 2000, 'ms', performance.now() - t);
