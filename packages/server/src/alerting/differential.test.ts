/**
 * Differential test: the same alertmanager.yml (routes with continue, match_re and `...`,
 * grouping, inhibition) and the same stream of alerts and a silence, sent to Debian's
 * Alertmanager 0.25 and to Vigil, both delivering to local webhook receivers. The grouped
 * notifications must match: receiver, group key and labels, alert sets with their statuses and
 * fingerprints, notification status — and the API's view of the alerts too.
 *
 * It runs in real time with short intervals, with phases far enough apart that each phase yields
 * one notification per changed group in both systems.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestVigil, type TestVigil } from '../testutil/vigil.ts';
import {
  postAlerts,
  type RealAlertmanager,
  startRealAlertmanager,
  type TestReceiver,
  testReceiver,
  type WebhookMessage,
} from './testutil.ts';

const amConfig = (hook: string) => `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
  routes:
    - matchers: [team="db"]
      receiver: db
      group_by: [alertname, cluster]
      continue: true
    - match:
        severity: critical
      receiver: pager
      group_by: ['...']
    - match_re:
        service: api|web
      receiver: web
      routes:
        - matchers: [env!="prod"]
          receiver: default
          group_by: [env]
receivers:
  - name: default
    webhook_configs: [{ url: '${hook}/default' }]
  - name: db
    webhook_configs: [{ url: '${hook}/db' }]
  - name: pager
    webhook_configs: [{ url: '${hook}/pager', send_resolved: false }]
  - name: web
    webhook_configs: [{ url: '${hook}/web' }]
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname, cluster]
  - source_match: { alertname: ClusterDown }
    target_match_re: { alertname: 'Node.*' }
    equal: [cluster]
`;

interface System {
  readonly name: string;
  readonly url: string;
  readonly receiver: TestReceiver;
}

let am: RealAlertmanager;
let vigil: TestVigil;
let systems: System[] = [];

before(async () => {
  const amHook = await testReceiver();
  const vigilHook = await testReceiver();
  am = await startRealAlertmanager(amConfig(amHook.url));
  const indented = amConfig(vigilHook.url)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
  vigil = await startTestVigil(`alertmanager:\n${indented}\n`);
  systems = [
    { name: 'alertmanager', url: am.url, receiver: amHook },
    { name: 'vigil', url: vigil.url, receiver: vigilHook },
  ];
});

after(async () => {
  await am?.stop();
  await vigil?.stop();
  for (const s of systems) await s.receiver.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => new Date().toISOString();

/** Posts the same alerts to both systems at (nearly) the same moment. */
async function postBoth(alerts: unknown[]): Promise<void> {
  await Promise.all(systems.map((s) => postAlerts(s.url, alerts)));
}

const A = {
  dbLatency: { alertname: 'HighLatency', team: 'db', cluster: 'eu', severity: 'warning' },
  dbLatencyUs: { alertname: 'HighLatency', team: 'db', cluster: 'us', severity: 'warning' },
  dbLatencyCritical: { alertname: 'HighLatency', team: 'db', cluster: 'us', severity: 'critical' },
  clusterDown: { alertname: 'ClusterDown', cluster: 'ap', severity: 'page' },
  nodeDown: { alertname: 'NodeDown', cluster: 'ap', instance: 'n1' },
  nodeDownOther: { alertname: 'NodeDown', cluster: 'eu', instance: 'n2' },
  apiErrors: { alertname: 'Errors', service: 'api', env: 'prod' },
  webErrorsStaging: { alertname: 'Errors', service: 'web', env: 'staging' },
  silenced: { alertname: 'DiskFull', instance: 'silenced-host' },
  disk: { alertname: 'DiskFull', instance: 'h1', job: 'node' },
};

interface Normalized {
  receiver: string;
  groupKey: string;
  status: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  version: string;
  truncatedAlerts: number;
  alerts: string[];
}

function normalize(messages: WebhookMessage[], path: (m: WebhookMessage) => string): Normalized[] {
  return messages
    .map((m) => ({
      receiver: `${m.receiver}@${path(m)}`,
      groupKey: m.groupKey,
      status: m.status,
      groupLabels: m.groupLabels,
      commonLabels: m.commonLabels,
      commonAnnotations: m.commonAnnotations,
      version: m.version,
      truncatedAlerts: m.truncatedAlerts,
      // Start times are each system's own clock; end times are the sender's (or zero while firing).
      alerts: m.alerts
        .map(
          (a) =>
            `${a.status} ${a.fingerprint} ${JSON.stringify(a.labels)} ${JSON.stringify(a.annotations)} ${a.endsAt}`,
        )
        .sort(),
    }))
    .sort((a, b) => (a.groupKey + a.receiver < b.groupKey + b.receiver ? -1 : 1));
}

function notifications(s: System, from: number): Normalized[] {
  const paths = s.receiver.requests.slice(from).map((r) => r.url);
  const msgs = s.receiver.json().slice(from);
  return normalize(msgs, (m) => paths[msgs.indexOf(m)]);
}

async function phase(alerts: unknown[], waitMs: number): Promise<[Normalized[], Normalized[]]> {
  const marks = systems.map((s) => s.receiver.requests.length);
  await postBoth(alerts);
  await sleep(waitMs);
  return [notifications(systems[0], marks[0]), notifications(systems[1], marks[1])];
}

test('the same alerts, silence and config produce the same grouped notifications', async () => {
  // A silence in both, created through the API as amtool would.
  for (const s of systems) {
    const res = await fetch(`${s.url}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [{ name: 'instance', value: 'silenced-.*', isRegex: true, isEqual: true }],
        startsAt: now(),
        endsAt: new Date(Date.now() + 3600_000).toISOString(),
        createdBy: 'differential',
        comment: 'silence both',
      }),
    });
    assert.equal(res.status, 200, `${s.name}: ${await res.text()}`);
  }

  // Phase 1: a first batch of firing alerts.
  const [am1, vigil1] = await phase(
    [
      A.dbLatency,
      A.dbLatencyUs,
      A.clusterDown,
      A.nodeDown,
      A.nodeDownOther,
      A.apiErrors,
      A.silenced,
      A.disk,
    ].map((labels) => ({ labels, annotations: { summary: `about ${labels.alertname}` } })),
    3500,
  );
  assert.ok(am1.length >= 5, `Alertmanager sent ${am1.length} notifications`);
  assert.deepEqual(vigil1, am1);

  // Phase 2: a critical alert inhibits its warning twin; a new alert joins a routed group.
  const [am2, vigil2] = await phase(
    [A.dbLatencyCritical, A.webErrorsStaging].map((labels) => ({ labels })),
    4500,
  );
  assert.ok(am2.length >= 2);
  assert.deepEqual(vigil2, am2);

  // Both now hold the same alerts with the same status, fingerprints and receivers.
  const views = await Promise.all(
    systems.map(async (s) => {
      const alerts = (await (await fetch(`${s.url}/api/v2/alerts`)).json()) as {
        fingerprint: string;
        labels: Record<string, string>;
        receivers: { name: string }[];
        status: { state: string; silencedBy: string[]; inhibitedBy: string[] };
      }[];
      return alerts.map((a) => ({
        fingerprint: a.fingerprint,
        labels: a.labels,
        receivers: a.receivers.map((r) => r.name),
        state: a.status.state,
        silenced: a.status.silencedBy.length,
        inhibited: a.status.inhibitedBy.length,
      }));
    }),
  );
  assert.deepEqual(views[1], views[0]);

  const groups = await Promise.all(
    systems.map(async (s) => {
      const gs = (await (await fetch(`${s.url}/api/v2/alerts/groups`)).json()) as {
        labels: Record<string, string>;
        receiver: { name: string };
        alerts: { fingerprint: string }[];
      }[];
      return gs.map((g) => ({
        labels: g.labels,
        receiver: g.receiver.name,
        alerts: g.alerts.map((a) => a.fingerprint),
      }));
    }),
  );
  assert.deepEqual(groups[1], groups[0]);

  // Phase 3: everything resolves.
  const all = Object.values(A).map((labels) => ({
    labels,
    startsAt: new Date(Date.now() - 60_000).toISOString(),
    endsAt: now(),
  }));
  const [am3, vigil3] = await phase(all, 4500);
  assert.ok(am3.length >= 4);
  assert.deepEqual(vigil3, am3);
});

const CUSTOM_TMPL = `{{ define "custom.text" }}{{ range .Alerts }}*{{ .Labels.alertname | title }}* on {{ .Labels.instance | reReplaceAll ":.*" "" }}: {{ .Annotations.summary }}{{ if match "^db" .Labels.instance }} (database){{ end }} since {{ .StartsAt.Format "2006-01-02 15:04" }}
{{ end }}{{ end }}
{{ define "custom.title" }}{{ .Status | toUpper }} {{ .CommonLabels.Remove (stringSlice "instance") | len }} common labels{{ end }}
`;

const receiversConfig = (hook: string, templates: string) => `
templates: ['${templates}/*.tmpl']
route:
  receiver: chat
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
receivers:
  - name: chat
    slack_configs:
      - api_url: ${hook}/slack
        channel: '#ops'
        send_resolved: true
        title: '{{ template "custom.title" . }}'
        text: '{{ template "custom.text" . }}'
        fields: [{ title: Count, value: '{{ len .Alerts }}', short: true }]
        actions: [{ type: button, text: Runbook, url: '{{ .CommonAnnotations.runbook }}' }]
      - api_url: ${hook}/slack-defaults
    pagerduty_configs:
      - routing_key: 0123456789abcdef0123456789abcdef
        url: ${hook}/pagerduty
        severity: '{{ if eq .CommonLabels.severity "page" }}critical{{ else }}warning{{ end }}'
        links: [{ href: '{{ .CommonAnnotations.runbook }}', text: runbook }]
        component: '{{ .GroupLabels.alertname | toLower }}'
    opsgenie_configs:
      - api_key: opsgenie-key
        api_url: ${hook}/opsgenie/
        tags: '{{ .CommonLabels.team }},vigil'
        details: { state: '{{ .Status }}' }
        responders: [{ name: 'ops,dev', type: teams }]
    webhook_configs:
      - url: ${hook}/webhook
`;

test('Slack, PagerDuty, OpsGenie and webhook bodies match Alertmanager’s, default and user templates alike', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-am-templates-'));
  writeFileSync(join(dir, 'custom.tmpl'), CUSTOM_TMPL);
  const amHook = await testReceiver();
  const vigilHook = await testReceiver();
  const realAm = await startRealAlertmanager(receiversConfig(amHook.url, dir), [
    '--web.external-url=http://alerts.example',
  ]);
  const indented = receiversConfig(vigilHook.url, dir)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
  const v = await startTestVigil(
    `server:\n  external_url: http://alerts.example\nalertmanager:\n${indented}\n`,
  );
  try {
    const startsAt = new Date(Date.now() - 3600_000).toISOString();
    const alerts = [
      {
        labels: { alertname: 'high_latency', instance: 'db-1:9100', severity: 'page', team: 'storage' },
        annotations: { summary: 'p99 > 1s <b>now</b>', runbook: 'http://runbooks.example/latency' },
        startsAt,
      },
      {
        labels: { alertname: 'high_latency', instance: 'web-2:9100', severity: 'page', team: 'storage' },
        annotations: { summary: 'p99 > 2s', runbook: 'http://runbooks.example/latency' },
        startsAt,
      },
    ];
    await Promise.all([postAlerts(realAm.url, alerts), postAlerts(v.url, alerts)]);
    await Promise.all([amHook.waitFor(5), vigilHook.waitFor(5)]);
    const byPath = (r: TestReceiver, from: number) =>
      Object.fromEntries(
        r.requests
          .slice(from)
          .map((q) => [q.url, { body: JSON.parse(q.body), auth: q.headers.authorization ?? '' }]),
      );
    const compare = (from: number) => {
      const a = byPath(amHook, from);
      const b = byPath(vigilHook, from);
      assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
      for (const path of Object.keys(a)) assert.deepEqual(b[path], a[path], `body sent to ${path}`);
    };
    compare(0);

    // Resolution: Slack (send_resolved), PagerDuty resolve, OpsGenie close, the webhook.
    const resolved = alerts.map((x) => ({ ...x, endsAt: new Date().toISOString() }));
    await Promise.all([postAlerts(realAm.url, resolved), postAlerts(v.url, resolved)]);
    await Promise.all([amHook.waitFor(9), vigilHook.waitFor(9)]);
    compare(5);
  } finally {
    await realAm.stop();
    await v.stop();
    await amHook.close();
    await vigilHook.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
