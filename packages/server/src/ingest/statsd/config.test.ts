import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseConfig } from '../../config/load.ts';
import { DEFAULT_STATSD_BUCKETS } from '../../config/statsd.ts';

test('statsd is off without a section; `statsd: {}` and a bare `statsd:` turn it on with defaults', () => {
  assert.equal(parseConfig('', 'vigil.yml').statsd, undefined);
  const defaults = {
    udp_listen: '127.0.0.1:8125',
    tcp_listen: '',
    max_packet_size: 65535,
    udp_receive_buffer: 0,
    flush_interval: 10_000,
    series_ttl: 3_600_000,
    max_series: 100_000,
    tag_formats: { dogstatsd: true, influxdb: true, librato: true, signalfx: true },
    histogram_buckets: [...DEFAULT_STATSD_BUCKETS],
    histogram_bucket_overrides: [],
  };
  assert.deepEqual(parseConfig('statsd: {}\n', 'vigil.yml').statsd, defaults);
  assert.deepEqual(parseConfig('statsd:\n', 'vigil.yml').statsd, defaults);
});

test('statsd settings are parsed with units', () => {
  const config = parseConfig(
    [
      'statsd:',
      '  udp_listen: ""',
      '  tcp_listen: "[::1]:9125"',
      '  max_packet_size: 8KiB',
      '  udp_receive_buffer: 4MB',
      '  flush_interval: 15s',
      '  series_ttl: 0s',
      '  tag_formats: { influxdb: false }',
      '  histogram_buckets: [0.1, 1, 10]',
      '  histogram_bucket_overrides:',
      '    - match: "db_*"',
      '      buckets: [0.001, 0.01]',
    ].join('\n'),
    'vigil.yml',
  ).statsd!;
  assert.equal(config.udp_listen, '');
  assert.equal(config.tcp_listen, '[::1]:9125');
  assert.equal(config.max_packet_size, 8192);
  assert.equal(config.udp_receive_buffer, 4 * 1024 * 1024);
  assert.equal(config.flush_interval, 15_000);
  assert.equal(config.series_ttl, 0);
  assert.deepEqual(config.tag_formats, { dogstatsd: true, influxdb: false, librato: true, signalfx: true });
  assert.deepEqual(config.histogram_bucket_overrides, [{ match: 'db_*', buckets: [0.001, 0.01] }]);
});

test('statsd config errors name the line and the key', () => {
  const f = (yaml: string, want: RegExp) =>
    assert.throws(
      () => parseConfig(yaml, 'vigil.yml'),
      (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, want);
        return true;
      },
    );
  f(
    'statsd:\n  flush_interval: 0s\n',
    /vigil\.yml:2: statsd\.flush_interval: flush_interval must be longer than 0s/,
  );
  f('statsd:\n  flush_interval: soon\n', /vigil\.yml:2: statsd\.flush_interval: "soon" is not a duration/);
  f('statsd:\n  udp_listen: 8125\n', /statsd\.udp_listen: /);
  f(
    'statsd:\n  histogram_buckets: [1, 0.5]\n',
    /statsd\.histogram_buckets: .*strictly increasing; 0\.5 follows 1/,
  );
  f('statsd:\n  histogram_buckets: []\n', /statsd\.histogram_buckets: give at least one bucket/);
  f(
    'statsd:\n  histogram_bucket_overrides: [{ buckets: [1] }]\n',
    /statsd\.histogram_bucket_overrides\.0\.match/,
  );
  f('statsd:\n  max_series: 0\n', /statsd\.max_series/);
  f('statsd:\n  udp_lisen: ":8125"\n', /vigil\.yml:2: statsd: unknown key "udp_lisen"/);
  f('statsd:\n  tag_formats: { dogstatd: false }\n', /statsd\.tag_formats: unknown key "dogstatd"/);
});
