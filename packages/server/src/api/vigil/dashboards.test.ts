/**
 * The dashboards API over real HTTP on a temp folder: listing files and built-ins (invalid files
 * listed with their file:line error), reading, saving in the file's own format with version
 * checks, creating, deleting, validation messages and read-only mode.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { parse } from 'yaml';
import { tempDir } from '../../testutil/vigil.ts';
import { createHttpServer } from '../server.ts';
import { registerDashboards } from './dashboards.ts';

const dir = tempDir('vigil-dashboards-');
let base: string;
let roBase: string;
const servers: ReturnType<typeof createHttpServer>[] = [];

before(async () => {
  writeFileSync(
    join(dir.path, 'checkout.yaml'),
    'title: Checkout\ntags: [shop]\npanels:\n  - title: Orders\n    type: stat\n    queries:\n      - expr: sum(orders)\n',
  );
  writeFileSync(
    join(dir.path, 'api.json'),
    JSON.stringify({ title: 'API', panels: [{ type: 'timeseries', queries: [{ expr: 'up' }] }] }),
  );
  writeFileSync(join(dir.path, 'broken.yml'), 'title: Broken\npanels:\n  - title: x\n    type: piechart\n');
  writeFileSync(join(dir.path, 'notes.txt'), 'not a dashboard');
  for (const readOnly of [false, true]) {
    const app = createHttpServer({
      logger: pino({ level: 'silent' }),
      bearerTokens: undefined,
      maxBodyBytes: 1 << 20,
    });
    registerDashboards(app, { dir: dir.path, readOnly });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    servers.push(app);
    if (readOnly) roBase = url;
    else base = url;
  }
});

after(async () => {
  for (const s of servers) await s.close();
  dir.remove();
});

const api = (path = '') => `${base}/api/vigil/v1/dashboards${path}`;

async function json(res: Response) {
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

function put(path: string, body: unknown, url = api(path)) {
  return fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then(json);
}

test('lists files and built-ins; an invalid file is listed with file:line and key', async () => {
  const { status, body } = await json(await fetch(api()));
  assert.equal(status, 200);
  const byId = Object.fromEntries(body.dashboards.map((d: { id: string }) => [d.id, d]));
  assert.deepEqual(Object.keys(byId).sort(), ['api', 'broken', 'checkout', 'service-overview']);
  assert.equal(byId.checkout.title, 'Checkout');
  assert.equal(byId.checkout.panels, 1);
  assert.equal(byId['service-overview'].source, 'builtin');
  assert.match(byId.broken.error, /broken\.yml:4: panels\.0\.type: /);
});

test('reads a dashboard with defaults filled in; unknown and malformed ids', async () => {
  const { status, body } = await json(await fetch(api('/checkout')));
  assert.equal(status, 200);
  assert.equal(body.format, 'yaml');
  assert.equal(body.dashboard.panels[0].width, 12);
  assert.deepEqual(body.dashboard.time, { from: 'now-1h', to: 'now' });
  assert.match(body.version, /^[0-9a-f]{16}$/);
  const missing = await json(await fetch(api('/nope')));
  assert.equal(missing.status, 404);
  assert.match(missing.body, /there is no dashboard "nope"/);
  const bad = await json(await fetch(api('/..%2Fetc')));
  assert.equal(bad.status, 400);
  assert.match(bad.body, /not a valid dashboard id/);
  const invalid = await json(await fetch(api('/broken')));
  assert.equal(invalid.status, 422);
});

test('saves in the file format it came in, refusing a stale version', async () => {
  const loaded = (await json(await fetch(api('/api')))).body;
  const next = { ...loaded.dashboard, title: 'API v2' };
  const saved = await put('/api', { dashboard: next, version: loaded.version });
  assert.equal(saved.status, 200);
  assert.equal(saved.body.format, 'json');
  assert.notEqual(saved.body.version, loaded.version);
  assert.equal(JSON.parse(readFileSync(join(dir.path, 'api.json'), 'utf8')).title, 'API v2');
  // Someone saved in between: the old version is refused.
  const stale = await put('/api', { dashboard: { ...next, title: 'API v3' }, version: loaded.version });
  assert.equal(stale.status, 409);
  assert.match(stale.body, /changed .* after you loaded it/);
});

test('invalid dashboards are refused with every problem and its key path', async () => {
  const res = await put('/api', {
    dashboard: {
      title: '',
      panels: [
        { type: 'pie', queries: [] },
        { type: 'logs', colour: 'red' },
      ],
    },
  });
  assert.equal(res.status, 400);
  assert.match(res.body, /title: a dashboard needs a title/);
  assert.match(res.body, /panels\[0\]\.type: /);
  assert.match(res.body, /panels\[1\]: unknown key "colour"/);
  const notObject = await put('/api', { nothing: true });
  assert.equal(notObject.status, 400);
  assert.match(notObject.body, /needs a "dashboard" object/);
});

test('creates from a title, refuses duplicates, saves a built-in as a file, deletes', async () => {
  const created = await json(
    await fetch(api(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dashboard: { title: 'Team Ops — Overview', panels: [] } }),
    }),
  );
  assert.equal(created.status, 201);
  assert.equal(created.body.id, 'team-ops-overview');
  assert.equal(
    parse(readFileSync(join(dir.path, 'team-ops-overview.yaml'), 'utf8')).title,
    'Team Ops — Overview',
  );
  const again = await fetch(api(), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ dashboard: { title: 'Team Ops — Overview' } }),
  });
  assert.equal(again.status, 409);

  const builtin = (await json(await fetch(api('/service-overview')))).body;
  assert.equal(builtin.source, 'builtin');
  const copy = await put('/service-overview', {
    dashboard: { ...builtin.dashboard, refresh: '' },
    version: builtin.version,
  });
  assert.equal(copy.status, 200);
  assert.equal(copy.body.source, 'file');
  assert.equal((await json(await fetch(api('/service-overview')))).body.dashboard.refresh, '');

  assert.equal((await fetch(api('/team-ops-overview'), { method: 'DELETE' })).status, 204);
  assert.equal((await fetch(api('/team-ops-overview'))).status, 404);
  // Deleting the file brings the built-in back; the built-in itself cannot be deleted.
  assert.equal((await fetch(api('/service-overview'), { method: 'DELETE' })).status, 204);
  assert.equal((await json(await fetch(api('/service-overview')))).body.source, 'builtin');
  const refuse = await json(await fetch(api('/service-overview'), { method: 'DELETE' }));
  assert.equal(refuse.status, 400);
});

test('read-only mode refuses writes but serves reads', async () => {
  assert.equal((await fetch(`${roBase}/api/vigil/v1/dashboards/checkout`)).status, 200);
  const res = await put('', { dashboard: { title: 'x' } }, `${roBase}/api/vigil/v1/dashboards/checkout`);
  assert.equal(res.status, 403);
  assert.match(res.body, /read-only/);
});
