import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnVigil, tempDir } from '../testutil/vigil.ts';

const BIN = new URL('../../bin/vigil.mjs', import.meta.url).pathname;

test('an invalid config file stops startup with file, line and key in the message', () => {
  const dir = tempDir();
  try {
    const config = join(dir.path, 'vigil.yml');
    writeFileSync(config, 'server:\n  listen: 127.0.0.1:0\nstorage:\n  retention: 3x\n  bogus: 1\n');
    const r = spawnSync(
      process.execPath,
      [BIN, 'serve', '--config', config, '--data-dir', join(dir.path, 'data')],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 2);
    assert.match(r.stderr, /vigil\.yml:4: storage\.retention: "3x" is not a duration/);
    assert.match(r.stderr, /vigil\.yml:5: storage: unknown key "bogus"/);
  } finally {
    dir.remove();
  }
});

test('unknown flags and commands are usage errors', () => {
  const flag = spawnSync(process.execPath, [BIN, 'serve', '--nope'], { encoding: 'utf8' });
  assert.equal(flag.status, 2);
  assert.match(flag.stderr, /Unknown option '--nope'/);
  const cmd = spawnSync(process.execPath, [BIN, 'frobnicate'], { encoding: 'utf8' });
  assert.equal(cmd.status, 2);
  assert.match(cmd.stderr, /unknown command "frobnicate"/);
});

test('SIGTERM shuts down cleanly (exit 0) and data written before is there after restart', async () => {
  const dir = tempDir();
  try {
    const first = await spawnVigil(join(dir.path, 'data'));
    assert.equal((await fetch(`${first.url}/-/ready`)).status, 200);
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    assert.match(first.stderr(), /"msg":"Vigil stopped"/);
    const second = await spawnVigil(join(dir.path, 'data'));
    second.child.kill('SIGINT');
    assert.equal(await second.exited, 0);
  } finally {
    dir.remove();
  }
});

test('SIGHUP and POST /-/reload apply a changed scrape config; an invalid one is refused and the old one stays', async () => {
  const dir = tempDir();
  const { createServer } = await import('node:http');
  const exporter = createServer((_req, res) => {
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end('demo_metric 1\n');
  });
  await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', () => r()));
  const port = (exporter.address() as { port: number }).port;
  const config = (job: string) =>
    `scrape_configs:\n  - job_name: ${job}\n    scrape_interval: 1s\n    static_configs:\n      - targets: ["127.0.0.1:${port}"]\n`;
  const path = join(dir.path, 'vigil.yml');
  writeFileSync(path, config('first'));
  const vigil = await spawnVigil(join(dir.path, 'data'), undefined, ['--config', path]);
  const jobs = async () =>
    (
      (await (await fetch(`${vigil.url}/api/v1/targets`)).json()) as {
        data: { activeTargets: { scrapePool: string }[] };
      }
    ).data.activeTargets.map((t) => t.scrapePool);
  try {
    assert.deepEqual(await jobs(), ['first']);
    writeFileSync(path, config('second'));
    vigil.child.kill('SIGHUP');
    for (let i = 0; i < 50 && (await jobs())[0] !== 'second'; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await jobs(), ['second']);

    writeFileSync(path, 'scrape_configs:\n  - job_name: broken\n    scrape_interval: nope\n');
    const res = await fetch(`${vigil.url}/-/reload`, { method: 'POST' });
    assert.equal(res.status, 500);
    assert.match(await res.text(), /vigil\.yml:3: scrape_configs\.0\.scrape_interval/);
    assert.deepEqual(await jobs(), ['second']);

    writeFileSync(path, config('third'));
    assert.equal((await fetch(`${vigil.url}/-/reload`, { method: 'POST' })).status, 200);
    assert.deepEqual(await jobs(), ['third']);
  } finally {
    vigil.child.kill('SIGTERM');
    await vigil.exited;
    exporter.close();
    dir.remove();
  }
});

test('POST /-/reload applies a changed alertmanager config; an invalid one is refused and the old one stays', async () => {
  const dir = tempDir();
  const config = (receiver: string) =>
    `alertmanager:\n  route: {receiver: ${receiver}}\n  receivers:\n    - name: ${receiver}\n`;
  const path = join(dir.path, 'vigil.yml');
  writeFileSync(path, config('first-team'));
  const vigil = await spawnVigil(join(dir.path, 'data'), undefined, ['--config', path]);
  const receivers = async () =>
    ((await (await fetch(`${vigil.url}/api/v2/receivers`)).json()) as { name: string }[]).map((r) => r.name);
  try {
    assert.deepEqual(await receivers(), ['first-team']);
    writeFileSync(path, config('second-team'));
    assert.equal((await fetch(`${vigil.url}/-/reload`, { method: 'POST' })).status, 200);
    assert.deepEqual(await receivers(), ['second-team']);

    // A route naming a receiver that does not exist: refused, the running config stays.
    writeFileSync(path, 'alertmanager:\n  route: {receiver: nobody}\n  receivers:\n    - name: someone\n');
    const res = await fetch(`${vigil.url}/-/reload`, { method: 'POST' });
    assert.equal(res.status, 500);
    assert.match(await res.text(), /nobody/);
    assert.deepEqual(await receivers(), ['second-team']);
  } finally {
    vigil.child.kill('SIGTERM');
    await vigil.exited;
    dir.remove();
  }
});
