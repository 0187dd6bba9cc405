/**
 * Label sets the way Alertmanager handles them: plain name → value maps (Prometheus's
 * model.LabelSet), with Alertmanager's fingerprint, printed form and ordering, so group keys,
 * fingerprints and sort orders come out exactly as Alertmanager's do.
 */
import { type Labels, labelsToRecord } from '../model/labels.ts';

/** An alert's labels or annotations: name → value, no empty values. */
export type LabelSet = Readonly<Record<string, string>>;

/** Label names that need no quoting (Alertmanager 0.25 accepts only these). */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Converts Vigil's sorted label list into a label set. */
export function labelSetFromLabels(labels: Labels): LabelSet {
  return labelsToRecord(labels);
}

/** The label set without empty values (Alertmanager drops them on receipt). */
export function withoutEmptyValues(ls: LabelSet): LabelSet {
  const out: Record<string, string> = {};
  for (const name of Object.keys(ls)) if (ls[name] !== '') out[name] = ls[name];
  return out;
}

export function sortedNames(ls: LabelSet): string[] {
  return Object.keys(ls).sort(compareStrings);
}

/** Go's string order (byte-wise on UTF-8); code-unit order agrees for everything but astral characters. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function labelSetsEqual(a: LabelSet, b: LabelSet): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * Prometheus's LabelSet.Fingerprint: 64-bit FNV-1a over the labels sorted by name, each name and
 * value followed by a 0xff byte, printed as 16 hex digits. Computed in four 16-bit limbs so it
 * needs no BigInt.
 */
export function fingerprint(ls: LabelSet): string {
  // Offset basis 0xcbf29ce484222325, least significant limb first.
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  const mix = (byte: number): void => {
    h0 ^= byte;
    // h *= 0x100000001b3 (mod 2^64), i.e. h*0x1b3 + (h << 40).
    const t0 = h0 * 0x1b3;
    let t1 = h1 * 0x1b3;
    let t2 = h2 * 0x1b3 + (h0 << 8);
    let t3 = h3 * 0x1b3 + (h1 << 8);
    t1 += Math.floor(t0 / 0x10000);
    t2 += Math.floor(t1 / 0x10000);
    t3 += Math.floor(t2 / 0x10000);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  };
  // The UTF-8 bytes of a string, without allocating (label sets are mostly ASCII).
  const mixString = (s: string): void => {
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        mix(c);
        continue;
      }
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
        const low = s.charCodeAt(i + 1);
        if (low >= 0xdc00 && low < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
        }
      }
      // Lone surrogates become U+FFFD, as a Go string conversion would.
      if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
      if (c < 0x800) {
        mix(0xc0 | (c >> 6));
      } else if (c < 0x10000) {
        mix(0xe0 | (c >> 12));
        mix(0x80 | ((c >> 6) & 0x3f));
      } else {
        mix(0xf0 | (c >> 18));
        mix(0x80 | ((c >> 12) & 0x3f));
        mix(0x80 | ((c >> 6) & 0x3f));
      }
      mix(0x80 | (c & 0x3f));
    }
  };
  for (const name of sortedNames(ls)) {
    mixString(name);
    mix(0xff);
    mixString(ls[name]);
    mix(0xff);
  }
  return hex4(h3) + hex4(h2) + hex4(h1) + hex4(h0);
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/** Prometheus's LabelSet.String: `{a="1", b="2"}`, pairs sorted as printed strings. */
export function labelSetString(ls: LabelSet): string {
  const pairs = Object.keys(ls).map((name) => `${name}=${goQuote(ls[name])}`);
  pairs.sort(compareStrings);
  return `{${pairs.join(', ')}}`;
}

/** Go's %q for a string: double quotes, backslash escapes, \x/\u for non-printables. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if ((c >= 0x80 && c < 0xa0) || c === 0xad) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd';
    else out += ch;
  }
  return `${out}"`;
}

/** Prometheus's LabelSet.Before: fewer labels first, then by the first differing name/value. */
export function labelSetBefore(a: LabelSet, b: LabelSet): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return ka.length < kb.length;
  const names = [...ka, ...kb].sort(compareStrings);
  for (const name of names) {
    if (!(name in a)) return true;
    if (!(name in b)) return false;
    if (a[name] < b[name]) return true;
    if (a[name] > b[name]) return false;
  }
  return false;
}

/** A comparator from labelSetBefore, for Array.prototype.sort. */
export function compareLabelSets(a: LabelSet, b: LabelSet): number {
  return labelSetBefore(a, b) ? -1 : labelSetBefore(b, a) ? 1 : 0;
}
