/**
 * The DNS prober, after prober/dns.go: sends the module's query to the target server over UDP,
 * TCP or DNS-over-TLS, then checks the response code and validates the answer, authority and
 * additional records with the module's regexes against their text form.
 */
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { RE2JS } from 're2js';
import {
  DNS_CLASSES,
  DNS_RCODES,
  DNS_TYPES,
  type DnsRrValidator,
  type ProbeModule,
} from '../config/probes.ts';
import { abortError, type ProbeContext } from './context.ts';
import { type DnsMessage, type DnsRecord, decodeMessage, encodeQuery } from './dns-message.ts';
import { chooseProtocol } from './resolve.ts';
import { splitHostPort, upgrade } from './tcp.ts';
import { tlsOptions } from './tls.ts';

const RCODE_NAMES = new Map(Object.entries(DNS_RCODES).map(([k, v]) => [v, k]));

export async function probeDNS(ctx: ProbeContext, target: string, module: ProbeModule): Promise<boolean> {
  const { registry, log } = ctx;
  const cfg = module.dns;
  const durations = registry.gauge('probe_dns_duration_seconds', 'Duration of DNS request by phase', [
    'phase',
  ]);
  const answerRRs = registry.gauge(
    'probe_dns_answer_rrs',
    'Returns number of entries in the answer resource record list',
  );
  const authorityRRs = registry.gauge(
    'probe_dns_authority_rrs',
    'Returns number of entries in the authority resource record list',
  );
  const additionalRRs = registry.gauge(
    'probe_dns_additional_rrs',
    'Returns number of entries in the additional resource record list',
  );
  const succeeded = registry.gauge(
    'probe_dns_query_succeeded',
    'Displays whether or not the query was executed successfully',
  );
  for (const phase of ['resolve', 'connect', 'request']) durations.labels(phase);
  answerRRs.set(0);
  authorityRRs.set(0);
  additionalRRs.set(0);
  succeeded.set(0);
  if (!cfg) {
    log.error('Configuration error: the module has no dns section');
    return false;
  }

  let host = target;
  let port = cfg.dns_over_tls ? '853' : '53';
  try {
    ({ host, port } = splitHostPort(target));
  } catch {
    // A bare host: the default port.
  }
  let ip: Awaited<ReturnType<typeof chooseProtocol>>;
  try {
    ip = await chooseProtocol(ctx, cfg.preferred_ip_protocol, cfg.ip_protocol_fallback, host);
  } catch (err) {
    log.error('Error resolving address', { err: err as Error });
    return false;
  }
  durations.labels('resolve').add(ip.lookupSeconds);
  if (cfg.source_ip_address !== '' && !isIP(cfg.source_ip_address)) {
    log.error('Error parsing source ip address', { srcIP: cfg.source_ip_address });
    return false;
  }

  const id = randomInt(0, 65536);
  const qtype = DNS_TYPES[cfg.query_type];
  const query = encodeQuery(
    id,
    { name: cfg.query_name, type: qtype, class: DNS_CLASSES[cfg.query_class] },
    cfg.recursion_desired,
  );
  log.debug('Making DNS query', {
    target: `${ip.address}:${port}`,
    dial_protocol: `${cfg.transport_protocol}${ip.family}`,
    query: cfg.query_name,
    type: qtype,
    class: DNS_CLASSES[cfg.query_class],
  });
  const started = performance.now();
  let response: DnsMessage;
  let rttMs = 0;
  try {
    const exchange =
      cfg.transport_protocol === 'udp'
        ? await exchangeUdp(ctx, ip.address, ip.family, Number(port), query, id, cfg.source_ip_address)
        : await exchangeTcp(ctx, ip.address, Number(port), query, id, module, host);
    rttMs = exchange.rttMs;
    response = exchange.response;
  } catch (err) {
    const total = performance.now() - started;
    durations.labels('connect').set(Math.max(0, total - rttMs) / 1000);
    durations.labels('request').set(rttMs / 1000);
    log.error('Error while sending a DNS query', { err: err as Error });
    return false;
  }
  const total = performance.now() - started;
  durations.labels('connect').set(Math.max(0, total - rttMs) / 1000);
  durations.labels('request').set(rttMs / 1000);
  log.debug('Got response', {
    rcode: RCODE_NAMES.get(response.rcode) ?? response.rcode,
    answers: response.answers.length,
  });

  answerRRs.set(response.answers.length);
  authorityRRs.set(response.authority.length);
  additionalRRs.set(response.additional.length);
  succeeded.set(1);
  if (qtype === DNS_TYPES.SOA) {
    const serial = registry.gauge('probe_dns_serial', 'Returns the serial number of the zone');
    for (const a of response.answers) if (a.serial !== undefined) serial.set(a.serial);
  }

  const valid = cfg.valid_rcodes.map((r) => DNS_RCODES[r]);
  if (!valid.includes(response.rcode)) {
    log.error('Rcode is not one of the valid rcodes', {
      rcode: response.rcode,
      string_rcode: RCODE_NAMES.get(response.rcode) ?? String(response.rcode),
      valid_rcodes: `[${valid.join(' ')}]`,
    });
    return false;
  }
  log.debug('Validating Answer RRs');
  if (!validRRs(response.answers, cfg.validate_answer_rrs, ctx)) {
    log.error('Answer RRs validation failed');
    return false;
  }
  log.debug('Validating Authority RRs');
  if (!validRRs(response.authority, cfg.validate_authority_rrs, ctx)) {
    log.error('Authority RRs validation failed');
    return false;
  }
  log.debug('Validating Additional RRs');
  if (!validRRs(response.additional, cfg.validate_additional_rrs, ctx)) {
    log.error('Additional RRs validation failed');
    return false;
  }
  return true;
}

/** The exporter's validRRs: each regex list applied to every record's text form. */
export function validRRs(rrs: readonly DnsRecord[], v: DnsRrValidator, ctx: ProbeContext): boolean {
  const { log } = ctx;
  if (rrs.length === 0 && v.fail_if_not_matches_regexp.length > 0) {
    log.error('fail_if_not_matches_regexp specified but no RRs returned');
    return false;
  }
  if (rrs.length === 0 && v.fail_if_none_matches_regexp.length > 0) {
    log.error('fail_if_none_matches_regexp specified but no RRs returned');
    return false;
  }
  const matches = (re: string, text: string) => RE2JS.compile(re).matcher(text).find();
  let anyMatch = false;
  let allMatch = true;
  for (const rr of rrs) {
    log.debug('Validating RR', { rr: rr.text });
    for (const re of v.fail_if_matches_regexp) {
      if (matches(re, rr.text)) {
        log.error('At least one RR matched regexp', { regexp: re, rr: rr.text });
        return false;
      }
    }
    for (const re of v.fail_if_all_match_regexp) if (!matches(re, rr.text)) allMatch = false;
    for (const re of v.fail_if_not_matches_regexp) {
      if (!matches(re, rr.text)) {
        log.error('At least one RR did not match regexp', { regexp: re, rr: rr.text });
        return false;
      }
    }
    for (const re of v.fail_if_none_matches_regexp) if (matches(re, rr.text)) anyMatch = true;
  }
  // As in the exporter (every version so far): fail_if_all_match_regexp fails the probe when
  // *not* every record matches.
  if (v.fail_if_all_match_regexp.length > 0 && !allMatch) {
    log.error('Not all RRs matched regexp');
    return false;
  }
  if (v.fail_if_none_matches_regexp.length > 0 && !anyMatch) {
    log.error('None of the RRs did matched any regexp');
    return false;
  }
  return true;
}

interface Exchange {
  readonly response: DnsMessage;
  /** Time from sending the query to the answer (miekg's rtt). */
  readonly rttMs: number;
}

function exchangeUdp(
  ctx: ProbeContext,
  address: string,
  family: 4 | 6,
  port: number,
  query: Uint8Array,
  id: number,
  source: string,
): Promise<Exchange> {
  return new Promise<Exchange>((resolve, reject) => {
    const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    let sentAt = 0;
    const finish = (err: Error | undefined, ex?: Exchange) => {
      ctx.signal.removeEventListener('abort', onAbort);
      socket.close();
      if (err) reject(err);
      else resolve(ex!);
    };
    const onAbort = () => finish(new Error(`read udp ${address}:${port}: i/o timeout`));
    if (ctx.signal.aborted) return onAbort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (err) => finish(err));
    socket.on('message', (msg) => {
      let m: DnsMessage;
      try {
        m = decodeMessage(msg);
      } catch (err) {
        finish(err as Error);
        return;
      }
      // Answers to other queries are not ours; keep waiting.
      if (m.id !== id) return;
      finish(undefined, { response: m, rttMs: performance.now() - sentAt });
    });
    socket.bind({ address: source || undefined, port: 0 }, () => {
      socket.connect(port, address, () => {
        sentAt = performance.now();
        socket.send(query, (err) => {
          if (err) finish(err);
        });
      });
    });
  });
}

async function exchangeTcp(
  ctx: ProbeContext,
  address: string,
  port: number,
  query: Uint8Array,
  id: number,
  module: ProbeModule,
  host: string,
): Promise<Exchange> {
  const cfg = module.dns!;
  const tls = cfg.dns_over_tls
    ? await tlsOptions(cfg.tls_config, ctx.baseDir, cfg.tls_config.server_name || host)
    : undefined;
  const localAddress = cfg.source_ip_address || undefined;
  const tcp = await new Promise<Socket>((resolve, reject) => {
    const s = netConnect({ host: address, port, localAddress });
    const onAbort = () => s.destroy(abortError(ctx.signal));
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    s.once('connect', () => {
      ctx.signal.removeEventListener('abort', onAbort);
      resolve(s);
    });
    s.once('error', (err) => {
      ctx.signal.removeEventListener('abort', onAbort);
      s.destroy();
      reject(err);
    });
  });
  let socket: Socket = tcp;
  if (tls) {
    try {
      socket = await upgrade(ctx, tcp, tls);
    } catch (err) {
      tcp.destroy();
      throw err;
    }
  }
  return new Promise<Exchange>((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    let settled = false;
    const finish = (err: Error | undefined, ex?: Exchange) => {
      if (settled) return;
      settled = true;
      ctx.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve(ex!);
    };
    const onAbort = () => finish(abortError(ctx.signal));
    if (ctx.signal.aborted) return onAbort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length < 2) return;
      const len = buffer.readUInt16BE(0);
      if (buffer.length < 2 + len) return;
      try {
        const m = decodeMessage(buffer.subarray(2, 2 + len));
        if (m.id !== id) throw new Error('dns: id mismatch');
        finish(undefined, { response: m, rttMs: performance.now() - sentAt });
      } catch (err) {
        finish(err as Error);
      }
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error('EOF')));
    const framed = Buffer.alloc(2 + query.length);
    framed.writeUInt16BE(query.length, 0);
    framed.set(query, 2);
    const sentAt = performance.now();
    socket.write(framed);
  });
}
