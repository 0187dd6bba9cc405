/**
 * The dashboards API and live mode as `vigil serve` wires them (main.ts): a real Vigil with a
 * config file, dashboards saved into the folder the config names, and a live subscription that
 * receives a point written over remote write after it subscribed.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import WebSocket from 'ws';
import { loadConfigFile } from '../../config/load.ts';
import { sendWriteRequest } from '../../ingest/remote-write/client.ts';
import { type RunningVigil, startVigil } from '../../main.ts';
import { tempDir } from '../../testutil/vigil.ts';

const dir = tempDir('vigil-wiring-');
let vigil: RunningVigil;
let url: string;

before(async () => {
  const configPath = join(dir.path, 'vigil.yml');
  writeFileSync(
    configPath,
    'server:\n  listen: 127.0.0.1:0\n  otlp_http_listen: ""\n  otlp_grpc_listen: ""\ndashboards:\n  dir: boards\n',
  );
  vigil = await startVigil({
    config: loadConfigFile(configPath),
    configPath,
    dataDir: join(dir.path, 'data'),
    logger: pino({ level: 'silent' }),
  });
  url = `http://${vigil.address}`;
});

after(async () => {
  await vigil?.close();
  dir.remove();
});

test('dashboards are listed (built-ins included) and saved into the configured folder', async () => {
  const list = (await (await fetch(`${url}/api/vigil/v1/dashboards`)).json()) as {
    dashboards: { id: string; source: string }[];
  };
  assert.ok(
    list.dashboards.some((d) => d.source === 'builtin'),
    'the built-in dashboards are listed',
  );
  const res = await fetch(`${url}/api/vigil/v1/dashboards`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      dashboard: { title: 'Wired board', panels: [{ type: 'stat', queries: [{ expr: 'up' }] }] },
    }),
  });
  assert.equal(res.status, 201, await res.text());
  const file = join(dir.path, 'boards', 'wired-board.yaml');
  assert.ok(existsSync(file), `${file} was written`);
  assert.match(readFileSync(file, 'utf8'), /title: Wired board/);
});

test('live mode streams a point written after the subscription', async () => {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/api/vigil/v1/live`);
  const messages: { type: string; series?: { values: [number, string][] }[] }[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(String(d))));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const since = Date.now() - 5_000;
  ws.send(JSON.stringify({ type: 'subscribe', id: 'a', query: 'wired_metric', step: 1000, since }));
  const res = await sendWriteRequest(`${url}/api/v1/write`, {
    timeseries: [
      {
        labels: [{ name: '__name__', value: 'wired_metric' }],
        samples: [{ timestamp: BigInt(Date.now()), value: 42 }],
      },
    ],
  });
  assert.equal(res.status, 204);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const hit = messages.find(
      (m) => m.type === 'data' && m.series?.some((s) => s.values.some((v) => v[1] === '42')),
    );
    if (hit) break;
    assert.ok(Date.now() < deadline, `no live point with value 42; got ${JSON.stringify(messages)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  ws.close();
});
