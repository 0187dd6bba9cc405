/**
 * The HTTP side of scraping against small real servers: content negotiation, compression,
 * authentication, TLS, redirects, and targets that are slow, huge, endless or broken.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { tempDir } from '../../testutil/vigil.ts';
import { type ScrapeManager, startScraping } from './index.ts';
import {
  type FixtureServer,
  fixtureServer,
  scrapeOptions,
  selectSeries,
  sendText,
  type TestDeps,
  testDeps,
  valuesOf,
  waitFor,
} from './testutil.ts';

const testdata = new URL('./testdata/', import.meta.url).pathname;
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function server(handler: Parameters<typeof fixtureServer>[0]): Promise<FixtureServer> {
  const s = await fixtureServer(handler);
  cleanups.push(() => s.close());
  return s;
}

/** Starts scraping with real ingest deps; `jobs` is the YAML list under scrape_configs. */
async function scraping(jobs: string): Promise<{ manager: ScrapeManager } & TestDeps> {
  const t = testDeps();
  const manager = await startScraping(t.deps, scrapeOptions(`scrape_configs:\n${jobs}`));
  cleanups.push(() => manager.stop());
  return { manager, ...t };
}

function job(name: string, address: string, extra = '', interval = '100ms', timeout = '80ms'): string {
  const lines = [
    `  - job_name: ${name}`,
    `    scrape_interval: ${interval}`,
    `    scrape_timeout: ${timeout}`,
    `    static_configs: [{targets: ['${address}']}]`,
    ...extra
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => `    ${l}`),
  ];
  return lines.join('\n');
}

/** Waits for the target's health (and, when down, an error matching `error`); returns the last error. */
async function health(m: ScrapeManager, job: string, want: 'up' | 'down', error = /./): Promise<string> {
  return waitFor(`${job} to be ${want} (${error})`, () => {
    const t = m.targets().find((x) => x.job === job);
    return t?.health === want && (want === 'up' || error.test(t.lastError)) ? t.lastError : undefined;
  });
}

test('content negotiation: Prometheus 3 Accept header; the answer is parsed by its Content-Type', async () => {
  const s = await server((req, res) => {
    if ((req.headers.accept ?? '').startsWith('application/openmetrics-text')) {
      res.setHeader('content-type', 'application/openmetrics-text; version=1.0.0; charset=utf-8');
      res.end(
        '# TYPE om_requests counter\nom_requests_total 3 # {trace_id="abc"} 1 1700000000\nom_requests_created 1700000000.5\n# EOF\n',
      );
    } else sendText(res, '# TYPE text_requests_total counter\ntext_requests_total 4\n');
  });
  const { manager, storage } = await scraping(
    [job('om', s.address), job('text', s.address, 'scrape_protocols: [PrometheusText0.0.4]')].join('\n'),
  );
  await health(manager, 'om', 'up');
  await health(manager, 'text', 'up');
  const om = await waitFor(
    'om series',
    async () => (await selectSeries(storage, 'om_requests_total', { job: 'om' }))[0],
  );
  assert.equal(valuesOf(om)[0], '3');
  assert.equal((await selectSeries(storage, 'om_requests_created', { job: 'om' })).length, 1);
  assert.equal((await selectSeries(storage, 'text_requests_total', { job: 'text' })).length, 1);
  const accepts = new Set(s.requests.map((r) => r.headers.accept));
  assert.ok(
    accepts.has(
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
    ),
  );
  assert.ok(accepts.has('text/plain;version=0.0.4;q=0.6,*/*;q=0.5'));
  const r = s.requests[0];
  assert.equal(r.headers['x-prometheus-scrape-timeout-seconds'], '0.08');
  assert.equal(r.headers['accept-encoding'], 'gzip');
  assert.match(r.headers['user-agent'] ?? '', /^Vigil\//);
});

test('a missing or unknown Content-Type fails the scrape unless fallback_scrape_protocol is set', async () => {
  const s = await server((_req, res) => {
    res.removeHeader('content-type');
    res.end('plain_metric 1\n');
  });
  const { manager, storage } = await scraping(
    [
      job('strict', s.address),
      job('lenient', s.address, 'fallback_scrape_protocol: PrometheusText0.0.4'),
    ].join('\n'),
  );
  assert.match(await health(manager, 'strict', 'down'), /sent no Content-Type; set fallback_scrape_protocol/);
  await health(manager, 'lenient', 'up');
  assert.equal((await selectSeries(storage, 'plain_metric', { job: 'lenient' })).length, 1);
  assert.equal((await selectSeries(storage, 'plain_metric', { job: 'strict' })).length, 0);
  const up = await waitFor(
    'up for strict',
    async () => (await selectSeries(storage, 'up', { job: 'strict' }))[0],
  );
  assert.equal(valuesOf(up)[0], '0');
});

test('gzip responses are decompressed; enable_compression: false asks for identity', async () => {
  const s = await server((req, res) => {
    const body = `gz_metric{enc="${req.headers['accept-encoding']}"} 1\n`;
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    if (req.headers['accept-encoding'] === 'gzip') {
      res.setHeader('content-encoding', 'gzip');
      res.end(gzipSync(body));
    } else res.end(body);
  });
  const { manager, storage } = await scraping(
    [job('gz', s.address), job('plain', s.address, 'enable_compression: false')].join('\n'),
  );
  await health(manager, 'gz', 'up');
  await health(manager, 'plain', 'up');
  assert.equal((await selectSeries(storage, 'gz_metric', { job: 'gz', enc: 'gzip' })).length, 1);
  assert.equal((await selectSeries(storage, 'gz_metric', { job: 'plain', enc: 'identity' })).length, 1);
});

test('authentication: basic_auth, bearer tokens from files (re-read on every scrape), authorization', async () => {
  const dir = tempDir();
  cleanups.push(() => dir.remove());
  const tokenFile = join(dir.path, 'token');
  writeFileSync(tokenFile, 'first-token\n');
  const passwordFile = join(dir.path, 'password');
  writeFileSync(passwordFile, 's3cret\n');
  const s = await server((req, res) => {
    const auth = req.headers.authorization ?? '';
    const ok = [
      `Basic ${Buffer.from('scraper:s3cret').toString('base64')}`,
      'Bearer first-token',
      'Bearer second-token',
      'Token custom-credentials',
    ];
    if (!ok.includes(auth)) {
      res.statusCode = 401;
      res.end('unauthorized');
      return;
    }
    sendText(res, `auth_metric{auth="${auth.split(' ')[0]}"} 1\n`);
  });
  const { manager } = await scraping(
    [
      job('basic', s.address, `basic_auth: {username: scraper, password_file: '${passwordFile}'}`),
      job('bearer', s.address, `bearer_token_file: '${tokenFile}'`),
      job('authz', s.address, 'authorization: {type: Token, credentials: custom-credentials}'),
      job('none', s.address),
    ].join('\n'),
  );
  await health(manager, 'basic', 'up');
  await health(manager, 'bearer', 'up');
  await health(manager, 'authz', 'up');
  assert.match(await health(manager, 'none', 'down'), /server returned HTTP status 401 Unauthorized/);
  writeFileSync(tokenFile, 'wrong-token\n');
  await health(manager, 'bearer', 'down');
  writeFileSync(tokenFile, 'second-token\n');
  await health(manager, 'bearer', 'up');
});

test('a target that never answers or answers too slowly times out', async () => {
  const s = await server((req, res) => {
    if (req.url === '/silent') return; // never answers
    // Answers the headers, then drips the body forever.
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.write('drip_metric 1\n');
    const t = setInterval(() => res.write('# still here\n'), 10);
    res.on('close', () => clearInterval(t));
  });
  const { manager, storage } = await scraping(
    [job('silent', s.address, 'metrics_path: /silent'), job('drip', s.address, 'metrics_path: /drip')].join(
      '\n',
    ),
  );
  assert.match(
    await health(manager, 'silent', 'down'),
    /no complete answer within the scrape timeout \(80ms\)/,
  );
  assert.match(await health(manager, 'drip', 'down'), /scrape timeout/);
  assert.equal((await selectSeries(storage, 'drip_metric')).length, 0);
});

test('bodies over the size limit fail the scrape, also when gzip expands them', async () => {
  const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20)); // 8 MiB of spaces, ~8 KiB compressed
  const s = await server((req, res) => {
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    if (req.url === '/bomb') {
      res.setHeader('content-encoding', 'gzip');
      res.end(bomb);
      return;
    }
    // An endless, fast stream.
    const chunk = Buffer.alloc(64 * 1024, 0x23);
    const write = () => {
      while (res.write(chunk)) {}
    };
    res.on('drain', write);
    write();
  });
  const { manager, storage, self } = await scraping(
    [
      job(
        'endless',
        s.address,
        'metrics_path: /endless\nbody_size_limit: 100KB\nextra_scrape_metrics: true',
        '1s',
        '900ms',
      ),
      job('bomb', s.address, 'metrics_path: /bomb\nbody_size_limit: 1MB', '1s', '900ms'),
    ].join('\n'),
  );
  await health(manager, 'endless', 'down', /larger than the body size limit of 102400 bytes/);
  await health(manager, 'bomb', 'down', /larger than the body size limit of 1048576 bytes/);
  const size = await waitFor(
    'scrape_body_size_bytes',
    async () => (await selectSeries(storage, 'scrape_body_size_bytes'))[0],
  );
  assert.equal(valuesOf(size)[0], '-1');
  assert.match(self.render(), /vigil_scrape_failures_total\{job="endless",reason="body_size_limit"\} [1-9]/);
});

test('garbage, errors and redirects', async () => {
  const s = await server((req, res) => {
    if (req.url === '/garbage') return sendText(res, 'ok_metric 1\nbinary\u0000\u0001 {{{ garbage\n');
    if (req.url === '/missing') {
      res.statusCode = 404;
      return res.end('not here');
    }
    if (req.url === '/moved') {
      res.statusCode = 302;
      res.setHeader('location', '/metrics?from=redirect');
      return res.end();
    }
    sendText(res, `redirected_metric{url="${req.url}"} 1\n`);
  });
  const { manager, storage } = await scraping(
    [
      job('garbage', s.address, 'metrics_path: /garbage'),
      job('missing', s.address, 'metrics_path: /missing'),
      job('moved', s.address, 'metrics_path: /moved'),
      job('nofollow', s.address, 'metrics_path: /moved\nfollow_redirects: false'),
    ].join('\n'),
  );
  assert.match(await health(manager, 'garbage', 'down'), /invalid exposition: line 2/);
  assert.match(await health(manager, 'missing', 'down'), /HTTP status 404/);
  await health(manager, 'moved', 'up');
  assert.equal(
    (await selectSeries(storage, 'redirected_metric', { url: '/metrics?from=redirect' })).length,
    1,
  );
  assert.match(await health(manager, 'nofollow', 'down'), /HTTP status 302/);
  assert.equal((await selectSeries(storage, 'ok_metric')).length, 0);
});

test('connection refused is a failed scrape, not a crash', async () => {
  const s = await server(() => {});
  const address = s.address;
  await s.close();
  const { manager } = await scraping(job('gone', address));
  assert.match(await health(manager, 'gone', 'down'), /ECONNREFUSED/);
});

test('params and __param_ labels end up in the query string', async () => {
  const s = await server((req, res) => sendText(res, `probe{url="${req.url}"} 1\n`));
  const { storage } = await scraping(
    job(
      'probe',
      s.address,
      "metrics_path: /probe\nparams: {module: [http_2xx], target: ['a']}\nrelabel_configs:\n  - target_label: __param_target\n    replacement: 'https://example.org/?q=1'",
    ),
  );
  await waitFor('probe series', async () => (await selectSeries(storage, 'probe')).length > 0);
  const [p] = await selectSeries(storage, 'probe');
  assert.equal(
    p.labels.find((l) => l.name === 'url')?.value,
    '/probe?module=http_2xx&target=https%3A%2F%2Fexample.org%2F%3Fq%3D1',
  );
});

test('target_limit fails every scrape of the job', async () => {
  const s = await server((_req, res) => sendText(res, 'm 1\n'));
  const { manager } = await scraping(
    [
      '  - job_name: limited',
      '    scrape_interval: 100ms',
      '    scrape_timeout: 80ms',
      '    target_limit: 1',
      `    static_configs: [{targets: ['${s.address}', 'localhost:${s.port}']}]`,
    ].join('\n'),
  );
  await waitFor('both targets down', () => {
    const t = manager.targets();
    return (
      t.length === 2 &&
      t.every(
        (x) =>
          x.health === 'down' && /target_limit exceeded \(number of targets: 2, limit: 1\)/.test(x.lastError),
      )
    );
  });
});

test('TLS: ca_file, server_name, insecure_skip_verify and client certificates', async () => {
  const read = (f: string) => readFileSync(join(testdata, f));
  const tlsServer = https.createServer(
    {
      cert: read('server.pem'),
      key: read('server-key.pem'),
      ca: read('ca.pem'),
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
      sendText(res, `tls_metric{client="${peer?.subject?.CN ?? 'none'}"} 1\n`);
    },
  );
  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        tlsServer.closeAllConnections();
        tlsServer.close(() => resolve());
      }),
  );
  const port = (tlsServer.address() as AddressInfo).port;
  const ca = join(testdata, 'ca.pem');
  const { manager, storage } = await scraping(
    [
      job('verified', `127.0.0.1:${port}`, `scheme: https\ntls_config: {ca_file: '${ca}'}`),
      job(
        'byname',
        `127.0.0.1:${port}`,
        `scheme: https\ntls_config: {ca_file: '${ca}', server_name: scrape.example}`,
      ),
      job(
        'wrongname',
        `127.0.0.1:${port}`,
        `scheme: https\ntls_config: {ca_file: '${ca}', server_name: other.example}`,
      ),
      job('unverified', `127.0.0.1:${port}`, 'scheme: https'),
      job('insecure', `127.0.0.1:${port}`, 'scheme: https\ntls_config: {insecure_skip_verify: true}'),
      job(
        'mtls',
        `127.0.0.1:${port}`,
        `scheme: https\ntls_config: {ca_file: '${ca}', cert_file: '${join(testdata, 'client.pem')}', key_file: '${join(testdata, 'client-key.pem')}'}`,
      ),
      job('missingca', `127.0.0.1:${port}`, "scheme: https\ntls_config: {ca_file: '/nonexistent/ca.pem'}"),
    ].join('\n'),
  );
  await health(manager, 'verified', 'up');
  await health(manager, 'byname', 'up');
  await health(manager, 'insecure', 'up');
  await health(manager, 'mtls', 'up');
  assert.match(await health(manager, 'wrongname', 'down'), /other\.example/);
  assert.match(await health(manager, 'unverified', 'down'), /certificate/);
  assert.match(await health(manager, 'missingca', 'down'), /tls_config: .*nonexistent/);
  assert.equal(
    (await selectSeries(storage, 'tls_metric', { job: 'mtls', client: 'vigil-scraper' })).length,
    1,
  );
  assert.equal((await selectSeries(storage, 'tls_metric', { job: 'verified', client: 'none' })).length, 1);
});

test('honor_labels and relabeling end to end', async () => {
  const s = await server((_req, res) =>
    sendText(res, 'fed_metric{job="upstream",instance="inner:1",zone="a"} 1\ngo_goroutines 7\n'),
  );
  const { storage } = await scraping(
    [
      job('honor', s.address, 'honor_labels: true'),
      job(
        'clash',
        s.address,
        `relabel_configs:
  - target_label: zone
    replacement: b
metric_relabel_configs:
  - source_labels: [__name__]
    regex: go_.*
    action: drop`,
      ),
    ].join('\n'),
  );
  await waitFor('both jobs stored', async () => (await selectSeries(storage, 'fed_metric')).length === 2);
  const byJob: Record<string, Record<string, string>> = {};
  for (const x of await selectSeries(storage, 'fed_metric')) {
    const labels = Object.fromEntries(x.labels.map((l) => [l.name, l.value]));
    byJob[labels.job] = labels;
  }
  assert.deepEqual(byJob.upstream, {
    __name__: 'fed_metric',
    instance: 'inner:1',
    job: 'upstream',
    zone: 'a',
  });
  assert.deepEqual(byJob.clash, {
    __name__: 'fed_metric',
    exported_instance: 'inner:1',
    exported_job: 'upstream',
    exported_zone: 'a',
    instance: s.address,
    job: 'clash',
    zone: 'b',
  });
  assert.equal((await selectSeries(storage, 'go_goroutines', { job: 'clash' })).length, 0);
  assert.equal((await selectSeries(storage, 'go_goroutines', { instance: s.address })).length, 1);
});
