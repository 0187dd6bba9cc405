/**
 * Helpers for alerting tests: a local webhook receiver that records what it gets, and the
 * alerting module started on its own (with a ManualClock when timing matters) behind a real HTTP
 * server for its API.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createHttpServer } from '../api/server.ts';
import { parseConfig } from '../config/load.ts';
import { SelfMetrics } from '../self/metrics.ts';
import type { Clock } from './clock.ts';
import { type AlertingModule, startAlerting } from './index.ts';

/** One request a test receiver got. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** When it arrived, by the test's clock if one was given. */
  readonly at: number;
}

export interface TestReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Parsed JSON bodies, in arrival order. */
  json<T = WebhookMessage>(): T[];
  /** Sets the status code for the next requests (default 200). */
  respondWith(status: number, body?: string): void;
  /** Resolves once `n` requests have arrived (real time, at most `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** The webhook payload (version 4). */
export interface WebhookMessage {
  receiver: string;
  status: string;
  alerts: {
    status: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    fingerprint: string;
  }[];
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  version: string;
  groupKey: string;
  truncatedAlerts: number;
}

/** A real HTTP server on 127.0.0.1 that records every request. */
export async function testReceiver(now: () => number = Date.now): Promise<TestReceiver> {
  const requests: ReceivedRequest[] = [];
  let status = 200;
  let answer = '';
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, at: now() });
      res.statusCode = status;
      res.end(answer);
      for (const w of waiters.splice(0)) {
        if (requests.length >= w.n) w.resolve();
        else waiters.push(w);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    json: <T>() => requests.map((r) => JSON.parse(r.body) as T),
    respondWith(s, b = '') {
      status = s;
      answer = b;
    },
    waitFor(n, timeoutMs = 20_000) {
      if (requests.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`expected ${n} requests, got ${requests.length} within ${timeoutMs}ms`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface TestAlerting {
  readonly module: AlertingModule;
  /** Base URL of a real HTTP server with the Alertmanager API registered. */
  readonly url: string;
  readonly dataDir: string;
  /** The module's self-metrics (what /metrics would show). */
  readonly self: SelfMetrics;
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/**
 * Starts the alerting module with a Vigil config (YAML) and serves its API on 127.0.0.1.
 * `dataDir` persists state across starts when given.
 */
export async function startTestAlerting(
  configYaml: string,
  options: { clock?: Clock; dataDir?: string; baseDir?: string } = {},
): Promise<TestAlerting> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'vigil-alerting-'));
  const config = parseConfig(configYaml, 'test-config.yml');
  const logger = pino({ level: process.env.VIGIL_TEST_LOG ?? 'silent' });
  const self = new SelfMetrics();
  const module = await startAlerting({
    config,
    baseDir: options.baseDir ?? process.cwd(),
    dataDir,
    logger,
    self,
    now: Date.now,
    externalURL: 'http://vigil.test',
    clock: options.clock,
    // No jitter: retry timing is then exact.
    random: () => 0.5,
  });
  const app = createHttpServer({ logger, bearerTokens: undefined, maxBodyBytes: 1 << 20 });
  module.registerApi(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    module,
    url: `http://127.0.0.1:${port}`,
    dataDir,
    self,
    async stop(stopOptions = {}) {
      await app.close();
      await module.stop();
      if (!options.dataDir && !stopOptions.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** POSTs alerts to /api/v2/alerts and checks the answer. */
export async function postAlerts(url: string, alerts: unknown[]): Promise<void> {
  const res = await fetch(`${url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
  });
  if (res.status !== 200) throw new Error(`POST /api/v2/alerts: ${res.status} ${await res.text()}`);
}

/** Debian's Alertmanager tools; tests fail (not skip) when they are missing, as CI installs them. */
export const AMTOOL = '/usr/bin/amtool';
export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';

export function requireBinary(path: string): void {
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: install Debian's prometheus-alertmanager package (.ci/run does)`);
  }
}

/**
 * Runs amtool against an Alertmanager URL. Asynchronous, so an Alertmanager API served by this
 * very process keeps answering while amtool waits.
 */
export function amtool(
  url: string,
  args: string[],
): Promise<{ stdout: string; stderr: string; status: number }> {
  requireBinary(AMTOOL);
  return new Promise((resolve, reject) => {
    const child = spawn(AMTOOL, [`--alertmanager.url=${url}`, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, status: code ?? -1 });
    });
  });
}

/** A free TCP port on 127.0.0.1 (bound and released; good enough for a child process to take). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface RealAlertmanager {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts Debian's Alertmanager with the given alertmanager.yml, its own storage, no clustering. */
export async function startRealAlertmanager(
  configYaml: string,
  extraArgs: string[] = [],
): Promise<RealAlertmanager> {
  requireBinary(ALERTMANAGER);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-real-am-'));
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'alertmanager.yml'), configYaml);
  const port = await freePort();
  const child = spawn(
    ALERTMANAGER,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
      ...extraArgs,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`Alertmanager did not start:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop };
}
