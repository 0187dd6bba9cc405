import { z } from 'zod';
import { parseDuration } from '../model/duration.ts';

/** A Prometheus duration string (`30s`, `1h30m`) as milliseconds. */
export const durationMs = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration; use e.g. 30s, 5m, 1h30m, 15d` });
    return z.NEVER;
  }
  return ms;
});

const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
  PB: 1024 ** 5,
  KIB: 1024,
  MIB: 1024 ** 2,
  GIB: 1024 ** 3,
  TIB: 1024 ** 4,
};

/**
 * A byte size like Prometheus's `--storage.tsdb.retention.size`: `512MB`, `10GB`, `1TB`
 * (powers of 1024, as Prometheus's units.Base2Bytes), or a plain number of bytes.
 */
export const byteSize = z.union([z.number().int().nonnegative(), z.string()]).transform((input, ctx) => {
  if (typeof input === 'number') return input;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(input);
  const factor = m ? SIZE_UNITS[(m[2] || 'B').toUpperCase()] : undefined;
  if (!m || factor === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${input}" is not a size; use e.g. 512MB, 10GB, 1TB` });
    return z.NEVER;
  }
  return Math.floor(Number(m[1]) * factor);
});

/** host:port; a bare `:port` means every interface, as in Prometheus's --web.listen-address. */
export const listenAddress = z.string().refine((s) => parseListenAddress(s) !== undefined, {
  message: 'expected host:port, e.g. 127.0.0.1:7070 or [::1]:7070',
});

export function parseListenAddress(s: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(s);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]), port };
}
