import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TextParseError } from './errors.ts';
import { PromTextParser } from './promtext.ts';
import { type ParsedEntry, parseAll } from './testutil.ts';

const parse = (text: string) => parseAll(new PromTextParser(text));
const series = (text: string) =>
  parse(text).filter((e): e is Extract<ParsedEntry, { kind: 'series' }> => e.kind === 'series');

test('text format: metadata, labels, timestamps and Prometheus leniency', () => {
  const input = [
    '# HELP go_gc_duration_seconds A summary of the GC invocation durations.',
    '# \tTYPE go_gc_duration_seconds summary',
    'go_gc_duration_seconds{quantile="0"} 4.9351e-05',
    'go_gc_duration_seconds{quantile="0.25",} 7.424100000000001e-05',
    'go_gc_duration_seconds{ quantile="0.9", a="b"} 8.3835e-05',
    'go_gc_duration_seconds { quantile = "2.0" a = "b" } 8.3835e-05',
    '# HELP h Histogram.',
    '# TYPE h histogram',
    'h_bucket{handler="/",le="1"} 423',
    'h_bucket{handler="/",le="+Inf"} 1423',
    '# Hrandom comment starting with prefix of HELP',
    '#',
    '# HELP nohelp1',
    '# HELP nohelp2 ',
    'some:aggregate:rate5m{a_b="c"}\t1',
    '# TYPE go_goroutines gauge',
    'go_goroutines 33  \t123123',
    '_metric_starting_with_underscore 1',
    'testmetric{label="\\"bar\\"",nl="a\\nb",bs="x\\\\y",other="\\q"} 1',
    '',
    '# TYPE counter_total counter',
    'counter_total{le="10"} NaN',
    'inf_metric +Inf',
    'neg_inf -inf',
  ].join('\n');
  const got = parse(input);
  const kinds = got.map((e) => e.kind).join(' ');
  assert.equal(
    kinds,
    'help type series series series series help type series series comment comment help help series type series series series type series series series',
  );
  assert.deepEqual(got[0], {
    kind: 'help',
    metric: 'go_gc_duration_seconds',
    help: 'A summary of the GC invocation durations.',
  });
  assert.deepEqual(got[1], { kind: 'type', metric: 'go_gc_duration_seconds', type: 'summary' });
  const s = got.filter((e) => e.kind === 'series');
  // quantile of a summary and le of a histogram are normalized to OpenMetrics floats.
  assert.deepEqual(s[0].labels, { quantile: '0.0' });
  assert.deepEqual(s[1].labels, { quantile: '0.25' });
  assert.deepEqual(s[2].labels, { quantile: '0.9', a: 'b' });
  assert.deepEqual(s[3].labels, { quantile: '2.0', a: 'b' });
  assert.deepEqual(s[4].labels, { handler: '/', le: '1.0' });
  assert.deepEqual(s[5].labels, { handler: '/', le: '+Inf' });
  assert.equal(
    got[10].kind === 'comment' && got[10].comment,
    '# Hrandom comment starting with prefix of HELP',
  );
  assert.deepEqual(got[12], { kind: 'help', metric: 'nohelp1', help: '' });
  assert.deepEqual(got[13], { kind: 'help', metric: 'nohelp2', help: '' });
  assert.equal(s[6].name, 'some:aggregate:rate5m');
  assert.equal(s[7].name, 'go_goroutines');
  assert.equal(s[7].value, 33);
  assert.equal(s[7].t, 123123);
  assert.deepEqual(s[9].labels, { label: '"bar"', nl: 'a\nb', bs: 'x\\y', other: '\\q' });
  // le is only normalized for histograms.
  assert.deepEqual(s[10].labels, { le: '10' });
  assert.ok(Number.isNaN(s[10].value));
  assert.equal(s[11].value, Number.POSITIVE_INFINITY);
  assert.equal(s[12].value, Number.NEGATIVE_INFINITY);
});

test('text format: quoted UTF-8 metric and label names', () => {
  const got = parse(
    [
      '# HELP "go.gc_duration_seconds" A summary.',
      '# TYPE "go.gc_duration_seconds" summary',
      '{"go.gc_duration_seconds",quantile="0"} 4.9351e-05',
      '{"go.gc_duration_seconds","http.status"="200",quantile="1"} 1',
      '{"héllo wörld"} 2',
    ].join('\n'),
  );
  assert.deepEqual(got[0], { kind: 'help', metric: 'go.gc_duration_seconds', help: 'A summary.' });
  assert.deepEqual(got[1], { kind: 'type', metric: 'go.gc_duration_seconds', type: 'summary' });
  const s = got.filter((e) => e.kind === 'series');
  assert.equal(s[0].name, 'go.gc_duration_seconds');
  assert.deepEqual(s[1].labels, { 'http.status': '200', quantile: '1.0' });
  assert.equal(s[2].name, 'héllo wörld');
});

test('text format: help escapes only backslash and newline', () => {
  const got = parse('# HELP m a\\\\b\\nc\\"d\nm 1\n');
  assert.deepEqual(got[0], { kind: 'help', metric: 'm', help: 'a\\b\nc\\"d' });
});

test('text format: a label value may contain a raw line break', () => {
  assert.deepEqual(series('m{a="x\ny"} 1\n')[0].labels, { a: 'x\ny' });
});

test('text format: a NUL at the start of a line ends the input; inside values it is kept', () => {
  assert.deepEqual(
    series('a 1\n\0garbage here\n').map((e) => e.name),
    ['a'],
  );
  assert.deepEqual(series('null_byte_metric{a="abc\0"} 1')[0].labels, { a: 'abc\0' });
});

test('text format: empty input and blank lines give nothing', () => {
  assert.deepEqual(parse(''), []);
  assert.deepEqual(parse('\n\n  \n'), []);
});

test('text format: errors name the line and the problem', () => {
  const cases: [string, RegExp][] = [
    ['a', /line 1: expected a value after the metric/],
    ["a{b='c'} 1\n", /expected a quoted value for label b/],
    ['a{b=\n', /expected a quoted value for label b/],
    ['a{\u00e9="foo"} 1\n', /expected a label name or "}"/],
    ['{"a", "b = "c"}', /expected "=" after label name/],
    ['a true\n', /"true" is not a number/],
    ['something_weird{problem="', /unterminated quoted label value/],
    ['empty_label_name{=""} 0', /expected a label name/],
    ['{A}0', /expected "=" after label name A/],
    ['foo 1_2\n', /unsupported character/],
    ['foo 0x1p-3\n', /unsupported character/],
    ['foo 0x10\n', /is not a number/],
    ['foo 1e999\n', /out of the float64 range/],
    ['foo 0 1_2\n', /expected the end of the line after the timestamp/],
    ['foo 0 -5\n', /expected a timestamp/],
    ['foo 1 99999999999999999999\n', /does not fit in a 64-bit integer/],
    ['{a="ok"} 1', /has no metric name/],
    ['{"a","b"} 1', /metric name is set twice/],
    ['m{"x"} 1', /metric name is set twice/],
    ['# TYPE #\n', /expected a metric name after # TYPE/],
    ['# HELP #\n', /expected a metric name after # HELP/],
    ['# HELP \n', /expected a metric name after # HELP/],
    ['# TYPE m\n', /invalid metric type ""/],
    ['# TYPE m info\n', /invalid metric type "info"/],
    ['# TYPE m  counter\n', /invalid metric type " counter"/],
    ['ok 1\nok 2\n9 bad\n', /line 3: expected a metric name, "\{" or "#"/],
    ['a\0{b="ddd"} 1', /expected a value after the metric/],
    ['a 0 1\0', /expected the end of the line after the timestamp/],
    ['a 1\r\n', /is not a number/],
  ];
  for (const [input, want] of cases) {
    assert.throws(
      () => parse(input),
      (err: unknown) => err instanceof TextParseError && want.test(err.message),
      `input ${JSON.stringify(input)}`,
    );
  }
});

test('text format: # EOF is an ordinary comment', () => {
  assert.deepEqual(parse('a 1\n# EOF\nb 2\n'), [
    { kind: 'series', series: 'a', name: 'a', labels: {}, value: 1 },
    { kind: 'comment', comment: '# EOF' },
    { kind: 'series', series: 'b', name: 'b', labels: {}, value: 2 },
  ]);
});

test('text format: invalid UTF-8 is rejected in values and help, accepted in comments', () => {
  const opts = { invalidUtf8: true };
  assert.throws(() => parseAll(new PromTextParser('a{b="\ufffd"} 1\n', opts)), /invalid UTF-8/);
  assert.throws(() => parseAll(new PromTextParser('# HELP a x\ufffd\n', opts)), /not valid UTF-8/);
  assert.equal(parseAll(new PromTextParser('# just \ufffd a comment\na 1\n', opts)).length, 2);
  // Without the flag a replacement character is just a character.
  assert.deepEqual(series('a{b="\ufffd"} 1\n')[0].labels, { b: '\ufffd' });
});
