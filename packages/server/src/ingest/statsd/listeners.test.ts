/**
 * startStatsd over real sockets with a real metrics sink and in-memory storage: malformed and
 * oversize input, TCP line framing, expiry, the final flush on stop, and startup errors.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { parseConfig } from '../../config/load.ts';
import { SelfMetrics } from '../../self/metrics.ts';
import { MemoryStorage } from '../../storage/memory/memory-storage.ts';
import type { IngestDeps } from '../deps.ts';
import { createMetricsSink } from '../metrics-sink.ts';
import { type StatsdServer, startStatsd } from './index.ts';
import { LineSplitter, StatsdListenError } from './listeners.ts';
import { RateLimitedWarnings } from './telemetry.ts';
import { eventually, latestValues, selfMetricValue, storedSeries } from './testutil.ts';

interface Harness {
  readonly server: StatsdServer;
  readonly storage: MemoryStorage;
  readonly self: SelfMetrics;
  readonly logs: string[];
  metric(series: string): number;
}

/** startStatsd with these `statsd:` settings over defaults of an ephemeral UDP port and no timed flushes. */
async function start(settings: Record<string, unknown> = {}, now: () => number = Date.now): Promise<Harness> {
  const section = { flush_interval: '1h', udp_listen: '127.0.0.1:0', ...settings };
  // JSON is YAML: this goes through the same parsing and validation as a config file.
  const config = parseConfig(JSON.stringify({ statsd: section }), 'test.yml').statsd!;
  const storage = new MemoryStorage();
  const self = new SelfMetrics();
  const limits = parseConfig('', 'test.yml').limits;
  const logs: string[] = [];
  const logger = pino(
    { level: 'warn' },
    new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    }),
  );
  const deps: IngestDeps = {
    sink: createMetricsSink(storage, limits, self),
    logger,
    self,
    limits,
    maxBodyBytes: 1 << 20,
    now,
  };
  const server = await startStatsd(deps, config);
  return { server, storage, self, logs, metric: (series) => selfMetricValue(self.render(), series) };
}

function sendUdp(address: string, ...packets: (string | Buffer)[]): Promise<void> {
  const [host, port] = splitAddress(address);
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    let pending = packets.length;
    for (const p of packets) {
      socket.send(p, port, host, (err) => {
        if (err) reject(err);
        if (--pending === 0) socket.close(() => resolve());
      });
    }
  });
}

/** Opens a TCP connection, writes each chunk separately, then ends the connection. */
async function sendTcp(address: string, ...chunks: (string | Buffer)[]): Promise<void> {
  const [host, port] = splitAddress(address);
  const socket = net.connect(port, host);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  for (const chunk of chunks) {
    await new Promise<void>((resolve, reject) =>
      socket.write(chunk, (err) => (err ? reject(err) : resolve())),
    );
    // Give each write its own segment so that the server sees the chunk boundaries.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await new Promise<void>((resolve) => socket.end(resolve));
  await new Promise((resolve) => socket.once('close', resolve));
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}

test('one bad line never stops the rest of the packet; each is counted by reason', async () => {
  const h = await start({ max_packet_size: 256 });
  try {
    const packet = [
      'good.one:1|c',
      'no_colon_here',
      'bad.value:abc|c',
      'bad.type:1|x',
      'good.two:5|g|#k:v',
      'bad.rate:1|c|@2',
      'tags.bad:1|c|#novalue',
      '_e{1,1}:a|b',
      '',
      'good.one:2|c',
    ].join('\n');
    const invalidUtf8 = Buffer.concat([
      Buffer.from('good.three:1|c\nbad\xff'),
      Buffer.from([0xff]),
      Buffer.from(':1|c'),
    ]);
    await sendUdp(h.server.udpAddress!, packet, invalidUtf8, `too.big:1|c\n${'x'.repeat(300)}`);
    await eventually(() => assert.equal(h.metric('vigil_statsd_udp_packets_total'), 3));
    await h.server.flush();

    assert.deepEqual(await latestValues(h.storage, 'good_one'), { good_one: 3 });
    assert.deepEqual(await latestValues(h.storage, 'good_two'), { 'good_two{k="v"}': 5 });
    assert.deepEqual(await latestValues(h.storage, 'good_three'), { good_three: 1 });
    assert.deepEqual(await latestValues(h.storage, 'tags_bad'), { tags_bad: 1 });
    assert.deepEqual(await latestValues(h.storage, 'too_big'), {});
    const errors = (reason: string) => h.metric(`vigil_statsd_sample_errors_total{reason="${reason}"}`);
    assert.equal(errors('malformed_line'), 1);
    assert.equal(errors('malformed_value'), 1);
    assert.equal(errors('illegal_type'), 1);
    assert.equal(errors('invalid_sample_rate'), 1);
    assert.equal(errors('invalid_utf8'), 1);
    assert.equal(errors('packet_too_large'), 1);
    assert.equal(h.metric('vigil_statsd_tag_errors_total'), 1);
    assert.equal(h.metric('vigil_statsd_ignored_total{kind="event"}'), 1);
    assert.equal(h.metric('vigil_statsd_lines_total{transport="udp"}'), 11);
    // Each reason was logged once, with an example line, not once per line.
    const warned = h.logs.filter((l) => l.includes('"reason":"malformed_value"'));
    assert.equal(warned.length, 1);
    assert.match(warned[0], /bad\.value:abc\|c/);
  } finally {
    await h.server.stop();
  }
});

test('series over the label limits are dropped before they are held', async () => {
  const h = await start();
  try {
    const manyTags = Array.from({ length: 70 }, (_, i) => `t${i}:v`).join(',');
    await sendUdp(
      h.server.udpAddress!,
      `long.tag:1|c|#k:${'v'.repeat(5000)}\nmany.tags:1|c|#${manyTags}\nfine:1|c|#k:v`,
    );
    await eventually(() => assert.equal(h.metric('vigil_statsd_lines_total{transport="udp"}'), 3));
    await h.server.flush();
    assert.equal(h.metric('vigil_statsd_samples_dropped_total{reason="label_limits"}'), 2);
    assert.equal(h.metric('vigil_statsd_series'), 1);
    assert.deepEqual(await latestValues(h.storage, 'fine'), { 'fine{k="v"}': 1 });
    assert.equal(
      h.metric('vigil_ingest_rejected_samples_total{protocol="statsd",reason="label_too_long"}'),
      0,
    );
  } finally {
    await h.server.stop();
  }
});

test('TCP: lines split across segments, CRLF, an over-long line, a last line without newline', async () => {
  const h = await start({ udp_listen: '', tcp_listen: '127.0.0.1:0', max_packet_size: 64 });
  try {
    assert.equal(h.server.udpAddress, undefined);
    await sendTcp(
      h.server.tcpAddress!,
      'tcp.a:1|c\ntcp.',
      'a:2|c\r\ntcp.long:',
      'x'.repeat(100),
      `${'y'.repeat(100)}|c\ntcp.b:4|g\n`,
      'tcp.a:',
      '10|c',
    );
    await eventually(() => assert.equal(h.metric('vigil_statsd_lines_total{transport="tcp"}'), 4));
    await h.server.flush();
    assert.deepEqual(await latestValues(h.storage, 'tcp_a'), { tcp_a: 13 });
    assert.deepEqual(await latestValues(h.storage, 'tcp_b'), { tcp_b: 4 });
    assert.equal(h.metric('vigil_statsd_sample_errors_total{reason="line_too_long"}'), 1);
    assert.equal(h.metric('vigil_statsd_tcp_connections_total'), 1);
  } finally {
    await h.server.stop();
  }
});

test('idle series get a staleness marker after series_ttl and are forgotten', async () => {
  let clock = 1_700_000_000_000;
  const h = await start({ series_ttl: '5m' }, () => clock);
  try {
    await sendUdp(h.server.udpAddress!, 'idle.gauge:7|g\nbusy.gauge:1|g');
    await eventually(() => assert.equal(h.metric('vigil_statsd_samples_total{type="g"}'), 2));
    await h.server.flush();
    clock += 4 * 60_000;
    await sendUdp(h.server.udpAddress!, 'busy.gauge:2|g');
    await eventually(() => assert.equal(h.metric('vigil_statsd_samples_total{type="g"}'), 3));
    await h.server.flush();
    clock += 2 * 60_000; // idle.gauge is now 6 minutes old, busy.gauge 2
    await h.server.flush();
    assert.deepEqual(await storedSeries(h.storage, 'idle_gauge'), { idle_gauge: [7, 7, 'stale'] });
    assert.deepEqual(await storedSeries(h.storage, 'busy_gauge'), { busy_gauge: [1, 2, 2] });
    assert.equal(h.metric('vigil_statsd_series_expired_total'), 1);
    assert.equal(h.metric('vigil_statsd_series'), 1);
  } finally {
    await h.server.stop();
  }
});

test('stop() closes the listeners and flushes once more', async () => {
  const h = await start();
  await sendUdp(h.server.udpAddress!, 'last.words:42|c');
  await eventually(() => assert.equal(h.metric('vigil_statsd_samples_total{type="c"}'), 1));
  assert.deepEqual(await latestValues(h.storage, 'last_words'), {});
  await h.server.stop();
  assert.deepEqual(await latestValues(h.storage, 'last_words'), { last_words: 42 });
  // The port is released.
  const [host, port] = splitAddress(h.server.udpAddress!);
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, resolve);
  });
  await new Promise<void>((resolve) => socket.close(() => resolve()));
});

test('a flush timer writes without being asked', async () => {
  const h = await start({ flush_interval: '20ms' });
  try {
    await sendUdp(h.server.udpAddress!, 'timer.hits:1|c');
    await eventually(async () => {
      const values = (await storedSeries(h.storage, 'timer_hits')).timer_hits ?? [];
      assert.ok(values.length >= 2, `several flushes wrote the counter: ${values}`);
      assert.ok(values.every((v) => v === 1));
    });
  } finally {
    await h.server.stop();
  }
});

test('a taken port fails startup with a message naming the config key; nothing stays bound', async () => {
  const blocker = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => blocker.bind(0, '127.0.0.1', resolve));
  const udpPort = blocker.address().port;
  try {
    await assert.rejects(start({ udp_listen: `127.0.0.1:${udpPort}` }), (err: Error) => {
      assert.ok(err instanceof StatsdListenError);
      assert.match(err.message, /UDP 127\.0\.0\.1:\d+: .*EADDRINUSE.*statsd\.udp_listen/);
      return true;
    });
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }

  const tcpBlocker = net.createServer();
  await new Promise<void>((resolve) => tcpBlocker.listen(0, '127.0.0.1', resolve));
  const tcpPort = (tcpBlocker.address() as net.AddressInfo).port;
  try {
    await assert.rejects(
      start({ udp_listen: `127.0.0.1:${tcpPort}`, tcp_listen: `127.0.0.1:${tcpPort}` }),
      /statsd\.tcp_listen/,
    );
    // The UDP socket that did start was closed again: the port can be bound.
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(tcpPort, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  } finally {
    await new Promise<void>((resolve) => tcpBlocker.close(() => resolve()));
  }
});

test('both listeners off is allowed (and warned about)', async () => {
  const h = await start({ udp_listen: '' });
  assert.equal(h.server.udpAddress, undefined);
  assert.equal(h.server.tcpAddress, undefined);
  assert.ok(h.logs.some((l) => l.includes('tcp_listen are both')));
  await h.server.stop();
});

test('LineSplitter', () => {
  const f = (max: number, chunks: string[], want: string[]) => {
    const got: string[] = [];
    const splitter = new LineSplitter(
      max,
      (line) => got.push(line.toString()),
      (head) => got.push(`TOO LONG ${head.toString()}`),
    );
    for (const c of chunks) splitter.push(Buffer.from(c));
    splitter.end();
    assert.deepEqual(got, want, JSON.stringify(chunks));
  };
  f(10, ['a\nb\n'], ['a', 'b']);
  f(10, ['a', 'b', 'c\n'], ['abc']);
  f(10, ['ab', 'c'], ['abc']);
  f(10, ['\n\n'], ['', '']);
  f(3, ['abcd\nok\n'], ['TOO LONG abcd', 'ok']);
  f(3, ['ab', 'cd', 'ef\nok'], ['TOO LONG abcd', 'ok']);
  f(3, ['ab', 'cd', 'ef'], ['TOO LONG abcd']);
  f(3, ['abc\n'], ['abc']);
});

test('RateLimitedWarnings logs once per interval and reports what it held back', () => {
  const lines: string[] = [];
  const logger = pino(
    {},
    new Writable({
      write(chunk, _e, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  let now = 0;
  const warnings = new RateLimitedWarnings(logger, 1000, () => now);
  for (let i = 0; i < 5; i++) warnings.warn('a', {}, 'problem a');
  warnings.warn('b', {}, 'problem b');
  now = 1000;
  warnings.warn('a', {}, 'problem a');
  assert.equal(lines.length, 3);
  assert.doesNotMatch(lines[0], /suppressed/);
  assert.match(lines[2], /"suppressedSinceLastLog":4/);
});
