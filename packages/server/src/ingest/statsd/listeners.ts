/**
 * The StatsD sockets: UDP (one or more newline-separated lines per datagram) and TCP (a stream of
 * newline-terminated lines). They only move bytes: each hands its input to an InputHandler and
 * knows nothing about the line format.
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import type { Logger } from 'pino';
import { parseListenAddress } from '../../config/units.ts';
import type { Transport } from './telemetry.ts';

export interface InputHandler {
  /** Newline-separated lines: a whole UDP datagram, or one TCP line without its newline. */
  data(bytes: Buffer, transport: Transport): void;
  /** A datagram or TCP line longer than the limit was dropped; `head` is its beginning. */
  tooLarge(transport: Transport, head: Buffer): void;
}

export interface Listener {
  /** The bound address, `host:port` (`[::1]:8125` for IPv6). */
  readonly address: string;
  close(): Promise<void>;
}

/** Raised when a listener cannot start; the message names the address and the config key. */
export class StatsdListenError extends Error {}

export interface UdpOptions {
  readonly maxPacketSize: number;
  /** SO_RCVBUF in bytes; 0 keeps the OS default. */
  readonly receiveBuffer: number;
  readonly logger: Logger;
  /** Counts each datagram received. */
  readonly onPacket: () => void;
}

/** Binds a UDP socket; each datagram goes to `handler` whole (it may hold several lines). */
export async function startUdpListener(
  listen: string,
  options: UdpOptions,
  handler: InputHandler,
): Promise<Listener> {
  const { host, port } = parseListenAddress(listen)!;
  const family = await addressFamily(host, listen, 'statsd.udp_listen');
  const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (err) => {
      socket.close();
      reject(
        new StatsdListenError(
          `cannot listen for StatsD on UDP ${listen}: ${err.message}. Set statsd.udp_listen to a free address, or "" to turn UDP off`,
        ),
      );
    });
    socket.bind(port, host, () => {
      socket.removeAllListeners('error');
      resolve();
    });
  });
  if (options.receiveBuffer > 0) {
    try {
      socket.setRecvBufferSize(options.receiveBuffer);
    } catch (err) {
      options.logger.warn(
        { err: (err as Error).message },
        `could not set the StatsD UDP receive buffer to ${options.receiveBuffer} bytes (statsd.udp_receive_buffer); using the OS default`,
      );
    }
  }
  socket.on('error', (err) => options.logger.error({ err: err.message }, 'StatsD UDP socket error'));
  socket.on('message', (packet) => {
    options.onPacket();
    if (packet.length > options.maxPacketSize) handler.tooLarge('udp', packet.subarray(0, 200));
    else handler.data(packet, 'udp');
  });
  const bound = socket.address();
  return {
    address: formatAddress(bound.address, bound.port),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

export interface TcpOptions {
  readonly maxLineLength: number;
  readonly logger: Logger;
  readonly onConnection: () => void;
  readonly onConnectionError: () => void;
}

/** Listens for TCP connections; each newline-terminated line goes to `handler` on its own. */
export async function startTcpListener(
  listen: string,
  options: TcpOptions,
  handler: InputHandler,
): Promise<Listener> {
  const { host, port } = parseListenAddress(listen)!;
  await addressFamily(host, listen, 'statsd.tcp_listen');
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    options.onConnection();
    sockets.add(socket);
    const splitter = new LineSplitter(
      options.maxLineLength,
      (line) => handler.data(line, 'tcp'),
      (head) => handler.tooLarge('tcp', head),
    );
    socket.on('data', (chunk) => splitter.push(chunk));
    // A last line without a newline still counts, as with bufio.Reader.ReadLine in statsd_exporter.
    socket.on('end', () => splitter.end());
    socket.on('error', (err) => {
      options.onConnectionError();
      options.logger.debug({ err: err.message, remote: socket.remoteAddress }, 'StatsD TCP connection error');
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new StatsdListenError(
          `cannot listen for StatsD on TCP ${listen}: ${err.message}. Set statsd.tcp_listen to a free address, or "" to turn TCP off`,
        ),
      ),
    );
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  server.on('error', (err) => options.logger.error({ err: err.message }, 'StatsD TCP listener error'));
  const bound = server.address() as net.AddressInfo;
  return {
    address: formatAddress(bound.address, bound.port),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/**
 * Cuts a byte stream into lines at `\n`. A line longer than `maxLength` is reported once through
 * `onTooLong` and skipped up to its newline; the lines after it are read as usual.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private discarding = false;

  constructor(
    private readonly maxLength: number,
    private readonly onLine: (line: Buffer) => void,
    private readonly onTooLong: (head: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(10, start);
      if (newline < 0) break;
      this.take(chunk.subarray(start, newline), true);
      start = newline + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start), false);
  }

  /** The stream ended: a final line without a newline is still a line. */
  end(): void {
    if (this.pendingLength > 0 && !this.discarding) this.onLine(this.drain());
    this.pending = [];
    this.pendingLength = 0;
    this.discarding = false;
  }

  private take(piece: Buffer, complete: boolean): void {
    if (this.discarding) {
      if (complete) this.discarding = false;
      return;
    }
    if (this.pendingLength + piece.length > this.maxLength) {
      const head = Buffer.concat([...this.pending, piece.subarray(0, 200)]).subarray(0, 200);
      this.pending = [];
      this.pendingLength = 0;
      this.discarding = !complete;
      this.onTooLong(head);
      return;
    }
    if (!complete) {
      // Copy: the socket may reuse the chunk's memory after this callback returns.
      this.pending.push(Buffer.from(piece));
      this.pendingLength += piece.length;
      return;
    }
    if (this.pendingLength === 0) {
      this.onLine(piece);
      return;
    }
    this.pending.push(piece);
    this.pendingLength += piece.length;
    this.onLine(this.drain());
  }

  private drain(): Buffer {
    const line = Buffer.concat(this.pending, this.pendingLength);
    this.pending = [];
    this.pendingLength = 0;
    return line;
  }
}

/** 4 or 6; a host name is resolved once so the UDP socket gets the right family. */
async function addressFamily(host: string, listen: string, key: string): Promise<4 | 6> {
  const literal = net.isIP(host);
  if (literal === 4 || literal === 6) return literal;
  try {
    const { family } = await lookup(host);
    return family === 6 ? 6 : 4;
  } catch (err) {
    throw new StatsdListenError(
      `cannot resolve the host in ${key} "${listen}": ${(err as Error).message}. Use an IP address such as 127.0.0.1`,
    );
  }
}

function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
