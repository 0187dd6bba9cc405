/**
 * Target name resolution with the exporter's IP protocol preference (its chooseProtocol): the
 * preferred family's first address, else (with fallback) an address of the other family. Records
 * probe_dns_lookup_time_seconds, probe_ip_protocol and probe_ip_addr_hash.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type ProbeContext, raceSignal } from './context.ts';

export interface Resolved {
  readonly address: string;
  readonly family: 4 | 6;
  /** Seconds the lookup took. */
  readonly lookupSeconds: number;
}

/** Resolves `host` (a name or an IP literal, IPv6 with or without brackets). Throws on failure. */
export async function chooseProtocol(
  ctx: ProbeContext,
  preferred: 'ip4' | 'ip6',
  fallback: boolean,
  host: string,
): Promise<Resolved> {
  const { registry, log } = ctx;
  const lookupTime = registry.gauge(
    'probe_dns_lookup_time_seconds',
    'Returns the time taken for probe dns lookup in seconds',
  );
  const protocol = registry.gauge('probe_ip_protocol', 'Specifies whether probe ip protocol is IP4 or IP6');
  const addrHash = registry.gauge(
    'probe_ip_addr_hash',
    "Specifies the hash of IP address. It's useful to detect if the IP address changes.",
  );
  const name = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const want = preferred === 'ip4' ? 4 : 6;
  log.debug('Resolving target address', { target: name, ip_protocol: preferred });
  const started = performance.now();
  try {
    const all = await raceSignal(
      ctx.signal,
      fallback || isIP(name)
        ? lookup(name, { all: true, verbatim: true })
        : lookup(name, { all: true, family: want }),
    );
    let chosen = all.find((a) => a.family === want);
    if (!chosen && fallback) chosen = all.at(-1);
    if (!chosen)
      throw new Error(fallback ? 'unable to find ip; no fallback' : `no ${preferred} address for ${name}`);
    const seconds = (performance.now() - started) / 1000;
    lookupTime.add(seconds);
    protocol.set(chosen.family);
    addrHash.set(ipHash(chosen.address));
    log.debug('Resolved target address', { target: name, ip: chosen.address });
    return { address: chosen.address, family: chosen.family as 4 | 6, lookupSeconds: seconds };
  } catch (err) {
    lookupTime.add((performance.now() - started) / 1000);
    log.error('Resolution with IP protocol failed', {
      target: name,
      ip_protocol: preferred,
      err: err as Error,
    });
    throw err;
  }
}

/** FNV-1a (32 bit) over the address's bytes: 4 for IPv4, 16 for IPv6, as the exporter hashes them. */
export function ipHash(address: string): number {
  let h = 0x811c9dc5;
  for (const b of ipBytes(address)) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

/** The bytes of an IP address (4 or 16). */
export function ipBytes(address: string): number[] {
  if (isIP(address) === 4) return address.split('.').map(Number);
  let text = address;
  let tail: number[] = [];
  // An embedded IPv4 tail (::ffff:1.2.3.4).
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    tail = v4[1].split('.').map(Number);
    text = `${text.slice(0, -v4[1].length)}0:0`;
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - r.length).fill('0'), ...r].map((g) =>
    Number.parseInt(g || '0', 16),
  );
  const bytes = groups.flatMap((g) => [g >> 8, g & 0xff]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  // Go hashes IPv4-mapped IPv6 addresses as their 4 IPv4 bytes.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    return bytes.slice(12);
  return bytes;
}
