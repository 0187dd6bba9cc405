import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Expr } from './ast.ts';
import { ParseError } from './errors.ts';
import { parseExpr } from './parser.ts';
import { prettifyExpr } from './prettier.ts';
import { formatExpr } from './printer.ts';

/** Parses and prints; the canonical text shows how the expression was understood. */
function canonical(q: string): string {
  return formatExpr(parseExpr(q));
}

/** Parses and returns the error (message without position, and the 0-based start offset). */
function parseFailure(q: string): { detail: string; start: number; message: string } {
  try {
    parseExpr(q);
  } catch (err) {
    assert.ok(err instanceof ParseError, `expected ParseError for ${JSON.stringify(q)}, got ${err}`);
    return { detail: err.detail, start: err.pos.start, message: err.message };
  }
  assert.fail(`expected ${JSON.stringify(q)} to fail`);
}

/** Evaluates a constant scalar expression by walking the tree (enough to check precedence). */
function constant(e: Expr): number {
  switch (e.kind) {
    case 'NumberLiteral':
      return e.value;
    case 'ParenExpr':
      return constant(e.expr);
    case 'UnaryExpr':
      return e.op === '-' ? -constant(e.expr) : constant(e.expr);
    case 'BinaryExpr': {
      const l = constant(e.lhs);
      const r = constant(e.rhs);
      if (e.op === '+') return l + r;
      if (e.op === '-') return l - r;
      if (e.op === '*') return l * r;
      if (e.op === '/') return l / r;
      if (e.op === '^') return l ** r;
      break;
    }
  }
  throw new Error(`not constant: ${e.kind}`);
}

test('operator precedence and associativity follow Prometheus', () => {
  const f = (q: string, want: number) => assert.equal(constant(parseExpr(q)), want, q);
  f('-1 ^ 2', -1); // ^ binds tighter than unary minus
  f('-2^---1*3', -1.5);
  f('2/-2^---1*3+2', -10);
  f('2 ^ 3 ^ 2', 512); // right-associative
  f('2 ^ -1 ^ 2', 0.5);
  f('1 + 2 * 3', 7);
  f('8 / 2 / 2', 2); // left-associative
  f('- - - 1', -1);
});

test('postfix modifiers bind to the nearest operand, not to the whole expression', () => {
  const e = parseExpr('a + b @ 60 * 0');
  assert.equal(e.kind, 'BinaryExpr');
  if (e.kind !== 'BinaryExpr') return;
  assert.equal(e.op, '+');
  assert.equal(e.lhs.kind, 'VectorSelector');
  assert.equal(e.rhs.kind, 'BinaryExpr');
  if (e.rhs.kind !== 'BinaryExpr') return;
  assert.equal(e.rhs.lhs.kind === 'VectorSelector' && e.rhs.lhs.timestamp, 60_000);
  const o = parseExpr('metric1 offset 15m or metric2 offset 45m');
  assert.ok(o.kind === 'BinaryExpr' && o.lhs.kind === 'VectorSelector' && o.rhs.kind === 'VectorSelector');
  if (o.kind !== 'BinaryExpr' || o.lhs.kind !== 'VectorSelector' || o.rhs.kind !== 'VectorSelector') return;
  assert.equal(o.lhs.offset, 15 * 60_000);
  assert.equal(o.rhs.offset, 45 * 60_000);
  const u = parseExpr('-a offset 1m');
  assert.ok(u.kind === 'UnaryExpr' && u.expr.kind === 'VectorSelector' && u.expr.offset === 60_000);
});

test('literals: hex, octal, underscores, Inf/NaN, trailing dot, durations', () => {
  const f = (q: string, want: number) => {
    const e = parseExpr(q);
    assert.ok(e.kind === 'NumberLiteral', q);
    if (e.kind === 'NumberLiteral') assert.ok(Object.is(e.value, want), `${q}: ${e.value}`);
  };
  f('0x1F', 31);
  f('0X1f', 31);
  f('017', 15); // Go's ParseInt(s, 0, 64) reads a leading 0 as octal
  f('1_000', 1000);
  f('1e3', 1000);
  f('.5', 0.5);
  f('2.', 2);
  f('Inf', Number.POSITIVE_INFINITY);
  f('-inf', Number.NEGATIVE_INFINITY);
  f('NaN', Number.NaN);
  f('1h30m', 5400);
  f('-5m', -300);
  assert.equal(canonical('1h30m'), '1h30m');
  assert.equal(canonical('90m'), '1h30m');
});

test('parse errors read like Prometheus and point at the problem', () => {
  const cases: [string, string, number][] = [
    ['', 'no expression found in input', 0],
    ['1+', 'unexpected end of input', 2],
    ['.', "unexpected character: '.'", 0],
    ['2.5.', 'bad number or duration syntax: "2.5."', 0],
    ['*1', 'unexpected <op:*>', 0],
    ['(1))', "unexpected right parenthesis ')'", 4],
    ['((1)', 'unclosed left parenthesis', 4],
    ['1 and 1', 'set operator "and" not allowed in binary scalar expression', 0],
    ['1 == 1', 'comparisons between scalars must use BOOL modifier', 2],
    ['1 !~ 1', "unexpected character after '!': '~'", 2],
    [
      '-"string"',
      'unary expression only allowed on expressions of type scalar or instant vector, got "string"',
      0,
    ],
    [
      '1 offset 1d',
      'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
      0,
    ],
    ['foo offset 1s offset 2s', 'offset may not be set multiple times', 0],
    ['a - on(b) ignoring(c) d', 'unexpected <ignoring>', 10],
    ['1 or on(bar) foo', 'vector matching only allowed between instant vectors', 0],
    ['foo and on(bar) group_left(baz) bar', 'no grouping allowed for "and" operation', 0],
    ['foo + bool bar', 'bool modifier can only be used on comparison operators', 4],
    ['foo @ NaN', 'timestamp out of bounds for @ modifier: NaN', 0],
    ['some_metric{a=b}', 'unexpected identifier "b" in label matching, expected string', 14],
    ['foo{gibberish}', 'unexpected "}" in label matching, expected label matching operator', 13],
    ['foo{__name__="bar" lol}', 'unexpected identifier "lol" in label matching, expected "," or "}"', 19],
    ['{x=~".*"}', 'vector selector must contain at least one non-empty matcher', 0],
    ['foo{__name__="bar"}', 'metric name must not be set twice: "foo" or "bar"', 0],
    ['foo[5y1hs]', 'unknown unit "hs" in duration "5y1hs"', 4],
    ['foo[5m1h]', 'not a valid duration string: "5m1h"', 4],
    ['foo[0m]', 'duration must be greater than 0', 4],
    [
      'foo[]',
      'unexpected "]" in subquery or range selector, expected number, duration, step(), or range()',
      4,
    ],
    [
      'some_metric[5m] OFFSET',
      'unexpected end of input in offset, expected number, duration, step(), or range()',
      22,
    ],
    ['some_metric OFFSET 1m[5m]', 'no offset modifiers allowed before range', 21],
    ['some_metric @ 1234 [5m]', 'no @ modifiers allowed before range', 19],
    ['(foo + bar)[5m]', 'ranges only allowed for vector selectors', 11],
    ['sum (some_metric) by test', 'unexpected identifier "test" in grouping opts, expected "("', 21],
    ['sum without(,)(some_metric)', 'unexpected "," in grouping opts, expected label', 12],
    ['sum () by (test)', 'no arguments for aggregate expression provided', 0],
    [
      'topk(some_metric)',
      'wrong number of arguments for aggregate expression provided, expected 2, got 1',
      0,
    ],
    ['topk(some_metric,)', 'trailing commas not allowed in function call args', 16],
    ['count_values(5, other_metric)', 'expected type string in aggregation parameter, got scalar', 13],
    [
      'rate(some_metric[5m]) @ 1234',
      '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery',
      0,
    ],
    ['floor(1)', 'expected type instant vector in call to function "floor", got scalar', 6],
    [
      'hour(some_metric, some_metric, some_metric)',
      'expected at most 1 argument(s) in call to "hour", got 3',
      0,
    ],
    ['non_existent_function_far_bar()', 'unknown function with name "non_existent_function_far_bar"', 0],
    ['a>b()', 'unknown function with name "b"', 2],
    ['"\\c"', "unknown escape sequence U+0063 'c'", 0],
    ['test[5d] OFFSET 10s [10m:5s]', 'subquery is only allowed on instant vector, got matrix instead', 0],
    ['foo[5s/0d]', 'division by zero', 6],
    ['foo offset 9.5e10', 'duration out of range', 11],
    ['foo[5s x 5s]', "unexpected character: 'x', expected ':'", 7],
  ];
  for (const [q, detail, start] of cases) {
    const got = parseFailure(q);
    assert.equal(got.detail, detail, q);
    assert.equal(got.start, start, `position of ${JSON.stringify(q)}`);
  }
  assert.equal(parseFailure('foo +\n  bar(').message, '2:7: parse error: unclosed left parenthesis');
});

test('error columns count bytes, as Prometheus does', () => {
  // "ä" is two bytes in UTF-8: the "*" is at byte offset 11, column 12.
  assert.equal(parseFailure('{a="ä"} + * 2').message, '1:12: parse error: unexpected <op:*>');
});

test('the printer matches Prometheus String()', () => {
  const cases: [string, string][] = [
    ['sum(rate(x[5m])) by (job)', 'sum by (job) (rate(x[5m]))'],
    ['sum without(a)(x)', 'sum without (a) (x)'],
    ['a + on(b) group_left(c) d', 'a + on (b) group_left (c) d'],
    ['a + ignoring(b) group_right d', 'a + ignoring (b) group_right () d'],
    ['a > bool 1', 'a > bool 1'],
    ['x{b="1",a=~"2"}', 'x{a=~"2",b="1"}'],
    ['x offset -5m', 'x offset -5m'],
    ['x[5m] @ 100 offset 7d', 'x[5m] @ 100.000 offset 1w'],
    ['x[1h:] offset 1m', 'x[1h:] offset 1m'],
    ['x[1h:5m] @ end()', 'x[1h:5m] @ end()'],
    ['{"my.metric", "a.b"="c"}', '{"a.b"="c",__name__="my.metric"}'],
    ['count_values("v", x)', 'count_values("v", x)'],
    ['label_replace(x, "a", "$1", "b", "(.*)")', 'label_replace(x, "a", "$1", "b", "(.*)")'],
    ['x[5m * 2]', 'x[5m * 2]'],
    ['x offset (1m + 1m)', 'x offset (1m + 1m)'],
    ['a * on(i) fill(0) b', 'a * on (i) fill (0) b'],
    ['1.5e10', '15000000000'],
    ['"a\\nb"', '"a\\nb"'],
  ];
  for (const [q, want] of cases) assert.equal(canonical(q), want, q);
});

test('printed expressions parse back to the same expression (upstream test expressions)', (t) => {
  const casesFile = join(
    new URL('../../../../../', import.meta.url).pathname,
    '../shared/conformance/promql-cases.json',
  );
  if (!existsSync(casesFile)) return t.skip('no ../shared/conformance');
  const cases: { expr: string }[] = JSON.parse(readFileSync(casesFile, 'utf8'));
  for (const c of cases) {
    const once = canonical(c.expr);
    assert.equal(canonical(once), once, c.expr);
  }
});

test('parseExpr throws nothing but ParseError on arbitrary input', () => {
  const tokens = [
    'sum',
    'rate',
    'foo',
    '{',
    '}',
    '(',
    ')',
    '[',
    ']',
    '5m',
    ':',
    ',',
    '"a"',
    "'b",
    '`c`',
    '=',
    '=~',
    '!=',
    '+',
    '-',
    '*',
    '/',
    '^',
    '==',
    'bool',
    'on',
    'by',
    'offset',
    '@',
    'start()',
    '1',
    '0x1f',
    '1e',
    '.',
    'inf',
    'and',
    'or',
    'group_left',
    '#c\n',
    'ä',
    '\\',
    'fill(',
    'anchored',
    'step()',
  ];
  const check = (q: string) => {
    try {
      parseExpr(q);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      assert.match(err.message, /^(\d+:\d+|unknown position|invalid position): parse error: /);
    }
  };
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...tokens), { maxLength: 12 }), (ts) => check(ts.join(' '))),
    { numRuns: 3000, seed: 20260823 },
  );
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...tokens), { maxLength: 12 }), (ts) => check(ts.join(''))),
    {
      numRuns: 3000,
      seed: 20260824,
    },
  );
  fc.assert(fc.property(fc.string({ maxLength: 40 }), check), { numRuns: 3000, seed: 20260823 });
});

test('experimental syntax can be turned off', () => {
  assert.match(
    (() => {
      try {
        parseExpr('limitk(1, x)', { experimentalFunctions: false });
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    })(),
    /limitk\(\) is experimental and must be enabled/,
  );
  assert.throws(
    () => parseExpr('mad_over_time(x[5m])', { experimentalFunctions: false }),
    /function "mad_over_time" is not enabled/,
  );
  assert.throws(
    () => parseExpr('x[5m * 2]', { durationExpressions: false }),
    /experimental duration expression is not enabled/,
  );
  assert.throws(
    () => parseExpr('x[5m] anchored', { extendedRangeSelectors: false }),
    /anchored modifier is experimental/,
  );
  assert.throws(
    () => parseExpr('a + fill(0) b', { binopFillModifiers: false }),
    /binop fill modifiers are experimental/,
  );
});

test('prettified expressions split long nodes as Prometheus does', () => {
  assert.equal(
    prettifyExpr(parseExpr('sum by (job) (rate(http_requests_total[5m])) / on(job) group_left sum(x)'), 20),
    [
      '  sum by (job) (',
      '    rate(',
      '      http_requests_total[5m]',
      '    )',
      '  )',
      '/ on (job) group_left ()',
      '  sum(x)',
    ].join('\n'),
  );
  assert.equal(prettifyExpr(parseExpr('a + b')), 'a + b');
  const long = `topk(5, ${'x_'.repeat(60)}total{job="a"})`;
  assert.equal(prettifyExpr(parseExpr(long)), `topk(\n  5,\n  ${'x_'.repeat(60)}total{job="a"}\n)`);
});
