import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  compressWriteRequest,
  postRemoteWrite,
  type WriteRequestInit,
} from '../../ingest/remote-write/client.ts';
import { type RunningPrometheus, startPrometheus } from '../../promql/differential/systems.ts';
import { startTestVigil, type TestVigil } from '../../testutil/vigil.ts';

/**
 * /api/v1/query_exemplars against the real thing: the same remote-write request, exemplars
 * included, goes to Vigil and to Prometheus 2.42 (with its exemplar storage on), and both must
 * answer the same queries with the same JSON.
 */
describe('query_exemplars matches Prometheus', () => {
  let vigil: TestVigil;
  let prometheus: RunningPrometheus;
  const T = Date.now() - 60_000;
  before(async () => {
    [vigil, prometheus] = await Promise.all([
      startTestVigil(),
      startPrometheus(['--enable-feature=exemplar-storage']),
    ]);
    const request: WriteRequestInit = {
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'http_request_duration_seconds_bucket' },
            { name: 'job', value: 'api' },
            { name: 'le', value: '0.5' },
          ],
          samples: [{ value: 10, timestamp: BigInt(T) }],
          exemplars: [
            {
              labels: [{ name: 'trace_id', value: '4bf92f3577b34da6a3ce929d0e0e4736' }],
              value: 0.31,
              timestamp: BigInt(T - 500),
            },
            {
              labels: [
                { name: 'span_id', value: '00f067aa0ba902b7' },
                { name: 'trace_id', value: 'aaaa' },
              ],
              value: 0.42,
              timestamp: BigInt(T),
            },
          ],
        },
        {
          labels: [
            { name: '__name__', value: 'http_requests_total' },
            { name: 'job', value: 'api' },
          ],
          samples: [{ value: 3, timestamp: BigInt(T) }],
          exemplars: [
            { labels: [{ name: 'trace_id', value: 'bbbb' }], value: 1, timestamp: BigInt(T - 1500) },
          ],
        },
      ],
    };
    for (const url of [vigil.url, prometheus.url]) {
      const res = await postRemoteWrite(`${url}/api/v1/write`, compressWriteRequest(request));
      assert.ok(res.status < 300, `${url}: ${res.status} ${res.body}`);
    }
  });
  after(async () => {
    await Promise.all([vigil?.stop(), prometheus?.stop()]);
  });

  const ask = async (base: string, params: Record<string, string>) => {
    const res = await fetch(`${base}/api/v1/query_exemplars?${new URLSearchParams(params)}`);
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
  };

  for (const [name, params] of [
    ['one selector', { query: 'http_request_duration_seconds_bucket' }],
    [
      'two selectors in an expression',
      { query: 'rate(http_requests_total[5m]) / on(job) sum by (job)(http_request_duration_seconds_bucket)' },
    ],
    [
      'a time range that cuts one exemplar off',
      { query: '{job="api"}', start: String((T - 1000) / 1000), end: String(T / 1000) },
    ],
    ['no match', { query: 'nothing_here' }],
    ['no selectors', { query: '1 + 1' }],
  ] as const) {
    test(name, async () => {
      const p = await ask(prometheus.url, params);
      const v = await ask(vigil.url, params);
      assert.equal(v.status, p.status);
      assert.deepEqual(v.body, p.body);
    });
  }

  test('errors as Prometheus', async () => {
    const p = await ask(prometheus.url, { query: 'sum(' });
    const v = await ask(vigil.url, { query: 'sum(' });
    assert.equal(v.status, p.status);
    assert.equal(v.body.errorType, p.body.errorType);
    assert.equal(v.body.status, 'error');
  });
});
