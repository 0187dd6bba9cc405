/**
 * Dashboards in Chromium against a real Vigil (dashboards API and live mode as `vigil serve`
 * wires them; data over remote write, OTLP and Loki push): every panel type renders, template
 * variables change the queries, a dashboard is created and edited in the UI and saved to its
 * file, live mode appends a point pushed after the page opened without re-running the queries,
 * and a failing panel query shows the server's message.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startTestVigil, type TestVigil, tempDir } from '../../server/src/testutil/vigil.ts';
import {
  type BrowserSession,
  ensureUiBuilt,
  generate,
  pushLogs,
  screenshot,
  sendTrace,
  startBrowser,
  writeSeries,
} from './harness.ts';

let vigil: TestVigil;
let browser: BrowserSession;
const boards = tempDir('vigil-ui-dashboards-');
const JOBS = ['api', 'worker', 'web'];

const ALL_TYPES = {
  title: 'Every panel',
  time: { from: 'now-1h', to: 'now' },
  variables: [{ name: 'job', query: 'label_values(demo_requests_total, job)', includeAll: true }],
  panels: [
    {
      title: 'Requests',
      type: 'timeseries',
      width: 12,
      height: 8,
      unit: 'reqps',
      queries: [{ expr: 'sum by (job) (rate(demo_requests_total{job=~"$job"}[5m]))', legend: '{{job}}' }],
    },
    {
      title: 'Total',
      type: 'stat',
      width: 6,
      height: 4,
      queries: [{ expr: 'sum(demo_requests_total{job=~"$job"})' }],
    },
    {
      title: 'Load',
      type: 'gauge',
      width: 6,
      height: 4,
      unit: 'percentunit',
      queries: [{ expr: 'max(demo_load)' }],
      thresholds: [
        { value: 0, color: 'ok' },
        { value: 0.8, color: 'err' },
      ],
    },
    {
      title: 'By job',
      type: 'bargauge',
      width: 8,
      height: 6,
      queries: [{ expr: 'sum by (job) (demo_requests_total)', legend: '{{job}}' }],
    },
    { title: 'Table', type: 'table', width: 8, height: 6, queries: [{ expr: 'demo_requests_total' }] },
    {
      title: 'Latency',
      type: 'heatmap',
      width: 8,
      height: 6,
      queries: [{ expr: 'sum by (le) (rate(demo_latency_bucket[5m]))' }],
    },
    { title: 'Logs', type: 'logs', width: 12, height: 6, query: '{job="api"}' },
    { title: 'Traces', type: 'traces', width: 12, height: 6, query: '{ resource.service.name = "api" }' },
    { title: 'Notes', type: 'text', width: 24, height: 2, content: 'Demo dashboard.' },
  ],
};

const LIVE = {
  title: 'Live',
  time: { from: 'now-5m', to: 'now' },
  panels: [
    { title: 'Pushed', type: 'timeseries', width: 24, height: 8, queries: [{ expr: 'live_value' }] },
    { title: 'Live logs', type: 'logs', width: 24, height: 6, query: '{job="live"}' },
  ],
};

const BROKEN = {
  title: 'Broken',
  panels: [
    { title: 'Bad', type: 'timeseries', queries: [{ expr: 'rate(demo_requests_total)' }] },
    { title: 'Good', type: 'stat', queries: [{ expr: 'sum(demo_requests_total)' }] },
  ],
};

before(async () => {
  await ensureUiBuilt();
  writeFileSync(join(boards.path, 'every-panel.json'), JSON.stringify(ALL_TYPES, null, 2));
  writeFileSync(join(boards.path, 'live.json'), JSON.stringify(LIVE));
  writeFileSync(join(boards.path, 'broken.json'), JSON.stringify(BROKEN));
  vigil = await startTestVigil(`dashboards:\n  dir: ${JSON.stringify(boards.path)}\n`);
  browser = await startBrowser();
  const end = Date.now();
  const start = end - 3_600_000;
  await writeSeries(vigil.url, [
    ...JOBS.map((job, k) =>
      generate({ __name__: 'demo_requests_total', job }, start, end, 15_000, (t) =>
        Math.floor(((t - start) / 1000) * (k + 1)),
      ),
    ),
    generate({ __name__: 'demo_load' }, start, end, 15_000, (_t, i) => 0.3 + (i % 10) / 100),
    ...['0.1', '0.5', '1', '+Inf'].map((le, k) =>
      generate({ __name__: 'demo_latency_bucket', le }, start, end, 15_000, (t) =>
        Math.floor(((t - start) / 1000) * (k + 1)),
      ),
    ),
    generate({ __name__: 'live_value' }, end - 300_000, end - 60_000, 5_000, (_t, i) => i),
  ]);
  await pushLogs(vigil.url, [
    {
      labels: { job: 'api' },
      lines: [
        [end - 60_000, 'level=info msg="served"'],
        [end - 30_000, 'level=error msg="failed"'],
      ],
    },
  ]);
  await sendTrace(vigil.url, '0123456789abcdef0123456789abcdef', [
    {
      id: '0000000000000001',
      service: 'api',
      name: 'GET /items',
      start: end - 120_000,
      duration: 30,
      kind: 'server',
    },
  ]);
});

after(async () => {
  await browser?.close();
  await vigil?.stop();
  boards.remove();
});

async function panel(page: Page, title: string) {
  const p = page.locator('[data-testid=panel]', {
    has: page.locator('h3', { hasText: new RegExp(`^${title}$`) }),
  });
  await p.waitFor();
  return p;
}

test('the list shows the files and the built-in Service overview', async () => {
  const page = await browser.open(`${vigil.url}/dashboards`);
  const links = page.locator('[data-testid=dashboard-link]');
  await links.first().waitFor();
  const titles = await links.allTextContents();
  for (const t of ['Every panel', 'Live', 'Broken', 'Service overview'])
    assert.ok(titles.includes(t), `${t} in ${titles}`);
  await page.close();
  browser.assertNoErrors();
});

test('every panel type renders its data; the variable changes the queries', async () => {
  const page = await browser.open(`${vigil.url}/dashboards/every-panel`);
  const ts = await panel(page, 'Requests');
  await ts.locator('[data-testid=legend-item]').first().waitFor();
  assert.equal(await ts.locator('[data-testid=legend-item]').count(), 3);
  assert.match(
    (await (await panel(page, 'Total')).locator('[data-testid=stat-value]').textContent()) ?? '',
    /^\d/,
  );
  assert.match(
    (await (await panel(page, 'Load')).locator('[data-testid=stat-value]').textContent()) ?? '',
    /%$/,
  );
  await (await panel(page, 'By job')).locator('.bg-row').nth(2).waitFor();
  assert.equal(await (await panel(page, 'Table')).locator('tbody tr').count(), 3);
  await (await panel(page, 'Latency')).locator('[data-testid=heatmap] canvas').waitFor();
  await (await panel(page, 'Logs')).locator('[data-testid=panel-log-line]').nth(1).waitFor();
  await (await panel(page, 'Traces'))
    .locator('[data-testid=panel-trace]', { hasText: 'GET /items' })
    .waitFor();
  assert.equal(await page.locator('[data-testid=panel] .error-box').count(), 0);
  await screenshot(page, 'dashboard');

  // Choosing one job narrows the panels that use $job.
  await page.selectOption('[data-testid=var-job]', 'worker');
  await page.waitForURL(/var-job=worker/);
  await ts.locator('[data-testid=legend-item]', { hasText: /^api$/ }).waitFor({ state: 'detached' });
  assert.deepEqual(await ts.locator('[data-testid=legend-item]').allTextContents(), ['worker']);
  await page.close();
  browser.assertNoErrors();
});

test('a dashboard is created in the UI, gets a panel, and is saved to its file', async () => {
  const page = await browser.open(`${vigil.url}/dashboards`);
  await page.locator('[data-testid=new-dashboard]').click();
  await page.fill('input[name=title]', 'Made in the browser');
  await page.locator('[data-testid=create-dashboard]').click();
  await page.waitForURL(/\/dashboards\/made-in-the-browser\?edit=1/);
  await page.locator('[data-testid=add-panel]').click();
  await page.fill('input[name=panel-title]', 'Per job');
  await page.fill('textarea[name=panel-query]', 'sum by (job) (demo_requests_total)');
  await page.locator('[data-testid=apply-panel]').click();
  const p = await panel(page, 'Per job');
  await p.locator('[data-testid=legend-item]').nth(2).waitFor();
  await page.locator('[data-testid=save-dashboard]').click();
  await page.locator('[data-testid=save-dashboard]').waitFor({ state: 'detached' });
  const file = readFileSync(join(boards.path, 'made-in-the-browser.yaml'), 'utf8');
  assert.match(file, /title: Per job/);
  assert.match(file, /sum by \(job\) \(demo_requests_total\)/);
  // Reloading shows the saved panel.
  await page.reload();
  await (await panel(page, 'Per job')).locator('[data-testid=legend-item]').nth(2).waitFor();
  await page.close();
  browser.assertNoErrors();
});

test('live mode appends a point pushed after the page opened, without re-running the query', async () => {
  const page = await browser.open(`${vigil.url}/dashboards/live?live=1`);
  await page.locator('[data-testid=live-open]').waitFor();
  const data = (await panel(page, 'Pushed')).locator('[data-testid=panel-data]');
  await data.waitFor();
  const pointsBefore = Number(await data.getAttribute('data-points'));
  assert.notEqual(await data.getAttribute('data-last-value'), '1234');
  const rangeQueries: string[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/api/v1/query_range') rangeQueries.push(r.url());
  });
  const t = Date.now();
  await writeSeries(vigil.url, [{ labels: { __name__: 'live_value' }, samples: [[t, 1234]] }]);
  await page.locator('[data-testid=panel-data][data-last-value="1234"]').waitFor({ timeout: 20_000 });
  // The window slides: points are appended (and the oldest dropped), not reloaded.
  assert.ok(Number(await data.getAttribute('data-points')) >= pointsBefore - 5);
  assert.deepEqual(rangeQueries, [], 'live mode re-ran the whole query');
  // Logs panels have no streamed form: they follow live mode by re-running over the moving window.
  await pushLogs(vigil.url, [{ labels: { job: 'live' }, lines: [[Date.now(), 'pushed while live']] }]);
  await (await panel(page, 'Live logs'))
    .locator('[data-testid=panel-log-line]', { hasText: 'pushed while live' })
    .waitFor({ timeout: 20_000 });
  await screenshot(page, 'dashboard-live');
  await page.close();
  browser.assertNoErrors();
});

test("a failing panel shows the server's message and the other panels still render", async () => {
  const page = await browser.open(`${vigil.url}/dashboards/broken`);
  const bad = await panel(page, 'Bad');
  await bad.locator('.error-box', { hasText: 'expected type range vector' }).waitFor();
  await (await panel(page, 'Good')).locator('[data-testid=stat-value]').waitFor();
  await page.close();
  browser.assertNoErrors([/\/api\/v1\/query_range$/]);
});

test('pages fit a laptop screen without sideways scrolling', async () => {
  for (const path of [
    '/dashboards/every-panel',
    '/explore/logs?q=%7Bjob%3D%22api%22%7D',
    '/service-map',
    '/explore/traces?q=%7B%7D',
  ]) {
    const page = await browser.open(`${vigil.url}${path}`, { width: 1280, height: 720 });
    await page.locator('.page-body').waitFor();
    await page.waitForLoadState('networkidle');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${path} is ${overflow}px wider than a 1280px window`);
    await page.close();
  }
  browser.assertNoErrors();
});

test('a save is refused, with the reason, when the file changed on disk after the page loaded it', async () => {
  const file = join(boards.path, 'conflict.json');
  writeFileSync(file, JSON.stringify({ title: 'Conflict', panels: [] }));
  const page = await browser.open(`${vigil.url}/dashboards/conflict?edit=1`);
  await page.locator('[data-testid=add-panel]').click();
  await page.fill('input[name=panel-title]', 'Mine');
  await page.fill('textarea[name=panel-query]', 'demo_load');
  await page.locator('[data-testid=apply-panel]').click();
  // Someone edits the file in the meantime.
  writeFileSync(file, JSON.stringify({ title: 'Conflict', description: 'edited by hand', panels: [] }));
  await page.locator('[data-testid=save-dashboard]').click();
  await page.locator('.error-box', { hasText: 'was changed (in its file or by someone else)' }).waitFor();
  assert.match(readFileSync(file, 'utf8'), /edited by hand/);
  await page.close();
  browser.assertNoErrors([/\/api\/vigil\/v1\/dashboards\/conflict$/]);
});
