/**
 * Explore / logs in Chromium against a real Vigil fed over Loki's push API and OTLP: lines with
 * their levels and volume histogram, expanding a line and filtering by a label, a trace id that
 * opens the trace, live tail receiving a line pushed after the page opened, and a failing query's
 * server message.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestVigil, type TestVigil } from '../../server/src/testutil/vigil.ts';
import {
  type BrowserSession,
  ensureUiBuilt,
  pushLogs,
  screenshot,
  sendTrace,
  startBrowser,
} from './harness.ts';

let vigil: TestVigil;
let browser: BrowserSession;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const LEVELS = ['info', 'info', 'info', 'warn', 'error', 'debug'];
const LINES = 36;

before(async () => {
  await ensureUiBuilt();
  vigil = await startTestVigil();
  browser = await startBrowser();
  const now = Date.now();
  const byLevel = new Map<string, [number, string, Record<string, string>?][]>();
  for (let i = 0; i < LINES; i++) {
    const level = LEVELS[i % LEVELS.length];
    const t = now - (LINES - i) * 60_000;
    const line =
      level === 'error'
        ? `level=error msg="payment failed" order=${i} trace_id=${TRACE_ID}`
        : `level=${level} msg="order handled" order=${i}`;
    const meta = level === 'error' ? { trace_id: TRACE_ID, order_id: String(i) } : undefined;
    if (!byLevel.has(level)) byLevel.set(level, []);
    byLevel.get(level)!.push(meta ? [t, line, meta] : [t, line]);
  }
  await pushLogs(
    vigil.url,
    [...byLevel].map(([level, lines]) => ({ labels: { job: 'shop', level }, lines })),
  );
  await sendTrace(vigil.url, TRACE_ID, [
    {
      id: 'a000000000000001',
      service: 'frontend',
      name: 'POST /checkout',
      start: now - 120_000,
      duration: 420,
      kind: 'server',
    },
    {
      id: 'a000000000000002',
      parent: 'a000000000000001',
      service: 'frontend',
      name: 'call payments',
      start: now - 119_990,
      duration: 380,
      kind: 'client',
    },
    {
      id: 'a000000000000003',
      parent: 'a000000000000002',
      service: 'payments',
      name: 'charge card',
      start: now - 119_980,
      duration: 350,
      kind: 'server',
      error: 'card declined',
    },
  ]);
});

after(async () => {
  await browser?.close();
  await vigil?.stop();
});

test('a log query shows every line colour-coded by level, a volume histogram, and details that filter', async () => {
  const q = '{job="shop"}';
  const page = await browser.open(`${vigil.url}/explore/logs?q=${encodeURIComponent(q)}&from=now-3h`);
  const lines = page.locator('[data-testid=log-line]');
  await lines.first().waitFor();
  assert.equal(await lines.count(), LINES);
  assert.equal(await page.locator('.log-line.lvl-error').count(), LINES / LEVELS.length);
  assert.equal(await page.locator('.log-line.lvl-warn').count(), LINES / LEVELS.length);
  // The volume histogram has one series per level present.
  await page.locator('[data-testid=log-volume] canvas').first().waitFor();
  const legend = await page.locator('[data-testid=log-volume] [data-testid=legend-item]').allTextContents();
  assert.deepEqual(legend, ['error', 'warn', 'info', 'debug']);

  // Expand an error line: its labels and structured metadata show; clicking a label filters.
  await page.locator('.log-line.lvl-error .log-row').first().click();
  const details = page.locator('[data-testid=log-details]');
  await details.waitFor();
  const text = (await details.textContent()) ?? '';
  assert.match(text, /Labels/);
  assert.match(text, /Structured metadata/);
  assert.match(text, new RegExp(TRACE_ID));
  await screenshot(page, 'explore-logs');
  await details.locator(`[data-testid=filter-field][title='Filter by level="error"']`).click();
  await page.waitForURL((u) => new URL(u).searchParams.get('q') === '{job="shop", level="error"}');
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid=log-line]').length === n,
    LINES / LEVELS.length,
  );
  await page.close();
  browser.assertNoErrors();
});

test('clicking the trace id in a log line opens the trace', async () => {
  const q = '{job="shop", level="error"}';
  const page = await browser.open(`${vigil.url}/explore/logs?q=${encodeURIComponent(q)}&from=now-3h`);
  await page.locator('[data-testid=trace-link]').first().click();
  await page.waitForURL(new RegExp(`/explore/traces\\?trace=${TRACE_ID}`));
  const rows = page.locator('[data-testid=waterfall-row]');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 3);
  await page.close();
  browser.assertNoErrors();
});

test('live tail shows a line pushed after the page opened', async () => {
  const q = '{job="shop"}';
  const page = await browser.open(`${vigil.url}/explore/logs?q=${encodeURIComponent(q)}&from=now-3h&live=1`);
  await page.locator('.live-dot.open').waitFor();
  const marker = `live line ${Date.now()}`;
  await pushLogs(vigil.url, [
    { labels: { job: 'shop', level: 'warn' }, lines: [[Date.now(), `level=warn msg="${marker}"`]] },
  ]);
  const line = page.locator('[data-testid=log-line]', { hasText: marker });
  await line.waitFor({ timeout: 15_000 });
  // The newest line is on top.
  assert.match(
    (await page.locator('[data-testid=log-line]').first().textContent()) ?? '',
    new RegExp(marker),
  );
  assert.equal(await page.locator('[data-testid=log-line]').count(), LINES + 1);
  await screenshot(page, 'explore-logs-live');
  await page.close();
  browser.assertNoErrors();
});

test("a failing log query shows the server's message", async () => {
  const page = await browser.open(`${vigil.url}/explore/logs?q=${encodeURIComponent('{job="shop"')}`);
  const error = page.locator('.error-box');
  await error.waitFor();
  const text = (await error.textContent()) ?? '';
  assert.match(text, /The query failed/);
  assert.match(text, /HTTP 400/);
  await page.close();
  browser.assertNoErrors([/\/loki\/api\/v1\/query_range/]);
});
