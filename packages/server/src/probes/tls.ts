/**
 * TLS for probes: Node connection options from a prometheus/common tls_config, and the
 * certificate metrics the exporter records (earliest expiry, last chain expiry, leaf info,
 * version, cipher).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import {
  type ConnectionOptions,
  checkServerIdentity,
  createSecureContext,
  type PeerCertificate,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';
import type { ProbeTlsConfig } from '../config/probes.ts';
import { resolvePath } from './context.ts';
import type { ProbeRegistry } from './registry.ts';

/** A tls_config that cannot be used (unreadable file); the message names the key and the file. */
export class TlsConfigError extends Error {}

const VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;

/**
 * Node TLS options for a probe: CA, client certificate, verification (Go's defaults: verify,
 * TLS 1.2 minimum), and the name verified and sent as SNI (SNI only when it is not an IP).
 */
export async function tlsOptions(
  cfg: ProbeTlsConfig,
  baseDir: string,
  serverName: string,
): Promise<ConnectionOptions> {
  const read = async (key: string, file: string | undefined, inline: string | undefined) => {
    if (inline !== undefined) return inline;
    if (file === undefined) return undefined;
    const path = resolvePath(baseDir, file);
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      throw new TlsConfigError(
        `tls_config.${key}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  };
  const name = serverName.startsWith('[') && serverName.endsWith(']') ? serverName.slice(1, -1) : serverName;
  const opts: ConnectionOptions = {
    secureContext: secureContext({
      ca: await read('ca_file', cfg.ca_file, cfg.ca),
      cert: await read('cert_file', cfg.cert_file, cfg.cert),
      key: await read('key_file', cfg.key_file, cfg.key),
      minVersion: VERSIONS[cfg.min_version ?? 'TLS12'],
      maxVersion: cfg.max_version ? VERSIONS[cfg.max_version] : undefined,
    }),
    rejectUnauthorized: !cfg.insecure_skip_verify,
    servername: name && !isIP(name) ? name : undefined,
    checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(name, cert),
  };
  return opts;
}

/** What a secure context is made of: the files' contents (read on every probe) and the versions. */
interface ContextSettings {
  readonly ca: string | undefined;
  readonly cert: string | undefined;
  readonly key: string | undefined;
  readonly minVersion: (typeof VERSIONS)[keyof typeof VERSIONS];
  readonly maxVersion: (typeof VERSIONS)[keyof typeof VERSIONS] | undefined;
}

/** Secure contexts by their settings, newest last; at most MAX_CONTEXTS. */
const contexts = new Map<string, SecureContext>();
const MAX_CONTEXTS = 64;

/**
 * A secure context for these settings, made once and reused: building one (parsing the CA, or
 * loading the system roots) costs 1-2 ms, as much as the rest of an HTTPS probe. Keyed by the
 * files' contents, so a rotated certificate is picked up by the next probe. Contexts hold no
 * client sessions, so every probe still makes a full handshake, as the exporter's do.
 */
function secureContext(settings: ContextSettings): SecureContext {
  const key = JSON.stringify(settings);
  let ctx = contexts.get(key);
  if (ctx) {
    contexts.delete(key);
  } else {
    try {
      ctx = createSecureContext(settings);
    } catch (err) {
      throw new TlsConfigError(`tls_config: unusable certificate or key: ${(err as Error).message}`);
    }
    if (contexts.size >= MAX_CONTEXTS) contexts.delete(contexts.keys().next().value as string);
  }
  contexts.set(key, ctx);
  return ctx;
}

/** Go's zero time.Time as Unix seconds: what the exporter reports for a chain it did not verify. */
const GO_ZERO_TIME_UNIX = -62135596800;

/** What a TLS handshake showed, captured while the socket is still open. */
export interface TlsSnapshot {
  readonly chain: readonly X509Certificate[];
  readonly protocol: string | null;
  readonly cipher: string;
}

/** Captures the peer's certificates, the version and the cipher of a connected TLS socket. */
export function snapshotTls(socket: TLSSocket): TlsSnapshot {
  return {
    chain: peerChain(socket),
    protocol: socket.getProtocol(),
    cipher: socket.getCipher()?.standardName ?? '',
  };
}

/**
 * Registers and sets the TLS metrics of a handshake: probe_ssl_earliest_cert_expiry,
 * probe_tls_version_info, probe_ssl_last_chain_info, and unless turned off
 * probe_tls_cipher_info and probe_ssl_last_chain_expiry_timestamp_seconds. `verified` is false
 * when verification was skipped (the exporter then has no verified chain).
 */
export function recordTlsMetrics(
  registry: ProbeRegistry,
  tls: TlsSnapshot,
  verified: boolean,
  options: { cipher?: boolean; lastChain?: boolean } = {},
): void {
  const { chain } = tls;
  const earliest = registry.gauge(
    'probe_ssl_earliest_cert_expiry',
    'Returns last SSL chain expiry in unixtime',
  );
  const version = registry.gauge(
    'probe_tls_version_info',
    'Returns the TLS version used or NaN when unknown',
    ['version'],
  );
  const expiries = chain
    .map((c) => Math.floor(Date.parse(c.validTo) / 1000))
    .filter((s) => Number.isFinite(s));
  earliest.set(expiries.length ? Math.min(...expiries) : GO_ZERO_TIME_UNIX);
  version.labels(tlsVersionName(tls.protocol)).set(1);
  if (options.cipher !== false) {
    registry
      .gauge('probe_tls_cipher_info', 'Returns the TLS cipher negotiated during handshake', ['cipher'])
      .labels(tls.cipher)
      .set(1);
  }
  if (options.lastChain !== false) {
    registry
      .gauge('probe_ssl_last_chain_expiry_timestamp_seconds', 'Returns last SSL chain expiry in timestamp')
      .set(verified && expiries.length ? Math.min(...expiries) : GO_ZERO_TIME_UNIX);
  }
  const leaf = chain[0];
  if (leaf) {
    registry
      .gauge('probe_ssl_last_chain_info', 'Contains SSL leaf certificate information', [
        'fingerprint_sha256',
        'subject',
        'issuer',
        'subjectalternative',
        'serialnumber',
      ])
      .labels(
        createHash('sha256').update(leaf.raw).digest('hex'),
        goDistinguishedName(leaf.subject),
        goDistinguishedName(leaf.issuer),
        dnsNames(leaf.subjectAltName),
        goSerial(leaf.serialNumber),
      )
      .set(1);
  }
}

/** The certificates the peer presented, leaf first, each once. */
function peerChain(socket: TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  let cert = socket.getPeerCertificate(true) as PeerCertificate & { issuerCertificate?: PeerCertificate };
  while (cert?.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    out.push(new X509Certificate(cert.raw));
    cert = cert.issuerCertificate as typeof cert;
  }
  return out;
}

/** "TLSv1.3" → "TLS 1.3", as the exporter names versions. */
export function tlsVersionName(protocol: string | null): string {
  switch (protocol) {
    case 'TLSv1':
      return 'TLS 1.0';
    case 'TLSv1.1':
      return 'TLS 1.1';
    case 'TLSv1.2':
      return 'TLS 1.2';
    case 'TLSv1.3':
      return 'TLS 1.3';
    default:
      return 'unknown';
  }
}

/** Node's "C=US\nO=Acme\nCN=host" as Go's pkix.Name.String(): "CN=host,O=Acme,C=US". */
export function goDistinguishedName(name: string): string {
  return name
    .split('\n')
    .filter((p) => p !== '')
    .reverse()
    .map((p) => {
      const eq = p.indexOf('=');
      const value = p.slice(eq + 1).replace(/([,+"\\<>;])/g, '\\$1');
      return `${p.slice(0, eq)}=${value}`;
    })
    .join(',');
}

/** The DNS names of a subjectAltName ("DNS:a, IP Address:1.2.3.4, DNS:b") joined by commas. */
export function dnsNames(san: string | undefined): string {
  if (!san) return '';
  return san
    .split(', ')
    .filter((e) => e.startsWith('DNS:'))
    .map((e) => e.slice(4))
    .join(',');
}

/** Node's upper-case serial as Go's fmt "%x" of the serial's big-endian bytes. */
export function goSerial(serial: string): string {
  let hex = serial.toLowerCase().replace(/^(00)+/, '');
  if (hex.length % 2) hex = `0${hex}`;
  return hex;
}
