/**
 * The API v2's answers to bad requests (status and message, as Alertmanager's go-swagger server
 * gives them), the silence lifecycle over HTTP, and the status and receivers endpoints.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { startTestAlerting, type TestAlerting } from '../../alerting/testutil.ts';

let am: TestAlerting;

before(async () => {
  am = await startTestAlerting(`
alertmanager:
  route:
    receiver: default
    routes:
      - matchers: [team="db"]
        receiver: db
  receivers:
    - name: default
    - name: db
      slack_configs: [{ api_url: 'https://hooks.slack.example/services/SECRET', channel: '#db' }]
`);
});

after(() => am?.stop());

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${am.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

const hour = (n: number) => new Date(Date.now() + n * 3600_000).toISOString();

test('bad alert posts are 400s that say what is wrong; valid alerts in the same batch are kept', async () => {
  const notArray = await call('POST', '/api/v2/alerts', { labels: { a: 'b' } });
  assert.equal(notArray.status, 400);
  assert.match(notArray.text, /JSON array/);
  const noLabels = await call('POST', '/api/v2/alerts', [{ annotations: {} }]);
  assert.equal(noLabels.status, 422);
  assert.match(noLabels.text, /0\.labels in body is required/);
  const badTime = await call('POST', '/api/v2/alerts', [{ labels: { a: 'b' }, startsAt: 'yesterday' }]);
  assert.equal(badTime.status, 422);
  assert.match(badTime.text, /startsAt in body must be of type date-time/);
  const notJson = await call('POST', '/api/v2/alerts', '[{');
  assert.equal(notJson.status, 400);

  const mixed = await call('POST', '/api/v2/alerts', [
    { labels: { alertname: 'Kept', team: 'db' } },
    { labels: { 'bad-name': 'x' } },
    { labels: { alertname: 'Backwards' }, startsAt: hour(1), endsAt: hour(0) },
    { labels: { only: '' } },
  ]);
  assert.equal(mixed.status, 400);
  assert.equal(
    JSON.parse(mixed.text),
    'invalid label set: invalid name "bad-name"; start time must be before end time; at least one label pair required',
  );
  const alerts = JSON.parse((await call('GET', '/api/v2/alerts')).text) as {
    labels: Record<string, string>;
    receivers: { name: string }[];
  }[];
  assert.deepEqual(
    alerts.map((a) => [a.labels.alertname, a.receivers.map((r) => r.name)]),
    [['Kept', ['db']]],
  );
});

test('bad query parameters are 400s', async () => {
  const filter = await call('GET', '/api/v2/alerts?filter=nonsense');
  assert.equal(filter.status, 400);
  assert.equal(JSON.parse(filter.text), 'bad matcher format: nonsense');
  const receiver = await call('GET', '/api/v2/alerts/groups?receiver=(');
  assert.equal(receiver.status, 400);
  assert.match(JSON.parse(receiver.text), /^failed to parse receiver param: /);
  const bool = await call('GET', '/api/v2/alerts?active=maybe');
  assert.equal(bool.status, 400);
  assert.equal(JSON.parse(bool.text), 'active in query must be of type boolean: "maybe"');
  const unprocessed = await call('GET', '/api/v2/alerts?unprocessed=nope');
  assert.equal(unprocessed.status, 400);
  assert.equal(JSON.parse(unprocessed.text), 'unprocessed in query must be of type boolean: "nope"');
  const twice = await call('GET', '/api/v2/alerts?receiver=a&receiver=b');
  assert.equal(twice.status, 400);
  assert.equal(JSON.parse(twice.text), 'receiver must be given at most once');
  const badRegex = await call('GET', '/api/v2/alerts?filter=a%3D~%22(%22');
  assert.equal(badRegex.status, 400);
  assert.match(JSON.parse(badRegex.text), /invalid regular expression/);
  const groupsBool = await call('GET', '/api/v2/alerts/groups?silenced=x');
  assert.equal(groupsBool.status, 400);
  const filters = await call(
    'GET',
    '/api/v2/alerts?filter=team%3D"db"&filter=alertname%3D~"K.*"&receiver=db',
  );
  assert.equal(JSON.parse(filters.text).length, 1);
});

test('silences: validation, get, update in place, expire, and the errors on the way', async () => {
  const base = {
    matchers: [{ name: 'team', value: 'db', isRegex: false }],
    startsAt: hour(0),
    endsAt: hour(2),
    createdBy: 'tester',
    comment: 'window',
  };
  const missing = await call('POST', '/api/v2/silences', { ...base, comment: undefined });
  assert.equal(missing.status, 422);
  assert.match(missing.text, /comment in body is required/);
  const noMatchers = await call('POST', '/api/v2/silences', { ...base, matchers: [] });
  assert.equal(noMatchers.status, 422);
  const empty = await call('POST', '/api/v2/silences', {
    ...base,
    matchers: [{ name: 'team', value: '', isRegex: false }],
  });
  assert.equal(empty.status, 400);
  assert.match(empty.text, /at least one matcher must not match the empty string/);
  const backwards = await call('POST', '/api/v2/silences', { ...base, startsAt: hour(2), endsAt: hour(1) });
  assert.equal(JSON.parse(backwards.text), 'Failed to create silence: start time must be before end time');
  const past = await call('POST', '/api/v2/silences', { ...base, startsAt: hour(-3), endsAt: hour(-2) });
  assert.equal(JSON.parse(past.text), "Failed to create silence: end time can't be in the past");
  const badRegex = await call('POST', '/api/v2/silences', {
    ...base,
    matchers: [{ name: 'a', value: '(', isRegex: true }],
  });
  assert.equal(badRegex.status, 400);
  const unknown = await call('POST', '/api/v2/silences', {
    ...base,
    id: '2f1c3f1e-8f4e-4a8e-9b0a-000000000000',
  });
  assert.equal(unknown.status, 404);

  const created = await call('POST', '/api/v2/silences', base);
  assert.equal(created.status, 200);
  const { silenceID } = JSON.parse(created.text) as { silenceID: string };
  // Extending an active silence keeps its ID (given its stored start, as amtool sends it);
  // changing its matchers makes a new one.
  const stored = JSON.parse((await call('GET', `/api/v2/silence/${silenceID}`)).text) as { startsAt: string };
  const extended = JSON.parse(
    (
      await call('POST', '/api/v2/silences', {
        ...base,
        id: silenceID,
        startsAt: stored.startsAt,
        endsAt: hour(3),
      })
    ).text,
  );
  assert.equal(extended.silenceID, silenceID);
  const changed = JSON.parse(
    (
      await call('POST', '/api/v2/silences', {
        ...base,
        id: silenceID,
        matchers: [{ name: 'team', value: 'web', isRegex: false }],
      })
    ).text,
  );
  assert.notEqual(changed.silenceID, silenceID);
  const old = JSON.parse((await call('GET', `/api/v2/silence/${silenceID}`)).text);
  assert.equal(old.status.state, 'expired');
  assert.equal(old.comment, 'window');
  assert.deepEqual(old.matchers, [{ isEqual: true, isRegex: false, name: 'team', value: 'db' }]);

  const filtered = JSON.parse((await call('GET', '/api/v2/silences?filter=team%3Dweb')).text) as {
    id: string;
  }[];
  assert.deepEqual(
    filtered.map((s) => s.id),
    [changed.silenceID],
  );
  assert.equal((await call('DELETE', `/api/v2/silence/${changed.silenceID}`)).status, 200);
  assert.equal((await call('GET', '/api/v2/silence/2f1c3f1e-8f4e-4a8e-9b0a-000000000000')).status, 404);
  assert.equal((await call('DELETE', '/api/v2/silence/2f1c3f1e-8f4e-4a8e-9b0a-000000000000')).status, 404);
  const notUuid = await call('DELETE', '/api/v2/silence/abc');
  assert.equal(notUuid.status, 422);
  assert.equal(JSON.parse(notUuid.text), 'silenceID in path must be of type uuid: "abc"');
});

test('status shows the configuration with secrets hidden; receivers lists them all', async () => {
  const status = JSON.parse((await call('GET', '/api/v2/status')).text) as {
    cluster: { status: string };
    config: { original: string };
    versionInfo: { version: string };
  };
  assert.equal(status.cluster.status, 'disabled');
  const original = parse(status.config.original) as {
    receivers: { slack_configs?: { api_url: string }[] }[];
  };
  assert.equal(original.receivers[1].slack_configs![0].api_url, '<secret>');
  assert.doesNotMatch(status.config.original, /SECRET/);
  assert.deepEqual(JSON.parse((await call('GET', '/api/v2/receivers')).text), [
    { name: 'default' },
    { name: 'db' },
  ]);
});
