/**
 * amtool (Debian's prometheus-alertmanager package) against Vigil and against Alertmanager 0.25
 * with the same configuration and alerts: `alert query`, `silence add/query/expire` and
 * `config routes test/show` must print the same (timestamps and silence IDs aside) and exit
 * with the same codes.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestVigil, type TestVigil } from '../testutil/vigil.ts';
import { amtool, postAlerts, type RealAlertmanager, startRealAlertmanager } from './testutil.ts';

const CONFIG = `
route:
  receiver: default
  group_by: [alertname]
  routes:
    - matchers: [severity="critical"]
      receiver: pager
      continue: true
    - matchers: [team=~"db|infra"]
      receiver: team
      routes:
        - match: { env: staging }
          receiver: team-staging
    - match_re: { service: 'api|web' }
      receiver: web
receivers:
  - name: default
  - name: pager
  - name: team
  - name: team-staging
  - name: web
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname]
`;

const ALERTS = [
  {
    labels: { alertname: 'HighLatency', severity: 'critical', team: 'db' },
    annotations: { summary: 'p99 above 1s' },
  },
  {
    labels: { alertname: 'HighLatency', severity: 'warning', team: 'db' },
    annotations: { summary: 'p99 above 500ms' },
  },
  { labels: { alertname: 'DiskFull', instance: 'a:9100', team: 'infra', env: 'staging' } },
  {
    labels: { alertname: 'Errors', service: 'api' },
    annotations: { summary: 'error ratio 5%', runbook: 'http://runbooks/errors' },
  },
];

let am: RealAlertmanager;
let vigil: TestVigil;

before(async () => {
  am = await startRealAlertmanager(CONFIG);
  vigil = await startTestVigil(
    `alertmanager:\n${CONFIG.split('\n')
      .map((l) => `  ${l}`)
      .join('\n')}\n`,
  );
  await Promise.all([postAlerts(am.url, ALERTS), postAlerts(vigil.url, ALERTS)]);
});

after(async () => {
  await am?.stop();
  await vigil?.stop();
});

/** Replaces what legitimately differs between two servers: times and silence IDs. */
function normalize(text: string): string {
  return text
    .replace(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/g, '<time>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
    .replace(/http:\/\/127\.0\.0\.1:\d+/g, '<url>');
}

/** Runs amtool against both and checks they agree; returns Vigil's output. */
async function same(args: string[]): Promise<{ stdout: string; status: number }> {
  const [a, v] = await Promise.all([amtool(am.url, args), amtool(vigil.url, args)]);
  assert.equal(
    v.status,
    a.status,
    `exit code of amtool ${args.join(' ')}\nAlertmanager: ${a.stderr}\nVigil: ${v.stderr}`,
  );
  assert.equal(normalize(v.stdout), normalize(a.stdout), `output of amtool ${args.join(' ')}`);
  return v;
}

test('amtool alert query lists the same alerts, with filters and output formats', async () => {
  const all = await same(['alert', 'query']);
  assert.match(all.stdout, /HighLatency/);
  assert.match(all.stdout, /DiskFull/);
  // The inhibited warning is hidden by default; --inhibited shows only it, with -a both.
  assert.equal(all.stdout.match(/HighLatency/g)?.length, 1);
  const inhibited = await same(['alert', 'query', '--inhibited']);
  assert.match(inhibited.stdout, /HighLatency .* suppressed/);
  const both = await same(['alert', 'query', '--active', '--inhibited']);
  assert.equal(both.stdout.match(/HighLatency/g)?.length, 2);
  await same(['alert', 'query', 'team=~db|infra']);
  await same(['alert', 'query', 'alertname!=DiskFull', '-o', 'extended']);
  await same(['alert', 'query', '--receiver=team.*']);
  await same(['alert', 'query', '--active', '-o', 'simple']);
  await same(['alert', 'query', 'env=']);
});

test('amtool silence add, query and expire', async () => {
  const added = await Promise.all(
    [am.url, vigil.url].map((url) =>
      amtool(url, [
        'silence',
        'add',
        'alertname=DiskFull',
        'instance=~"a:.*"',
        '--comment=disk swap',
        '--author=ops',
        '--duration=2h',
      ]),
    ),
  );
  for (const r of added) assert.equal(r.status, 0, r.stderr);
  const [amId, vigilId] = added.map((r) => r.stdout.trim());
  assert.match(vigilId, /^[0-9a-f-]{36}$/);

  const listed = await same(['silence', 'query']);
  assert.match(listed.stdout, /disk swap/);
  await same(['silence', 'query', '-o', 'extended']);
  await same(['silence', 'query', 'alertname=DiskFull']);
  const quiet = await amtool(vigil.url, ['silence', 'query', '-q']);
  assert.equal(quiet.stdout.trim(), vigilId);

  // The silenced alert disappears from the default listing and shows with --silenced.
  const alerts = await same(['alert', 'query']);
  assert.doesNotMatch(alerts.stdout, /DiskFull/);
  const silenced = await same(['alert', 'query', '--silenced']);
  assert.match(silenced.stdout, /DiskFull/);

  const expired = await Promise.all([
    amtool(am.url, ['silence', 'expire', amId]),
    amtool(vigil.url, ['silence', 'expire', vigilId]),
  ]);
  for (const r of expired) assert.equal(r.status, 0, r.stderr);
  await same(['silence', 'query']);
  await same(['silence', 'query', '--expired']);
  const back = await same(['alert', 'query']);
  assert.match(back.stdout, /DiskFull/);

  // Bad input is refused by both.
  await same(['silence', 'add', 'alertname=~"("', '--comment=x']);
  await same(['silence', 'add', 'foo=""', '--comment=matches everything']);
});

test('amtool config routes test and show read the routing tree from the server', async () => {
  for (const labels of [
    ['severity=critical', 'team=db'],
    ['team=infra', 'env=staging'],
    ['team=infra', 'env=prod'],
    ['service=web'],
    ['service=webx'],
    ['alertname=Unknown'],
  ]) {
    await same(['config', 'routes', 'test', ...labels]);
  }
  await same(['config', 'routes', 'test', '--verify.receivers=pager,team', 'severity=critical', 'team=db']);
  const wrong = await same(['config', 'routes', 'test', '--verify.receivers=web', 'team=db']);
  assert.notEqual(wrong.status, 0);
  const tree = await same(['config', 'routes', 'show']);
  assert.match(tree.stdout, /team-staging/);
});
