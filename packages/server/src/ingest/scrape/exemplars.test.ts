import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { labelsToRecord } from '../../model/labels.ts';
import { newMatcher } from '../../model/matcher.ts';
import { startTestVigil } from '../../testutil/vigil.ts';

const EXPOSITION = `# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1"} 5 # {trace_id="4bf92f3577b34da6a3ce929d0e0e4736"} 0.067 1700000000.123
http_request_duration_seconds_bucket{le="+Inf"} 7 # {trace_id="00f067aa0ba902b7",span_id="a\\"b"} 1.5
http_request_duration_seconds_sum 3.2
http_request_duration_seconds_count 7
# EOF
`;

test('exemplars in an OpenMetrics scrape are stored with their series', async () => {
  const target = createServer((_req, res) => {
    res.setHeader('content-type', 'application/openmetrics-text; version=1.0.0; charset=utf-8');
    res.end(EXPOSITION);
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  const port = (target.address() as { port: number }).port;
  const vigil = await startTestVigil(
    `scrape_configs:\n  - job_name: app\n    scrape_interval: 1s\n    static_configs:\n      - targets: ["127.0.0.1:${port}"]\n`,
  );
  try {
    const matchers = [[newMatcher('=', '__name__', 'http_request_duration_seconds_bucket')]];
    let got = await vigil.storage.selectExemplars(matchers, 0, 8.64e15);
    for (let i = 0; i < 50 && got.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      got = await vigil.storage.selectExemplars(matchers, 0, 8.64e15);
    }
    const byLe = Object.fromEntries(got.map((s) => [labelsToRecord(s.labels).le, s.exemplars[0]]));
    assert.deepEqual(labelsToRecord(byLe['0.1'].labels), { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' });
    assert.equal(byLe['0.1'].value, 0.067);
    assert.equal(byLe['0.1'].timestamp, 1_700_000_000_123, 'the exposed exemplar timestamp, in ms');
    assert.deepEqual(labelsToRecord(byLe['+Inf'].labels), { span_id: 'a"b', trace_id: '00f067aa0ba902b7' });
    assert.ok(Math.abs(byLe['+Inf'].timestamp - Date.now()) < 60_000, 'without a timestamp, the scrape time');
    assert.equal(labelsToRecord(got[0].labels).job, 'app');
  } finally {
    await vigil.stop();
    target.close();
  }
});
