/**
 * The UI routes over real HTTP: index.html at / and client routes (history-API fallback), hashed
 * assets with long caching, 404s untouched elsewhere, and a helpful page when the UI is not built.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { tempDir } from '../../testutil/vigil.ts';
import { createHttpServer } from '../server.ts';
import { registerUi } from './ui.ts';

const dist = tempDir('vigil-ui-dist-');
const INDEX = '<!doctype html><title>Vigil</title><div id="app"></div>';
let base: string;
let app: ReturnType<typeof createHttpServer>;
let bare: ReturnType<typeof createHttpServer>;
let bareBase: string;

before(async () => {
  mkdirSync(join(dist.path, 'assets'));
  writeFileSync(join(dist.path, 'index.html'), INDEX);
  writeFileSync(join(dist.path, 'assets', 'index-abc123.js'), 'console.log(1)');
  const logger = pino({ level: 'silent' });
  app = createHttpServer({ logger, bearerTokens: undefined, maxBodyBytes: 1024 });
  registerUi(app, { distDir: dist.path });
  app.get('/api/v1/ping', async () => ({ status: 'success' }));
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  bare = createHttpServer({ logger, bearerTokens: undefined, maxBodyBytes: 1024 });
  registerUi(bare, { distDir: join(dist.path, 'missing') });
  bareBase = await bare.listen({ host: '127.0.0.1', port: 0 });
});

after(async () => {
  await app?.close();
  await bare?.close();
  dist.remove();
});

test('serves index.html at / and at every client route, uncached', async () => {
  for (const path of [
    '/',
    '/explore/metrics?q=up',
    '/explore/traces/0123456789abcdef',
    '/dashboards/service-overview',
    '/alerts/silences',
    '/service-map',
    '/status/targets',
  ]) {
    const res = await fetch(base + path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/, path);
    assert.equal(res.headers.get('cache-control'), 'no-cache', path);
    assert.equal(await res.text(), INDEX, path);
  }
});

test('serves hashed assets with immutable caching', async () => {
  const res = await fetch(`${base}/assets/index-abc123.js`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /javascript/);
  assert.match(res.headers.get('cache-control') ?? '', /immutable/);
  assert.equal(await res.text(), 'console.log(1)');
  assert.equal((await fetch(`${base}/assets/missing.js`)).status, 404);
});

test('leaves other paths alone: APIs answer, unknown paths are 404', async () => {
  assert.equal((await fetch(`${base}/api/v1/ping`)).status, 200);
  const res = await fetch(`${base}/no-such-page`);
  assert.equal(res.status, 404);
  assert.match(await res.text(), /no route for GET \/no-such-page/);
  // A path that merely starts like a client route is not one.
  assert.equal((await fetch(`${base}/statusx`)).status, 404);
});

test('without a build, / explains how to build the UI', async () => {
  const res = await fetch(`${bareBase}/`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /npm run --workspace @vigil\/ui build/);
  assert.equal((await fetch(`${bareBase}/explore/metrics`)).status, 200);
});
