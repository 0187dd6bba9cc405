/**
 * Web UI performance, measured in Chromium (playwright-core) against `vigil serve` run as a child
 * process, with Debian's Prometheus 2.42 web UI as the anchor for the first-load size:
 *
 * 1. First-load size: every document, script and stylesheet the browser fetches to show
 *    /explore/metrics, gzipped at level 6 (what a reverse proxy would send), next to the same
 *    for Prometheus's /graph page.
 * 2. Dashboard render: 12 time-series panels × 50 series over 6 h at a 15 s scrape interval
 *    (864k samples over remote write). Time from the last query_range response arriving to every
 *    panel having drawn its 50 series (median of `--reps` reloads), plus navigation → drawn.
 * 3. Live mode heap: the same dashboard over the last 15 minutes in live mode while every series
 *    gets a new sample each second; the page's JS heap after a forced GC, sampled every 30 s for
 *    `--live-minutes` (default 10).
 *
 *   node --import tsx bench/ui.ts [--reps 5] [--live-minutes 10]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { type Browser, chromium, type Page } from 'playwright-core';
import { spawnVigil } from '../packages/server/src/testutil/vigil.ts';
import { ensureUiBuilt, writeSeries } from '../packages/ui/e2e/harness.ts';
import { freePort, startProcess, stopProcess, waitForHttp } from './lib/processes.ts';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    'live-minutes': { type: 'string', default: '10' },
  },
});
const REPS = Number(args.reps);
const LIVE_MINUTES = Number(args['live-minutes']);
const PANELS = 12;
const SERIES = 50;
const STEP = 15_000;
const HOURS = 6;

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-ui-'));

function dashboard(from: string) {
  return {
    title: 'Bench',
    time: { from, to: 'now' },
    panels: Array.from({ length: PANELS }, (_, i) => ({
      title: `Panel ${i}`,
      type: 'timeseries',
      width: 8,
      height: 8,
      queries: [{ expr: `bench_metric_${i}` }],
    })),
  };
}

async function firstLoad(
  browser: Browser,
  url: string,
): Promise<{ files: number; raw: number; gzip: number }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const bodies: Promise<Buffer>[] = [];
  page.on('response', (r) => {
    const type = r.request().resourceType();
    if (['document', 'script', 'stylesheet'].includes(type) && r.status() < 300) bodies.push(r.body());
  });
  await page.goto(url, { waitUntil: 'networkidle' });
  const all = await Promise.all(bodies);
  await context.close();
  return {
    files: all.length,
    raw: all.reduce((n, b) => n + b.length, 0),
    gzip: all.reduce((n, b) => n + gzipSync(b, { level: 6 }).length, 0),
  };
}

/** Milliseconds from the last query_range response to every panel drawn, and from navigation. */
async function renderOnce(page: Page, url: string): Promise<{ afterData: number; total: number }> {
  await page.goto(url);
  // A string, not a function: tsx would wrap named inner functions in a helper the page lacks.
  return page.evaluate(`new Promise((resolve) => {
    const check = () => {
      const drawn = [...document.querySelectorAll('[data-testid=panel-data]')].filter(
        (p) => p.getAttribute('data-series') === '${SERIES}' && p.querySelector('canvas'),
      );
      if (drawn.length < ${PANELS}) return requestAnimationFrame(check);
      // After the frame that has them in the DOM is painted.
      requestAnimationFrame(() => {
        const done = performance.now();
        const dataAt = Math.max(...performance.getEntriesByType('resource')
          .filter((e) => e.name.includes('/api/v1/query_range')).map((e) => e.responseEnd));
        resolve({ afterData: done - dataAt, total: done });
      });
    };
    check();
  })`) as Promise<{ afterData: number; total: number }>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  await ensureUiBuilt();
  const boards = join(dir, 'dashboards');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(boards);
  writeFileSync(join(boards, 'bench.json'), JSON.stringify(dashboard(`now-${HOURS}h`)));
  writeFileSync(join(boards, 'bench-live.json'), JSON.stringify(dashboard('now-15m')));
  const vigil = await spawnVigil(join(dir, 'data'), `dashboards:\n  dir: ${JSON.stringify(boards)}\n`);

  const promPort = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), '');
  const prom = startProcess('/usr/bin/prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'prom')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
    '--log.level=warn',
  ]);
  const promUrl = `http://127.0.0.1:${promPort}`;
  await waitForHttp(`${promUrl}/-/ready`);

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--js-flags=--expose-gc'],
  });
  try {
    // 1. First load.
    const v = await firstLoad(browser, `${vigil.url}/explore/metrics`);
    const p = await firstLoad(browser, `${promUrl}/graph`);
    console.log('\n### First load (document + scripts + stylesheets)\n');
    console.log('| UI | files | raw | gzip | gzip ratio (Vigil / Prometheus) |');
    console.log('|---|---:|---:|---:|---:|');
    console.log(
      `| Vigil /explore/metrics | ${v.files} | ${kb(v.raw)} | ${kb(v.gzip)} | ${(v.gzip / p.gzip).toFixed(2)} |`,
    );
    console.log(`| Prometheus 2.42 /graph | ${p.files} | ${kb(p.raw)} | ${kb(p.gzip)} | 1.00 |`);

    // 2. Dashboard render.
    const end = Date.now();
    const start = end - HOURS * 3_600_000;
    const loadStarted = Date.now();
    // In time order across all series: the storage's head only moves forward.
    const CHUNK = 20 * 60_000;
    for (let from = start; from <= end; from += CHUNK) {
      const batch = [];
      for (let i = 0; i < PANELS; i++) {
        for (let s = 0; s < SERIES; s++) {
          const samples: [number, number][] = [];
          for (let t = from; t < Math.min(from + CHUNK, end + 1); t += STEP) {
            samples.push([t, 100 + s * 10 + 20 * Math.sin((t - start) / STEP / 40 + s)]);
          }
          batch.push({
            labels: { __name__: `bench_metric_${i}`, instance: `host-${s}`, job: 'bench' },
            samples,
          });
        }
      }
      await writeSeries(vigil.url, batch);
    }
    const samples = PANELS * SERIES * (Math.floor((end - start) / STEP) + 1);
    console.log(
      `\nloaded ${samples.toLocaleString()} samples in ${((Date.now() - loadStarted) / 1000).toFixed(1)} s`,
    );
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    const page = await context.newPage();
    await renderOnce(page, `${vigil.url}/dashboards/bench`); // warm-up (caches, JIT)
    const runs: { afterData: number; total: number }[] = [];
    for (let i = 0; i < REPS; i++) runs.push(await renderOnce(page, `${vigil.url}/dashboards/bench`));
    console.log(
      `\n### Dashboard: ${PANELS} panels × ${SERIES} series × ${HOURS} h (${REPS} runs, 1920×1080)\n`,
    );
    console.log('| measure | median | min | max |');
    console.log('|---|---:|---:|---:|');
    for (const k of ['afterData', 'total'] as const) {
      const xs = runs.map((r) => r[k]);
      const label =
        k === 'afterData' ? 'last query answer → all panels drawn' : 'navigation → all panels drawn';
      console.log(`| ${label} | ${ms(median(xs))} | ${ms(Math.min(...xs))} | ${ms(Math.max(...xs))} |`);
    }

    // 3. Live mode heap.
    if (LIVE_MINUTES > 0) {
      await page.goto(`${vigil.url}/dashboards/bench-live?live=1`);
      await page.locator('[data-testid=live-open]').waitFor();
      const cdp = await context.newCDPSession(page);
      await cdp.send('HeapProfiler.enable');
      const heap = async () => {
        await cdp.send('HeapProfiler.collectGarbage');
        const { usedSize } = await cdp.send('Runtime.getHeapUsage');
        return usedSize;
      };
      let stop = false;
      const pusher = (async () => {
        let n = 0;
        while (!stop) {
          const t = Date.now();
          const batch = [];
          for (let i = 0; i < PANELS; i++)
            for (let s = 0; s < SERIES; s++)
              batch.push({
                labels: { __name__: `bench_metric_${i}`, instance: `host-${s}`, job: 'bench' },
                samples: [[t, 100 + s * 10 + 20 * Math.sin(n / 40 + s)] as [number, number]],
              });
          await writeSeries(vigil.url, batch);
          n++;
          await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - t))));
        }
      })();
      const samplesHeap: { minute: number; bytes: number }[] = [];
      const began = Date.now();
      while (Date.now() - began < LIVE_MINUTES * 60_000) {
        await new Promise((r) => setTimeout(r, 30_000));
        samplesHeap.push({ minute: (Date.now() - began) / 60_000, bytes: await heap() });
      }
      stop = true;
      await pusher;
      const points = await page
        .locator('[data-testid=panel-data]')
        .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-points'))));
      console.log(
        `\n### Live mode: ${PANELS} × ${SERIES} series, a sample per series per second, ${LIVE_MINUTES} min\n`,
      );
      console.log('| minute | JS heap after GC |');
      console.log('|---:|---:|');
      for (const s of samplesHeap) console.log(`| ${s.minute.toFixed(1)} | ${mb(s.bytes)} |`);
      const firstAfterWarmup = samplesHeap.find((s) => s.minute >= 1) ?? samplesHeap[0];
      const last = samplesHeap[samplesHeap.length - 1];
      console.log(
        `\nheap at ${firstAfterWarmup.minute.toFixed(1)} min: ${mb(firstAfterWarmup.bytes)}; at ${last.minute.toFixed(1)} min: ${mb(last.bytes)}; change ${(((last.bytes - firstAfterWarmup.bytes) / firstAfterWarmup.bytes) * 100).toFixed(1)}%; points held per panel at the end: ${points.join(', ')}`,
      );
    }
    await context.close();
  } finally {
    await browser.close();
    await stopProcess(prom);
    vigil.child.kill('SIGTERM');
    await vigil.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

function kb(n: number): string {
  return `${(n / 1024).toFixed(1)} kB`;
}
function mb(n: number): string {
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}
function ms(n: number): string {
  return `${Math.round(n)} ms`;
}

await main();
