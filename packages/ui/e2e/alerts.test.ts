/**
 * Alerts in Chromium against a real Vigil whose rules evaluate data sent over remote write and
 * hand firing alerts to its notification pipeline: grouped alerts, pending alerts, creating a
 * silence from an alert (with the preview), expiring and recreating it, and the rule list with
 * health and errors.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestVigil, type TestVigil, tempDir } from '../../server/src/testutil/vigil.ts';
import { type BrowserSession, ensureUiBuilt, screenshot, startBrowser, writeSeries } from './harness.ts';

let vigil: TestVigil;
let browser: BrowserSession;
const dir = tempDir('vigil-ui-rules-');
let feeder: ReturnType<typeof setInterval>;

const RULES = `
groups:
  - name: shop
    interval: 1s
    rules:
      - alert: HighErrorRate
        expr: shop_errors > 5
        labels: { severity: critical }
        annotations:
          summary: 'Errors above 5 on {{ $labels.instance }}'
          runbook_url: https://runbooks.example/errors
      - alert: SlowCheckout
        expr: shop_latency_seconds > 1
        for: 1h
        labels: { severity: warning }
      - record: job:shop_errors:sum
        expr: sum(shop_errors)
      - record: broken:many_to_many
        expr: shop_errors + on() shop_errors
`;

async function feed(): Promise<void> {
  const t = Date.now();
  await writeSeries(vigil.url, [
    { labels: { __name__: 'shop_errors', instance: 'web-1', job: 'shop' }, samples: [[t, 12]] },
    { labels: { __name__: 'shop_errors', instance: 'web-2', job: 'shop' }, samples: [[t, 1]] },
    { labels: { __name__: 'shop_latency_seconds', job: 'shop' }, samples: [[t, 2.5]] },
  ]);
}

before(async () => {
  await ensureUiBuilt();
  const rulesPath = join(dir.path, 'shop.rules.yml');
  writeFileSync(rulesPath, RULES);
  vigil = await startTestVigil(`
global:
  evaluation_interval: 1s
rule_files: ['${rulesPath}']
alertmanager:
  route:
    receiver: team
    group_by: [alertname]
    group_wait: 1s
  receivers:
    - name: team
`);
  await feed();
  feeder = setInterval(() => void feed().catch(() => undefined), 2000);
  browser = await startBrowser();
});

after(async () => {
  clearInterval(feeder);
  await browser?.close();
  await vigil?.stop();
  dir.remove();
});

test('firing alerts grouped by the route, with labels and annotations; pending alerts apart', async () => {
  const page = await browser.open(`${vigil.url}/alerts`);
  const group = page.locator('[data-testid=alert-group]', { hasText: 'HighErrorRate' });
  await group.waitFor({ timeout: 20_000 });
  const alert = group.locator('[data-testid=alert]');
  assert.equal(await alert.count(), 1);
  const text = (await alert.textContent()) ?? '';
  assert.match(text, /Errors above 5 on web-1/);
  assert.match(text, /instance=web-1/);
  assert.match(text, /severity=critical/);
  assert.match(text, /active since/);
  assert.match((await group.textContent()) ?? '', /→ team/);
  await page
    .locator('[data-testid=pending-alerts]', { hasText: 'SlowCheckout' })
    .waitFor({ timeout: 10_000 });
  await screenshot(page, 'alerts');
  await page.close();
  browser.assertNoErrors();
});

test('silencing an alert: prefilled matchers, preview, save; then expire and recreate', async () => {
  const page = await browser.open(`${vigil.url}/alerts`);
  const alert = page.locator('[data-testid=alert]', { hasText: 'HighErrorRate' });
  await alert.waitFor({ timeout: 20_000 });
  await alert.locator('[data-testid=silence-alert]').click();
  await page.waitForURL(/\/alerts\/silences\/new\?matchers=/);
  // Every label of the alert became an equality matcher; the preview finds exactly that alert.
  assert.equal(await page.locator('[data-testid=matcher-row]').count(), 4);
  await page.locator('[data-testid=preview-count]', { hasText: '1' }).waitFor();
  // Narrowing to the alert name with a regex still previews the one alert.
  for (let i = 3; i >= 1; i--) await page.getByLabel(`Remove matcher ${i + 1}`).click();
  await page.getByLabel('Matcher 1 operator').selectOption('=~');
  await page.getByLabel('Matcher 1 value').fill('High.*');
  await page.locator('[data-testid=preview-count]', { hasText: '1' }).waitFor();
  // Saving without a comment explains what is missing.
  await page.locator('[data-testid=save-silence]').click();
  await page.locator('.error-box', { hasText: 'Add a comment' }).waitFor();
  await page.locator('input[name=createdBy]').fill('oncall@example.com');
  await page.locator('input[name=comment]').fill('deploying a fix');
  await screenshot(page, 'alerts-silence-editor');
  await page.locator('[data-testid=save-silence]').click();
  await page.waitForURL(/\/alerts\/silences\?highlight=/);
  const silence = page.locator('[data-testid=silence].highlighted');
  await silence.waitFor();
  assert.match((await silence.textContent()) ?? '', /alertname=~"High\.\*"/);
  assert.match((await silence.textContent()) ?? '', /deploying a fix/);

  // The alert is now silenced: hidden by default, shown with the Silenced switch.
  await page.goto(`${vigil.url}/alerts`);
  await page.locator('[data-testid=alerts-summary]', { hasText: /^0 alerts/ }).waitFor();
  await page.goto(`${vigil.url}/alerts?silenced=1`);
  await page.locator('[data-testid=alert] .badge', { hasText: 'silenced' }).waitFor();

  // Expire it, then recreate it from the expired list.
  await page.goto(`${vigil.url}/alerts/silences`);
  await page.locator('[data-testid=silence] [data-testid=expire-silence]').first().click();
  await page.locator('.tab', { hasText: 'Expired' }).click();
  await page.locator('[data-testid=silence]', { hasText: 'deploying a fix' }).waitFor();
  await page.locator('[data-testid=recreate-silence]').first().click();
  await page.waitForURL(/recreate=/);
  await page.waitForFunction(
    () =>
      (document.querySelector('input[name=comment]') as HTMLInputElement | null)?.value === 'deploying a fix',
  );
  assert.equal(await page.getByLabel('Matcher 1 value').inputValue(), 'High.*');
  await page.close();
  browser.assertNoErrors();
});

test('rules: groups with health, state and the last error of a failing rule', async () => {
  const page = await browser.open(`${vigil.url}/alerts/rules`);
  const group = page.locator('[data-testid=rule-group]', { hasText: 'shop' });
  await group.waitFor();
  assert.equal(await group.locator('[data-testid=rule]').count(), 4);
  const broken = group.locator('[data-testid=rule]', { hasText: 'broken:many_to_many' });
  await broken.locator('.badge', { hasText: 'err' }).waitFor({ timeout: 10_000 });
  assert.match((await broken.textContent()) ?? '', /many|match/i);
  await group
    .locator('[data-testid=rule]', { hasText: 'HighErrorRate' })
    .locator('.badge', { hasText: 'firing' })
    .waitFor();
  await group
    .locator('[data-testid=rule]', { hasText: 'SlowCheckout' })
    .locator('.badge', { hasText: 'pending' })
    .waitFor();
  await screenshot(page, 'alerts-rules');
  await page.close();
  browser.assertNoErrors();
});
