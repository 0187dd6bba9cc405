/**
 * Test peers for the probe tests: HTTP(S), TCP and DNS servers and a gRPC health service on
 * 127.0.0.1 with ephemeral ports, a self-signed certificate made with openssl, and Debian's
 * prometheus-blackbox-exporter run as a child process. Everything returned has a close().
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import {
  createSecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import * as grpc from '@grpc/grpc-js';

/** A directory under the OS temp dir, removed by remove(). */
export function tempDir(prefix = 'vigil-probes-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface TestCert {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
  /** notAfter as Unix seconds. */
  readonly notAfter: number;
}

/** A self-signed certificate for CN=localhost with SANs localhost and 127.0.0.1, valid for `days`. */
export function selfSignedCert(dir: string, days = 30, name = 'cert'): TestCert {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}-key.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      String(days),
      '-subj',
      '/C=US/O=Vigil Test/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(certFile, 'utf8');
  return {
    certFile,
    keyFile,
    cert,
    key: readFileSync(keyFile, 'utf8'),
    notAfter: Math.floor(Date.parse(new X509Certificate(cert).validTo) / 1000),
  };
}

export interface TestServer {
  readonly port: number;
  readonly address: string;
  close(): Promise<void>;
}

function listen(
  server: Server | ReturnType<typeof createNetServer> | ReturnType<typeof createSecureServer>,
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closer(
  server: { close(cb: () => void): void; closeAllConnections?: () => void },
  sockets?: Set<Socket>,
) {
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      for (const s of sockets ?? []) s.destroy();
      server.close(() => resolve());
    });
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** An HTTP (or, with a certificate, HTTPS) server. */
export async function startHttpServer(handler: Handler, tls?: TestCert): Promise<TestServer> {
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => handler(req, res, body));
  };
  const server = tls
    ? createHttpsServer({ cert: tls.cert, key: tls.key }, onRequest)
    : createHttpServer(onRequest);
  const port = await listen(server);
  return { port, address: `127.0.0.1:${port}`, close: closer(server) };
}

/**
 * An HTTPS server that offers HTTP/2 and HTTP/1.1 by ALPN (Node's compatibility API, so the same
 * handlers work; the request and response are HTTP/2 objects with the HTTP/1 shape).
 */
export async function startHttp2Server(handler: Handler, tls: TestCert): Promise<TestServer> {
  const onRequest = (req: Http2ServerRequest, res: Http2ServerResponse) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => handler(req as unknown as IncomingMessage, res as unknown as ServerResponse, body));
  };
  const server = createSecureServer({ cert: tls.cert, key: tls.key, allowHTTP1: true }, onRequest);
  // A client may keep its session open; close() would wait for it forever.
  const sessions = new Set<Http2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  const sockets = new Set<Socket>();
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    port,
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A TCP (or TLS) server that hands each connection to `onConnection`. */
export async function startTcpServer(
  onConnection: (socket: Socket) => void,
  tls?: TestCert,
): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onConnection(s);
  };
  const server = tls ? createTlsServer({ cert: tls.cert, key: tls.key }, track) : createNetServer(track);
  const port = await listen(server);
  return { port, address: `127.0.0.1:${port}`, close: closer(server, sockets) };
}

/** What the test DNS server answers: records as [type, rdata bytes], and the rcode. */
export interface DnsAnswer {
  readonly rcode?: number;
  readonly answers?: readonly [number, Uint8Array][];
  readonly authority?: readonly [number, Uint8Array][];
}

/**
 * A DNS server on UDP and TCP (same port); with a certificate the TCP side is DNS over TLS.
 * Responses are assembled byte by byte here, independent of the prober's codec: the question is
 * echoed and every record's owner is a pointer to it.
 */
export async function startDnsServer(
  answer: (name: string, type: number) => DnsAnswer,
  tls?: TestCert,
): Promise<TestServer> {
  const respond = (query: Buffer): Buffer => {
    // Question name: labels from offset 12.
    let off = 12;
    const labels: string[] = [];
    while (query[off] !== 0) {
      labels.push(query.subarray(off + 1, off + 1 + query[off]).toString('latin1'));
      off += 1 + query[off];
    }
    const qEnd = off + 5;
    const qtype = query.readUInt16BE(off + 1);
    const a = answer(`${labels.join('.')}.`, qtype);
    const records = [...(a.answers ?? []), ...(a.authority ?? [])];
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0);
    header.writeUInt16BE(0x8180 | ((query[2] & 0x01) << 8) | (a.rcode ?? 0), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(a.answers?.length ?? 0, 6);
    header.writeUInt16BE(a.authority?.length ?? 0, 8);
    const parts = [header, query.subarray(12, qEnd)];
    for (const [type, rdata] of records) {
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(type, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(300, 6);
      rr.writeUInt16BE(rdata.length, 10);
      parts.push(rr, Buffer.from(rdata));
    }
    return Buffer.concat(parts);
  };
  const tcp = await startTcpServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const res = respond(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        const len = Buffer.alloc(2);
        len.writeUInt16BE(res.length);
        socket.end(Buffer.concat([len, res]));
      }
    });
  }, tls);
  const udp = createSocket('udp4');
  udp.on('message', (msg, rinfo) => udp.send(respond(msg), rinfo.port, rinfo.address));
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(tcp.port, '127.0.0.1', () => resolve());
  });
  return {
    port: tcp.port,
    address: tcp.address,
    close: async () => {
      await tcp.close();
      await new Promise<void>((r) => udp.close(() => r()));
    },
  };
}

/** A domain name in wire format (for rdata). */
export function wireName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter(Boolean);
  return Buffer.concat([
    ...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)])),
    Buffer.from([0]),
  ]);
}

/** A gRPC server with the standard health service; statuses by service name ('' = overall). */
export async function startGrpcHealthServer(
  statuses: Readonly<Record<string, number>>,
  tls?: TestCert,
): Promise<TestServer> {
  const server = new grpc.Server();
  const identity = (b: Buffer) => b;
  server.addService(
    {
      Check: {
        path: '/grpc.health.v1.Health/Check',
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      Check: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const req = call.request;
        const service = req.length > 2 && req[0] === 0x0a ? req.subarray(2, 2 + req[1]).toString() : '';
        const status = statuses[service];
        if (status === undefined) {
          callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' }, null);
          return;
        }
        callback(null, Buffer.from([0x08, status]));
      },
    },
  );
  const creds = tls
    ? grpc.ServerCredentials.createSsl(null, [
        { cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) },
      ])
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port,
    address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

export const BLACKBOX_BIN = '/usr/bin/prometheus-blackbox-exporter';

export interface Blackbox {
  readonly url: string;
  /** GET /probe with these parameters; the body and status. */
  probe(target: string, module: string): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

/**
 * Runs Debian's blackbox exporter with this config. Fails with install instructions when the
 * binary is missing: the differential tests must not silently pass.
 */
export async function startBlackbox(configYaml: string, dir: string): Promise<Blackbox> {
  if (!existsSync(BLACKBOX_BIN))
    throw new Error(
      `${BLACKBOX_BIN} is missing: install Debian's prometheus-blackbox-exporter (apt-get install prometheus-blackbox-exporter; .ci/run does this)`,
    );
  const config = join(dir, 'blackbox.yml');
  writeFileSync(config, configYaml);
  const port = await freePort();
  const child: ChildProcess = spawn(
    BLACKBOX_BIN,
    [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`blackbox exporter exited (${child.exitCode}):\n${stderr}`);
    try {
      if ((await fetch(`${url}/-/healthy`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`blackbox exporter did not start within 15s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async probe(target, module) {
      const res = await fetch(
        `${url}/probe?target=${encodeURIComponent(target)}&module=${encodeURIComponent(module)}`,
      );
      return { status: res.status, text: await res.text() };
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  const port = await listen(server);
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** `name{a="b"}` → value, from Prometheus text exposition (comments skipped, labels kept sorted as written). */
export function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+?(?:\{.*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const v =
      m[2] === '+Inf' ? Number.POSITIVE_INFINITY : m[2] === '-Inf' ? Number.NEGATIVE_INFINITY : Number(m[2]);
    out.set(m[1], v);
  }
  return out;
}
