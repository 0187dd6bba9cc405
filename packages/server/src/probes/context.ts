/**
 * What every prober receives: the deadline (as an AbortSignal), the registry its metrics go to,
 * a log whose lines the /probe?debug=true output shows, and the directory relative file names
 * (CA files, body files, password files) resolve against.
 */
import { isAbsolute, join } from 'node:path';
import type { ProbeRegistry } from './registry.ts';

export interface ProbeContext {
  /** Aborts at the deadline. */
  readonly signal: AbortSignal;
  /** The deadline, Unix ms. */
  readonly deadline: number;
  readonly registry: ProbeRegistry;
  readonly log: ProbeLog;
  readonly baseDir: string;
}

type Fields = Readonly<Record<string, unknown>>;

/** Log lines of one probe, kept for the debug output (logfmt, like the exporter's). */
export class ProbeLog {
  readonly lines: string[] = [];

  debug(msg: string, fields: Fields = {}): void {
    this.add('debug', msg, fields);
  }
  info(msg: string, fields: Fields = {}): void {
    this.add('info', msg, fields);
  }
  error(msg: string, fields: Fields = {}): void {
    this.add('error', msg, fields);
  }

  /** The error messages logged (without the final "Probe failed"), joined by "; ": why the probe failed. */
  errors(): string {
    const out: string[] = [];
    for (const line of this.lines) {
      const m = /level=error msg=("(?:[^"\\]|\\.)*"|\S+)(.*)$/.exec(line);
      if (!m) continue;
      const msg = m[1].startsWith('"') ? (JSON.parse(m[1]) as string) : m[1];
      if (msg !== 'Probe failed') out.push(`${msg}${m[2]}`);
    }
    return out.join('; ');
  }

  private add(level: string, msg: string, fields: Fields): void {
    let line = `ts=${new Date().toISOString()} level=${level} msg=${logfmtValue(msg)}`;
    for (const [k, v] of Object.entries(fields))
      line += ` ${k}=${logfmtValue(v instanceof Error ? v.message : v)}`;
    this.lines.push(line);
  }
}

function logfmtValue(v: unknown): string {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
}

/** A file name from the config, resolved against the config file's directory. */
export function resolvePath(baseDir: string, file: string): string {
  return isAbsolute(file) ? file : join(baseDir, file);
}

/** Rejects with the signal's reason when it aborts first. */
export function raceSignal<T>(signal: AbortSignal, work: Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** The error a deadline produces: "context deadline exceeded", as Go says it. */
export function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error && reason.name !== 'TimeoutError' && reason.name !== 'AbortError'
    ? reason
    : new Error('context deadline exceeded');
}
