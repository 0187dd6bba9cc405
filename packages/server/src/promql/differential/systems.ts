/**
 * The two systems under comparison: a real Prometheus (Debian's 2.42 at /usr/bin/prometheus, or
 * PROMETHEUS_BIN) started with an empty config and the remote-write receiver on, and a plain HTTP
 * client that asks either one the same API question.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Prometheus binary the comparisons run against. */
export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

/** A Prometheus child process listening on 127.0.0.1. */
export interface RunningPrometheus {
  readonly url: string;
  readonly child: ChildProcess;
  /** Its recent stderr (logs), for error messages. */
  stderr(): string;
  /** Stops the process (SIGTERM, then SIGKILL after 10s) and removes its data directory. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (there is a small race until the caller binds it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port')),
      );
    });
  });
}

/**
 * Starts Prometheus with an empty config, a fresh TSDB directory and `--web.enable-remote-write-receiver`,
 * and waits until /-/ready answers. Throws (never skips) when the binary is missing.
 */
export async function startPrometheus(extraArgs: readonly string[] = []): Promise<RunningPrometheus> {
  if (!existsSync(PROMETHEUS_BIN))
    throw new Error(
      `${PROMETHEUS_BIN} not found: install Debian's prometheus package (CI does this in .ci/run) or set PROMETHEUS_BIN`,
    );
  const dir = mkdtempSync(join(tmpdir(), 'vigil-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, '');
  const port = await freePort();
  const child = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      ...extraArgs,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  child.on('error', (e) => {
    err += `\nspawn failed: ${e.message}`;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`prometheus exited before it was ready:\n${err.slice(-4000)}`);
    }
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready within 30s:\n${err.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, child, stderr: () => err, stop };
}

/** An HTTP answer from either system: status code and parsed JSON body (or the raw text). */
export interface ApiAnswer {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON whose shape is what is being compared
  readonly body: any;
}

/** Sends `path?params` as GET (or as a form POST) and parses the JSON answer. */
export async function callApi(
  baseUrl: string,
  path: string,
  params: Readonly<Record<string, string | readonly string[]>> = {},
  method: 'GET' | 'POST' = 'GET',
): Promise<ApiAnswer> {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'string') search.append(k, v);
    else for (const item of v) search.append(k, item);
  }
  const res =
    method === 'GET'
      ? await fetch(`${baseUrl}${path}${search.size > 0 ? `?${search}` : ''}`)
      : await fetch(`${baseUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: search.toString(),
        });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}
