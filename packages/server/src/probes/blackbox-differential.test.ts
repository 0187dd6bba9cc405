/**
 * Differential test: Vigil's /probe and Debian's prometheus-blackbox-exporter, given the same
 * module config, probe the same local HTTP(S), TCP, DNS and gRPC targets; probe_success, status
 * codes and the other outcome series must agree. Fails (does not skip) when the exporter is
 * missing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestVigil, type TestVigil } from '../testutil/vigil.ts';
import {
  type Blackbox,
  type DnsAnswer,
  parseExposition,
  selfSignedCert,
  startBlackbox,
  startDnsServer,
  startGrpcHealthServer,
  startHttp2Server,
  startHttpServer,
  startTcpServer,
  type TestServer,
  tempDir,
  wireName,
} from './testutil.ts';

const dir = tempDir();
const cert = selfSignedCert(dir.path);
const servers: TestServer[] = [];
let blackbox: Blackbox;
let vigil: TestVigil;
let http: TestServer;
let https: TestServer;
let h2: TestServer;
let ssh: TestServer;
let irc: TestServer;
let tlsTcp: TestServer;
let dns: TestServer;
let dnsTls: TestServer;
let grpcServer: TestServer;
let grpcTls: TestServer;

/** The module config both sides get (Vigil under probes.modules). */
function modulesYaml(): string {
  return `
  http_2xx:
    prober: http
    timeout: 5s
  http_post_2xx:
    prober: http
    http:
      method: POST
      headers:
        Content-Type: application/json
      body: '{"probe": true}'
  http_body_ok:
    prober: http
    http:
      fail_if_body_not_matches_regexp: ['all (good|ok)']
  http_body_db_down:
    prober: http
    http:
      fail_if_body_matches_regexp: ['database (is )?down']
  http_no_redirect:
    prober: http
    http:
      no_follow_redirects: true
  http_302_ok:
    prober: http
    http:
      follow_redirects: false
      valid_status_codes: [302]
  http_404_ok:
    prober: http
    http:
      valid_status_codes: [404]
  http_header:
    prober: http
    http:
      fail_if_header_not_matches:
        - header: X-Env
          regexp: '^prod'
  http_header_missing_ok:
    prober: http
    http:
      fail_if_header_matches:
        - header: Set-Cookie
          allow_missing: true
          regexp: '.*'
  http_ssl_required:
    prober: http
    http:
      fail_if_not_ssl: true
  http_ip6_fallback:
    prober: http
    http:
      preferred_ip_protocol: ip6
  http_ip6_only:
    prober: http
    http:
      preferred_ip_protocol: ip6
      ip_protocol_fallback: false
  tcp_ip6_only:
    prober: tcp
    tcp:
      preferred_ip_protocol: ip6
      ip_protocol_fallback: false
  https_ca:
    prober: http
    http:
      tls_config:
        ca_file: ${cert.certFile}
  https_h1:
    prober: http
    http:
      enable_http2: false
      tls_config:
        ca_file: ${cert.certFile}
  https_v2:
    prober: http
    http:
      valid_http_versions: [HTTP/2.0]
      tls_config:
        ca_file: ${cert.certFile}
  https_post_body:
    prober: http
    http:
      method: POST
      body: 'ping'
      fail_if_body_not_matches_regexp: ['all (good|ok)']
      fail_if_header_matches:
        - header: X-Env
          regexp: 'staging'
          allow_missing: true
      tls_config:
        ca_file: ${cert.certFile}
  https_insecure:
    prober: http
    http:
      tls_config:
        insecure_skip_verify: true
  https_wrong_name:
    prober: http
    http:
      tls_config:
        ca_file: ${cert.certFile}
        server_name: other.example
  https_untrusted:
    prober: http
  tcp_connect:
    prober: tcp
  ssh_banner:
    prober: tcp
    tcp:
      query_response:
      - expect: "^SSH-2.0-"
      - send: "SSH-2.0-blackbox-ssh-check"
  ssh_banner_wrong:
    prober: tcp
    timeout: 2s
    tcp:
      query_response:
      - expect: "^SSH-1.99-"
  irc_banner:
    prober: tcp
    tcp:
      query_response:
      - send: "NICK prober"
      - send: "USER prober prober prober :prober"
      - expect: "PING :([^ ]+)"
        send: "PONG \${1}"
      - expect: "^:[^ ]+ 001"
  tcp_tls:
    prober: tcp
    tcp:
      tls: true
      tls_config:
        ca_file: ${cert.certFile}
  tcp_tls_untrusted:
    prober: tcp
    tcp:
      tls: true
  dns_udp_a:
    prober: dns
    dns:
      query_name: www.example.test
      query_type: A
      validate_answer_rrs:
        fail_if_not_matches_regexp: ['www\\.example\\.test\\.\\t300\\tIN\\tA\\t192\\.0\\.2\\.']
  dns_tcp_a:
    prober: dns
    dns:
      transport_protocol: tcp
      query_name: www.example.test
      query_type: A
  dns_nxdomain:
    prober: dns
    dns:
      query_name: missing.example.test
      query_type: A
  dns_nxdomain_ok:
    prober: dns
    dns:
      query_name: missing.example.test
      query_type: A
      valid_rcodes: [NXDOMAIN]
  dns_answer_forbidden:
    prober: dns
    dns:
      query_name: www.example.test
      query_type: A
      validate_answer_rrs:
        fail_if_matches_regexp: ['192\\.0\\.2\\.1$']
  dns_tls:
    prober: dns
    dns:
      transport_protocol: tcp
      dns_over_tls: true
      query_name: www.example.test
      query_type: A
      tls_config:
        ca_file: ${cert.certFile}
  dns_tls_untrusted:
    prober: dns
    dns:
      transport_protocol: tcp
      dns_over_tls: true
      query_name: www.example.test
      query_type: A
  dns_soa:
    prober: dns
    dns:
      query_name: example.test
      query_type: SOA
  grpc_plain:
    prober: grpc
    grpc:
      tls: false
  grpc_service_serving:
    prober: grpc
    grpc:
      service: checkout
  grpc_service_down:
    prober: grpc
    grpc:
      service: billing
  grpc_service_unknown:
    prober: grpc
    grpc:
      service: nope
  grpc_tls:
    prober: grpc
    grpc:
      tls: true
      service: checkout
      tls_config:
        ca_file: ${cert.certFile}
        server_name: localhost
  grpc_tls_untrusted:
    prober: grpc
    grpc:
      tls: true
`;
}

before(async () => {
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/redirect') {
      res.writeHead(302, { Location: '/ok' });
      res.end('moved');
    } else if (path === '/missing') {
      res.writeHead(404);
      res.end('not here');
    } else if (path === '/error') {
      res.writeHead(500);
      res.end('boom');
    } else if (path === '/db') {
      res.writeHead(200);
      res.end('status: database is down');
    } else if (path === '/post') {
      res.writeHead(req.method === 'POST' ? 200 : 405);
      res.end();
    } else if (path === '/env') {
      res.writeHead(200, { 'X-Env': 'production' });
      res.end('ok');
    } else if (path === '/cookie') {
      res.writeHead(200, { 'Set-Cookie': 'a=b' });
      res.end('ok');
    } else {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('all good here');
    }
  };
  http = await startHttpServer(handler);
  https = await startHttpServer(handler, cert);
  h2 = await startHttp2Server(handler, cert);
  ssh = await startTcpServer((s) => {
    s.write('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n');
    s.on('data', () => s.end());
  });
  irc = await startTcpServer((s) => {
    let buf = '';
    s.on('data', (d) => {
      buf += d;
      if (buf.includes('USER prober') && !buf.includes('PONG')) s.write('PING :abc123\r\n');
      if (buf.includes('PONG abc123')) s.end(':irc.example 001 prober :Welcome\r\n');
    });
  });
  tlsTcp = await startTcpServer((s) => {
    s.end('hello over tls\n');
  }, cert);
  const dnsAnswers = (name: string, type: number): DnsAnswer => {
    if (name === 'www.example.test.' && type === 1)
      return {
        answers: [
          [1, Uint8Array.of(192, 0, 2, 1)],
          [1, Uint8Array.of(192, 0, 2, 2)],
        ],
      };
    if (name === 'example.test.' && type === 6) {
      const nums = Buffer.alloc(20);
      [2024010101, 7200, 900, 1209600, 300].forEach((n, i) => {
        nums.writeUInt32BE(n, i * 4);
      });
      return {
        answers: [[6, Buffer.concat([wireName('ns1.example.test'), wireName('admin.example.test'), nums])]],
      };
    }
    return { rcode: 3 };
  };
  dns = await startDnsServer(dnsAnswers);
  dnsTls = await startDnsServer(dnsAnswers, cert);
  grpcServer = await startGrpcHealthServer({ '': 1, checkout: 1, billing: 2 });
  grpcTls = await startGrpcHealthServer({ '': 1, checkout: 1 }, cert);
  servers.push(http, https, h2, ssh, irc, tlsTcp, dns, dnsTls, grpcServer, grpcTls);
  const modules = modulesYaml();
  blackbox = await startBlackbox(`modules:${modules}`, dir.path);
  vigil = await startTestVigil(`probes:\n  modules:${modules.replace(/\n/g, '\n  ')}`);
});

after(async () => {
  await vigil?.stop();
  await blackbox?.close();
  for (const s of servers) await s.close();
  dir.remove();
});

async function vigilProbe(target: string, module: string): Promise<{ status: number; text: string }> {
  const res = await fetch(
    `${vigil.url}/probe?target=${encodeURIComponent(target)}&module=${encodeURIComponent(module)}`,
  );
  return { status: res.status, text: await res.text() };
}

/** Series whose values must be equal on both sides (when the exporter reports them). */
const COMPARED = [
  'probe_success',
  'probe_http_status_code',
  'probe_http_redirects',
  'probe_http_ssl',
  'probe_http_version',
  'probe_http_content_length',
  'probe_http_uncompressed_body_length',
  'probe_failed_due_to_regex',
  'probe_ip_protocol',
  'probe_ip_addr_hash',
  'probe_ssl_earliest_cert_expiry',
  'probe_dns_answer_rrs',
  'probe_dns_authority_rrs',
  'probe_dns_additional_rrs',
  'probe_dns_query_succeeded',
  'probe_dns_serial',
  'probe_grpc_status_code',
  'probe_grpc_ssl',
  'probe_grpc_healthcheck_response{serving_status="SERVING"}',
  'probe_grpc_healthcheck_response{serving_status="NOT_SERVING"}',
  'probe_tls_version_info{version="TLS 1.3"}',
];

/**
 * Series Debian's exporter (0.23) reports that current upstream (which Vigil follows) does not:
 * the gRPC prober of 0.23 always registers the TLS gauges (0 without TLS); upstream registers
 * them only after a TLS handshake.
 */
function olderExporterOnly(module: string, name: string, value: number | undefined): boolean {
  return (
    module.startsWith('grpc') &&
    value === 0 &&
    (name === 'probe_ssl_earliest_cert_expiry' || name === 'probe_tls_version_info')
  );
}

async function compare(target: () => string, module: string, expectSuccess: 0 | 1): Promise<void> {
  const t = target();
  const [theirs, ours] = await Promise.all([blackbox.probe(t, module), vigilProbe(t, module)]);
  assert.equal(ours.status, theirs.status, `${module} ${t}: HTTP status`);
  const a = parseExposition(theirs.text);
  const b = parseExposition(ours.text);
  assert.equal(
    a.get('probe_success'),
    expectSuccess,
    `blackbox exporter's own verdict for ${module} ${t}:\n${theirs.text}`,
  );
  for (const name of COMPARED) {
    if (!a.has(name) || olderExporterOnly(module, name, a.get(name))) continue;
    assert.equal(
      b.get(name),
      a.get(name),
      `${module} ${t}: ${name} (exporter ${a.get(name)}, Vigil ${b.get(name)})\n${ours.text}`,
    );
  }
  // Every series name the exporter reports, Vigil reports too.
  const names = (m: Map<string, number>) => new Set([...m.keys()].map((k) => k.replace(/\{.*$/, '')));
  const ourNames = names(b);
  for (const name of names(a)) {
    if (olderExporterOnly(module, name, a.get(name))) continue;
    assert.ok(ourNames.has(name), `${module} ${t}: Vigil lacks ${name}\n${ours.text}`);
  }
}

const cases: [string, () => string, 0 | 1][] = [
  ['http_2xx', () => `http://${http.address}/`, 1],
  ['http_2xx', () => http.address, 1],
  ['http_2xx', () => `http://${http.address}/missing`, 0],
  ['http_2xx', () => `http://${http.address}/error`, 0],
  ['http_2xx', () => `http://${http.address}/redirect`, 1],
  ['http_2xx', () => '127.0.0.1:1', 0],
  ['http_post_2xx', () => `http://${http.address}/post`, 1],
  ['http_2xx', () => `http://${http.address}/post`, 0],
  ['http_body_ok', () => `http://${http.address}/`, 1],
  ['http_body_ok', () => `http://${http.address}/db`, 0],
  ['http_body_db_down', () => `http://${http.address}/db`, 0],
  ['http_body_db_down', () => `http://${http.address}/`, 1],
  ['http_no_redirect', () => `http://${http.address}/redirect`, 0],
  ['http_302_ok', () => `http://${http.address}/redirect`, 1],
  ['http_404_ok', () => `http://${http.address}/missing`, 1],
  ['http_404_ok', () => `http://${http.address}/`, 0],
  ['http_header', () => `http://${http.address}/env`, 1],
  ['http_header', () => `http://${http.address}/`, 0],
  ['http_header_missing_ok', () => `http://${http.address}/`, 1],
  ['http_header_missing_ok', () => `http://${http.address}/cookie`, 0],
  ['http_ssl_required', () => `http://${http.address}/`, 0],
  // IP protocol choice: localhost has only an IPv4 address here (/etc/hosts); an IPv6 literal
  // is used as given whatever is preferred, and nothing listens on [::1].
  ['http_ip6_fallback', () => `http://localhost:${http.port}/`, 1],
  ['http_ip6_only', () => `http://localhost:${http.port}/`, 0],
  ['http_2xx', () => `http://[::1]:${http.port}/`, 0],
  ['tcp_ip6_only', () => `localhost:${http.port}`, 0],
  ['tcp_connect', () => `localhost:${http.port}`, 1],
  ['https_ca', () => `https://${https.address}/`, 1],
  ['https_ca', () => `https://localhost:${https.port}/`, 1],
  ['https_insecure', () => `https://${https.address}/`, 1],
  ['https_wrong_name', () => `https://${https.address}/`, 0],
  ['https_untrusted', () => `https://${https.address}/`, 0],
  ['http_ssl_required', () => `https://${https.address}/`, 0],
  // HTTP/2: offered by ALPN over TLS (enable_http2 defaults to true), as Go's client does.
  ['https_ca', () => `https://localhost:${h2.port}/`, 1],
  ['https_ca', () => `https://localhost:${h2.port}/redirect`, 1],
  ['https_ca', () => `https://localhost:${h2.port}/missing`, 0],
  ['https_h1', () => `https://localhost:${h2.port}/`, 1],
  ['https_v2', () => `https://localhost:${h2.port}/`, 1],
  ['https_v2', () => `https://localhost:${https.port}/`, 0],
  ['https_post_body', () => `https://localhost:${h2.port}/post`, 0],
  ['https_post_body', () => `https://localhost:${h2.port}/`, 1],
  ['https_insecure', () => `https://${h2.address}/cookie`, 1],
  ['tcp_connect', () => http.address, 1],
  ['tcp_connect', () => '127.0.0.1:1', 0],
  ['tcp_connect', () => '127.0.0.1', 0],
  ['ssh_banner', () => ssh.address, 1],
  ['ssh_banner_wrong', () => ssh.address, 0],
  ['irc_banner', () => irc.address, 1],
  ['tcp_tls', () => tlsTcp.address, 1],
  ['tcp_tls_untrusted', () => tlsTcp.address, 0],
  ['dns_udp_a', () => dns.address, 1],
  ['dns_tcp_a', () => dns.address, 1],
  ['dns_nxdomain', () => dns.address, 0],
  ['dns_nxdomain_ok', () => dns.address, 1],
  ['dns_answer_forbidden', () => dns.address, 0],
  ['dns_soa', () => dns.address, 1],
  ['dns_tls', () => `localhost:${dnsTls.port}`, 1],
  ['dns_tls_untrusted', () => `localhost:${dnsTls.port}`, 0],
  ['dns_tcp_a', () => dnsTls.address, 0],
  ['grpc_plain', () => grpcServer.address, 1],
  ['grpc_service_serving', () => grpcServer.address, 1],
  ['grpc_service_down', () => grpcServer.address, 0],
  ['grpc_service_unknown', () => grpcServer.address, 0],
  ['grpc_plain', () => '127.0.0.1:1', 0],
  ['grpc_tls', () => grpcTls.address, 1],
  ['grpc_tls_untrusted', () => grpcTls.address, 0],
  ['grpc_plain', () => grpcTls.address, 0],
];

for (const [module, target, success] of cases) {
  test(`${module} → ${success ? 'success' : 'failure'} (${target.toString().replace(/^\(\)\s*=>\s*/, '')})`, async () => {
    await compare(target, module, success);
  });
}

test('both answer unknown modules and missing targets with 400', async () => {
  for (const [target, module] of [
    [http.address, 'no_such_module'],
    ['', 'http_2xx'],
  ]) {
    const [theirs, ours] = await Promise.all([blackbox.probe(target, module), vigilProbe(target, module)]);
    assert.equal(theirs.status, 400);
    assert.equal(ours.status, 400);
    assert.equal(ours.text.trim(), theirs.text.trim());
  }
});
