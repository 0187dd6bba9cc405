/**
 * The UI fed by the example service (examples/checkout-service.mjs, instrumented with the built
 * @vigil/node) and the traffic script, as a newcomer runs them: the Service overview shows the
 * service's request rate and runtime metrics, and its logs link to their traces.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { ensureBuilt } from '../../sdk-node/src/testing/build.ts';
import { startTestVigil, type TestVigil } from '../../server/src/testutil/vigil.ts';
import { type BrowserSession, ensureUiBuilt, eventually, screenshot, startBrowser } from './harness.ts';

const EXAMPLES = new URL('../../../examples/', import.meta.url).pathname;
let vigil: TestVigil;
let browser: BrowserSession;
let service: ChildProcess | undefined;

async function count(q: string): Promise<number> {
  const res = await fetch(`${vigil.url}/api/v1/query?query=${encodeURIComponent(q)}`);
  return ((await res.json()) as { data: { result: unknown[] } }).data.result.length;
}

before(async () => {
  await Promise.all([ensureUiBuilt(), ensureBuilt()]);
  vigil = await startTestVigil(
    'traces:\n  span_metrics:\n    flush_interval: 1s\n  service_graph:\n    flush_interval: 1s\n',
  );
  browser = await startBrowser();
  service = spawn(process.execPath, [`${EXAMPLES}checkout-service.mjs`], {
    env: {
      ...process.env,
      PORT: '0',
      PRINT_PORT: '1',
      OTEL_EXPORTER_OTLP_ENDPOINT: vigil.url,
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_BLRP_SCHEDULE_DELAY: '200',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  service.stdout!.on('data', (d) => {
    out += d;
  });
  const port = await eventually(
    'the example service to listen',
    async () => /"listening":(\d+)/.exec(out)?.[1],
  );
  // Two rounds of traffic a few seconds apart, so every rate() window sees the counters grow.
  for (let round = 0; round < 2; round++) {
    const traffic = spawn(
      process.execPath,
      [`${EXAMPLES}traffic.mjs`, '--target', `http://127.0.0.1:${port}`, '--rps', '20', '--seconds', '3'],
      { stdio: 'ignore' },
    );
    const [code] = await once(traffic, 'exit');
    assert.equal(code, 0, 'traffic.mjs failed');
  }
  await eventually(
    'span metrics from the example',
    async () => (await count('traces_spanmetrics_calls_total{service="checkout"}')) > 0,
  );
  await eventually('the SDK runtime metrics', async () => (await count('process_resident_memory_bytes')) > 0);
});

after(async () => {
  service?.kill('SIGTERM');
  if (service && service.exitCode === null) await once(service, 'exit');
  await browser?.close();
  await vigil?.stop();
});

test('the Service overview of the example service, and from its logs to a trace', async () => {
  const page = await browser.open(
    `${vigil.url}/dashboards/service-overview?var-service=checkout&from=now-15m`,
  );
  const stat = (title: string) =>
    page
      .locator('[data-testid=panel]', { has: page.locator('h3', { hasText: new RegExp(`^${title}$`) }) })
      .locator('[data-testid=stat-value]');
  await stat('Requests').waitFor();
  assert.match((await stat('Requests').textContent()) ?? '', /req\/s/);
  const memory = page
    .locator('[data-testid=panel]', { has: page.locator('h3', { hasText: /^Memory$/ }) })
    .locator('[data-testid=legend-item]');
  await memory.first().waitFor();
  await screenshot(page, 'service-overview-example', { fullPage: true });
  await page.close();

  const logs = await browser.open(
    `${vigil.url}/explore/logs?q=${encodeURIComponent('{service_name="checkout"}')}&from=now-15m`,
  );
  await logs.locator('[data-testid=log-volume] canvas').first().waitFor();
  await screenshot(logs, 'explore-logs-example');
  await logs.locator('[data-testid=trace-link]').first().click();
  await logs.waitForURL(/\/explore\/traces\?trace=[0-9a-f]{32}/);
  await logs.locator('[data-testid=waterfall-row]').first().waitFor();
  assert.ok((await logs.locator('[data-testid=waterfall-row]').count()) >= 1);
  await logs.close();
  browser.assertNoErrors();
});
