/**
 * End to end: the hot-shots StatsD client (UDP, TCP, DogStatsD and Telegraf modes) sends to a
 * real in-process Vigil with a `statsd:` section; stored series are read back from its storage and
 * self-metrics from its /metrics endpoint.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import StatsDClient, { type ClientOptions, type StatsD } from 'hot-shots';
import { startTestVigil, type TestVigil } from '../../testutil/vigil.ts';
import { eventually, freeUdpAndTcpPort, latestValues, selfMetricValue, storedSeries } from './testutil.ts';

async function startVigilWithStatsd(extraYaml = ''): Promise<{ vigil: TestVigil; port: number }> {
  // The port is chosen before Vigil binds it; retry in the unlikely case it was taken meanwhile.
  for (let attempt = 0; ; attempt++) {
    const port = await freeUdpAndTcpPort();
    const yaml = [
      'statsd:',
      `  udp_listen: 127.0.0.1:${port}`,
      `  tcp_listen: 127.0.0.1:${port}`,
      '  flush_interval: 50ms',
      extraYaml,
    ].join('\n');
    try {
      return { vigil: await startTestVigil(yaml), port };
    } catch (err) {
      if (attempt >= 3 || !/EADDRINUSE/.test((err as Error).message)) throw err;
    }
  }
}

function client(options: ClientOptions): StatsD {
  return new StatsDClient({
    host: '127.0.0.1',
    datadog: false,
    errorHandler: (err: Error) => assert.fail(`hot-shots: ${err.message}`),
    ...options,
  });
}

function close(c: StatsD): Promise<void> {
  return new Promise((resolve, reject) => c.close((err) => (err ? reject(err) : resolve())));
}

async function selfMetrics(vigil: TestVigil): Promise<string> {
  const response = await fetch(`${vigil.url}/metrics`);
  assert.equal(response.status, 200);
  return response.text();
}

function near(actual: number | 'stale' | undefined, expected: number): void {
  assert.equal(typeof actual, 'number', `expected ${expected}, got ${actual}`);
  assert.ok(Math.abs((actual as number) - expected) < 1e-9, `expected ${expected}, got ${actual}`);
}

test('hot-shots against a real Vigil', async (t) => {
  const { vigil, port } = await startVigilWithStatsd();
  try {
    await t.test('UDP with DogStatsD tags: counters, gauges with deltas, timers, histograms', async () => {
      const c = client({ port, globalTags: { env: 'test' } });
      c.increment('shop.orders', 1, ['region:eu']);
      c.increment('shop.orders', 2, { region: 'eu' });
      c.increment('shop.orders', 5, { region: 'us' });
      c.decrement('shop.orders', 1, { region: 'eu' }); // negative: dropped, as statsd_exporter does
      c.gauge('queue.depth', 10);
      c.gaugeDelta('queue.depth', -3);
      c.gaugeDelta('queue.depth', 5);
      c.timing('api.latency', 42, { route: '/a' });
      c.timing('api.latency', 420, { route: '/a' });
      c.histogram('payload.bytes', 300);
      c.distribution('payload.dist', 2.5);
      c.event('deploy', 'version 2');
      c.check('svc.up', c.CHECKS.OK);
      await close(c);

      await eventually(async () => {
        assert.deepEqual(await latestValues(vigil.storage, 'shop_orders'), {
          'shop_orders{env="test", region="eu"}': 3,
          'shop_orders{env="test", region="us"}': 5,
        });
        assert.deepEqual(await latestValues(vigil.storage, 'queue_depth'), { 'queue_depth{env="test"}': 12 });
      });
      await eventually(async () => {
        const buckets = await latestValues(vigil.storage, 'api_latency_bucket');
        // Timers are milliseconds on the wire and seconds in Prometheus: 0.042 s and 0.42 s.
        assert.equal(buckets['api_latency_bucket{env="test", le="0.025", route="/a"}'], 0);
        assert.equal(buckets['api_latency_bucket{env="test", le="0.05", route="/a"}'], 1);
        assert.equal(buckets['api_latency_bucket{env="test", le="0.5", route="/a"}'], 2);
        assert.equal(buckets['api_latency_bucket{env="test", le="+Inf", route="/a"}'], 2);
        assert.equal(Object.keys(buckets).length, 12);
        near(
          (await latestValues(vigil.storage, 'api_latency_sum'))['api_latency_sum{env="test", route="/a"}'],
          0.462,
        );
        assert.deepEqual(await latestValues(vigil.storage, 'api_latency_count'), {
          'api_latency_count{env="test", route="/a"}': 2,
        });
        assert.deepEqual(await latestValues(vigil.storage, 'payload_bytes_sum'), {
          'payload_bytes_sum{env="test"}': 300,
        });
        const payload = await latestValues(vigil.storage, 'payload_bytes_bucket');
        assert.equal(payload['payload_bytes_bucket{env="test", le="10.0"}'], 0);
        assert.equal(payload['payload_bytes_bucket{env="test", le="+Inf"}'], 1);
        assert.deepEqual(await latestValues(vigil.storage, 'payload_dist_sum'), {
          'payload_dist_sum{env="test"}': 2.5,
        });
      });

      const types = (metric: string) =>
        vigil.storage
          .metadata(metric)
          .get(metric)
          ?.map((m) => m.type);
      assert.deepEqual(types('shop_orders'), ['counter']);
      assert.deepEqual(types('queue_depth'), ['gauge']);
      assert.deepEqual(types('api_latency'), ['histogram']);

      const metrics = await selfMetrics(vigil);
      assert.equal(
        selfMetricValue(metrics, 'vigil_statsd_samples_dropped_total{reason="negative_counter"}'),
        1,
      );
      assert.equal(selfMetricValue(metrics, 'vigil_statsd_ignored_total{kind="event"}'), 1);
      assert.equal(selfMetricValue(metrics, 'vigil_statsd_ignored_total{kind="service_check"}'), 1);
      assert.ok(selfMetricValue(metrics, 'vigil_ingest_samples_total{protocol="statsd"}') > 0);
    });

    await t.test('sample rates scale counters and weight timer observations', async () => {
      const c = client({ port });
      let sentCounters = 0;
      let sentTimers = 0;
      const sends: Promise<void>[] = [];
      for (let i = 0; i < 200; i++) {
        // A sampled-out call gets its callback with no arguments; a sent one gets (error, bytes).
        sends.push(
          new Promise((resolve) =>
            c.increment('sampled.hits', 1, 0.25, (...args: unknown[]) => {
              if (args.length > 0) sentCounters++;
              resolve();
            }),
          ),
          new Promise((resolve) =>
            c.timing('sampled.latency', 10, 0.5, (...args: unknown[]) => {
              if (args.length > 0) sentTimers++;
              resolve();
            }),
          ),
        );
      }
      await Promise.all(sends);
      await close(c);
      assert.ok(sentCounters > 0 && sentTimers > 0);
      await eventually(async () => {
        assert.deepEqual(await latestValues(vigil.storage, 'sampled_hits'), {
          sampled_hits: sentCounters * 4,
        });
        assert.deepEqual(await latestValues(vigil.storage, 'sampled_latency_count'), {
          sampled_latency_count: sentTimers * 2,
        });
        near(
          (await latestValues(vigil.storage, 'sampled_latency_sum')).sampled_latency_sum,
          sentTimers * 2 * 0.01,
        );
      });
    });

    await t.test('sets count distinct members per flush interval', async () => {
      // Buffered, so all members travel in one datagram and land in one flush interval.
      const c = client({ port, maxBufferSize: 1000, bufferFlushInterval: 60_000 });
      for (const user of ['alice', 'bob', 'alice', 'carol', 'bob']) c.set('active.users', user);
      await close(c);
      await eventually(async () => {
        const values = (await storedSeries(vigil.storage, 'active_users')).active_users ?? [];
        assert.ok(values.includes(3), `some flush saw the 3 distinct users: ${values}`);
        assert.equal(values[values.length - 1], 0, 'the next interval starts from 0');
      });
    });

    await t.test('TCP transport', async () => {
      const c = client({ port, protocol: 'tcp' });
      c.increment('tcp.requests', 7, { via: 'tcp' });
      c.timing('tcp.latency', 1500);
      c.gauge('tcp.temperature', -4.5);
      await close(c);
      await eventually(async () => {
        assert.deepEqual(await latestValues(vigil.storage, 'tcp_requests'), { 'tcp_requests{via="tcp"}': 7 });
        assert.deepEqual(await latestValues(vigil.storage, 'tcp_latency_sum'), { tcp_latency_sum: 1.5 });
        assert.deepEqual(await latestValues(vigil.storage, 'tcp_temperature'), { tcp_temperature: -4.5 });
      });
      const metrics = await selfMetrics(vigil);
      assert.ok(selfMetricValue(metrics, 'vigil_statsd_tcp_connections_total') >= 1);
      assert.ok(selfMetricValue(metrics, 'vigil_statsd_lines_total{transport="tcp"}') >= 3);
    });

    await t.test('Telegraf mode: InfluxDB-style tags in the name', async () => {
      const c = client({ port, telegraf: true, globalTags: { host: 'h1' } });
      c.increment('influx.hits', 2, { path: '/x' });
      c.gauge('influx.level', 0.5);
      await close(c);
      await eventually(async () => {
        assert.deepEqual(await latestValues(vigil.storage, 'influx_hits'), {
          'influx_hits{host="h1", path="/x"}': 2,
        });
        assert.deepEqual(await latestValues(vigil.storage, 'influx_level'), {
          'influx_level{host="h1"}': 0.5,
        });
      });
    });

    await t.test('Datadog mode: container id, cardinality and timestamps', async () => {
      const c = client({ port, datadog: true, containerID: 'ctr-1', cardinality: 'low' });
      c.increment('dd.jobs', 3, { queue: 'mail' });
      c.gauge('dd.backlog', 9, { timestamp: new Date() });
      await close(c);
      await eventually(async () => {
        assert.deepEqual(await latestValues(vigil.storage, 'dd_jobs'), {
          'dd_jobs{container_id="ctr-1", queue="mail"}': 3,
        });
        assert.deepEqual(await latestValues(vigil.storage, 'dd_backlog'), {
          'dd_backlog{container_id="ctr-1"}': 9,
        });
      });
    });

    await t.test('series are visible through the Prometheus HTTP API', async () => {
      const response = await fetch(`${vigil.url}/api/v1/series?match[]=shop_orders`);
      assert.equal(response.status, 200);
      const body = (await response.json()) as { data: Record<string, string>[] };
      assert.deepEqual(body.data.map((s) => s.region).sort(), ['eu', 'us']);
    });
  } finally {
    await vigil.stop();
  }
});
