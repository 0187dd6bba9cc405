/**
 * Status in Chromium against a real Vigil scraping two targets (one serving metrics over real
 * HTTP, one refusing connections): target states and errors, storage and ingestion figures from
 * /metrics, the configuration and runtime information.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { startTestVigil, type TestVigil } from '../../server/src/testutil/vigil.ts';
import { type BrowserSession, ensureUiBuilt, screenshot, startBrowser } from './harness.ts';

let vigil: TestVigil;
let browser: BrowserSession;
let exporter: Server;
let deadPort: number;

before(async () => {
  await ensureUiBuilt();
  exporter = createServer((_req, res) => {
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(
      '# TYPE shop_orders_total counter\nshop_orders_total{kind="web"} 42\nshop_orders_total{kind="app"} 7\n',
    );
  });
  await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r));
  // A port that was free a moment ago: connections to it are refused.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  deadPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const port = (exporter.address() as AddressInfo).port;
  vigil = await startTestVigil(`
scrape_configs:
  - job_name: shop
    scrape_interval: 1s
    static_configs:
      - targets: ['127.0.0.1:${port}']
        labels: { team: checkout }
  - job_name: broken
    scrape_interval: 1s
    static_configs:
      - targets: ['127.0.0.1:${deadPort}']
`);
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await vigil?.stop();
  await new Promise<void>((r) => exporter?.close(() => r()));
});

test('targets: state per pool, labels, last scrape and the error of a down target', async () => {
  const page = await browser.open(`${vigil.url}/status`);
  await page
    .locator('[data-testid=targets-summary]', { hasText: '1 of 2 targets up' })
    .waitFor({ timeout: 15_000 });
  const pools = page.locator('[data-testid=target-pool]');
  assert.equal(await pools.count(), 2);
  const broken = pools.filter({ hasText: 'broken' });
  await broken.locator('.badge', { hasText: 'down' }).waitFor();
  assert.match((await broken.textContent()) ?? '', /ECONNREFUSED|refused/i);
  const shop = pools.filter({ hasText: 'shop' });
  assert.match((await shop.textContent()) ?? '', /team=checkout/);
  assert.match((await shop.textContent()) ?? '', /ago/);
  await screenshot(page, 'status-targets');

  // The filter is kept in the URL.
  await page.locator('input[aria-label="Filter targets"]').fill('checkout');
  await page.waitForURL(/filter=checkout/);
  assert.equal(await page.locator('[data-testid=target-pool]').count(), 1);
  await page.close();
  browser.assertNoErrors();
});

test('storage and ingestion: figures from /metrics with rates, and the scraped metric', async () => {
  const page = await browser.open(`${vigil.url}/status/storage`);
  const panel = page.locator('[data-testid=storage-status]');
  await panel.waitFor();
  // Scraping stored samples; the protocol table lists them.
  await panel.locator('tr', { hasText: 'scrape' }).first().waitFor({ timeout: 15_000 });
  assert.match((await panel.textContent()) ?? '', /Series in memory/);
  // A second snapshot 5 s later turns totals into rates.
  await panel.locator('.stat-sub', { hasText: '/s now' }).waitFor({ timeout: 12_000 });
  await screenshot(page, 'status-storage');
  await page.close();
  browser.assertNoErrors();
});

test('configuration and runtime', async () => {
  const page = await browser.open(`${vigil.url}/status/config`);
  const yaml = page.locator('[data-testid=config-yaml]');
  await yaml.waitFor();
  assert.match((await yaml.textContent()) ?? '', /job_name: shop/);
  await page.locator('.tab', { hasText: 'Runtime' }).click();
  await page.waitForURL(/\/status\/runtime$/);
  await page.locator('dt', { hasText: 'storageRetention' }).waitFor();
  await page.locator('dt', { hasText: 'web.listen-address' }).waitFor();
  await page.close();
  browser.assertNoErrors();
});
