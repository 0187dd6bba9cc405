import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TLSSocket } from 'node:tls';
import { gzipSync } from 'node:zlib';
import { probeModuleSchema } from '../config/probes.ts';
import { runProbe } from './probe.ts';
import {
  selfSignedCert,
  startHttp2Server,
  startHttpServer,
  startTcpServer,
  type TestServer,
  tempDir,
} from './testutil.ts';

const dir = tempDir();
const cert = selfSignedCert(dir.path);
const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
  dir.remove();
});

async function probe(moduleYaml: Record<string, unknown>, target: string, timeoutSeconds = 5) {
  const module = probeModuleSchema.parse(moduleYaml);
  return runProbe({ module, moduleName: 'test', target, timeoutSeconds, baseDir: dir.path });
}

test('HTTPS: certificate expiry, leaf info, TLS version and cipher, as the exporter reports them', async () => {
  const s = await startHttpServer((_req, res) => res.end('ok'), cert);
  servers.push(s);
  const r = await probe(
    { prober: 'http', http: { tls_config: { ca_file: cert.certFile } } },
    `https://localhost:${s.port}/`,
  );
  assert.equal(r.success, true, r.log.lines.join('\n'));
  const reg = r.registry;
  assert.equal(reg.value('probe_http_ssl'), 1);
  assert.equal(reg.value('probe_ssl_earliest_cert_expiry'), cert.notAfter);
  assert.equal(reg.value('probe_ssl_last_chain_expiry_timestamp_seconds'), cert.notAfter);
  assert.equal(reg.value('probe_tls_version_info', { version: 'TLS 1.3' }), 1);
  assert.equal(reg.value('probe_tls_cipher_info', { cipher: 'TLS_AES_256_GCM_SHA384' }), 1);
  const x509 = new X509Certificate(cert.cert);
  const info = {
    fingerprint_sha256: createHash('sha256').update(x509.raw).digest('hex'),
    subject: 'CN=localhost,O=Vigil Test,C=US',
    issuer: 'CN=localhost,O=Vigil Test,C=US',
    subjectalternative: 'localhost',
    serialnumber: x509.serialNumber.toLowerCase().replace(/^(00)+/, ''),
  };
  assert.equal(reg.value('probe_ssl_last_chain_info', info), 1, reg.render());
  // Without verification the exporter has no verified chain: Go's zero time.
  const insecure = await probe(
    { prober: 'http', http: { tls_config: { insecure_skip_verify: true } } },
    `https://127.0.0.1:${s.port}/`,
  );
  assert.equal(insecure.success, true);
  assert.equal(insecure.registry.value('probe_ssl_last_chain_expiry_timestamp_seconds'), -62135596800);
  // Untrusted: the handshake fails, no TLS series, the error is in the log.
  const untrusted = await probe({ prober: 'http' }, `https://127.0.0.1:${s.port}/`);
  assert.equal(untrusted.success, false);
  assert.equal(untrusted.registry.has('probe_ssl_earliest_cert_expiry'), false);
  assert.match(untrusted.log.errors(), /self.signed|certificate/i);
});

test('HTTP: phases are recorded and summed over redirects; the redirect count matches', async () => {
  const s = await startHttpServer((req, res) => {
    if (req.url === '/a') {
      res.writeHead(301, { Location: '/b' });
      res.end();
    } else if (req.url === '/b') {
      res.writeHead(307, {
        Location: `http://localhost:${(req.socket.address() as { port: number }).port}/c`,
      });
      res.end();
    } else res.end('final');
  });
  servers.push(s);
  const r = await probe({ prober: 'http' }, `http://127.0.0.1:${s.port}/a`);
  assert.equal(r.success, true, r.log.lines.join('\n'));
  assert.equal(r.registry.value('probe_http_redirects'), 2);
  assert.equal(r.registry.value('probe_http_status_code'), 200);
  assert.equal(r.registry.value('probe_http_uncompressed_body_length'), 5);
  for (const phase of ['resolve', 'connect', 'tls', 'processing', 'transfer']) {
    const v = r.registry.value('probe_http_duration_seconds', { phase });
    assert.ok(v !== undefined && v >= 0, `${phase}: ${v}`);
  }
  assert.ok(r.registry.value('probe_http_duration_seconds', { phase: 'connect' })! > 0);
  assert.equal(r.registry.value('probe_http_duration_seconds', { phase: 'tls' }), 0);
});

test('HTTP: headers (Host included), body, method and basic auth reach the target', async () => {
  let seen: { method?: string; auth?: string; host?: string; ua?: string; body?: string; custom?: string } =
    {};
  const s = await startHttpServer((req, res, body) => {
    seen = {
      method: req.method,
      auth: req.headers.authorization,
      host: req.headers.host,
      ua: req.headers['user-agent'],
      body,
      custom: req.headers['x-probe'] as string,
    };
    res.end();
  });
  servers.push(s);
  const r = await probe(
    {
      prober: 'http',
      http: {
        method: 'PUT',
        body: 'payload',
        headers: { 'X-Probe': 'yes', Host: 'vhost.example' },
        basic_auth: { username: 'u', password: 'p' },
      },
    },
    `127.0.0.1:${s.port}`,
  );
  assert.equal(r.success, true);
  assert.deepEqual(seen, {
    method: 'PUT',
    auth: `Basic ${Buffer.from('u:p').toString('base64')}`,
    host: 'vhost.example',
    ua: 'Vigil-Probe/1.0 (blackbox-exporter compatible)',
    body: 'payload',
    custom: 'yes',
  });
});

test('HTTP: compression, body size limits and HTTP version checks', async () => {
  const text = 'x'.repeat(1000);
  const s = await startHttpServer((req, res) => {
    if (req.url === '/gz') {
      const gz = gzipSync(text);
      res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Length': gz.length });
      res.end(gz);
    } else if (req.url === '/chunked') {
      res.write(text.slice(0, 500));
      res.end(text.slice(500));
    } else res.end(text);
  });
  servers.push(s);
  const gz = await probe({ prober: 'http', http: { compression: 'gzip' } }, `http://127.0.0.1:${s.port}/gz`);
  assert.equal(gz.success, true, gz.log.lines.join('\n'));
  assert.equal(gz.registry.value('probe_http_uncompressed_body_length'), 1000);
  assert.ok(gz.registry.value('probe_http_content_length')! < 1000);
  const notGz = await probe(
    { prober: 'http', http: { compression: 'gzip' } },
    `http://127.0.0.1:${s.port}/plain`,
  );
  assert.equal(notGz.success, false);
  const limited = await probe(
    { prober: 'http', http: { body_size_limit: '100B' } },
    `http://127.0.0.1:${s.port}/plain`,
  );
  assert.equal(limited.success, false);
  assert.match(limited.log.errors(), /too large/);
  const chunked = await probe({ prober: 'http' }, `http://127.0.0.1:${s.port}/chunked`);
  assert.equal(
    chunked.registry.value('probe_http_content_length'),
    -1,
    'no Content-Length: -1, as Go reports',
  );
  const v = await probe(
    { prober: 'http', http: { valid_http_versions: ['HTTP/2.0'] } },
    `http://127.0.0.1:${s.port}/plain`,
  );
  assert.equal(v.success, false);
  assert.equal(v.registry.value('probe_http_version'), 1.1);
});

test('a target that never answers fails at the deadline', async () => {
  const s = await startTcpServer(() => undefined);
  servers.push(s);
  const r = await probe({ prober: 'http' }, `http://127.0.0.1:${s.port}/`, 0.3);
  assert.equal(r.success, false);
  assert.match(r.log.errors(), /deadline/);
  assert.equal(r.registry.value('probe_timeout_seconds'), 0.3);
});

test('HTTPS targets that stall in the handshake or in an HTTP/2 response fail at the deadline', async () => {
  const silent = await startTcpServer(() => undefined);
  const stalled = await startHttp2Server(() => undefined, cert);
  servers.push(silent, stalled);
  const module = { prober: 'http', http: { tls_config: { ca_file: cert.certFile } } };
  for (const port of [silent.port, stalled.port]) {
    const started = performance.now();
    const r = await probe(module, `https://localhost:${port}/`, 0.5);
    assert.equal(r.success, false);
    assert.match(r.log.errors(), /deadline/);
    assert.ok(performance.now() - started < 5000, 'the probe ends at its deadline, not later');
  }
  // The stalled HTTP/2 server got as far as the TLS handshake: the probe says so.
  const r = await probe(module, `https://localhost:${stalled.port}/`, 0.5);
  assert.ok(r.registry.value('probe_http_duration_seconds', { phase: 'tls' })! > 0);
});

test('CA files are read on every probe: a broken file fails the probe, a fixed one works again', async () => {
  const s = await startHttpServer((_req, res) => res.end('ok'), cert);
  servers.push(s);
  const caFile = join(dir.path, 'rotating-ca.pem');
  const module = { prober: 'http', http: { tls_config: { ca_file: caFile } } };
  const target = `https://localhost:${s.port}/`;
  writeFileSync(caFile, cert.cert);
  assert.equal((await probe(module, target)).success, true);
  writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
  const broken = await probe(module, target);
  assert.equal(broken.success, false);
  assert.match(broken.log.errors(), /self-signed certificate/, 'nothing trusted: the server is not verified');
  writeFileSync(caFile, cert.cert);
  assert.equal((await probe(module, target)).success, true);
});

test('HTTP/2: headers, method, body and Host reach the target as HTTP/2 fields', async () => {
  let seen:
    | { version: string; method: string; authority: string; ua: string; custom: string; body: string }
    | undefined;
  const s = await startHttp2Server((req, res, body) => {
    seen = {
      version: req.httpVersion,
      method: req.method ?? '',
      authority: String(req.headers[':authority'] ?? req.headers.host),
      ua: String(req.headers['user-agent']),
      custom: String(req.headers['x-probe']),
      body,
    };
    res.writeHead(201, { 'Set-Cookie': ['a=1', 'b=2'] });
    res.end('created');
  }, cert);
  servers.push(s);
  const r = await probe(
    {
      prober: 'http',
      http: {
        method: 'PUT',
        body: 'payload',
        headers: { Host: 'localhost', 'X-Probe': 'yes', Connection: 'close' },
        valid_status_codes: [201],
        fail_if_header_not_matches: [{ header: 'Set-Cookie', regexp: '^b=' }],
        tls_config: { ca_file: cert.certFile },
      },
    },
    `https://127.0.0.1:${s.port}/things`,
  );
  assert.equal(r.success, true, r.log.errors());
  assert.deepEqual(seen, {
    version: '2.0',
    method: 'PUT',
    authority: 'localhost',
    ua: 'Vigil-Probe/1.0 (blackbox-exporter compatible)',
    custom: 'yes',
    body: 'payload',
  });
  assert.equal(r.registry.value('probe_http_version'), 2);
  assert.equal(r.registry.value('probe_http_status_code'), 201);
  assert.equal(r.registry.value('probe_http_uncompressed_body_length'), 7);
});

test('gRPC: the health check is a well-formed gRPC call; answers map to status codes as in grpc-go', async () => {
  const { createServer } = await import('node:http2');
  let seen: Record<string, unknown> | undefined;
  // A bare HTTP/2 server playing the gRPC health service, so the wire format itself is checked.
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen = {
        path: req.headers[':path'],
        contentType: req.headers['content-type'],
        te: req.headers.te,
        timeout: /^\d+m$/.test(String(req.headers['grpc-timeout'])),
        team: req.headers['x-team'],
        frame: body.toString('hex'),
      };
      const mode = String(req.headers['x-mode']);
      if (mode === 'http404') {
        res.writeHead(404);
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'application/grpc' });
      if (mode === 'no-status') return res.end();
      if (mode === 'not-found') {
        // The message's percent-encoding is malformed on purpose: the prober must not throw on it.
        res.addTrailers({ 'grpc-status': '5', 'grpc-message': 'unknown%20service%zz' });
        return res.end();
      }
      res.write(Buffer.from([0, 0, 0, 0, 2, 0x08, 0x01])); // HealthCheckResponse{status: SERVING}
      res.addTrailers({ 'grpc-status': '0' });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as import('node:net').AddressInfo).port;
  const grpcProbe = (mode: string) =>
    probe(
      { prober: 'grpc', grpc: { service: 'api', metadata: { 'X-Team': 'core', 'x-mode': mode } } },
      `127.0.0.1:${port}`,
    );
  try {
    const ok = await grpcProbe('serving');
    assert.equal(ok.success, true, ok.log.errors());
    assert.deepEqual(seen, {
      path: '/grpc.health.v1.Health/Check',
      contentType: 'application/grpc',
      te: 'trailers',
      timeout: true,
      team: 'core',
      frame: '00000000050a03617069', // uncompressed, 5 bytes: HealthCheckRequest{service: "api"}
    });
    assert.equal(ok.registry.value('probe_grpc_status_code'), 0);
    assert.equal(ok.registry.value('probe_grpc_healthcheck_response', { serving_status: 'SERVING' }), 1);
    for (const [mode, code] of [
      ['not-found', 5],
      ['http404', 12],
      ['no-status', 13],
    ] as const) {
      const r = await grpcProbe(mode);
      assert.equal(r.success, false, mode);
      assert.equal(r.registry.value('probe_grpc_status_code'), code, mode);
    }
  } finally {
    await new Promise((r) => server.close(r));
  }

  // A server that accepts connections but never speaks: DEADLINE_EXCEEDED at the deadline.
  const silent = await startTcpServer(() => undefined);
  servers.push(silent);
  const started = performance.now();
  const r = await probe({ prober: 'grpc' }, silent.address, 0.5);
  assert.equal(r.success, false);
  assert.equal(r.registry.value('probe_grpc_status_code'), 4);
  assert.ok(performance.now() - started < 5000, 'the probe ends at its deadline');
});

test('TCP: STARTTLS dialogue with expect/send, groups in sends and probe_expect_info labels', async () => {
  const s = await startTcpServer((socket: Socket) => {
    socket.write('220 mail.example ESMTP Postfix (Debian)\r\n');
    socket.once('data', (d) => {
      if (!String(d).startsWith('STARTTLS mail.example')) return socket.end('500 wrong\r\n');
      socket.write('220 go ahead\r\n', () => {
        const secure = new TLSSocket(socket, { isServer: true, cert: cert.cert, key: cert.key });
        secure.once('data', (e: Buffer) => {
          secure.end(String(e).startsWith('EHLO') ? '250-AUTH PLAIN\r\n' : '500 no\r\n');
        });
      });
    });
  });
  servers.push(s);
  const module = {
    prober: 'tcp',
    tcp: {
      query_response: [
        {
          expect: '^220 ([^ ]+) ESMTP (.+)$',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a Go regexp expansion template
          send: 'STARTTLS ${1}',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a Go regexp expansion template
          labels: [{ name: 'server', value: '${2}' }],
        },
        { expect: '^220' },
        { starttls: true },
        { send: 'EHLO prober' },
        { expect: '^250-AUTH' },
      ],
      tls_config: { ca_file: cert.certFile, server_name: 'localhost' },
    },
  };
  const r = await probe(module, `127.0.0.1:${s.port}`);
  assert.equal(r.success, true, r.log.lines.join('\n'));
  assert.equal(r.registry.value('probe_expect_info', { server: 'Postfix (Debian)' }), 1);
  assert.equal(r.registry.value('probe_ssl_earliest_cert_expiry'), cert.notAfter);
  assert.equal(r.registry.value('probe_failed_due_to_regex'), 0);
  // A banner that never matches: at EOF the probe fails due to the regex; at the deadline (the
  // server keeps the connection open) it fails with a read error instead, as the exporter does.
  const closing = await startTcpServer((socket) => socket.end('220 other banner\r\n'));
  servers.push(closing);
  const expectSsh = { prober: 'tcp', tcp: { query_response: [{ expect: '^SSH-' }] } };
  const wrong = await probe(expectSsh, `127.0.0.1:${closing.port}`);
  assert.equal(wrong.success, false);
  assert.equal(wrong.registry.value('probe_failed_due_to_regex'), 1);
  const waiting = await probe(expectSsh, `127.0.0.1:${s.port}`, 0.3);
  assert.equal(waiting.success, false);
  assert.equal(waiting.registry.value('probe_failed_due_to_regex'), 0);
  assert.match(waiting.log.errors(), /Error reading from connection/);
});

test('TCP with TLS against a plain server fails the handshake; a missing port is an error', async () => {
  const s = await startTcpServer((socket) => socket.end('hello\n'));
  servers.push(s);
  const r = await probe({ prober: 'tcp', tcp: { tls: true } }, `127.0.0.1:${s.port}`);
  assert.equal(r.success, false);
  const noPort = await probe({ prober: 'tcp' }, '127.0.0.1');
  assert.equal(noPort.success, false);
  assert.match(noPort.log.errors(), /missing port/);
});
