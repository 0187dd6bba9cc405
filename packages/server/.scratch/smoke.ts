import { startTestVigil } from '../src/testutil/vigil.ts';

const v = await startTestVigil('');
try {
  const now = BigInt(Date.now()) * 1000000n;
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scopeSpans: [
          {
            scope: { name: 's' },
            spans: [
              {
                traceId: '0102030405060708090a0b0c0d0e0f10',
                spanId: '0102030405060708',
                name: 'root',
                kind: 2,
                startTimeUnixNano: String(now),
                endTimeUnixNano: String(now + 5000000n),
                attributes: [{ key: 'a', value: { intValue: '5' } }],
              },
              {
                traceId: '0102030405060708090a0b0c0d0e0f10',
                spanId: '0000000000000000',
                name: 'bad',
                startTimeUnixNano: String(now),
                endTimeUnixNano: String(now),
              },
            ],
          },
        ],
      },
    ],
  };
  let r = await fetch(`${v.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  console.log(r.status, await r.text());
  r = await fetch(`${v.url}/api/traces/0102030405060708090a0b0c0d0e0f10`);
  console.log(r.status, (await r.text()).slice(0, 600));
  r = await fetch(`${v.url}/api/v2/traces/0102030405060708090a0b0c0d0e0f10`);
  console.log(r.status, (await r.text()).slice(0, 300));
  r = await fetch(`${v.url}/api/search?q=${encodeURIComponent('{ .a = 5 }')}`);
  console.log(r.status, (await r.text()).slice(0, 800));
  r = await fetch(`${v.url}/api/search/tags`);
  console.log(r.status, await r.text());
  r = await fetch(`${v.url}/api/v2/search/tag/resource.service.name/values`);
  console.log(r.status, await r.text());
  r = await fetch(`${v.url}/api/search?q=${encodeURIComponent('{ .a = }')}`);
  console.log(r.status, await r.text());
  await v.traces?.flushMetrics?.();
} finally {
  await v.stop();
}
