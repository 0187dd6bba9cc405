/**
 * What the browser tests share: a fresh UI bundle, Debian's Chromium driven by playwright-core
 * with a throwaway profile, a console watcher (any console error fails the test), screenshots as
 * artifacts, and helpers to feed a real Vigil over its ingest APIs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { sendWriteRequest } from '../../server/src/ingest/remote-write/client.ts';

const UI_DIR = new URL('..', import.meta.url).pathname;
const DIST_INDEX = join(UI_DIR, 'dist', 'index.html');
/** Screenshots every run saves (gitignored). */
export const ARTIFACTS = join(UI_DIR, 'e2e', 'artifacts');
/** Screenshots the README shows; refreshed when VIGIL_UPDATE_SCREENSHOTS=1. */
const DOC_SCREENSHOTS = new URL('../../../docs/screenshots/', import.meta.url).pathname;

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function bundleIsFresh(): boolean {
  try {
    const built = statSync(DIST_INDEX).mtimeMs;
    const sources = Math.max(
      newestMtime(join(UI_DIR, 'src')),
      newestMtime(join(UI_DIR, 'index.html')),
      newestMtime(join(UI_DIR, 'vite.config.ts')),
    );
    return built >= sources;
  } catch {
    return false;
  }
}

/**
 * Builds the UI unless dist/ is newer than every source file. Test files run in parallel, so the
 * build is guarded by a lock directory; a waiting process re-checks freshness afterwards.
 */
export async function ensureUiBuilt(): Promise<void> {
  if (bundleIsFresh()) return;
  const lock = join(UI_DIR, '.build-lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline)
        throw new Error(`UI build lock ${lock} held for 2 minutes; remove it if stale`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (bundleIsFresh()) return;
    const vite = join(UI_DIR, '..', '..', 'node_modules', 'vite', 'bin', 'vite.js');
    const res = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'error'], {
      cwd: UI_DIR,
      encoding: 'utf8',
    });
    if (res.status !== 0) throw new Error(`vite build failed:\n${res.stdout}\n${res.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** A browser session whose pages fail the test on any console error or uncaught exception. */
export interface BrowserSession {
  readonly context: BrowserContext;
  /** A new page at `url`, watched for errors. */
  open(url: string, options?: { width?: number; height?: number }): Promise<Page>;
  /** Console errors and page errors seen so far. */
  readonly errors: string[];
  /**
   * Fails when any page logged an error; call at the end of each test. Chromium logs every 4xx/5xx
   * response as a console error ("Failed to load resource"); a test that provokes one on purpose
   * (a failing query) lists the URL pattern in `expectedHttpErrors`, and only those are let through.
   */
  assertNoErrors(expectedHttpErrors?: readonly RegExp[]): void;
  close(): Promise<void>;
}

export async function startBrowser(): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), 'vigil-ui-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
  });
  const errors: string[] = [];
  const used = new WeakSet<Page>();
  return {
    context,
    errors,
    async open(url, options = {}) {
      // The persistent context opens with one blank page; use it first.
      const blank = context.pages().find((p) => p.url() === 'about:blank' && !used.has(p));
      const page = blank ?? (await context.newPage());
      used.add(page);
      if (options.width) await page.setViewportSize({ width: options.width, height: options.height ?? 900 });
      page.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        const resource = /^Failed to load resource: the server responded with a status of (\d+)/.exec(
          msg.text(),
        );
        const where = resource ? ` (${msg.location().url})` : '';
        errors.push(`console error on ${page.url()}: ${msg.text()}${where}`);
      });
      page.on('pageerror', (err) => errors.push(`uncaught exception on ${page.url()}: ${err.message}`));
      await page.goto(url);
      return page;
    },
    assertNoErrors(expectedHttpErrors = []) {
      const seen = errors.splice(0).filter((e) => {
        const m = /Failed to load resource: the server responded with a status of 4\d\d .*\((.+)\)$/.exec(e);
        return !(m && expectedHttpErrors.some((re) => re.test(m[1])));
      });
      assert.deepEqual(seen, [], 'the page logged errors');
    },
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot as a test artifact (and as a README screenshot when asked to). */
export async function screenshot(
  page: Page,
  name: string,
  options: { fullPage?: boolean } = {},
): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: options.fullPage ?? false });
  if (process.env.VIGIL_UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOC_SCREENSHOTS, { recursive: true });
    copyFileSync(path, join(DOC_SCREENSHOTS, `${name}.png`));
  }
  return path;
}

/** One series for remote write: labels (with __name__) and [timestamp ms, value] samples. */
export interface TestSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly samples: readonly (readonly [number, number])[];
}

/** Sends series to Vigil over remote write; fails the test unless all were stored. */
export async function writeSeries(vigilUrl: string, series: readonly TestSeries[]): Promise<void> {
  const res = await sendWriteRequest(`${vigilUrl}/api/v1/write`, {
    timeseries: series.map((s) => ({
      labels: Object.entries(s.labels)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, value]) => ({ name, value })),
      samples: s.samples.map(([t, v]) => ({ timestamp: BigInt(Math.round(t)), value: v })),
    })),
  });
  assert.equal(res.status, 204, `remote write failed: ${res.status} ${res.body}`);
}

/**
 * A regular series over [start, end] every `stepMs`, values from `f(t)`: e.g. a counter
 * `t => (t - start) / 1000 * rate`.
 */
export function generate(
  labels: Record<string, string>,
  start: number,
  end: number,
  stepMs: number,
  f: (t: number, i: number) => number,
): TestSeries {
  const samples: [number, number][] = [];
  let i = 0;
  for (let t = start; t <= end; t += stepMs) samples.push([t, f(t, i++)]);
  return { labels, samples };
}

/** One Loki stream for the push API: labels and [time ms, line, structured metadata?] entries. */
export interface TestStream {
  readonly labels: Readonly<Record<string, string>>;
  readonly lines: readonly (readonly [number, string, Readonly<Record<string, string>>?])[];
}

/** Pushes log lines over Loki's JSON push API; fails the test unless they were accepted. */
export async function pushLogs(vigilUrl: string, streams: readonly TestStream[]): Promise<void> {
  const body = {
    streams: streams.map((s) => ({
      stream: s.labels,
      values: s.lines.map(([t, line, meta]) =>
        meta ? [`${Math.round(t)}000000`, line, meta] : [`${Math.round(t)}000000`, line],
      ),
    })),
  };
  const res = await fetch(`${vigilUrl}/loki/api/v1/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 204, `log push failed: ${res.status} ${await res.text()}`);
}

/** A span for sendTrace: times in ms, ids in hex (16 digits), parent absent for the root. */
export interface TestSpan {
  readonly id: string;
  readonly parent?: string;
  readonly service: string;
  readonly name: string;
  readonly start: number;
  readonly duration: number;
  readonly kind?: 'server' | 'client' | 'internal';
  readonly error?: string;
  readonly attributes?: Readonly<Record<string, string | number>>;
  readonly events?: readonly { readonly name: string; readonly time: number }[];
}

const KIND = { internal: 1, server: 2, client: 3 };

/** Sends one trace over OTLP/HTTP JSON; fails the test unless it was accepted. */
export async function sendTrace(
  vigilUrl: string,
  traceId: string,
  spans: readonly TestSpan[],
): Promise<void> {
  const ns = (ms: number) => `${BigInt(Math.round(ms * 1000)) * 1000n}`;
  const attrs = (a: Readonly<Record<string, string | number>> = {}) =>
    Object.entries(a).map(([key, v]) => ({
      key,
      value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v },
    }));
  const services = [...new Set(spans.map((s) => s.service))];
  const body = {
    resourceSpans: services.map((service) => ({
      resource: { attributes: attrs({ 'service.name': service }) },
      scopeSpans: [
        {
          scope: { name: 'vigil-ui-e2e' },
          spans: spans
            .filter((s) => s.service === service)
            .map((s) => ({
              traceId,
              spanId: s.id,
              parentSpanId: s.parent ?? '',
              name: s.name,
              kind: KIND[s.kind ?? 'internal'],
              startTimeUnixNano: ns(s.start),
              endTimeUnixNano: ns(s.start + s.duration),
              attributes: attrs(s.attributes),
              events: (s.events ?? []).map((e) => ({ name: e.name, timeUnixNano: ns(e.time) })),
              status: s.error ? { code: 2, message: s.error } : { code: 0 },
            })),
        },
      ],
    })),
  };
  const res = await fetch(`${vigilUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, `trace push failed: ${res.status} ${await res.text()}`);
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function eventually<T>(what: string, check: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
