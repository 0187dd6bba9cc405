/**
 * Explore / metrics in Chromium against a real Vigil fed over remote write: the graph and its
 * legend, autocompletion of a metric name, running from the keyboard, the table, a failing
 * query's server message, themes and the UTC toggle.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startTestVigil, type TestVigil } from '../../server/src/testutil/vigil.ts';
import {
  type BrowserSession,
  ensureUiBuilt,
  generate,
  screenshot,
  startBrowser,
  writeSeries,
} from './harness.ts';

let vigil: TestVigil;
let browser: BrowserSession;
const ROUTES = ['GET /', 'GET /api/orders', 'POST /api/orders'];

before(async () => {
  await ensureUiBuilt();
  vigil = await startTestVigil();
  browser = await startBrowser();
  const end = Date.now();
  const start = end - 2 * 3_600_000;
  await writeSeries(
    vigil.url,
    ROUTES.map((route, k) =>
      generate({ __name__: 'http_requests_total', job: 'shop', route }, start, end, 15_000, (t) =>
        Math.floor(((t - start) / 1000) * (k + 1) * (2 + Math.sin((t - start) / 900_000))),
      ),
    ),
  );
  await writeSeries(vigil.url, [
    generate(
      { __name__: 'process_resident_memory_bytes', job: 'shop' },
      start,
      end,
      15_000,
      (_t, i) => 2e8 + i * 1e5,
    ),
  ]);
});

after(async () => {
  await browser?.close();
  await vigil?.stop();
});

async function legendCount(page: Page): Promise<number> {
  await page.waitForSelector('[data-testid=legend-item]');
  return page.locator('[data-testid=legend-item]').count();
}

async function assertChartDrawn(page: Page): Promise<void> {
  const canvas = page.locator('[data-testid=chart] canvas').first();
  await canvas.waitFor();
  // A drawn canvas has non-background pixels: check that the lines left ink on it.
  const inked = await canvas.evaluate((c: HTMLCanvasElement) => {
    const ctx = c.getContext('2d')!;
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
    return n;
  });
  assert.ok(inked > 500, `the chart canvas is blank (${inked} painted pixels)`);
}

test('a query in the URL renders a graph with one legend entry per series', async () => {
  const q = 'sum by (route) (rate(http_requests_total[5m]))';
  const page = await browser.open(`${vigil.url}/explore/metrics?q=${encodeURIComponent(q)}&from=now-2h`);
  assert.equal(await legendCount(page), 3);
  await assertChartDrawn(page);
  const legend = await page.locator('[data-testid=legend-item]').allTextContents();
  assert.deepEqual(legend.sort(), ROUTES.map((r) => `{route="${r}"}`).sort());
  assert.match((await page.locator('[data-testid=result-stats]').textContent()) ?? '', /^3 series/);

  // Hovering shows every series' value at that time.
  const over = page.locator('.u-over');
  const box = (await over.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
  await page.locator('.chart-tooltip .tt-row').first().waitFor();
  assert.equal(await page.locator('.chart-tooltip .tt-row').count(), 3);
  await screenshot(page, 'explore-metrics');

  // Clicking a legend entry hides that series; Shift-click shows only one.
  await page.locator('[data-testid=legend-item]').first().click();
  assert.equal(await page.locator('[data-testid=legend-item].hidden').count(), 1);
  await page
    .locator('[data-testid=legend-item]')
    .nth(1)
    .click({ modifiers: ['Shift'] });
  assert.equal(await page.locator('[data-testid=legend-item].hidden').count(), 2);
  await page.close();
  browser.assertNoErrors();
});

test('the editor completes a metric name, and Shift+Enter runs the query into the URL', async () => {
  const page = await browser.open(`${vigil.url}/explore/metrics`);
  await page.waitForSelector('[data-testid=query-editor][data-ready=true]');
  await page.locator('.cm-content').click();
  await page.keyboard.type('http_req');
  const option = page.locator('.cm-tooltip-autocomplete li', { hasText: 'http_requests_total' });
  await option.first().waitFor({ timeout: 10_000 });
  await screenshot(page, 'explore-metrics-autocomplete');
  await page.keyboard.press('Enter'); // accept the completion
  assert.equal(await page.locator('.cm-content').textContent(), 'http_requests_total');
  await page.keyboard.press('Shift+Enter');
  await page.waitForURL(/q=http_requests_total/);
  assert.equal(await legendCount(page), 3);

  // The query went into the history.
  await page.locator('[data-testid=history]').click();
  await page.locator('.history-item', { hasText: 'http_requests_total' }).waitFor();
  await page.keyboard.press('Escape');
  await page.close();
  browser.assertNoErrors();
});

test('table mode runs an instant query and lists each series with its value', async () => {
  const page = await browser.open(
    `${vigil.url}/explore/metrics?q=${encodeURIComponent('http_requests_total')}&mode=table`,
  );
  const rows = page.locator('[data-testid=instant-table] tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 3);
  assert.match(
    (await rows.first().textContent()) ?? '',
    /http_requests_total\{job="shop", route="GET \/"\}\d+/,
  );
  await page.close();
  browser.assertNoErrors();
});

test("a failing query shows the server's error message", async () => {
  const page = await browser.open(
    `${vigil.url}/explore/metrics?q=${encodeURIComponent('sum(rate(http_requests_total[5m])')}`,
  );
  const error = page.locator('.error-box');
  await error.waitFor();
  const text = (await error.textContent()) ?? '';
  assert.match(text, /The query failed/);
  assert.match(text, /parse error/);
  assert.match(text, /HTTP 400/);
  // A query the parser accepts but the engine refuses: the engine's own words.
  await page.goto(`${vigil.url}/explore/metrics?q=${encodeURIComponent('rate(http_requests_total)')}`);
  await page.locator('.error-box', { hasText: 'expected type range vector' }).waitFor();
  await screenshot(page, 'explore-metrics-error');
  await page.close();
  // The 400s are the point of this test; Chromium logs them, the app logs nothing.
  browser.assertNoErrors([/\/api\/v1\/query_range$/]);
});

test('units, stacking, dark theme and UTC', async () => {
  const page = await browser.open(
    `${vigil.url}/explore/metrics?q=${encodeURIComponent('process_resident_memory_bytes')}&unit=bytes&stacked=1`,
  );
  await legendCount(page);
  await assertChartDrawn(page);
  await page.locator('[data-testid=theme-toggle]').click();
  const theme = await page.evaluate(() => document.documentElement.dataset.theme);
  assert.ok(theme === 'dark' || theme === 'light');
  await page.locator('[data-testid=utc-toggle]').click();
  await page.locator('[data-testid=time-range] .badge', { hasText: 'UTC' }).waitFor();
  // The y axis shows bytes in IEC units.
  await assertChartDrawn(page);
  const box = (await page.locator('.u-over').boundingBox())!;
  await page.mouse.move(box.x + box.width - 5, box.y + 5);
  await page.locator('.chart-tooltip .tt-val', { hasText: 'MiB' }).waitFor();
  await screenshot(page, `explore-metrics-${theme}`);
  // Keyboard: '?' opens the shortcuts, Escape closes them.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('?');
  await page.locator('[role=dialog]', { hasText: 'Keyboard shortcuts' }).waitFor();
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('[role=dialog]').count(), 0);
  await page.close();
  browser.assertNoErrors();
});
