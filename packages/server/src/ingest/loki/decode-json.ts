/**
 * Loki's push request in JSON:
 *   {"streams": [{"stream": {"app": "x"}, "values": [["<unix ns>", "line", {"meta": "v"}], ...]}]}
 * and the older form with `labels: "{app=\"x\"}"` and `entries: [{"ts": "<RFC3339>", "line": ...}]`.
 */
import { type Label, labelsFromPairs } from '../../model/labels.ts';
import type { PushEntry, PushStream } from './decoded.ts';
import { LokiPushDecodeError } from './errors.ts';
import { parseLabelString } from './labels.ts';

export function decodePushJson(text: string): PushStream[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new LokiPushDecodeError(`the body is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(body) || !Array.isArray(body.streams)) {
    throw new LokiPushDecodeError('the body must be a JSON object with a "streams" array');
  }
  return body.streams.map((s, i) => decodeStream(s, i));
}

function decodeStream(s: unknown, i: number): PushStream {
  if (!isObject(s)) throw new LokiPushDecodeError(`streams[${i}] is not an object`);
  let labels: PushStream['labels'];
  if (isObject(s.stream)) {
    const pairs: Label[] = [];
    for (const [name, value] of Object.entries(s.stream)) {
      if (typeof value !== 'string')
        throw new LokiPushDecodeError(`streams[${i}].stream.${name} is not a string`);
      pairs.push({ name, value });
    }
    labels = labelsFromPairs(pairs);
  } else if (typeof s.labels === 'string') {
    labels = parseLabelString(s.labels);
  } else {
    throw new LokiPushDecodeError(`streams[${i}] has neither a "stream" object nor a "labels" string`);
  }
  const entries: PushEntry[] = [];
  if (Array.isArray(s.values)) {
    s.values.forEach((v, j) => {
      entries.push(decodeValue(v, `streams[${i}].values[${j}]`));
    });
  } else if (Array.isArray(s.entries)) {
    s.entries.forEach((e, j) => {
      entries.push(decodeLegacyEntry(e, `streams[${i}].entries[${j}]`));
    });
  } else {
    throw new LokiPushDecodeError(`streams[${i}] has no "values" array`);
  }
  return { labels, entries };
}

function decodeValue(v: unknown, where: string): PushEntry {
  if (!Array.isArray(v) || v.length < 2 || v.length > 3) {
    throw new LokiPushDecodeError(
      `${where} must be ["<unix epoch in nanoseconds>", "<log line>"] with optional structured metadata`,
    );
  }
  const [ts, line, meta] = v;
  if (typeof line !== 'string') throw new LokiPushDecodeError(`${where}[1] (the log line) is not a string`);
  return { timestampNs: parseNs(ts, where), line, metadata: decodeMetadata(meta, where) };
}

function decodeLegacyEntry(e: unknown, where: string): PushEntry {
  if (!isObject(e)) throw new LokiPushDecodeError(`${where} is not an object`);
  const line = e.line;
  if (typeof line !== 'string') throw new LokiPushDecodeError(`${where}.line is not a string`);
  const ts = e.ts ?? e.timestamp;
  let timestampNs: bigint;
  if (typeof ts === 'string' && !/^\d+$/.test(ts)) {
    const ms = Date.parse(ts);
    if (Number.isNaN(ms))
      throw new LokiPushDecodeError(`${where}.ts ${JSON.stringify(ts)} is not an RFC 3339 time`);
    const frac = /\.(\d+)/.exec(ts)?.[1] ?? '';
    timestampNs =
      BigInt(Math.floor(ms / 1000)) * 1_000_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9) || '0');
  } else timestampNs = parseNs(ts, `${where}.ts`);
  return { timestampNs, line, metadata: decodeMetadata(e.structuredMetadata, where) };
}

function parseNs(ts: unknown, where: string): bigint {
  if (typeof ts === 'string' && /^-?\d{1,19}$/.test(ts)) return BigInt(ts);
  if (typeof ts === 'number' && Number.isInteger(ts)) return BigInt(ts);
  throw new LokiPushDecodeError(
    `${where}: the timestamp ${JSON.stringify(ts)} is not Unix epoch nanoseconds as a string`,
  );
}

function decodeMetadata(meta: unknown, where: string): Label[] {
  if (meta === undefined || meta === null) return [];
  if (!isObject(meta)) throw new LokiPushDecodeError(`${where}[2] (structured metadata) is not an object`);
  const out: Label[] = [];
  for (const [name, value] of Object.entries(meta)) {
    if (typeof value !== 'string') {
      throw new LokiPushDecodeError(`${where}: structured metadata ${JSON.stringify(name)} is not a string`);
    }
    out.push({ name, value });
  }
  return labelsFromPairs(out) as Label[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
