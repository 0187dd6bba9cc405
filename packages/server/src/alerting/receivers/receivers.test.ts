/**
 * The receivers against local stand-ins for the services: a real SMTP server (smtp-server) that
 * requires STARTTLS and authentication, and HTTP servers that check Slack's and PagerDuty's
 * payloads against the shapes those services document, answering as they would (400 for a bad
 * payload). Also OpsGenie's create/close calls.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { ManualClock } from '../clock.ts';
import { postAlerts, startTestAlerting, type TestAlerting } from '../testutil.ts';

const T0 = Date.UTC(2024, 2, 4, 10, 0, 0);
const TESTDATA = new URL('./testdata/', import.meta.url).pathname;
const iso = (ms: number) => new Date(ms).toISOString();

// ---------------------------------------------------------------------------------------------
// Stand-in services

interface Service {
  readonly url: string;
  readonly accepted: { path: string; headers: http.IncomingHttpHeaders; body: Record<string, unknown> }[];
  readonly rejected: string[];
  close(): Promise<void>;
}

/** An HTTP service that validates each JSON body; a problem is answered 400 and recorded. */
async function service(
  validate: (body: unknown, path: string) => string | undefined,
  okStatus = 200,
): Promise<Service> {
  const accepted: Service['accepted'] = [];
  const rejected: string[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      text += c;
    });
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        rejected.push(`not JSON: ${text.slice(0, 100)}`);
        res.statusCode = 400;
        return res.end('invalid_payload');
      }
      const problem =
        req.headers['content-type'] !== 'application/json'
          ? 'content-type must be application/json'
          : validate(body, req.url ?? '');
      if (problem) {
        rejected.push(problem);
        res.statusCode = 400;
        return res.end(problem);
      }
      accepted.push({ path: req.url ?? '', headers: req.headers, body: body as Record<string, unknown> });
      res.statusCode = okStatus;
      res.end(okStatus === 202 ? '{"status":"success","message":"Event processed"}' : 'ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    accepted,
    rejected,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown) => typeof v === 'string';

/**
 * Slack incoming webhooks with legacy attachments (api.slack.com/messaging/webhooks,
 * api.slack.com/reference/messaging/attachments): known keys only, with their types.
 */
function validateSlack(body: unknown): string | undefined {
  if (!isObj(body)) return 'invalid_payload';
  const top: Record<string, (v: unknown) => boolean> = {
    text: str,
    channel: str,
    username: str,
    icon_emoji: str,
    icon_url: str,
    link_names: (v) => typeof v === 'boolean',
    attachments: Array.isArray,
    blocks: Array.isArray,
  };
  for (const [k, v] of Object.entries(body)) {
    if (!top[k]) return `unknown field ${k}`;
    if (!top[k](v)) return `bad type for ${k}`;
  }
  if (!body.text && !(body.attachments as unknown[] | undefined)?.length) return 'no_text';
  const att: Record<string, (v: unknown) => boolean> = {
    fallback: str,
    color: str,
    pretext: str,
    author_name: str,
    author_link: str,
    author_icon: str,
    title: str,
    title_link: str,
    text: str,
    fields: (v) => Array.isArray(v) && v.every((f) => isObj(f) && str(f.title) && str(f.value)),
    image_url: str,
    thumb_url: str,
    footer: str,
    footer_icon: str,
    ts: (v) => typeof v === 'number',
    mrkdwn_in: (v) => Array.isArray(v) && v.every(str),
    callback_id: str,
    actions: Array.isArray,
  };
  for (const a of (body.attachments as unknown[]) ?? []) {
    if (!isObj(a)) return 'attachment is not an object';
    for (const [k, v] of Object.entries(a)) {
      if (!att[k]) return `unknown attachment field ${k}`;
      if (!att[k](v)) return `bad type for attachment field ${k}`;
    }
    if (!str(a.fallback) && !str(a.text)) return 'attachment needs fallback or text';
  }
  return undefined;
}

/** PagerDuty Events API v2 (developer.pagerduty.com/docs/events-api-v2/trigger-events). */
function validatePagerduty(body: unknown, path: string): string | undefined {
  if (path !== '/v2/enqueue') return `wrong path ${path}`;
  if (!isObj(body)) return 'Event object is invalid';
  const allowed = new Set([
    'routing_key',
    'event_action',
    'dedup_key',
    'payload',
    'images',
    'links',
    'client',
    'client_url',
  ]);
  for (const k of Object.keys(body)) if (!allowed.has(k)) return `unknown field ${k}`;
  if (!str(body.routing_key) || (body.routing_key as string).length !== 32) return "'routing_key' is invalid";
  if (!['trigger', 'acknowledge', 'resolve'].includes(body.event_action as string))
    return "'event_action' is invalid";
  if (body.dedup_key !== undefined && (!str(body.dedup_key) || (body.dedup_key as string).length > 255))
    return "'dedup_key' is invalid";
  if (body.event_action !== 'trigger') return body.dedup_key ? undefined : "'dedup_key' is required";
  const p = body.payload;
  if (!isObj(p)) return "'payload' is missing";
  if (!str(p.summary) || !(p.summary as string) || (p.summary as string).length > 1024)
    return "'payload.summary' is invalid";
  if (!str(p.source) || !(p.source as string)) return "'payload.source' is missing";
  if (!['critical', 'error', 'warning', 'info'].includes(p.severity as string))
    return "'payload.severity' is invalid";
  for (const k of ['timestamp', 'component', 'group', 'class'])
    if (p[k] !== undefined && !str(p[k])) return `'payload.${k}' is invalid`;
  if (p.custom_details !== undefined && !isObj(p.custom_details))
    return "'payload.custom_details' is invalid";
  for (const i of (body.images as unknown[]) ?? [])
    if (!isObj(i) || !str(i.src)) return "'images' is invalid";
  for (const l of (body.links as unknown[]) ?? []) if (!isObj(l) || !str(l.href)) return "'links' is invalid";
  return undefined;
}

/** OpsGenie Alert API (docs.opsgenie.com/docs/alert-api): create needs a message of at most 130 chars. */
function validateOpsgenie(body: unknown, path: string): string | undefined {
  if (!isObj(body)) return 'invalid';
  if (path === '/v2/alerts') {
    if (!str(body.message) || !(body.message as string) || (body.message as string).length > 130)
      return 'Message can not be empty';
    if (body.alias !== undefined && (!str(body.alias) || (body.alias as string).length > 512))
      return 'bad alias';
    return undefined;
  }
  if (/^\/v2\/alerts\/[0-9a-f]{64}\/close\?identifierType=alias$/.test(path)) return undefined;
  return `unexpected path ${path}`;
}

interface Mail {
  from: string;
  to: string[];
  user: string | undefined;
  secure: boolean;
  raw: string;
}

async function smtpServer(): Promise<{ port: number; mails: Mail[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    key: readFileSync(`${TESTDATA}smtp-key.pem`),
    cert: readFileSync(`${TESTDATA}smtp.pem`),
    authMethods: ['PLAIN', 'LOGIN'],
    // Authentication only after STARTTLS (the default): the test fails if Vigil skips it.
    allowInsecureAuth: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'vigil' && auth.password === 's3cret') return cb(null, { user: auth.username });
      return cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => {
        raw += c;
      });
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
          secure: session.secure,
          raw,
        });
        cb();
      });
    },
    logger: false,
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise((r) => server.close(() => r())) };
}

// ---------------------------------------------------------------------------------------------

describe('slack, pagerduty, opsgenie and email receivers', () => {
  let slack: Service;
  let pagerduty: Service;
  let opsgenie: Service;
  let smtp: Awaited<ReturnType<typeof smtpServer>>;
  let clock: ManualClock;
  let am: TestAlerting;

  before(async () => {
    slack = await service(validateSlack);
    pagerduty = await service(validatePagerduty, 202);
    opsgenie = await service(validateOpsgenie, 202);
    smtp = await smtpServer();
    clock = new ManualClock(T0);
    am = await startTestAlerting(
      `
alertmanager:
  global:
    slack_api_url: ${slack.url}/services/T000/B000/XXXX
    smtp_smarthost: 127.0.0.1:${smtp.port}
    smtp_from: Alertmanager <alerts@example.org>
    smtp_auth_username: vigil
    smtp_auth_password: s3cret
    opsgenie_api_key: og-key
    opsgenie_api_url: ${opsgenie.url}
  route:
    receiver: everyone
    group_by: [alertname]
    group_wait: 10s
    group_interval: 1m
  receivers:
    - name: everyone
      slack_configs:
        - channel: '#alerts'
          send_resolved: true
          fields:
            - title: Severity
              value: high
      pagerduty_configs:
        - routing_key: 0123456789abcdef0123456789abcdef
          url: ${pagerduty.url}/v2/enqueue
          severity: critical
      opsgenie_configs:
        - priority: P2
          tags: a,b
      email_configs:
        - to: oncall@example.org, boss@example.org
          send_resolved: true
          tls_config:
            ca_file: ${TESTDATA}ca.pem
`,
      { clock },
    );
  });

  after(async () => {
    await am?.stop();
    await Promise.all([slack?.close(), pagerduty?.close(), opsgenie?.close(), smtp?.close()]);
  });

  test('a firing group reaches every service in the shape it documents', async () => {
    await postAlerts(am.url, [
      {
        labels: { alertname: 'HighCPU', instance: 'web-1', severity: 'page' },
        annotations: { summary: 'CPU above 90%' },
        startsAt: iso(T0),
        endsAt: iso(T0 + 3600_000),
        generatorURL: 'http://prometheus/graph?g0.expr=cpu',
      },
    ]);
    await clock.advance(10_000);
    assert.deepEqual(slack.rejected, []);
    assert.deepEqual(pagerduty.rejected, []);
    assert.deepEqual(opsgenie.rejected, []);

    assert.equal(slack.accepted.length, 1);
    const msg = slack.accepted[0].body as {
      channel: string;
      username: string;
      attachments: Record<string, unknown>[];
    };
    assert.equal(slack.accepted[0].path, '/services/T000/B000/XXXX');
    assert.equal(msg.channel, '#alerts');
    assert.equal(msg.username, 'Alertmanager');
    assert.equal(msg.attachments[0].title, '[FIRING:1] HighCPU (web-1 page)');
    assert.equal(msg.attachments[0].color, 'danger');
    assert.equal(msg.attachments[0].title_link, 'http://vigil.test/#/alerts?receiver=everyone');
    assert.deepEqual(msg.attachments[0].fields, [{ title: 'Severity', value: 'high', short: false }]);

    assert.equal(pagerduty.accepted.length, 1);
    const ev = pagerduty.accepted[0].body as {
      event_action: string;
      dedup_key: string;
      payload: Record<string, unknown>;
    };
    assert.equal(ev.event_action, 'trigger');
    assert.match(ev.dedup_key, /^[0-9a-f]{64}$/);
    assert.equal(ev.payload.summary, '[FIRING:1] HighCPU (web-1 page)');
    assert.equal(ev.payload.severity, 'critical');
    assert.equal(ev.payload.source, 'Alertmanager');
    const details = ev.payload.custom_details as Record<string, string>;
    assert.equal(details.num_firing, '1');
    assert.match(details.firing, /Labels:\n - alertname = HighCPU\n - instance = web-1\n/);
    assert.match(details.firing, /Source: http:\/\/prometheus\/graph\?g0\.expr=cpu\n/);

    assert.equal(opsgenie.accepted.length, 1);
    assert.equal(opsgenie.accepted[0].headers.authorization, 'GenieKey og-key');
    const og = opsgenie.accepted[0].body as Record<string, unknown>;
    assert.equal(og.message, '[FIRING:1] HighCPU (web-1 page)');
    assert.equal(og.priority, 'P2');
    assert.deepEqual(og.tags, ['a', 'b']);
    assert.equal(og.alias, ev.dedup_key, 'both use the SHA-256 of the group key');

    assert.equal(smtp.mails.length, 1);
    const mail = smtp.mails[0];
    assert.equal(mail.secure, true, 'STARTTLS was used');
    assert.equal(mail.user, 'vigil', 'authenticated');
    assert.equal(mail.from, 'alerts@example.org');
    assert.deepEqual(mail.to, ['oncall@example.org', 'boss@example.org']);
    assert.match(mail.raw, /^Subject: \[FIRING:1\] HighCPU \(web-1 page\)\r?$/m);
    assert.match(mail.raw, /^To: oncall@example.org, boss@example.org\r?$/m);
    assert.match(mail.raw, /^Content-Type: text\/html; charset=utf-8\r?$/m);
    assert.match(mail.raw.replace(/=\r?\n/g, ''), /CPU above 90%/);
  });

  test('resolution: PagerDuty resolve with the same dedup key, OpsGenie close, Slack and email with send_resolved', async () => {
    await postAlerts(am.url, [
      {
        labels: { alertname: 'HighCPU', instance: 'web-1', severity: 'page' },
        startsAt: iso(T0),
        endsAt: iso(clock.now()),
      },
    ]);
    await clock.advance(60_000);
    assert.deepEqual([slack.rejected, pagerduty.rejected, opsgenie.rejected], [[], [], []]);
    const resolve = pagerduty.accepted[1].body as { event_action: string; dedup_key: string };
    assert.equal(resolve.event_action, 'resolve');
    assert.equal(resolve.dedup_key, (pagerduty.accepted[0].body as { dedup_key: string }).dedup_key);
    assert.match(opsgenie.accepted[1].path, /\/close\?identifierType=alias$/);
    const msg = slack.accepted[1].body as { attachments: Record<string, unknown>[] };
    assert.equal(msg.attachments[0].color, 'good');
    assert.equal(msg.attachments[0].title, '[RESOLVED] HighCPU (web-1 page)');
    assert.match(smtp.mails[1].raw, /^Subject: \[RESOLVED\] HighCPU \(web-1 page\)\r?$/m);
  });
});

describe('email without STARTTLS support', () => {
  test('require_tls (the default) refuses to send over a plain connection', async () => {
    const mails: string[] = [];
    const server = new SMTPServer({
      hideSTARTTLS: true,
      authOptional: true,
      onData(stream, _s, cb) {
        stream.resume();
        stream.on('end', () => {
          mails.push('got one');
          cb();
        });
      },
      logger: false,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.server.address() as AddressInfo).port;
    const clock = new ManualClock(T0);
    const am = await startTestAlerting(
      `
alertmanager:
  route: { receiver: mail, group_wait: 1s, group_interval: 10s }
  receivers:
    - name: mail
      email_configs: [{ to: a@example.org, from: b@example.org, smarthost: '127.0.0.1:${port}' }]
`,
      { clock },
    );
    try {
      await postAlerts(am.url, [{ labels: { alertname: 'X' } }]);
      await clock.advance(15_000);
      assert.deepEqual(mails, []);
      const metrics = am.module.alertmanager;
      assert.equal(metrics.nflog.size, 0, 'nothing was recorded as sent');
    } finally {
      await am.stop();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
