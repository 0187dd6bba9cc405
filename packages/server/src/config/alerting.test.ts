/**
 * The `alertmanager:` and `alerting:` sections: a full alertmanager.yml loads unchanged, inline or
 * from config_file, with Alertmanager's defaults; every mistake Alertmanager rejects is rejected
 * with the file, line and key.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadAmConfig } from '../alerting/config.ts';
import { ConfigError, parseConfig } from './load.ts';

const GOOD = `
global:
  resolve_timeout: 2m
  smtp_smarthost: smtp.example.org:587
  smtp_from: alertmanager@example.org
  smtp_auth_username: am
  smtp_auth_password: pw
  slack_api_url: https://hooks.slack.com/services/T/B/X
  opsgenie_api_key: key
route:
  receiver: team-X-mails
  group_by: [alertname, cluster]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 3h
  routes:
    - match_re:
        service: ^(foo1|foo2|baz)$
      receiver: team-X-mails
      routes:
        - match: { severity: critical }
          receiver: team-X-pager
    - matchers: [service="files"]
      receiver: team-Y-mails
      mute_time_intervals: [offhours]
      routes:
        - matchers: [severity="critical"]
          receiver: team-Y-pager
          active_time_intervals: [holidays]
    - match: { service: database }
      receiver: team-DB-pager
      group_by: [alertname, cluster, database]
      routes:
        - match: { owner: team-X }
          receiver: team-X-pager
          continue: true
    - receiver: all
      group_by: ['...']
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname, cluster, service]
  - source_match: { severity: critical }
    target_match_re: { severity: warning|info }
receivers:
  - name: team-X-mails
    email_configs:
      - to: team-X+alerts@example.org
  - name: team-X-pager
    email_configs:
      - to: team-X+alerts-critical@example.org
    pagerduty_configs:
      - service_key: <team-X-key>
  - name: team-Y-mails
    email_configs:
      - to: team-Y+alerts@example.org
  - name: team-Y-pager
    pagerduty_configs:
      - routing_key: <team-Y-key>
  - name: team-DB-pager
    pagerduty_configs:
      - routing_key: <team-DB-key>
  - name: all
    slack_configs:
      - channel: '#alerts'
    opsgenie_configs:
      - responders: [{ name: ops, type: Team }]
    webhook_configs:
      - url: http://example.org/hook
        max_alerts: 10
time_intervals:
  - name: offhours
    time_intervals:
      - times: [{ start_time: '18:00', end_time: '24:00' }]
        weekdays: ['monday:friday']
      - weekdays: [saturday, sunday]
mute_time_intervals:
  - name: holidays
    time_intervals:
      - months: ['december']
        days_of_month: ['24:26']
        location: Europe/Berlin
`;

const inline = (am: string) =>
  `alertmanager:\n${am
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n')}\n`;

function problems(yaml: string): string[] {
  try {
    parseConfig(yaml, 'vigil.yml');
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

test('a full alertmanager.yml loads inline, with Alertmanager’s defaults filled in', () => {
  const config = parseConfig(inline(GOOD), 'vigil.yml');
  const loaded = loadAmConfig(config, '/');
  const c = loaded.config;
  assert.equal(c.global.resolve_timeout, 120_000);
  assert.equal(c.route.routes.length, 4);
  assert.equal(c.route.routes[3].group_by_all, true);
  const email = c.receivers[0].email_configs[0];
  assert.equal(email.smarthost, 'smtp.example.org:587', 'from global');
  assert.equal(email.from, 'alertmanager@example.org');
  assert.equal(email.require_tls, true);
  assert.equal(email.send_resolved, false);
  const pd = c.receivers[1].pagerduty_configs[0];
  assert.equal(pd.url, 'https://events.pagerduty.com/v2/enqueue');
  assert.deepEqual(Object.keys(pd.details).sort(), ['firing', 'num_firing', 'num_resolved', 'resolved']);
  const all = c.receivers[5];
  assert.equal(all.slack_configs[0].api_url, 'https://hooks.slack.com/services/T/B/X');
  assert.equal(all.opsgenie_configs[0].api_url, 'https://api.opsgenie.com/');
  assert.equal(all.opsgenie_configs[0].responders[0].type, 'team');
  assert.equal(all.webhook_configs[0].send_resolved, true);
  assert.equal(c.time_intervals.size, 2);
  assert.match(loaded.original, /smtp_auth_password: <secret>/);
});

test('config_file: the same file loads from disk, and its errors point into it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-am-config-'));
  try {
    writeFileSync(join(dir, 'alertmanager.yml'), GOOD);
    const config = parseConfig('alertmanager:\n  config_file: alertmanager.yml\n', join(dir, 'vigil.yml'));
    assert.equal(loadAmConfig(config, dir).config.receivers.length, 6);

    writeFileSync(
      join(dir, 'alertmanager.yml'),
      'route:\n  receiver: a\n  routes:\n    - receiver: b\nreceivers:\n  - name: a\n',
    );
    assert.throws(
      () => loadAmConfig(config, dir),
      (e) =>
        e instanceof ConfigError &&
        e.message ===
          `${join(dir, 'alertmanager.yml')}:4: route.routes.0.receiver: undefined receiver "b" used in route`,
    );
    const missing = parseConfig('alertmanager:\n  config_file: nope.yml\n', 'vigil.yml');
    assert.throws(() => loadAmConfig(missing, dir), /cannot read alertmanager.config_file .*nope\.yml/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('what Alertmanager rejects is rejected, naming file, line and key', () => {
  const check = (am: string, want: RegExp) => {
    const got = problems(inline(am));
    assert.ok(
      got.some((p) => want.test(p)),
      `expected ${want} in:\n${got.join('\n')}`,
    );
  };
  check('receivers: [{name: a}]\n', /^vigil\.yml:\d+: alertmanager\.route: no route provided/);
  check(
    'route: {}\nreceivers: [{name: a}]\n',
    /alertmanager\.route\.receiver: root route must specify a default receiver/,
  );
  check(
    'route: {receiver: a, matchers: [x="y"]}\nreceivers: [{name: a}]\n',
    /root route must not have any matchers/,
  );
  check(
    'route: {receiver: a, continue: true}\nreceivers: [{name: a}]\n',
    /cannot have continue in root route/,
  );
  check(
    'route:\n  receiver: a\n  routes:\n    - receiver: nope\nreceivers: [{name: a}]\n',
    /^vigil\.yml:5: alertmanager\.route\.routes\.0\.receiver: undefined receiver "nope" used in route/,
  );
  check(
    'route: {receiver: a}\nreceivers: [{name: a}, {name: a}]\n',
    /alertmanager\.receivers\.1\.name: notification config name "a" is not unique/,
  );
  check(
    'route: {receiver: a, bogus: 1}\nreceivers: [{name: a}]\n',
    /alertmanager\.route: unknown key "bogus"/,
  );
  check(
    'route:\n  receiver: a\n  routes:\n    - matchers: ["foo"]\nreceivers: [{name: a}]\n',
    /^vigil\.yml:5: alertmanager\.route\.routes\.0\.matchers\.0: bad matcher format: foo/,
  );
  check(
    'route:\n  receiver: a\n  routes:\n    - match_re: {x: "("}\nreceivers: [{name: a}]\n',
    /match_re\.x: invalid regular expression/,
  );
  check(
    "route: {receiver: a, group_by: ['...', x]}\nreceivers: [{name: a}]\n",
    /cannot have wildcard group_by/,
  );
  check(
    'route: {receiver: a, group_by: [a, a]}\nreceivers: [{name: a}]\n',
    /duplicated label "a" in group_by/,
  );
  check(
    'route: {receiver: a, group_interval: 0s}\nreceivers: [{name: a}]\n',
    /group_interval cannot be zero/,
  );
  check(
    'route: {receiver: a, group_wait: soon}\nreceivers: [{name: a}]\n',
    /group_wait: "soon" is not a duration/,
  );
  check(
    'route:\n  receiver: a\n  routes: [{mute_time_intervals: [x]}]\nreceivers: [{name: a}]\n',
    /routes\.0\.mute_time_intervals\.0: undefined time interval "x" used in route/,
  );
  check(
    'route: {receiver: a}\nreceivers:\n  - name: a\n    email_configs: [{to: x@y}]\n',
    /email_configs\.0\.smarthost: no global SMTP smarthost set/,
  );
  check(
    'route: {receiver: a}\nreceivers:\n  - name: a\n    email_configs: [{}]\n',
    /email_configs\.0\.to: missing to address in email config/,
  );
  check(
    'route: {receiver: a}\nreceivers:\n  - name: a\n    slack_configs: [{channel: x}]\n',
    /no global Slack API URL set/,
  );
  check(
    'route: {receiver: a}\nreceivers:\n  - name: a\n    pagerduty_configs: [{}]\n',
    /missing service or routing key in PagerDuty config/,
  );
  check(
    'route: {receiver: a}\nreceivers:\n  - name: a\n    webhook_configs: [{url: "ftp://x"}]\n',
    /scheme required for webhook url/,
  );
  check(
    'route: {receiver: a}\nreceivers:\n  - name: a\n    webhook_configs: [{}]\n',
    /missing URL in webhook config/,
  );
  check(
    'route: {receiver: a}\nreceivers:\n  - name: a\n    opsgenie_configs: [{}]\n',
    /no global OpsGenie API Key set/,
  );
  check(
    'route: {receiver: a}\nreceivers:\n  - name: a\n    telegram_configs: [{chat_id: 1}]\n',
    /telegram_configs are not supported by Vigil yet/,
  );
  check(
    'route: {receiver: a}\nreceivers: [{name: a}]\ninhibit_rules: [{equal: ["bad-name"]}]\n',
    /inhibit_rules\.0\.equal\.0: invalid label name/,
  );
  check(
    'route: {receiver: a}\nreceivers: [{name: a}]\ntime_intervals: [{name: t, time_intervals: [{weekdays: [someday]}]}]\n',
    /time_intervals\.0\.time_intervals\.0\.weekdays\.0: someday is not a valid weekday/,
  );
});

test('templates: user files load next to the defaults; a template that does not parse is refused at load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-am-tmpl-'));
  try {
    writeFileSync(
      join(dir, 'mine.tmpl'),
      '{{ define "mine.title" }}{{ .Status | title }}: {{ .CommonLabels.alertname }}{{ end }}',
    );
    const ok = parseConfig(
      inline(
        `templates: ['*.tmpl']\nroute: {receiver: a}\nreceivers:\n  - name: a\n    slack_configs: [{api_url: "http://x/y", title: '{{ template "mine.title" . }}'}]\n`,
      ),
      join(dir, 'vigil.yml'),
    );
    const loaded = loadAmConfig(ok, dir);
    const data = {
      receiver: 'a',
      status: 'firing' as const,
      alerts: [],
      groupLabels: {},
      commonLabels: { alertname: 'Boom' },
      commonAnnotations: {},
      externalURL: 'http://x',
    };
    assert.equal(loaded.templates.text('{{ template "mine.title" . }}', data), 'Firing: Boom');

    const badString = parseConfig(
      inline(
        'route: {receiver: a}\nreceivers:\n  - name: a\n    slack_configs: [{api_url: "http://x/y", title: "{{ .CommonLabels.alertname "}]\n',
      ),
      'vigil.yml',
    );
    assert.throws(
      () => loadAmConfig(badString, '/'),
      /alertmanager\.receivers\.0\.slack_configs\.0\.title: template: :1: /,
    );

    writeFileSync(join(dir, 'broken.tmpl'), '{{ define "x" }}{{ end');
    assert.throws(
      () => loadAmConfig(ok, dir),
      /alertmanager\.templates: .*broken\.tmpl: template: broken\.tmpl:1: /,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('alerting: Prometheus’s alertmanagers section', () => {
  const ok = parseConfig(
    'alerting:\n  alertmanagers:\n    - static_configs: [{targets: ["am:9093"]}]\n      path_prefix: /am\n      basic_auth: {username: u, password: p}\n',
    'vigil.yml',
  );
  assert.equal(ok.alerting?.alertmanagers[0].timeout, 10_000);
  assert.equal(ok.alerting?.alertmanagers[0].http_config.basic_auth?.username, 'u');
  const v1 = problems(
    'alerting:\n  alertmanagers:\n    - api_version: v1\n      static_configs: [{targets: ["am:9093"]}]\n',
  );
  assert.match(
    v1.join('\n'),
    /^vigil\.yml:3: alerting\.alertmanagers\.0\.api_version: api_version "v1" is not supported/,
  );
  const sd = problems('alerting:\n  alertmanagers:\n    - file_sd_configs: [{files: [x.yml]}]\n');
  assert.match(
    sd.join('\n'),
    /file_sd_configs for Alertmanagers are not supported by Vigil; use static_configs/,
  );
});
