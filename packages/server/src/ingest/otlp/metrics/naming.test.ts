import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatFloatPlain,
  NamingError,
  type NamingKind,
  prometheusLabelName,
  prometheusMetricName,
  prometheusUnit,
} from './naming.ts';

// Cases from prometheus/otlptranslator's metric_namer_test.go (UnderscoreEscapingWithSuffixes),
// plus the compatibility specification's examples.
test('metric names get unit and type suffixes like Prometheus', () => {
  const f = (name: string, unit: string, kind: NamingKind, want: string) =>
    assert.equal(prometheusMetricName(name, unit, kind), want, `${name} [${unit}] ${kind}`);
  f('requests', '', 'monotonic_sum', 'requests_total');
  f('cpu_usage', '1', 'gauge', 'cpu_usage_ratio');
  f('items', '1', 'monotonic_sum', 'items_total');
  f('active', '1', 'non_monotonic_sum', 'active');
  f('response_time', 'ms', 'gauge', 'response_time_milliseconds');
  f('memory_usage', 'By', 'gauge', 'memory_usage_bytes');
  f('throughput', 'By/s', 'gauge', 'throughput_bytes_per_second');
  f('custom_metric', 'custom_unit', 'gauge', 'custom_metric_custom_unit');
  f('custom_metric', '{custom}', 'gauge', 'custom_metric');
  f('custom_metric', 'By/{custom}', 'gauge', 'custom_metric_bytes');
  f('requests_total', '', 'monotonic_sum', 'requests_total');
  f('cpu_usage_ratio', '1', 'gauge', 'cpu_usage_ratio');
  f('response_time_seconds', 's', 'gauge', 'response_time_seconds');
  f('otelcol_process_cpu_seconds', 's', 'monotonic_sum', 'otelcol_process_cpu_seconds_total');
  f('requests', '1/s', 'monotonic_sum', 'requests_per_second_total');
  f('123_requests', '', 'monotonic_sum', '_123_requests_total');
  f(
    'metric__with__multiple__underscores',
    'unit__multiple__underscores',
    'gauge',
    'metric_with_multiple_underscores_unit_multiple_underscores',
  );
  f('custom_metric', 'unit@with#special/chars', 'gauge', 'custom_metric_unit_with_special_per_chars');
  f('http.server.request.duration', 's', 'histogram', 'http_server_request_duration_seconds');
  f('http.server.request.duration', 's', 'exponential_histogram', 'http_server_request_duration_seconds');
  f('rpc.latency', 'ms', 'summary', 'rpc_latency_milliseconds');
  f('http.server.active_requests', '{request}', 'non_monotonic_sum', 'http_server_active_requests');
  f('system.memory.usage', 'By', 'non_monotonic_sum', 'system_memory_usage_bytes');
  f('total.requests', '', 'monotonic_sum', 'requests_total');
  f('métric', '', 'gauge', 'm_tric');
  f('disk.io', 'KiBy', 'monotonic_sum', 'disk_io_kibibytes_total');
  f('temp', 'Cel', 'gauge', 'temp_celsius');
  f('free', '%', 'gauge', 'free_percent');
  f('a:b', '', 'gauge', 'a:b');
});

test('metric names with nothing usable are refused', () => {
  assert.throws(() => prometheusMetricName('@#$%', '', 'gauge'), NamingError);
  assert.throws(() => prometheusMetricName('', '', 'gauge'), NamingError);
  // A unit alone still makes a name, as in Prometheus.
  assert.equal(prometheusMetricName('...', 's', 'gauge'), 'seconds');
});

test('units as metadata', () => {
  const f = (unit: string, want: string) => assert.equal(prometheusUnit(unit), want, unit);
  f('s', 'seconds');
  f('By/s', 'bytes_per_second');
  f('1', '');
  f('{request}', '');
  f('1/s', 'per_second');
  f('', '');
  f('custom_unit', 'custom_unit');
});

// otlptranslator's label_namer_test.go with Prometheus's defaults (PreserveMultipleUnderscores
// and UnderscoreLabelSanitization both on).
test('label names like Prometheus with its default settings', () => {
  const f = (key: string, want: string) => assert.equal(prometheusLabelName(key), want, key);
  f('label:with:colons', 'label_with_colons');
  f('LabelWithCapitalLetters', 'LabelWithCapitalLetters');
  f('label!with&special$chars)', 'label_with_special_chars_');
  f('label_with_foreign_characters_字符', 'label_with_foreign_characters___');
  f('label.with.dots', 'label_with_dots');
  f('.foo', 'key_foo');
  f('123label', 'key_123label');
  f('_label_starting_with_underscore', 'key_label_starting_with_underscore');
  f('__label_starting_with_2underscores', '__label_starting_with_2underscores');
  f('label__with__double__underscores', 'label__with__double__underscores');
  f('label.name__with&&special##chars', 'label_name__with__special__chars');
  f('__reserved__label__name__', '__reserved__label__name__');
  f('trailing_underscores___', 'trailing_underscores___');
  f('service.instance.id', 'service_instance_id');
  f('😀x', 'key_x');
  assert.throws(() => prometheusLabelName(''), NamingError);
  assert.throws(() => prometheusLabelName('__'), NamingError);
  assert.throws(() => prometheusLabelName('ようこそ'), NamingError);
});

test('floats print like Go FormatFloat(v, f, -1)', () => {
  const f = (v: number, want: string) => assert.equal(formatFloatPlain(v), want, String(v));
  f(0, '0');
  f(0.5, '0.5');
  f(1, '1');
  f(2.5, '2.5');
  f(1e-7, '0.0000001');
  f(1.5e-10, '0.00000000015');
  f(1e21, '1000000000000000000000');
  f(1.2345e22, '12345000000000000000000');
  f(-2.5e-8, '-0.000000025');
  f(10000, '10000');
  f(Number.POSITIVE_INFINITY, '+Inf');
  f(Number.NEGATIVE_INFINITY, '-Inf');
  f(Number.NaN, 'NaN');
  f(2 ** -30, '0.0000000009313225746154785');
});
