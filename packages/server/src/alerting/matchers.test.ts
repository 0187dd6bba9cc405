import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatAmMatchers,
  MatcherError,
  matchersMatch,
  newAmMatcher,
  parseAmMatcher,
  parseAmMatchers,
} from './matchers.ts';

function parsed(text: string): string[] {
  return parseAmMatchers(text).map((m) => `${m.name}${m.type}${JSON.stringify(m.value)}`);
}

test('matcher lists in every form Alertmanager accepts', () => {
  const ok = (text: string, want: string[]) => assert.deepEqual(parsed(text), want, text);
  ok('foo=bar', ['foo="bar"']);
  ok('{foo="bar"}', ['foo="bar"']);
  ok('{foo = "bar", dings != "bums", }', ['foo="bar"', 'dings!="bums"']);
  ok('foo=bar,dings!=bums', ['foo="bar"', 'dings!="bums"']);
  ok('statuscode=~"5.."', ['statuscode=~"5.."']);
  ok('{quote="She said: \\"Hi, ladies! That\'s gender-neutral…\\""}', [
    'quote="She said: \\"Hi, ladies! That\'s gender-neutral…\\""',
  ]);
  ok('{foo=~"bar,baz"}', ['foo=~"bar,baz"']);
  ok('foo=', ['foo=""']);
  ok('foo="\\n"', ['foo="\\n"']);
  ok('foo="\\\\"', ['foo="\\\\"']);
  ok('foo=bar\\baz', ['foo="bar\\\\baz"']);
  ok('foo!~"a|b"', ['foo!~"a|b"']);
  ok('', []);
});

test('malformed matchers are MatcherErrors that quote the input', () => {
  const bad = (text: string, message: RegExp) =>
    assert.throws(
      () => parseAmMatchers(text),
      (e) => e instanceof MatcherError && message.test(e.message),
      text,
    );
  bad('foo', /bad matcher format: foo/);
  bad('1foo=bar', /bad matcher format/);
  bad('foo="bar', /unescaped double quote/);
  bad('foo=bar"baz', /unescaped double quote/);
  bad('foo=~"("', /invalid regular expression/);
});

test('regexes are anchored, without the s flag (Alertmanager 0.25)', () => {
  const m = parseAmMatcher('job=~"api|web"');
  assert.equal(m.matches('api'), true);
  assert.equal(m.matches('apis'), false);
  const dot = newAmMatcher('=~', 'msg', 'a.b');
  assert.equal(dot.matches('a\nb'), false);
  assert.equal(newAmMatcher('!~', 'x', '.+').matches(''), true);
});

test('absent labels match as the empty string', () => {
  const ms = parseAmMatchers('env!="prod", team=""');
  assert.equal(matchersMatch(ms, { alertname: 'A' }), true);
  assert.equal(matchersMatch(ms, { env: 'prod' }), false);
  assert.equal(matchersMatch(ms, { team: 'x' }), false);
});

test('printed as in route keys', () => {
  assert.equal(formatAmMatchers(parseAmMatchers('a="x\\"y", b=~"1|2"')), '{a="x\\"y",b=~"1|2"}');
});
