/**
 * Helpers for scrape tests: small real HTTP servers that play exporters, real ingest
 * dependencies over the in-memory storage, and polling for what got stored.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { defaultConfig, parseConfig } from '../../config/load.ts';
import { type Labels, labelsToRecord } from '../../model/labels.ts';
import { newMatcher } from '../../model/matcher.ts';
import { isStaleNaN, type SeriesSamples } from '../../model/sample.ts';
import { SelfMetrics } from '../../self/metrics.ts';
import type { MetricsStorage } from '../../storage/interface.ts';
import { MemoryStorage } from '../../storage/memory/memory-storage.ts';
import type { IngestDeps } from '../deps.ts';
import { createMetricsSink } from '../metrics-sink.ts';
import type { ScrapeOptions } from './index.ts';

export interface FixtureServer {
  readonly address: string;
  readonly port: number;
  /** Every request received so far. */
  readonly requests: IncomingMessage[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 with an ephemeral port. */
export async function fixtureServer(
  handler: (req: IncomingMessage, res: ServerResponse, n: number) => void,
): Promise<FixtureServer> {
  const requests: IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers with a Prometheus text exposition. */
export function sendText(res: ServerResponse, body: string): void {
  res.setHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8');
  res.end(body);
}

export interface TestDeps {
  readonly deps: IngestDeps;
  readonly storage: MetricsStorage;
  readonly self: SelfMetrics;
}

/** Real ingest dependencies: the in-memory storage behind the real metrics sink. */
export function testDeps(): TestDeps {
  const storage = new MemoryStorage();
  const self = new SelfMetrics();
  const limits = defaultConfig().limits;
  const logger = pino({ level: process.env.VIGIL_TEST_LOG ?? 'silent' });
  return {
    storage,
    self,
    deps: {
      sink: createMetricsSink(storage, limits, self),
      logger,
      self,
      limits,
      maxBodyBytes: 1024 * 1024,
      now: Date.now,
    },
  };
}

/** Scrape options from a YAML snippet holding `global` and/or `scrape_configs`. */
export function scrapeOptions(yaml: string, baseDir = process.cwd()): ScrapeOptions {
  const config = parseConfig(yaml, 'test.yml');
  return { global: config.global, scrapeConfigs: config.scrape_configs, baseDir };
}

/** Polls `check` every 25ms until it returns a value other than undefined/false, or fails after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${ms}ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Series matching `selector` (name and equality labels) with all their samples. */
export async function selectSeries(
  storage: MetricsStorage,
  name: string,
  labels: Record<string, string> = {},
): Promise<SeriesSamples[]> {
  const matchers = [
    newMatcher('=', '__name__', name),
    ...Object.entries(labels).map(([k, v]) => newMatcher('=', k, v)),
  ];
  return storage.select(matchers, { minT: 0, maxT: Date.now() + 3_600_000 });
}

/** Values of a series as strings, `stale` for staleness markers. */
export function valuesOf(s: SeriesSamples): string[] {
  return Array.from(s.values, (v) => (isStaleNaN(v) ? 'stale' : String(v)));
}

export function record(labels: Labels): Record<string, string> {
  return labelsToRecord(labels);
}
