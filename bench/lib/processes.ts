/** Starting the systems under test as child processes, and measuring them from outside. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export async function waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs}ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function startProcess(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
    if (err.length > 100_000) err = err.slice(-50_000);
  });
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGKILL' && code !== null) {
      process.stderr.write(`${cmd} exited with ${code}:\n${err.slice(-4000)}\n`);
    }
  });
  return child;
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  await done;
  clearTimeout(timer);
}

/** Samples the process's resident set size every 100ms; `peak()` is the largest seen (also VmHWM). */
export function watchRss(pid: number): { peak(): number; stop(): void } {
  let peak = 0;
  const read = () => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
      const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
      peak = Math.max(peak, rss, hwm);
    } catch {
      // process gone
    }
  };
  const timer = setInterval(read, 100);
  return {
    peak: () => {
      read();
      return peak;
    },
    stop: () => clearInterval(timer),
  };
}

/** Total bytes of regular files under a directory. */
export function duBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) total += duBytes(p);
    else if (entry.isFile()) total += statSync(p).size;
  }
  return total;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux clock ticks, 100 Hz). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may contain spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const VIGIL_BIN = new URL('../../packages/server/bin/vigil.mjs', import.meta.url).pathname;

/**
 * Node arguments that run `vigil serve` on 127.0.0.1:`port` with its own data directory and no
 * separate OTLP listeners (their fixed ports would clash with another run on the machine).
 */
export function vigilServeArgs(o: {
  port: number;
  dataDir: string;
  config?: string;
  logLevel?: string;
  /** Another checkout's bin/vigil.mjs, to compare builds. */
  bin?: string;
}): string[] {
  return [
    o.bin ?? VIGIL_BIN,
    'serve',
    '--data-dir',
    o.dataDir,
    '--listen',
    `127.0.0.1:${o.port}`,
    '--otlp-http-listen',
    '',
    '--otlp-grpc-listen',
    '',
    ...(o.config ? ['--config', o.config] : []),
    ...(o.logLevel ? ['--log-level', o.logLevel] : []),
  ];
}
