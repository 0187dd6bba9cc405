/**
 * xxHash64 (seed 0), the hash of Prometheus's labels.Labels.Hash, used here to spread rule
 * groups over their interval exactly as Prometheus does (Group.EvalTimestamp). Runs once per
 * group, so BigInt arithmetic is fine.
 */
const M = (1n << 64n) - 1n;
const P1 = 11400714785074694791n;
const P2 = 14029467366897019727n;
const P3 = 1609587929392839161n;
const P4 = 9650029242287828579n;
const P5 = 2870177450012600261n;

function rotl(x: bigint, r: bigint): bigint {
  return ((x << r) | (x >> (64n - r))) & M;
}
function round(acc: bigint, input: bigint): bigint {
  return (rotl((acc + input * P2) & M, 31n) * P1) & M;
}
function mergeRound(acc: bigint, val: bigint): bigint {
  return (((acc ^ round(0n, val)) * P1) & M) + P4;
}

/** xxHash64 of bytes with seed 0. */
export function xxhash64(b: Uint8Array): bigint {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const len = b.length;
  let i = 0;
  let h: bigint;
  if (len >= 32) {
    let v1 = (P1 + P2) & M;
    let v2 = P2;
    let v3 = 0n;
    let v4 = (M + 1n - P1) & M;
    while (i <= len - 32) {
      v1 = round(v1, view.getBigUint64(i, true));
      v2 = round(v2, view.getBigUint64(i + 8, true));
      v3 = round(v3, view.getBigUint64(i + 16, true));
      v4 = round(v4, view.getBigUint64(i + 24, true));
      i += 32;
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & M;
    h = mergeRound(h, v1) & M;
    h = mergeRound(h, v2) & M;
    h = mergeRound(h, v3) & M;
    h = mergeRound(h, v4) & M;
  } else h = P5;
  h = (h + BigInt(len)) & M;
  while (i + 8 <= len) {
    h ^= round(0n, view.getBigUint64(i, true));
    h = ((rotl(h, 27n) * P1) & M) + P4;
    h &= M;
    i += 8;
  }
  if (i + 4 <= len) {
    h ^= (BigInt(view.getUint32(i, true)) * P1) & M;
    h = (((rotl(h, 23n) * P2) & M) + P3) & M;
    i += 4;
  }
  while (i < len) {
    h ^= (BigInt(b[i]) * P5) & M;
    h = (rotl(h, 11n) * P1) & M;
    i++;
  }
  h ^= h >> 33n;
  h = (h * P2) & M;
  h ^= h >> 29n;
  h = (h * P3) & M;
  h ^= h >> 32n;
  return h;
}

const utf8 = new TextEncoder();

/** labels.Labels.Hash of a sorted label set: xxhash64 of `name\xffvalue\xff...`. */
export function labelsHash(pairs: readonly { name: string; value: string }[]): bigint {
  const parts: number[] = [];
  for (const p of pairs) {
    parts.push(...utf8.encode(p.name), 0xff, ...utf8.encode(p.value), 0xff);
  }
  return xxhash64(Uint8Array.from(parts));
}
