/**
 * Helpers for tests that need a real Vigil: in-process (fast, shares the test's event loop) or
 * as a child process (for kill -9 and signal tests). Both listen on 127.0.0.1 with port 0 and a
 * fresh data directory under the OS temp dir.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig } from '../config/load.ts';
import { type RunningVigil, startVigil } from '../main.ts';

export function tempDir(prefix = 'vigil-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface TestVigil extends RunningVigil {
  readonly url: string;
  readonly dataDir: string;
  /** close() plus removal of the data directory. */
  stop(): Promise<void>;
}

/**
 * Starts Vigil in this process. `configYaml` is the config file text (server.listen and the OTLP
 * listeners default to ephemeral/off here unless the YAML sets them).
 */
export async function startTestVigil(
  configYaml = '',
  options: { dataDir?: string } = {},
): Promise<TestVigil> {
  const dir = options.dataDir ? undefined : tempDir();
  const dataDir = options.dataDir ?? dir!.path;
  const config = parseConfig(configYaml, 'test-config.yml');
  const server = { ...config.server };
  if (!/^\s*listen:/m.test(configYaml)) server.listen = '127.0.0.1:0';
  if (!/otlp_http_listen:/.test(configYaml)) server.otlp_http_listen = '';
  if (!/otlp_grpc_listen:/.test(configYaml)) server.otlp_grpc_listen = '';
  // A statsd section without explicit addresses gets an ephemeral UDP port.
  const statsd =
    config.statsd && !/udp_listen:/.test(configYaml)
      ? { ...config.statsd, udp_listen: '127.0.0.1:0' }
      : config.statsd;
  const logger = pino({ level: process.env.VIGIL_TEST_LOG ?? 'silent' });
  const vigil = await startVigil({ config: { ...config, server, statsd }, dataDir, logger });
  return {
    ...vigil,
    close: vigil.close,
    url: `http://${vigil.address}`,
    dataDir,
    async stop() {
      await vigil.close();
      dir?.remove();
    },
  };
}

export interface VigilProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stderr so far (its JSON logs). */
  stderr(): string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
}

const BIN = new URL('../../bin/vigil.mjs', import.meta.url).pathname;

/**
 * Runs `vigil serve` as a child process on an ephemeral port and waits until it is ready.
 * `args` are extra flags; `configYaml`, when given, is written to a file and passed as --config.
 */
export async function spawnVigil(
  dataDir: string,
  configYaml?: string,
  args: string[] = [],
): Promise<VigilProcess> {
  const flags = [
    'serve',
    '--data-dir',
    dataDir,
    '--listen',
    '127.0.0.1:0',
    '--otlp-http-listen',
    '',
    '--otlp-grpc-listen',
    '',
  ];
  if (configYaml !== undefined) {
    const path = join(dataDir, '..', `config-${process.pid}-${Date.now()}.yml`);
    writeFileSync(path, configYaml);
    flags.push('--config', path);
  }
  const child = spawn(process.execPath, [BIN, ...flags, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code ?? -1)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vigil did not start within 30s:\n${err}`)), 30_000);
    const onData = () => {
      const m = /"address":"([^"]+)"[^\n]*"msg":"Vigil started"/.exec(err);
      if (m) {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        resolve(`http://${m[1]}`);
      }
    };
    child.stderr!.on('data', onData);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`vigil exited (${code}) before it was ready:\n${err}`));
    });
  });
  return { url, child, stderr: () => err, exited };
}
