import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  ALL_TAG_FORMATS,
  type LineVisitor,
  parseStatsdLine,
  type SampleErrorReason,
  type StatsdSample,
  type TagFormats,
} from './line-parser.ts';
import { escapeMetricName, formatBucketBound } from './names.ts';

/** Everything the parser reports for a line, one string per visitor call. */
function parse(line: string, formats: TagFormats = ALL_TAG_FORMATS): string[] {
  const out: string[] = [];
  parseStatsdLine(line, formats, {
    sample: (s) => out.push(render(s)),
    error: (reason) => out.push(`error ${reason}`),
    tagErrors: (count) => out.push(`tag errors ${count}`),
    ignored: (kind) => out.push(`ignored ${kind}`),
  });
  return out;
}

function render(s: StatsdSample): string {
  const labels = s.labels.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(',');
  const value = s.type === 's' ? JSON.stringify(s.member) : String(s.value);
  const extras = `${s.relative ? ' relative' : ''}${s.sampleRate !== 1 ? ` @${s.sampleRate}` : ''}`;
  return `${s.type} ${s.name}{${labels}} ${value}${extras}`;
}

function f(line: string, ...want: string[]): void {
  assert.deepEqual(parse(line), want, `line ${JSON.stringify(line)}`);
}

test('StatsD types and values', () => {
  f('foo:1|c', 'c foo{} 1');
  f('foo:2.5|g', 'g foo{} 2.5');
  f('foo:+3|g', 'g foo{} 3 relative');
  f('foo:-3|g', 'g foo{} -3 relative');
  f('foo:-3|c', 'c foo{} -3'); // the aggregator refuses negative counters, the parser reads them
  f('foo:200|ms', 'ms foo{} 200');
  f('foo:0.2|h', 'h foo{} 0.2');
  f('foo:7|d', 'd foo{} 7');
  f('foo:user-42|s', 's foo{} "user-42"');
  f('foo:1e3|c', 'c foo{} 1000');
  f('foo:.5|g', 'g foo{} 0.5');
  f('foo:1.|g', 'g foo{} 1');
});

test('sample rates', () => {
  f('foo:1|c|@0.1', 'c foo{} 1 @0.1');
  f('foo:0.01|h|@0.2', 'h foo{} 0.01 @0.2');
  f('foo:3|g|@0.5', 'g foo{} 3 @0.5'); // kept; the aggregator ignores it for gauges
  f('foo:2|c|@0', 'c foo{} 2'); // statsd_exporter reads @0 as unsampled
  f('foo:2|c|@1', 'c foo{} 2');
  f('foo:1|c|@bar', 'error invalid_sample_rate');
  f('foo:1|c|@1.5', 'error invalid_sample_rate');
  f('foo:1|c|@-0.5', 'error invalid_sample_rate');
  f('foo:1|c|@', 'error invalid_sample_rate');
});

test('names are sanitised as statsd_exporter does', () => {
  f('api.request-time:1|ms', 'ms api_request_time{} 1');
  f('5xx.errors:1|c', 'c _5xx_errors{} 1');
  f('a--b:1|c', 'c a_b{} 1');
  f('temp.°C:1|g', 'g temp__C{} 1');
  f('emoji😀x:1|g', 'g emoji_x{} 1');
  f('ok_Name09:1|g', 'g ok_Name09{} 1');
});

test('DogStatsD tags', () => {
  f('foo:100|c|#tag1:bar,tag2:baz', 'c foo{tag1="bar",tag2="baz"} 100');
  f('foo:100|c|#tag1:bar,#tag2:baz', 'c foo{tag1="bar",tag2="baz"} 100'); // PHP client style
  f('foo:100|c|#09digits:0,tag.with.dots:1', 'c foo{_09digits="0",tag_with_dots="1"} 100');
  f('foo:100|c|#tag1:foo:bar', 'c foo{tag1="foo:bar"} 100'); // the first ':' separates
  f('foo:100|c|#tag_without_a_value', 'tag errors 1', 'c foo{} 100');
  f('foo:100|c|#tag_without_a_value,tag:value', 'tag errors 1', 'c foo{tag="value"} 100');
  f('foo:100|c|#tag:value,', 'c foo{tag="value"} 100'); // a trailing comma is tolerated
  f('foo:100|c|#tag:value,,x:y', 'tag errors 1', 'c foo{tag="value",x="y"} 100');
  f('foo:100|c|#:v,k:', 'tag errors 2', 'c foo{} 100');
  f('foo:100|c|@0.1|#tag1:bar', 'c foo{tag1="bar"} 100 @0.1');
  f('foo:100|c|#a:1,a:2', 'c foo{a="2"} 100'); // the last value of a repeated key wins
  f('foo:100|c|#a:1|#b:2', 'c foo{a="1",b="2"} 100');
  f('foo:1|c|#__name__:x,__meta:y,ok:z', 'tag errors 2', 'c foo{ok="z"} 1'); // reserved names
  f('foo:1|ms|#le:5', 'tag errors 1', 'ms foo{} 1'); // le belongs to the histogram
  f('foo:1|g|#le:5', 'g foo{le="5"} 1'); // ...but is an ordinary label on a gauge
});

test('InfluxDB, Librato and SignalFx tags', () => {
  f('foo,tag1=bar,tag2=baz:100|c', 'c foo{tag1="bar",tag2="baz"} 100');
  f('foo,09digits=0,tag.with.dots=1:100|c', 'c foo{_09digits="0",tag_with_dots="1"} 100');
  f('foo#tag1=bar,tag2=baz:100|c', 'c foo{tag1="bar",tag2="baz"} 100');
  f('foo.[tag1=bar,tag2=baz]test:100|c', 'c foo_test{tag1="bar",tag2="baz"} 100');
  f('foo.test[tag1=bar]:100|c', 'c foo_test{tag1="bar"} 100');
  f('[tag1=bar]foo.test:100|c', 'c foo_test{tag1="bar"} 100');
  f('foo.[]test:100|c', 'c foo_test{} 100');
  f('foo.[tag1,tag2]test:100|c', 'tag errors 2', 'c foo_test{} 100');
  f('[tag1=bar,tag2=bazfoo.test:100|c', 'tag errors 1', 'c _tag1_bar_tag2_bazfoo_test{} 100');
  f('tag1=bar]foo.test:100|c', 'tag errors 1', 'c tag1_bar_foo_test{} 100');
  f('foo,a=1:100|c|#b:2', 'error mixed_tagging_styles');
  f('foo#a=1:100|c|#b:2', 'error mixed_tagging_styles');
  f('foo[a=1]:100|c|#b:2', 'error mixed_tagging_styles');
});

test('tag formats can be turned off', () => {
  const none: TagFormats = { dogstatsd: false, influxdb: false, librato: false, signalfx: false };
  assert.deepEqual(parse('foo,a=1:1|c', none), ['c foo_a_1{} 1']);
  assert.deepEqual(parse('foo#a=1:1|c', none), ['c foo_a_1{} 1']);
  assert.deepEqual(parse('foo[a=1]:1|c', none), ['c foo_a_1_{} 1']);
  assert.deepEqual(parse('foo:1|c|#a:1', none), ['c foo{} 1']);
});

test('several values on one line', () => {
  f('foo:1|c:2|ms', 'c foo{} 1', 'ms foo{} 2');
  f('foo:1|c:bad|c:3|g', 'c foo{} 1', 'error malformed_value', 'g foo{} 3');
  f('foo:1|c:2', 'c foo{} 1', 'error not_enough_parts_after_colon');
  // DogStatsD value packing, for timers, histograms and distributions only.
  f('foo:1:2:3|ms|@0.5|#a:b', 'ms foo{a="b"} 1 @0.5', 'ms foo{a="b"} 2 @0.5', 'ms foo{a="b"} 3 @0.5');
  f('foo:1:2|h', 'h foo{} 1', 'h foo{} 2');
  f('foo:1:x|d', 'd foo{} 1', 'error malformed_value');
  f('foo:1:2|c', 'error invalid_extended_aggregate_type');
  f('foo:1:2|g', 'error invalid_extended_aggregate_type');
});

test('DogStatsD extensions: container id, timestamp, external data, cardinality', () => {
  f('foo:100|c|#tag1:value|c:container123', 'c foo{container_id="container123",tag1="value"} 100');
  f('foo:100|c|c:sha256:abcd', 'c foo{container_id="sha256:abcd"} 100');
  f('foo:100|c|#t:v|c', 'error unknown_component');
  f('foo:100|c|#t:v|c:', 'error malformed_container_id');
  f('page.views:15|c|#env:dev|T1656581400', 'c page_views{env="dev"} 15');
  f('foo:42|c|T1656581400', 'c foo{} 42');
  f(
    'foo:1|ms|@0.5|T1656581400|#a:b|c:abc|e:it-false,cn-x|card:low',
    'ms foo{a="b",container_id="abc"} 1 @0.5',
  );
  f('foo:100|c|extra:component', 'error unknown_component');
  f('foo:100|c|ecks', 'error unknown_component');
});

test('events and service checks are recognised and ignored', () => {
  f('_e{5,4}:title|text|#a:b', 'ignored event');
  f('_sc|my.check|0|#a:b', 'ignored service_check');
});

test('malformed lines', () => {
  f('', ...[]);
  f('\r', ...[]);
  f('foo:1|c\r', 'c foo{} 1');
  f('foo', 'error malformed_line');
  f(':100|ms', 'error malformed_line');
  f(',a=b:1|c', 'error malformed_line');
  f('foo:1', 'error not_enough_parts_after_colon');
  f('foo:1o|c', 'error malformed_value');
  f('foo:|c', 'error malformed_value');
  f('foo:|s', 'error malformed_value');
  f('foo: 1|c', 'error malformed_value');
  f('foo:0x10|c', 'error malformed_value');
  f('foo:NaN|g', 'error malformed_value');
  f('foo:Inf|g', 'error malformed_value');
  f('foo:1e999|g', 'error malformed_value');
  f('foo:2|t', 'error illegal_type');
  f('foo:1|c|', 'error malformed_component');
  f('foo:1|c||@0.5', 'error malformed_component');
  f('karafka.consumer.cpu:  0.11  -0.05 (  2.41)', 'error not_enough_parts_after_colon');
  f('|h|#consumer:Kafka::Shared,topic:x', 'error not_enough_parts_after_colon');
});

test('escapeMetricName matches statsd_exporter', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['foo', 'foo'],
    ['foo.bar', 'foo_bar'],
    ['0foo', '_0foo'],
    ['foo--bar', 'foo_bar'],
    ['foo---bar', 'foo_bar'],
    ['foo-.-bar', 'foo___bar'],
    ['-', '_'],
    ['--', '_'],
    ['ünïcödé', '_n_c_d_'],
    ['a\u{1F600}b', 'a_b'],
  ];
  for (const [input, want] of cases) assert.equal(escapeMetricName(input), want, input);
});

test('formatBucketBound matches Prometheus le normalisation', () => {
  const cases: [number, string][] = [
    [0.005, '0.005'],
    [1, '1.0'],
    [10, '10.0'],
    [2.5, '2.5'],
    [0, '0.0'],
    [-1, '-1.0'],
    [100000, '100000.0'],
    [1e6, '1e+06'],
    [1234567, '1.234567e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [1e21, '1e+21'],
    [1e100, '1e+100'],
    [Number.POSITIVE_INFINITY, '+Inf'],
  ];
  for (const [input, want] of cases) assert.equal(formatBucketBound(input), want, String(input));
});

// ---- fuzzing ----

const REASONS: ReadonlySet<SampleErrorReason> = new Set<SampleErrorReason>([
  'malformed_line',
  'mixed_tagging_styles',
  'not_enough_parts_after_colon',
  'invalid_extended_aggregate_type',
  'malformed_component',
  'malformed_value',
  'illegal_type',
  'invalid_sample_rate',
  'malformed_container_id',
  'unknown_component',
]);

/** Collects calls and checks every invariant the aggregator relies on. */
function checkingVisitor(line: string): LineVisitor & { events: number } {
  const v = {
    events: 0,
    sample(s: StatsdSample) {
      v.events++;
      assert.match(s.name, /^[a-zA-Z_][a-zA-Z0-9_]*$/, `metric name from ${JSON.stringify(line)}`);
      assert.ok(['c', 'g', 'ms', 'h', 'd', 's'].includes(s.type));
      assert.ok(Number.isFinite(s.value));
      assert.ok(s.sampleRate > 0 && s.sampleRate <= 1);
      for (let i = 0; i < s.labels.length; i++) {
        const l = s.labels[i];
        assert.match(l.name, /^[a-zA-Z_][a-zA-Z0-9_]*$/);
        assert.ok(!l.name.startsWith('__'));
        assert.notEqual(l.value, '');
        if (i > 0) assert.ok(s.labels[i - 1].name < l.name, 'labels sorted and unique');
      }
    },
    error(reason: SampleErrorReason) {
      v.events++;
      assert.ok(REASONS.has(reason), reason);
    },
    tagErrors(count: number) {
      assert.ok(count > 0);
    },
    ignored() {
      v.events++;
    },
  };
  return v;
}

// Lines built from the pieces StatsD lines are made of, so the fuzzer reaches deep branches.
const piece = fc.constantFrom(
  'foo',
  'a.b-c',
  ':',
  '|',
  '|c',
  '|g',
  '|ms',
  '|h',
  '|d',
  '|s',
  '|@0.5',
  '|@',
  '|#',
  'k:v',
  ',',
  '#',
  '=',
  '[',
  ']',
  '1',
  '-2.5',
  '+3',
  'e9',
  '|T123',
  '|c:id',
  '|card:low',
  '|e:x',
  '_e{',
  '_sc|',
  '\r',
  'ü',
  '\u{1F600}',
);
const structuredLine = fc.array(piece, { maxLength: 24 }).map((parts) => parts.join(''));

test('fuzz: the parser never throws, and every non-empty line is reported', () => {
  fc.assert(
    fc.property(fc.oneof(structuredLine, fc.string({ maxLength: 80, unit: 'binary' })), (line) => {
      const visitor = checkingVisitor(line);
      parseStatsdLine(line, ALL_TAG_FORMATS, visitor);
      const empty = line === '' || line === '\r';
      // Every non-empty line produces at least one sample, error or ignored notice: nothing vanishes.
      assert.equal(visitor.events > 0, !empty, `line ${JSON.stringify(line)}`);
    }),
    { numRuns: 20_000 },
  );
});

test('fuzz: well-formed lines round-trip', () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/);
  const value = fc.integer({ min: 0, max: 1_000_000 });
  const type = fc.constantFrom('c', 'g', 'ms', 'h', 'd');
  const tags = fc.dictionary(
    fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/),
    fc.stringMatching(/^[a-z0-9.]{1,8}$/),
    {
      maxKeys: 4,
    },
  );
  fc.assert(
    fc.property(name, value, type, tags, (n, v, t, tg) => {
      const keys = Object.keys(tg).filter(
        (k) => !k.startsWith('__') && !(k === 'le' && t !== 'c' && t !== 'g'),
      );
      const tagText = Object.entries(tg)
        .map(([k, x]) => `${k}:${x}`)
        .join(',');
      const line = `${n}:${v}|${t}${tagText ? `|#${tagText}` : ''}`;
      const samples: StatsdSample[] = [];
      parseStatsdLine(line, ALL_TAG_FORMATS, {
        sample: (s) => samples.push(s),
        error: (reason) => assert.fail(`${line}: ${reason}`),
        tagErrors: () => {},
        ignored: () => assert.fail(line),
      });
      assert.equal(samples.length, 1);
      assert.equal(samples[0].name, n);
      assert.equal(samples[0].value, v);
      assert.deepEqual(samples[0].labels.map((l) => l.name).sort(), keys.sort());
    }),
    { numRuns: 2_000 },
  );
});
