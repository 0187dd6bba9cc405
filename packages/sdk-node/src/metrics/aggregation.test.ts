/**
 * Aggregation with real processes and threads: a node:cluster app (2 workers, each with a
 * worker thread) and a worker_threads pool; the exposition must add up exactly.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { test } from 'node:test';
import { newParser } from '../../../server/src/textparse/index.ts';
import { parseAll } from '../../../server/src/textparse/testutil.ts';

const testdata = new URL('./testdata/', import.meta.url).pathname;

function values(
  text: string,
  format: 'prometheus-text' | 'openmetrics' = 'prometheus-text',
): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of parseAll(newParser(format, text))) {
    if (e.kind === 'series') out.set(`${e.name}${JSON.stringify(e.labels)}`, e.value);
  }
  return out;
}

function run(
  file: string,
  args: string[] = [],
): { child: ChildProcess; stdout: Promise<string>; firstLine: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', testdata + file, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl !== -1) resolve(out.slice(0, nl));
    });
    child.on('exit', (code) => reject(new Error(`${file} exited with ${code}: ${err}`)));
  });
  const stdout = new Promise<string>((resolve, reject) => {
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${file} exited with ${code}: ${err}`)),
    );
  });
  firstLine.catch(() => {});
  stdout.catch(() => {});
  return { child, stdout, firstLine };
}

test('worker_threads: three threads and the main thread add up exactly', async () => {
  const { stdout } = run('threads-app.ts');
  const v = values(await stdout);
  assert.equal(v.get('jobs_total{"pool":"main"}'), 7);
  assert.equal(v.get('jobs_total{"pool":"workers"}'), 6000);
  assert.equal(v.get('job_seconds_count{}'), 6);
  assert.equal(v.get('job_seconds_sum{}'), 1 + 2 * 2 + 3 * 3);
  assert.equal(v.get('job_seconds_bucket{"le":"1.0"}'), 1);
  assert.equal(v.get('job_seconds_bucket{"le":"2.0"}'), 3);
  assert.equal(v.get('job_seconds_bucket{"le":"+Inf"}'), 6);
  assert.equal(v.get('busy_threads{}'), 3);
});

test('node:cluster: primary and any worker expose the whole cluster, threads included', async (t) => {
  const { child, firstLine } = run('cluster-app.ts');
  t.after(() => child.kill('SIGTERM'));
  const ports = JSON.parse(await firstLine) as { primary: number; worker: number };
  for (const port of [ports.primary, ports.worker]) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const v = values(text);
    assert.equal(v.get('jobs_total{"kind":"primary"}'), 1, text);
    assert.equal(v.get('jobs_total{"kind":"worker"}'), 10 + 20);
    assert.equal(v.get('jobs_total{"kind":"thread"}'), 1000 + 2000);
    assert.equal(v.get('job_seconds_count{}'), 4);
    assert.equal(v.get('job_seconds_sum{}'), 1 + 2 + 0.5 + 0.5);
    assert.equal(v.get('job_seconds_bucket{"le":"1.0"}'), 3);
    assert.equal(v.get('job_seconds_bucket{"le":"2.0"}'), 4);
    assert.equal(v.get('inflight{}'), 2 + 2 + 1 + 1);
    assert.equal(v.get('lag_seconds{}'), 2);
    assert.equal(v.get('heap_bytes{"worker":"primary"}'), 1);
    assert.equal(v.get('heap_bytes{"worker":"1"}'), 100);
    assert.equal(v.get('heap_bytes{"worker":"2"}'), 200);
    // Each worker's thread is its own source (ids like "1/thread-2"), with the declared 0.
    const threadHeaps = [...v.keys()].filter((k) => /^heap_bytes\{"worker":"[12]\/thread-\d+"\}$/.test(k));
    assert.equal(threadHeaps.length, 2);
    // Summary quantiles over the union of every participant's window: 1, 2, 1001, 1002.
    assert.equal(v.get('size{"quantile":"0.5"}'), 2);
    assert.equal(v.get('size{"quantile":"1.0"}'), 1002);
    assert.equal(v.get('size_count{}'), 4);
  }
  // OpenMetrics negotiation works on the aggregate too.
  const om = await fetch(`http://127.0.0.1:${ports.primary}/metrics`, {
    headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' },
  });
  assert.match(om.headers.get('content-type')!, /application\/openmetrics-text/);
  assert.equal(values(await om.text(), 'openmetrics').get('jobs_total{"kind":"thread"}'), 3000);
});
