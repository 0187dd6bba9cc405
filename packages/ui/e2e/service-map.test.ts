/**
 * The service map and the built-in Service overview in Chromium against a real Vigil whose
 * traces pipeline turns OTLP traces into service-graph and span metrics: nodes and edges
 * (colour by error ratio, details on hover), and a click on a service opening its overview
 * dashboard with RED panels drawn from the span metrics.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestVigil, type TestVigil } from '../../server/src/testutil/vigil.ts';
import {
  type BrowserSession,
  ensureUiBuilt,
  eventually,
  screenshot,
  sendTrace,
  startBrowser,
} from './harness.ts';

let vigil: TestVigil;
let browser: BrowserSession;

/** One request: web calls api (client → server), api calls billing, which fails when asked. */
async function request(n: number, fail: boolean): Promise<void> {
  const t = Date.now() - 2_000;
  const hex = (k: number) => `${n.toString(16).padStart(12, '0')}${k.toString(16).padStart(4, '0')}`;
  await sendTrace(vigil.url, `${hex(0)}${hex(0)}`, [
    { id: hex(1), service: 'web', name: 'GET /', start: t, duration: 50, kind: 'server' },
    {
      id: hex(2),
      parent: hex(1),
      service: 'web',
      name: 'GET /api/cart',
      start: t + 2,
      duration: 40,
      kind: 'client',
    },
    {
      id: hex(3),
      parent: hex(2),
      service: 'api',
      name: 'GET /api/cart',
      start: t + 3,
      duration: 38,
      kind: 'server',
    },
    {
      id: hex(4),
      parent: hex(3),
      service: 'api',
      name: 'POST /charge',
      start: t + 5,
      duration: 30,
      kind: 'client',
    },
    {
      id: hex(5),
      parent: hex(4),
      service: 'billing',
      name: 'POST /charge',
      start: t + 6,
      duration: 28,
      kind: 'server',
      error: fail ? 'insufficient funds' : undefined,
    },
  ]);
}

async function instant(q: string): Promise<number> {
  const res = await fetch(`${vigil.url}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
  return body.data.result.length;
}

before(async () => {
  await ensureUiBuilt();
  vigil = await startTestVigil(
    'traces:\n  span_metrics:\n    flush_interval: 1s\n  service_graph:\n    flush_interval: 1s\n',
  );
  browser = await startBrowser();
  // Two batches a few flushes apart, so the counters increase inside every rate() window.
  for (let i = 0; i < 10; i++) await request(i, i % 3 === 0);
  await eventually(
    'the service graph metrics',
    async () => (await instant('traces_service_graph_request_total')) >= 2,
  );
  const first = await instant('traces_spanmetrics_calls_total');
  assert.ok(first > 0);
  await new Promise((r) => setTimeout(r, 1_500)); // one more flush with the first counts
  for (let i = 10; i < 20; i++) await request(i, i % 3 === 0);
  await eventually(
    'the service graph rate',
    async () =>
      (await instant('sum by (client, server) (rate(traces_service_graph_request_total[1m])) > 0')) >= 2,
  );
});

after(async () => {
  await browser?.close();
  await vigil?.stop();
});

test('the map shows services and their calls; clicking a service opens its overview', async () => {
  const page = await browser.open(`${vigil.url}/service-map?from=now-15m`);
  const nodes = page.locator('[data-testid=service-node]');
  await nodes.first().waitFor();
  const names = await nodes.evaluateAll((els) => els.map((e) => e.getAttribute('data-service')));
  assert.deepEqual(names, ['api', 'billing', 'web']);
  const edges = await page
    .locator('[data-testid=service-edge]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-edge')));
  assert.deepEqual(edges.sort(), ['api->billing', 'web->api']);
  // api → billing fails a third of the time: red; web → api: green.
  const stroke = (edge: string) => page.locator(`[data-edge="${edge}"] path`).last().getAttribute('stroke');
  assert.equal(await stroke('api->billing'), 'var(--err)');
  assert.equal(await stroke('web->api'), 'var(--ok)');
  // Hover: rate, errors and latency.
  const box = (await page.locator('[data-edge="api->billing"] path').first().boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const tip = page.locator('[data-testid=edge-tooltip]');
  await tip.waitFor();
  assert.match((await tip.textContent()) ?? '', /api → billing.*Requests.*Errors.*p95 latency/s);
  await screenshot(page, 'service-map');

  await page.locator('[data-testid=service-node][data-service=api]').click();
  await page.waitForURL(/\/dashboards\/service-overview\?var-service=api/);
  const requests = page.locator('[data-testid=panel]', {
    has: page.locator('h3', { hasText: /^Requests$/ }),
  });
  const value = requests.locator('[data-testid=stat-value]');
  await value.waitFor();
  assert.match((await value.textContent()) ?? '', /req\/s/);
  // api's own server spans never failed: 0%, not "no data".
  const errors = page
    .locator('[data-testid=panel]', { has: page.locator('h3', { hasText: /^Error rate$/ }) })
    .locator('[data-testid=stat-value]');
  assert.equal(await errors.textContent(), '0%');
  await page
    .locator('[data-testid=panel]', { has: page.locator('h3', { hasText: /^Recent traces$/ }) })
    .locator('[data-testid=panel-trace]')
    .first()
    .waitFor();
  await screenshot(page, 'service-overview', { fullPage: true });
  await page.close();
  browser.assertNoErrors();
});
