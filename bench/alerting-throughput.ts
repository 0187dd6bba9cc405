/**
 * Alert intake and dispatch: Vigil vs Debian's Alertmanager 0.25 with the same configuration and
 * the same alerts, one after the other in the same run.
 *
 *   node --import tsx bench/alerting-throughput.ts [--groups 2000] [--per-group 10] [--resends 5]
 *
 * Each system gets `groups` × `per-group` alerts through POST /api/v2/alerts, in batches of 64
 * from 8 concurrent senders (Prometheus's notifier batch size), routed to a webhook on this
 * process with group_by [alertname, group] and group_wait 1s. Measured: the time to accept the
 * first burst, the time until every group's first notification has arrived, then `resends`
 * rounds of re-posting every alert (what Prometheus does each evaluation) — alerts/s; then a
 * notification burst: `groups` alerts each opening a new group, already older than group_wait
 * (so each is notified at once, as after a restart), timed until every one has been delivered —
 * notifications/s; and each server's CPU seconds (utime+stime from /proc) and peak RSS. Prints a
 * markdown table.
 */
import { type ChildProcess, execSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  cpuSeconds,
  freePort,
  startProcess,
  stopProcess,
  vigilServeArgs,
  waitForHttp,
  watchRss,
} from './lib/processes.ts';

const { values: args } = parseArgs({
  options: {
    groups: { type: 'string', default: '2000' },
    'per-group': { type: 'string', default: '10' },
    resends: { type: 'string', default: '5' },
  },
});
const groups = Number(args.groups);
const perGroup = Number(args['per-group']);
const resends = Number(args.resends);
const BATCH = 64;
const SENDERS = 8;

const root = new URL('..', import.meta.url).pathname;
execSync('npm run --silent --workspace @vigil/server build', { cwd: root, stdio: 'inherit' });

// One webhook receiver for both, counting first notifications per system.
const notified = new Map<string, Set<string>>();
const hook = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    const system = req.url!.slice(1);
    const msg = JSON.parse(body) as { groupKey: string };
    const seen = notified.get(system) ?? new Set<string>();
    notified.set(system, seen);
    seen.add(msg.groupKey);
    res.end();
  });
});
await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;

const amConfig = (system: string) => `
route:
  receiver: hook
  group_by: [alertname, group]
  group_wait: 1s
  group_interval: 1m
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs: [{ url: '${hookUrl}/${system}' }]
`;

const alerts = Array.from({ length: groups * perGroup }, (_, i) => ({
  labels: {
    alertname: `Alert${i % 7}`,
    group: `g${Math.floor(i / perGroup)}`,
    instance: `host-${i}:9100`,
    job: 'node',
    severity: i % 3 === 0 ? 'critical' : 'warning',
  },
  annotations: { summary: `something is wrong on host-${i}`, description: 'x'.repeat(100) },
}));

// One alert per new group, started an hour ago: dispatched without waiting for group_wait.
const burstAlerts = Array.from({ length: groups }, (_, i) => ({
  labels: { alertname: 'Burst', group: `burst-${i}`, instance: `host-${i}:9100`, job: 'node' },
  annotations: { summary: `burst ${i}` },
  startsAt: new Date(Date.now() - 3600_000).toISOString(),
}));

async function postAll(url: string, list: readonly object[] = alerts): Promise<number> {
  const batches: object[][] = [];
  for (let i = 0; i < list.length; i += BATCH) batches.push(list.slice(i, i + BATCH));
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        const res = await fetch(`${url}/api/v2/alerts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(batch),
        });
        if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

interface Result {
  system: string;
  burstSeconds: number;
  allNotifiedSeconds: number;
  resendRate: number;
  notificationRate: number;
  cpuPer10k: number;
  peakRss: number;
}

async function measure(
  system: string,
  start: () => Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }>,
): Promise<Result> {
  const s = await start();
  const pid = s.child.pid!;
  const rss = watchRss(pid);
  try {
    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    const burstSeconds = await postAll(s.url);
    while ((notified.get(system)?.size ?? 0) < groups) {
      if (performance.now() - t0 > 300_000)
        throw new Error(`${system}: only ${notified.get(system)?.size} groups notified`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const allNotifiedSeconds = (performance.now() - t0) / 1000;
    let resendSeconds = 0;
    for (let i = 0; i < resends; i++) resendSeconds += await postAll(s.url);
    const t1 = performance.now();
    await postAll(s.url, burstAlerts);
    while ((notified.get(system)?.size ?? 0) < 2 * groups) {
      if (performance.now() - t1 > 300_000)
        throw new Error(`${system}: only ${notified.get(system)!.size - groups} burst groups notified`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const notificationRate = groups / ((performance.now() - t1) / 1000);
    const cpu2 = cpuSeconds(pid);
    const total = alerts.length * (1 + resends) + groups;
    return {
      system,
      burstSeconds,
      allNotifiedSeconds,
      resendRate: (alerts.length * resends) / resendSeconds,
      notificationRate,
      cpuPer10k: ((cpu2 - cpu0) / total) * 10_000,
      peakRss: rss.peak(),
    };
  } finally {
    rss.stop();
    await s.stop();
  }
}

const results: Result[] = [];
results.push(
  await measure('alertmanager', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-am-'));
    writeFileSync(join(dir, 'am.yml'), amConfig('alertmanager'));
    const port = await freePort();
    const child = startProcess('/usr/bin/prometheus-alertmanager', [
      `--config.file=${join(dir, 'am.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ]);
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/-/ready`);
    return {
      url,
      child,
      stop: async () => {
        await stopProcess(child);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }),
);
results.push(
  await measure('vigil', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-vigil-'));
    const indented = amConfig('vigil')
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n');
    writeFileSync(join(dir, 'vigil.yml'), `alertmanager:\n${indented}\n`);
    const port = await freePort();
    const child = startProcess(
      process.execPath,
      [...vigilServeArgs({ port, dataDir: join(dir, 'data'), config: join(dir, 'vigil.yml') })],
      { ...process.env, VIGIL_FROM_SOURCE: process.env.VIGIL_FROM_SOURCE ?? '0' },
    );
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/-/ready`);
    return {
      url,
      child,
      stop: async () => {
        await stopProcess(child);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }),
);
hook.close();

console.log(`\n${groups} groups × ${perGroup} alerts = ${alerts.length} alerts, ${resends} resend rounds\n`);
console.log(
  '| system | accept burst (s) | all groups notified (s) | resend alerts/s | notifications/s | CPU s per 10k alerts | peak RSS (MiB) |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  console.log(
    `| ${r.system} | ${r.burstSeconds.toFixed(2)} | ${r.allNotifiedSeconds.toFixed(2)} | ${Math.round(r.resendRate).toLocaleString('en')} | ${Math.round(r.notificationRate).toLocaleString('en')} | ${r.cpuPer10k.toFixed(2)} | ${Math.round(r.peakRss / 2 ** 20)} |`,
  );
}
const [am, vigil] = results;
console.log(
  `\nvigil / alertmanager: resend alerts/s ${(vigil.resendRate / am.resendRate).toFixed(2)}×, notifications/s ${(vigil.notificationRate / am.notificationRate).toFixed(2)}×, CPU per alert ${(vigil.cpuPer10k / am.cpuPer10k).toFixed(2)}×`,
);
