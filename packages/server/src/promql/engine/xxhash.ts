/**
 * XXH64, needed only to reproduce Prometheus's Labels.Hash() exactly: limit_ratio() picks series
 * by hash, and users expect the same series as from Prometheus.
 */
import type { Labels } from '../../model/labels.ts';

const MASK = (1n << 64n) - 1n;
const P1 = 11400714785074694791n;
const P2 = 14029467366897019727n;
const P3 = 1609587929392839161n;
const P4 = 9650029242287828579n;
const P5 = 2870177450012600261n;

function rotl(x: bigint, r: bigint): bigint {
  return ((x << r) | (x >> (64n - r))) & MASK;
}

function round(acc: bigint, input: bigint): bigint {
  const a = (acc + input * P2) & MASK;
  return (rotl(a, 31n) * P1) & MASK;
}

function mergeRound(acc: bigint, val: bigint): bigint {
  const a = acc ^ round(0n, val);
  return (a * P1 + P4) & MASK;
}

function read64(b: Uint8Array, i: number): bigint {
  let v = 0n;
  for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(b[i + k]);
  return v;
}

function read32(b: Uint8Array, i: number): bigint {
  return BigInt((b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0);
}

/** XXH64 with seed 0 of `b`, as an unsigned 64-bit BigInt. */
export function xxhash64(b: Uint8Array): bigint {
  const len = b.length;
  let i = 0;
  let h: bigint;
  if (len >= 32) {
    let v1 = (P1 + P2) & MASK;
    let v2 = P2;
    let v3 = 0n;
    let v4 = (0n - P1) & MASK;
    while (i + 32 <= len) {
      v1 = round(v1, read64(b, i));
      v2 = round(v2, read64(b, i + 8));
      v3 = round(v3, read64(b, i + 16));
      v4 = round(v4, read64(b, i + 24));
      i += 32;
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & MASK;
    h = mergeRound(h, v1);
    h = mergeRound(h, v2);
    h = mergeRound(h, v3);
    h = mergeRound(h, v4);
  } else {
    h = P5;
  }
  h = (h + BigInt(len)) & MASK;
  while (i + 8 <= len) {
    h ^= round(0n, read64(b, i));
    h = (rotl(h, 27n) * P1 + P4) & MASK;
    i += 8;
  }
  if (i + 4 <= len) {
    h ^= (read32(b, i) * P1) & MASK;
    h = (rotl(h, 23n) * P2 + P3) & MASK;
    i += 4;
  }
  while (i < len) {
    h ^= (BigInt(b[i]) * P5) & MASK;
    h = (rotl(h, 11n) * P1) & MASK;
    i++;
  }
  h ^= h >> 33n;
  h = (h * P2) & MASK;
  h ^= h >> 29n;
  h = (h * P3) & MASK;
  h ^= h >> 32n;
  return h;
}

const encoder = new TextEncoder();

/** Prometheus's Labels.Hash(): XXH64 over name 0xff value 0xff for each label. */
export function labelsHash(labels: Labels): bigint {
  const parts: Uint8Array[] = [];
  let n = 0;
  for (const l of labels) {
    const name = encoder.encode(l.name);
    const value = encoder.encode(l.value);
    parts.push(name, value);
    n += name.length + value.length + 2;
  }
  const buf = new Uint8Array(n);
  let o = 0;
  for (let k = 0; k < parts.length; k += 2) {
    buf.set(parts[k], o);
    o += parts[k].length;
    buf[o++] = 0xff;
    buf.set(parts[k + 1], o);
    o += parts[k + 1].length;
    buf[o++] = 0xff;
  }
  return xxhash64(buf);
}
