import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { labelsFromRecord } from '../../model/labels.ts';
import { startTestVigil, type TestVigil } from '../../testutil/vigil.ts';

describe('Prometheus read API: series, labels, label values, metadata, status', () => {
  let vigil: TestVigil;
  before(async () => {
    vigil = await startTestVigil();
    const s = (labels: Record<string, string>, t: number) => ({
      labels: labelsFromRecord(labels),
      timestamps: new Float64Array([t]),
      values: new Float64Array([1]),
    });
    const now = Date.now();
    await vigil.storage.append([
      s({ __name__: 'up', job: 'api', instance: 'a:1' }, now - 3_600_000),
      s({ __name__: 'up', job: 'db', instance: 'b:1' }, now),
      s({ __name__: 'http_requests_total', job: 'api', code: '200' }, now),
    ]);
    vigil.storage.setMetadata([{ metric: 'up', type: 'gauge', help: 'Target is up.', unit: '' }]);
  });
  after(() => vigil.stop());

  const get = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${vigil.url}${path}`, init);
    return {
      status: res.status,
      body: (await res.json()) as {
        status: string;
        data?: unknown;
        error?: string;
        errorType?: string;
        warnings?: string[];
      },
    };
  };

  test('GET /api/v1/series with match[] returns label sets, sorted', async () => {
    const { status, body } = await get('/api/v1/series?match[]=up');
    assert.equal(status, 200);
    assert.deepEqual(body, {
      status: 'success',
      data: [
        { __name__: 'up', instance: 'a:1', job: 'api' },
        { __name__: 'up', instance: 'b:1', job: 'db' },
      ],
    });
  });

  test('start/end restrict to series with samples in range; several match[] are a union', async () => {
    const start = (Date.now() - 600_000) / 1000;
    const { body } = await get(`/api/v1/series?match[]=up&match[]={code="200"}&start=${start}`);
    assert.deepEqual(
      (body.data as Record<string, string>[]).map((l) => l.instance ?? l.code),
      ['200', 'b:1'],
    );
  });

  test('form POST works like GET', async () => {
    const { body } = await get('/api/v1/series', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'match[]=up%7Bjob%3D%22db%22%7D',
    });
    assert.deepEqual(body.data, [{ __name__: 'up', instance: 'b:1', job: 'db' }]);
  });

  test('labels and label values, with matchers and limit', async () => {
    assert.deepEqual((await get('/api/v1/labels')).body.data, ['__name__', 'code', 'instance', 'job']);
    assert.deepEqual((await get('/api/v1/labels?match[]=up')).body.data, ['__name__', 'instance', 'job']);
    assert.deepEqual((await get('/api/v1/label/job/values')).body.data, ['api', 'db']);
    assert.deepEqual((await get('/api/v1/label/__name__/values?match[]={job="api"}')).body.data, [
      'http_requests_total',
      'up',
    ]);
    const limited = await get('/api/v1/label/job/values?limit=1');
    assert.deepEqual(limited.body.data, ['api']);
    assert.deepEqual(limited.body.warnings, ['results truncated due to limit']);
  });

  test('bad requests get Prometheus error envelopes with bad_data and 400', async () => {
    const cases: [string, RegExp][] = [
      ['/api/v1/series', /no match\[\] parameter provided/],
      ['/api/v1/series?match[]=up{', /invalid parameter "match\[\]"/],
      ['/api/v1/series?match[]={job=~".*"}', /non-empty matcher/],
      [
        '/api/v1/series?match[]=up&start=yesterday',
        /invalid parameter "start": invalid time value for 'start': cannot parse "yesterday" to a valid timestamp/,
      ],
      ['/api/v1/series?match[]=up&start=10&end=5', /end timestamp must not be before start time/],
      ['/api/v1/labels?limit=-1', /invalid parameter "limit"/],
    ];
    for (const [path, message] of cases) {
      const { status, body } = await get(path);
      assert.equal(status, 400, path);
      assert.equal(body.status, 'error');
      assert.equal(body.errorType, 'bad_data');
      assert.match(body.error ?? '', message, path);
    }
  });

  test('metadata and status endpoints have Prometheus shapes', async () => {
    assert.deepEqual((await get('/api/v1/metadata')).body, {
      status: 'success',
      data: { up: [{ type: 'gauge', help: 'Target is up.', unit: '' }] },
    });
    assert.deepEqual((await get('/api/v1/metadata?metric=nope')).body, { status: 'success', data: {} });
    const build = (await get('/api/v1/status/buildinfo')).body.data as Record<string, string>;
    assert.match(build.version, /^3\./);
    const tsdb = (await get('/api/v1/status/tsdb')).body.data as {
      headStats: { numSeries: number };
      seriesCountByMetricName: unknown;
    };
    assert.equal(tsdb.headStats.numSeries, 3);
    assert.deepEqual(tsdb.seriesCountByMetricName, [
      { name: 'up', value: 2 },
      { name: 'http_requests_total', value: 1 },
    ]);
    const flags = (await get('/api/v1/status/flags')).body.data as Record<string, string>;
    assert.equal(flags['storage.tsdb.retention.time'], '15d');
    const runtime = (await get('/api/v1/status/runtimeinfo')).body.data as Record<string, unknown>;
    assert.equal(typeof runtime.startTime, 'string');
  });
});

describe('authentication', () => {
  test('with bearer tokens configured, requests without a valid token get 401; health checks stay open', async () => {
    const token = 'a-test-token-that-is-long-enough';
    const vigil = await startTestVigil(`server:\n  auth:\n    bearer_tokens: ["${token}"]\n`);
    try {
      const none = await fetch(`${vigil.url}/api/v1/labels`);
      assert.equal(none.status, 401);
      assert.match(((await none.json()) as { error: string }).error, /authentication required/);
      const wrong = await fetch(`${vigil.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
      assert.equal(wrong.status, 401);
      const ok = await fetch(`${vigil.url}/api/v1/labels`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(ok.status, 200);
      assert.equal((await fetch(`${vigil.url}/-/healthy`)).status, 200);
    } finally {
      await vigil.stop();
    }
  });

  test('listening beyond loopback without tokens refuses to start, unless auth is disabled', async () => {
    await assert.rejects(
      startTestVigil('server:\n  listen: 0.0.0.0:0\n'),
      /refusing to listen on 0\.0\.0\.0:0 without authentication/,
    );
    const open = await startTestVigil('server:\n  listen: 0.0.0.0:0\n  auth:\n    disabled: true\n');
    try {
      const port = open.address.split(':').pop();
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/labels`)).status, 200);
    } finally {
      await open.stop();
    }
  });
});
