/**
 * /probe throughput and latency: Vigil vs Debian's blackbox exporter, same module config, same
 * local targets, in the same run.
 *
 *   node --import tsx bench/probes-throughput.ts [--seconds 10] [--concurrency 16]
 *
 * Targets (on 127.0.0.1, served by this process in a worker-free Node server): an HTTP endpoint
 * (http_2xx), the same over TLS with a self-signed certificate (https_ca, verified against it), a
 * TCP banner (ssh_banner) and a DNS server (dns_udp, an A query). For each system and module,
 * `concurrency` clients call /probe back to back for `seconds`; the table shows probes per second,
 * median and p99 latency, failed probes (probe_success 0) and the system's CPU seconds. Vigil
 * runs as `vigil serve` (a child process), like the exporter.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  selfSignedCert,
  startDnsServer,
  startHttpServer,
  startTcpServer,
  tempDir,
} from '../packages/server/src/probes/testutil.ts';
import {
  cpuSeconds,
  freePort,
  startProcess,
  stopProcess,
  vigilServeArgs,
  waitForHttp,
} from './lib/processes.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '16' },
  },
});
const seconds = Number(args.seconds);
const concurrency = Number(args.concurrency);

const dir = tempDir('bench-probes-');
const cert = selfSignedCert(dir.path);
const http = await startHttpServer((_req, res) => res.end('all good'));
const https = await startHttpServer((_req, res) => res.end('all good'), cert);
const ssh = await startTcpServer((s) => {
  s.write('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n');
  s.on('data', () => s.end());
});
const dns = await startDnsServer(() => ({ answers: [[1, Uint8Array.of(192, 0, 2, 1)]] }));

const modules = `
  http_2xx:
    prober: http
  https_ca:
    prober: http
    http:
      tls_config:
        ca_file: ${cert.certFile}
  ssh_banner:
    prober: tcp
    tcp:
      query_response:
      - expect: "^SSH-2.0-"
      - send: "SSH-2.0-blackbox-ssh-check"
  dns_udp:
    prober: dns
    dns:
      query_name: www.example.test
      query_type: A
`;
const cases: [string, string][] = [
  ['http_2xx', `http://${http.address}/`],
  ['https_ca', `https://localhost:${https.port}/`],
  ['ssh_banner', ssh.address],
  ['dns_udp', dns.address],
];

interface System {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
}

async function startVigil(): Promise<System> {
  writeFileSync(join(dir.path, 'vigil.yml'), `probes:\n  modules:${modules.replace(/\n/g, '\n  ')}`);
  const port = await freePort();
  const child = startProcess(
    process.execPath,
    [...vigilServeArgs({ port, dataDir: join(dir.path, 'vigil-data'), config: join(dir.path, 'vigil.yml') })],
    { ...process.env, VIGIL_FROM_SOURCE: process.env.VIGIL_FROM_SOURCE ?? '0' },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/-/ready`);
  return { name: 'vigil', url, child };
}

async function startBlackbox(): Promise<System> {
  writeFileSync(join(dir.path, 'blackbox.yml'), `modules:${modules}`);
  const port = await freePort();
  const child = startProcess('/usr/bin/prometheus-blackbox-exporter', [
    `--config.file=${join(dir.path, 'blackbox.yml')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=error',
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/-/healthy`);
  return { name: 'blackbox_exporter 0.23', url, child };
}

async function run(system: System, module: string, target: string): Promise<string> {
  const url = `${system.url}/probe?module=${module}&target=${encodeURIComponent(target)}`;
  // Warm-up.
  for (let i = 0; i < 20; i++) await (await fetch(url)).text();
  const latencies: number[] = [];
  let failed = 0;
  const cpuBefore = cpuSeconds(system.child.pid!);
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const text = await (await fetch(url)).text();
        latencies.push(performance.now() - t0);
        if (!/\nprobe_success 1\n/.test(`\n${text}`)) failed++;
      }
    }),
  );
  const cpu = cpuSeconds(system.child.pid!) - cpuBefore;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return `| ${system.name} | ${module} | ${(latencies.length / seconds).toFixed(0)} | ${q(0.5).toFixed(1)} | ${q(0.99).toFixed(1)} | ${failed} | ${cpu.toFixed(1)} |`;
}

const rows: string[] = [];
try {
  for (const start of [startVigil, startBlackbox]) {
    const system = await start();
    try {
      for (const [module, target] of cases) {
        const row = await run(system, module, target);
        console.log(row);
        rows.push(row);
      }
    } finally {
      await stopProcess(system.child);
    }
  }
} finally {
  for (const s of [http, https, ssh, dns]) await s.close();
  rmSync(dir.path, { recursive: true, force: true });
}
console.log(`\n${seconds}s per row, ${concurrency} concurrent clients\n`);
console.log('| system | module | probes/s | p50 (ms) | p99 (ms) | failed | CPU (s) |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(r);
