/** Test helper: runs a Node app as a child process and reads its JSON stdout lines. */
import { type ChildProcess, spawn } from 'node:child_process';

export interface RunningApp {
  readonly child: ChildProcess;
  /** Every JSON line the app printed so far. */
  readonly lines: Record<string, unknown>[];
  /** Resolves with the first line that has `key`. */
  line(key: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  stderr(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

/** Starts `node [args...]` in `cwd` with `env` added to the environment. */
export function runApp(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): RunningApp {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: { ...process.env, NODE_OPTIONS: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let err = '';
  let partial = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    partial += d.toString();
    let nl = partial.indexOf('\n');
    while (nl !== -1) {
      const text = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      try {
        lines.push(JSON.parse(text));
      } catch {
        // not JSON
      }
      nl = partial.indexOf('\n');
    }
    for (const w of waiters) w();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    stderr: () => err,
    line(key, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find((l) => key in l);
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no line with "${key}" within ${timeoutMs} ms; stderr:\n${err}`));
        }, timeoutMs);
        waiters.add(check);
        exited.then((code) => {
          if (waiters.has(check)) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`app exited (${code}) before printing "${key}"; stderr:\n${err}`));
          }
        });
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
