/**
 * Explore / traces in Chromium against a real Vigil fed over OTLP/HTTP and Loki push: the search
 * builder and results table, the waterfall (span count, tree collapse, critical path, errors),
 * span details, the trace's logs, and a failing search's server message.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestVigil, type TestVigil } from '../../server/src/testutil/vigil.ts';
import {
  type BrowserSession,
  ensureUiBuilt,
  eventually,
  pushLogs,
  screenshot,
  sendTrace,
  startBrowser,
} from './harness.ts';

let vigil: TestVigil;
let browser: BrowserSession;
const SLOW = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1';
const FAST = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2';
const OTHER = 'ccccccccccccccccccccccccccccccc3';

before(async () => {
  await ensureUiBuilt();
  vigil = await startTestVigil();
  browser = await startBrowser();
  const t = Date.now() - 5 * 60_000;
  // SLOW: gateway → orders → (db query, then payments → card api); payments fails.
  await sendTrace(vigil.url, SLOW, [
    {
      id: '1000000000000001',
      service: 'gateway',
      name: 'POST /orders',
      start: t,
      duration: 900,
      kind: 'server',
    },
    {
      id: '1000000000000002',
      parent: '1000000000000001',
      service: 'gateway',
      name: 'orders.create',
      start: t + 5,
      duration: 880,
      kind: 'client',
    },
    {
      id: '1000000000000003',
      parent: '1000000000000002',
      service: 'orders',
      name: 'create order',
      start: t + 10,
      duration: 860,
      kind: 'server',
      attributes: { 'order.items': 3 },
    },
    {
      id: '1000000000000004',
      parent: '1000000000000003',
      service: 'orders',
      name: 'SELECT stock',
      start: t + 20,
      duration: 60,
      kind: 'client',
      attributes: { 'db.system': 'postgresql' },
    },
    {
      id: '1000000000000005',
      parent: '1000000000000003',
      service: 'orders',
      name: 'cache lookup',
      start: t + 25,
      duration: 10,
    },
    {
      id: '1000000000000006',
      parent: '1000000000000003',
      service: 'payments',
      name: 'charge',
      start: t + 100,
      duration: 760,
      kind: 'server',
      error: 'card declined',
      events: [{ name: 'retry', time: t + 400 }],
    },
    {
      id: '1000000000000007',
      parent: '1000000000000006',
      service: 'payments',
      name: 'card api',
      start: t + 110,
      duration: 700,
      kind: 'client',
    },
  ]);
  await sendTrace(vigil.url, FAST, [
    {
      id: '2000000000000001',
      service: 'gateway',
      name: 'GET /health',
      start: t + 1000,
      duration: 2,
      kind: 'server',
    },
  ]);
  await sendTrace(vigil.url, OTHER, [
    { id: '3000000000000001', service: 'orders', name: 'nightly job', start: t + 2000, duration: 40 },
  ]);
  await pushLogs(vigil.url, [
    {
      labels: { job: 'payments' },
      lines: [
        [t + 120, 'level=info msg="charging card"', { trace_id: SLOW, span_id: '1000000000000006' }],
        [t + 850, 'level=error msg="card declined"', { trace_id: SLOW, span_id: '1000000000000006' }],
        [t + 30, 'level=info msg="stock ok"', { trace_id: SLOW, span_id: '1000000000000004' }],
      ],
    },
  ]);
  // Traces are searchable once ingested; wait for the API rather than guessing a delay.
  await eventually('the traces to be searchable', async () => {
    const res = await fetch(`${vigil.url}/api/search?q=${encodeURIComponent('{}')}&limit=10`);
    const body = (await res.json()) as { traces?: unknown[] };
    return (body.traces?.length ?? 0) >= 3;
  });
});

after(async () => {
  await browser?.close();
  await vigil?.stop();
});

test('the builder searches by service and the results open a trace', async () => {
  const page = await browser.open(`${vigil.url}/explore/traces?q=${encodeURIComponent('{}')}`);
  const results = page.locator('[data-testid=trace-result]');
  await results.first().waitFor();
  assert.equal(await results.count(), 3);
  // The service list comes from the tag values API.
  await page.locator('select[name=service] option', { hasText: 'gateway' }).waitFor({ state: 'attached' });
  await page.selectOption('select[name=service]', 'gateway');
  await page.waitForURL((u) => new URL(u).searchParams.get('q') === '{ resource.service.name = "gateway" }');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=trace-result]').length === 2);
  await page.fill('input[name=min-duration]', '100ms');
  await page.locator('[data-testid=builder-search]').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=trace-result]').length === 1);
  assert.match((await results.first().textContent()) ?? '', /POST \/orders/);
  await screenshot(page, 'explore-traces-search');
  await results.first().click();
  await page.waitForURL(new RegExp(`trace=${SLOW}`));
  await page.locator('[data-testid=waterfall-row]').first().waitFor();
  assert.equal(await page.locator('[data-testid=waterfall-row]').count(), 7);
  await page.close();
  browser.assertNoErrors();
});

test('the waterfall shows the tree, the critical path and errors; spans open their details and logs', async () => {
  const page = await browser.open(`${vigil.url}/explore/traces?trace=${SLOW}`);
  const rows = page.locator('[data-testid=waterfall-row]');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 7);
  // Tree order: children under their parent.
  const order = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-span-id')));
  assert.deepEqual(order, [
    '1000000000000001',
    '1000000000000002',
    '1000000000000003',
    '1000000000000004',
    '1000000000000005',
    '1000000000000006',
    '1000000000000007',
  ]);
  // The critical path runs through payments and the card api, not the cache lookup.
  const critical = await page
    .locator('[data-testid=waterfall-row].critical')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-span-id')));
  assert.ok(critical.includes('1000000000000007'), `critical path: ${critical}`);
  assert.ok(!critical.includes('1000000000000005'), `critical path: ${critical}`);
  assert.equal(await page.locator('[data-testid=span-error]').count(), 1);
  // The trace's logs are listed.
  await page.locator('[data-testid=trace-log-line]').first().waitFor();
  assert.equal(await page.locator('[data-testid=trace-log-line]').count(), 3);

  // Selecting the failing span shows its details, and its logs only.
  await page.locator('[data-testid=waterfall-row][data-span-id="1000000000000006"]').click();
  const details = page.locator('[data-testid=span-details]');
  await details.waitFor();
  const text = (await details.textContent()) ?? '';
  assert.match(text, /card declined/);
  assert.match(text, /retry/);
  assert.match(text, /service\.name/);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=trace-log-line]').length === 2);
  await screenshot(page, 'explore-traces-waterfall', { fullPage: true });

  // Collapsing "create order" hides its four descendants.
  await page
    .locator('[data-testid=waterfall-row][data-span-id="1000000000000003"] [data-testid=wf-toggle]')
    .click();
  assert.equal(await rows.count(), 3);
  await page.close();
  browser.assertNoErrors();
});

test("a failing search shows the server's message", async () => {
  const page = await browser.open(`${vigil.url}/explore/traces?q=${encodeURIComponent('{ duration > }')}`);
  const error = page.locator('.error-box');
  await error.waitFor();
  assert.match((await error.textContent()) ?? '', /The search failed.*HTTP 400/s);
  await page.close();
  browser.assertNoErrors([/\/api\/search/]);
});
