/**
 * Scheduled probes in a running Vigil (as main.ts wires them): their blackbox-exporter series are
 * queryable through PromQL with job, instance and the group's labels; GET /api/vigil/v1/probes
 * shows each probe's last result; the self-metrics count runs; and an ordinary alerting rule on
 * probe_success == 0 fires for the dead target only.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { loadConfigFile } from '../config/load.ts';
import { startVigil } from '../main.ts';
import { startTestVigil } from '../testutil/vigil.ts';
import { startHttpServer, tempDir } from './testutil.ts';

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface ProbeApi {
  data: {
    modules: string[];
    probes: {
      job: string;
      instance: string;
      module: string;
      interval: string;
      success: boolean | null;
      lastError: string;
      lastProbe: string | null;
    }[];
  };
}

test('a running server probes its targets, stores blackbox series, reports them and alerts on failures', async () => {
  const web = await startHttpServer((_req, res) => res.end('all good'));
  const dir = tempDir();
  const rules = join(dir.path, 'rules.yml');
  writeFileSync(
    rules,
    `groups:
- name: probes
  interval: 1s
  rules:
  - alert: ProbeFailing
    expr: probe_success == 0
    labels: {severity: page}
`,
  );
  const live = `http://${web.address}/`;
  const dead = 'http://127.0.0.1:1/';
  const vigil = await startTestVigil(`
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: [${JSON.stringify(rules)}]
probes:
  targets:
    - job: web
      module: http_2xx
      targets: ['${live}', '${dead}']
      labels: {team: core}
`);
  const query = async (q: string) => {
    const res = await fetch(`${vigil.url}/api/v1/query?query=${encodeURIComponent(q)}`);
    assert.equal(res.status, 200, q);
    return (
      (await res.json()) as {
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      }
    ).data.result;
  };
  try {
    const success = await waitFor('probe_success of both targets', async () => {
      const r = await query('probe_success{job="web"}');
      return r.length === 2 ? r : undefined;
    });
    const byInstance = new Map(success.map((s) => [s.metric.instance, s]));
    assert.deepEqual(byInstance.get(live)?.metric, {
      __name__: 'probe_success',
      instance: live,
      job: 'web',
      team: 'core',
    });
    assert.equal(byInstance.get(live)?.value[1], '1');
    assert.equal(byInstance.get(dead)?.value[1], '0');

    const status = await query(`probe_http_status_code{instance="${live}"}`);
    assert.equal(status[0]?.value[1], '200');
    const phases = await query(`probe_http_duration_seconds{instance="${live}"}`);
    assert.deepEqual(phases.map((p) => p.metric.phase).sort(), [
      'connect',
      'processing',
      'resolve',
      'tls',
      'transfer',
    ]);
    assert.equal((await query(`probe_duration_seconds{job="web"}`)).length, 2);

    const api = (await (await fetch(`${vigil.url}/api/vigil/v1/probes`)).json()) as ProbeApi;
    assert.ok(api.data.modules.includes('http_2xx') && api.data.modules.includes('dns_udp'));
    const probes = new Map(api.data.probes.map((p) => [p.instance, p]));
    assert.deepEqual(
      [
        probes.get(live)?.job,
        probes.get(live)?.module,
        probes.get(live)?.interval,
        probes.get(live)?.success,
      ],
      ['web', 'http_2xx', '1s', true],
    );
    assert.equal(probes.get(dead)?.success, false);
    assert.match(probes.get(dead)?.lastError ?? '', /ECONNREFUSED/);

    const alert = await waitFor('ProbeFailing to fire', async () => {
      const res = (await (await fetch(`${vigil.url}/api/v1/alerts`)).json()) as {
        data: { alerts: { labels: Record<string, string>; state: string }[] };
      };
      return res.data.alerts.length > 0 ? res.data.alerts : undefined;
    });
    assert.deepEqual(
      alert.map((a) => [a.labels.alertname, a.labels.instance, a.state]),
      [['ProbeFailing', dead, 'firing']],
    );

    const self = await (await fetch(`${vigil.url}/metrics`)).text();
    assert.match(self, /vigil_probes_total\{job="web",result="success"\} [1-9]/);
    assert.match(self, /vigil_probes_total\{job="web",result="failure"\} [1-9]/);
  } finally {
    await vigil.stop();
    await web.close();
    dir.remove();
  }
});

test('POST /-/reload applies changed probe targets and anomaly rules from the config file', async () => {
  const web = await startHttpServer((_req, res) => res.end('all good'));
  const dir = tempDir();
  const configPath = join(dir.path, 'vigil.yml');
  const live = `http://${web.address}/`;
  const config = (targets: string, anomalyExpr: string) => `
server: { listen: 127.0.0.1:0, otlp_http_listen: '', otlp_grpc_listen: '' }
global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }
probes:
  targets:
    - job: web
      targets: [${targets}]
anomaly_rules:
  - name: probe_latency
    expr: ${anomalyExpr}
`;
  writeFileSync(configPath, config(`'${live}'`, 'probe_duration_seconds'));
  const vigil = await startVigil({
    config: loadConfigFile(configPath),
    configPath,
    dataDir: join(dir.path, 'data'),
    logger: pino({ level: 'silent' }),
  });
  const url = `http://${vigil.address}`;
  const probes = async () =>
    ((await (await fetch(`${url}/api/vigil/v1/probes`)).json()) as ProbeApi).data.probes.map(
      (p) => p.instance,
    );
  const anomalyExprs = async () =>
    (
      (await (await fetch(`${url}/api/vigil/v1/anomaly/rules`)).json()) as {
        data: { rules: { expr: string }[] };
      }
    ).data.rules.map((r) => r.expr);
  try {
    assert.deepEqual(await probes(), [live]);
    assert.deepEqual(await anomalyExprs(), ['probe_duration_seconds']);

    writeFileSync(
      configPath,
      config(`'${live}', 'http://127.0.0.1:1/'`, 'probe_duration_seconds{job="web"}'),
    );
    const res = await fetch(`${url}/-/reload`, { method: 'POST' });
    assert.equal(res.status, 200, await res.text());
    assert.deepEqual((await probes()).sort(), ['http://127.0.0.1:1/', live].sort());
    assert.deepEqual(await anomalyExprs(), ['probe_duration_seconds{job="web"}']);
    await waitFor('the new target to be probed', async () => {
      const r = await (
        await fetch(
          `${url}/api/v1/query?query=${encodeURIComponent('probe_success{instance="http://127.0.0.1:1/"}')}`,
        )
      ).json();
      return (r as { data: { result: unknown[] } }).data.result.length === 1 ? true : undefined;
    });

    // An invalid file is refused with the reason, and what runs is untouched.
    writeFileSync(configPath, config(`'${live}'`, 'rate(probe_duration_seconds[5m]'));
    const bad = await fetch(`${url}/-/reload`, { method: 'POST' });
    assert.ok(bad.status >= 400, `status ${bad.status}`);
    assert.match(await bad.text(), /invalid PromQL/);
    assert.equal((await probes()).length, 2);
  } finally {
    await vigil.close();
    await web.close();
    dir.remove();
  }
});
