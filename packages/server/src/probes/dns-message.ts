/**
 * DNS messages (RFC 1035): encoding a one-question query and decoding a response, with resource
 * records rendered as text the way miekg/dns's RR.String() does (`name.\tTTL\tCLASS\tTYPE\trdata`),
 * because the exporter's validate_*_rrs regexes match that text. The decoder throws only
 * DnsFormatError, whatever bytes it is given.
 */
import { DNS_CLASSES, DNS_TYPES } from '../config/probes.ts';

/** A malformed DNS message. */
export class DnsFormatError extends Error {}

export interface DnsQuestion {
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

export interface DnsRecord {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly data: Uint8Array;
  /** The record as miekg/dns prints it. */
  readonly text: string;
  /** For SOA records: the zone serial. */
  readonly serial?: number;
}

export interface DnsMessage {
  readonly id: number;
  readonly flags: number;
  readonly rcode: number;
  readonly truncated: boolean;
  readonly questions: readonly DnsQuestion[];
  readonly answers: readonly DnsRecord[];
  readonly authority: readonly DnsRecord[];
  readonly additional: readonly DnsRecord[];
}

const TYPE_NAMES = new Map(Object.entries(DNS_TYPES).map(([k, v]) => [v, k]));
const CLASS_NAMES = new Map(Object.entries(DNS_CLASSES).map(([k, v]) => [v, k]));

/** The name with a trailing dot (miekg's dns.Fqdn). */
export function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** Encodes a query with one question; RD set as asked. Throws DnsFormatError for a name that cannot be encoded. */
export function encodeQuery(id: number, q: DnsQuestion, recursionDesired: boolean): Uint8Array {
  const name = encodeName(fqdn(q.name));
  const out = new Uint8Array(12 + name.length + 4);
  const v = new DataView(out.buffer);
  v.setUint16(0, id);
  v.setUint16(2, recursionDesired ? 0x0100 : 0);
  v.setUint16(4, 1);
  out.set(name, 12);
  v.setUint16(12 + name.length, q.type);
  v.setUint16(14 + name.length, q.class);
  return out;
}

function encodeName(name: string): Uint8Array {
  if (name === '.') return Uint8Array.of(0);
  const bytes: number[] = [];
  for (const label of splitLabels(name)) {
    if (label.length === 0 || label.length > 63)
      throw new DnsFormatError(`invalid domain name ${JSON.stringify(name)}`);
    bytes.push(label.length, ...label);
  }
  bytes.push(0);
  if (bytes.length > 255) throw new DnsFormatError(`domain name too long: ${name}`);
  return Uint8Array.from(bytes);
}

/** Labels of a presentation-format name (with \. and \DDD escapes), as bytes. */
function splitLabels(name: string): number[][] {
  const labels: number[][] = [];
  let cur: number[] = [];
  const raw = Buffer.from(name, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === 0x5c && i + 1 < raw.length) {
      const d = raw.subarray(i + 1, i + 4).toString();
      if (/^\d{3}$/.test(d)) {
        cur.push(Number(d) & 0xff);
        i += 3;
      } else {
        cur.push(raw[i + 1]);
        i++;
      }
    } else if (c === 0x2e) {
      labels.push(cur);
      cur = [];
    } else cur.push(c);
  }
  if (cur.length) labels.push(cur);
  return labels;
}

/** Decodes a message; throws DnsFormatError when it is truncated or malformed. */
export function decodeMessage(buf: Uint8Array): DnsMessage {
  if (buf.length < 12)
    throw new DnsFormatError(`dns: message of ${buf.length} bytes is shorter than a header`);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const id = v.getUint16(0);
  const flags = v.getUint16(2);
  const counts = [v.getUint16(4), v.getUint16(6), v.getUint16(8), v.getUint16(10)];
  let off = 12;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const n = readName(buf, off);
    off = n.next;
    need(buf, off, 4);
    questions.push({ name: n.name, type: v.getUint16(off), class: v.getUint16(off + 2) });
    off += 4;
  }
  const sections: DnsRecord[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]; i++) {
      const n = readName(buf, off);
      off = n.next;
      need(buf, off, 10);
      const type = v.getUint16(off);
      const cls = v.getUint16(off + 2);
      const ttl = v.getUint32(off + 4);
      const len = v.getUint16(off + 8);
      off += 10;
      need(buf, off, len);
      const data = buf.subarray(off, off + len);
      const rd = rdataText(buf, off, len, type);
      sections[s].push({
        name: n.name,
        type,
        class: cls,
        ttl,
        data,
        text: `${n.name}\t${ttl}\t${className(cls)}\t${typeName(type)}\t${rd.text}`,
        serial: rd.serial,
      });
      off += len;
    }
  }
  return {
    id,
    flags,
    rcode: flags & 0x0f,
    truncated: (flags & 0x0200) !== 0,
    questions,
    answers: sections[0],
    authority: sections[1],
    additional: sections[2],
  };
}

function need(buf: Uint8Array, off: number, n: number): void {
  if (off + n > buf.length) throw new DnsFormatError('dns: overflow unpacking message (truncated)');
}

function typeName(t: number): string {
  return TYPE_NAMES.get(t) ?? (t === 41 ? 'OPT' : `TYPE${t}`);
}

function className(c: number): string {
  return CLASS_NAMES.get(c) ?? `CLASS${c}`;
}

/** Reads a possibly compressed name; returns it in presentation format (escaped, trailing dot). */
function readName(buf: Uint8Array, start: number): { name: string; next: number } {
  let off = start;
  let next = -1;
  let jumps = 0;
  const labels: string[] = [];
  for (;;) {
    need(buf, off, 1);
    const len = buf[off];
    if ((len & 0xc0) === 0xc0) {
      need(buf, off, 2);
      if (++jumps > 64) throw new DnsFormatError('dns: too many compression pointers');
      if (next < 0) next = off + 2;
      off = ((len & 0x3f) << 8) | buf[off + 1];
      continue;
    }
    if ((len & 0xc0) !== 0) throw new DnsFormatError(`dns: bad label type 0x${len.toString(16)}`);
    off++;
    if (len === 0) break;
    need(buf, off, len);
    labels.push(escapeLabel(buf.subarray(off, off + len)));
    off += len;
    if (labels.length > 127) throw new DnsFormatError('dns: name too long');
  }
  return { name: labels.length ? `${labels.join('.')}.` : '.', next: next < 0 ? off : next };
}

/** miekg's label escaping: special characters with a backslash, non-printables as \DDD. */
function escapeLabel(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) {
    if (
      b === 0x2e ||
      b === 0x20 ||
      b === 0x27 ||
      b === 0x40 ||
      b === 0x3b ||
      b === 0x28 ||
      b === 0x29 ||
      b === 0x22 ||
      b === 0x5c
    )
      s += `\\${String.fromCharCode(b)}`;
    else if (b < 0x20 || b > 0x7e) s += `\\${String(b).padStart(3, '0')}`;
    else s += String.fromCharCode(b);
  }
  return s;
}

/** A <character-string> as miekg prints TXT strings: quoted, with " and \ escaped, non-printables as \DDD. */
function characterString(bytes: Uint8Array): string {
  let s = '"';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) s += `\\${String.fromCharCode(b)}`;
    else if (b < 0x20 || b > 0x7e) s += `\\${String(b).padStart(3, '0')}`;
    else s += String.fromCharCode(b);
  }
  return `${s}"`;
}

function rdataText(
  buf: Uint8Array,
  off: number,
  len: number,
  type: number,
): { text: string; serial?: number } {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const end = off + len;
  const fits = (n: number) => {
    if (off + n > end) throw new DnsFormatError(`dns: ${typeName(type)} record data too short`);
  };
  switch (type) {
    case 1: // A
      fits(4);
      return { text: Array.from(buf.subarray(off, off + 4)).join('.') };
    case 28: // AAAA
      fits(16);
      return { text: formatIPv6(buf.subarray(off, off + 16)) };
    case 2:
    case 5:
    case 12:
    case 39: // NS CNAME PTR DNAME
      return { text: readName(buf, off).name };
    case 15: {
      // MX
      fits(2);
      return { text: `${v.getUint16(off)} ${readName(buf, off + 2).name}` };
    }
    case 16:
    case 99: {
      // TXT SPF
      const parts: string[] = [];
      let p = off;
      while (p < end) {
        const n = buf[p];
        if (p + 1 + n > end) throw new DnsFormatError('dns: TXT string overflows its record');
        parts.push(characterString(buf.subarray(p + 1, p + 1 + n)));
        p += 1 + n;
      }
      return { text: parts.join(' ') };
    }
    case 6: {
      // SOA
      const mname = readName(buf, off);
      const rname = readName(buf, mname.next);
      if (rname.next + 20 > end) throw new DnsFormatError('dns: SOA record data too short');
      const nums = [0, 4, 8, 12, 16].map((i) => v.getUint32(rname.next + i));
      return { text: `${mname.name} ${rname.name} ${nums.join(' ')}`, serial: nums[0] };
    }
    case 33: {
      // SRV
      fits(6);
      return {
        text: `${v.getUint16(off)} ${v.getUint16(off + 2)} ${v.getUint16(off + 4)} ${readName(buf, off + 6).name}`,
      };
    }
    case 257: {
      // CAA
      fits(2);
      const tagLen = buf[off + 1];
      fits(2 + tagLen);
      const tag = Buffer.from(buf.subarray(off + 2, off + 2 + tagLen)).toString('latin1');
      return { text: `${buf[off]} ${tag} ${characterString(buf.subarray(off + 2 + tagLen, end))}` };
    }
    default:
      // RFC 3597 generic form.
      return { text: `\\# ${len}${len ? ` ${Buffer.from(buf.subarray(off, end)).toString('hex')}` : ''}` };
  }
}

/** Go's net.IP.String() for 16 bytes: IPv4-mapped as dotted quad, else RFC 5952 compressed. */
export function formatIPv6(b: Uint8Array): string {
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff)
    return Array.from(b.subarray(12)).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i] << 8) | b[i + 1]);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
