import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TextParseError } from './errors.ts';
import { OpenMetricsParser } from './openmetrics.ts';
import { parseAll } from './testutil.ts';

const parse = (text: string) => parseAll(new OpenMetricsParser(text));

test('OpenMetrics: metadata, _created, exemplars, timestamps in seconds, # EOF', () => {
  const input = [
    '# HELP go_gc_duration_seconds A summary of the GC invocation durations.',
    '# TYPE go_gc_duration_seconds summary',
    '# UNIT go_gc_duration_seconds seconds',
    'go_gc_duration_seconds{quantile="0"} 4.9351e-05',
    'go_gc_duration_seconds{quantile="0.25",} 7.424100000000001e-05',
    'go_gc_duration_seconds_created 1520872607.123',
    '# TYPE hh histogram',
    'hh_bucket{le="+Inf"} 1',
    '# TYPE ii info',
    'ii{foo="bar"} 1',
    '# TYPE ss stateset',
    'ss{ss="fgh"} 1',
    '# TYPE foo counter',
    'foo_total 17.0 1520879607.789 # {id="counter-test"} 5',
    'foo_total{a="b"} 17.0 # {id="counter-test"} 5',
    'foo_total{le="c"} 21.0',
    'foo_created{le="c"} 1520872621.123',
    'foo_total{le="1"} 10.0',
    '# HELP bar Help with \\"quotes\\" and \\n.',
    'bar{"quoted.label"="x"} 1 -1.5',
    '{"a.b"} 2',
    '# EOF',
    '',
  ].join('\n');
  const got = parse(input);
  assert.deepEqual(got.slice(0, 3), [
    { kind: 'help', metric: 'go_gc_duration_seconds', help: 'A summary of the GC invocation durations.' },
    { kind: 'type', metric: 'go_gc_duration_seconds', type: 'summary' },
    { kind: 'unit', metric: 'go_gc_duration_seconds', unit: 'seconds' },
  ]);
  const s = got.filter((e) => e.kind === 'series');
  assert.deepEqual(
    s.map((e) => e.name),
    [
      'go_gc_duration_seconds',
      'go_gc_duration_seconds',
      'go_gc_duration_seconds_created',
      'hh_bucket',
      'ii',
      'ss',
      'foo_total',
      'foo_total',
      'foo_total',
      'foo_created',
      'foo_total',
      'bar',
      'a.b',
    ],
  );
  assert.deepEqual(s[0].labels, { quantile: '0.0' });
  assert.equal(s[2].value, 1520872607.123);
  // Exemplars are checked and skipped; the series keeps its own labels.
  assert.deepEqual(s[6].labels, {});
  assert.equal(s[6].t, 1520879607789);
  assert.deepEqual(s[7].labels, { a: 'b' });
  assert.equal(s[7].t, undefined);
  // le is only normalized for histograms.
  assert.deepEqual(s[10].labels, { le: '1' });
  assert.deepEqual(s[11].labels, { 'quoted.label': 'x' });
  assert.equal(s[11].t, -1500);
  assert.deepEqual(
    got.find((e) => e.kind === 'help' && e.metric === 'bar'),
    {
      kind: 'help',
      metric: 'bar',
      help: 'Help with "quotes" and \n.',
    },
  );
});

test('OpenMetrics: # EOF without a trailing line break, and nothing else', () => {
  assert.deepEqual(parse('# EOF'), []);
  assert.deepEqual(parse('# EOF\n'), []);
  assert.deepEqual(parse('a 1\n# EOF').length, 1);
});

test('OpenMetrics: errors', () => {
  const cases: [string, RegExp][] = [
    ['', /does not end with "# EOF"/],
    ['\n', /blank lines are not allowed/],
    ['metric', /does not end with "# EOF"/],
    ['metric 1', /does not end with "# EOF"/],
    ['metric 1\n', /does not end with "# EOF"/],
    ['metric_total 1 # {aa="bb"} 4', /does not end with "# EOF"/],
    ['a\n# EOF\n', /expected one space and a value/],
    ['\n\n# EOF\n', /blank lines/],
    [' a 1\n# EOF\n', /expected a metric name/],
    ['9\n# EOF\n', /expected a metric name/],
    ['# TYPE u untyped\n# EOF\n', /invalid metric type "untyped"/],
    ['# TYPE c counter \n# EOF\n', /invalid metric type "counter "/],
    ['#  TYPE c counter\n# EOF\n', /allows no comments other than/],
    ['# TYPE \n# EOF\n', /expected a metric name after # TYPE/],
    ['# TYPE m\n# EOF\n', /expected a space and text after # TYPE m/],
    ['# UNIT metric suffix\n# EOF\n', /unit "suffix" is not a suffix of metric "metric"/],
    ['# UNIT metricsuffix suffix\n# EOF\n', /not a suffix/],
    ['# UNIT m suffix\n# EOF\n', /not a suffix/],
    ['# HELP m\n# EOF\n', /expected a space and text after # HELP m/],
    ['# random comment\n# EOF\n', /allows no comments other than/],
    ['a\t1\n# EOF\n', /expected one space and a value/],
    ['a 1\t2\n# EOF\n', /is not a number/],
    ['a 1 2 \n# EOF\n', /expected a timestamp|expected the end of the line/],
    ['a 1 2 #\n# EOF\n', /expected the end of the line after the timestamp/],
    ['a 1 1z\n# EOF\n', /"1z" is not a number/],
    [' # EOF\n', /expected a metric name/],
    ['# EOF\na 1', /unexpected data after "# EOF"/],
    ['# EOF\n\n', /unexpected data after "# EOF"/],
    ['# EOFa 1', /unexpected data after "# EOF"/],
    ['#\tTYPE c counter\n', /one space after "#"/],
    ['a 1 1 1\n# EOF\n', /expected the end of the line after the timestamp/],
    ["a{b='c'} 1\n# EOF\n", /expected a quoted value for label b/],
    ['a{,b="c"} 1\n# EOF\n', /expected a label name/],
    ['a{b="c"d="e"} 1\n# EOF\n', /expected "," or "}"/],
    ['a{b="c",,d="e"} 1\n# EOF\n', /expected a label name/],
    ['a{b="c", d="e"} 1\n# EOF\n', /expected a label name/],
    ['a{b="x\ny"} 1\n# EOF\n', /line break inside quoted label value/],
    ['a true\n# EOF\n', /"true" is not a number/],
    ['{A}0\n# EOF\n', /expected "=" after label name A/],
    ['foo 1_2\n# EOF\n', /unsupported character/],
    ['foo 0 1_2\n# EOF\n', /unsupported character/],
    ['custom_metric_total 1 # {aa=bb}\n# EOF\n', /expected a quoted value for exemplar label aa/],
    ['custom_metric_total 1 # {aa="bb"}\n# EOF\n', /expected one space and a exemplar value/],
    ['custom_metric_total 1 # {bb}\n# EOF\n', /expected "=" after exemplar label name bb/],
    ['custom_metric_total 1 # {"x"}\n# EOF\n', /an exemplar cannot have a metric name/],
    ['custom_metric_total 1 # {aa="bb"} true\n# EOF\n', /"true" is not a number/],
    ['{b="c",} 1\n# EOF\n', /has no metric name/],
    ['a 1 NaN\n# EOF\n', /invalid timestamp NaN/],
    ['a 1 -Inf\n# EOF\n', /invalid timestamp -Infinity/],
    ['hhh_bucket{le="+Inf"} 1 # {aa="bb"} 4 NaN\n# EOF\n', /invalid exemplar timestamp NaN/],
  ];
  for (const [input, want] of cases) {
    assert.throws(
      () => parse(input),
      (err: unknown) => err instanceof TextParseError && want.test(err.message),
      `input ${JSON.stringify(input)}`,
    );
  }
});
