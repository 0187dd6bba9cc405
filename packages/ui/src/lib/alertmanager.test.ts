import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMatcher, parseMatcher } from './alertmanager.ts';

test('matchers round-trip through their text form', () => {
  for (const text of [
    'alertname="HighLatency"',
    'job!="api"',
    'instance=~"web-\\\\d+"',
    'env!~"dev|test"',
    'msg="say \\"hi\\""',
  ]) {
    const m = parseMatcher(text);
    assert.ok(m, text);
    assert.equal(formatMatcher(m), text);
  }
  assert.deepEqual(parseMatcher('severity=page'), {
    name: 'severity',
    value: 'page',
    isRegex: false,
    isEqual: true,
  });
  assert.equal(parseMatcher('not a matcher'), undefined);
  assert.equal(parseMatcher('9bad="x"'), undefined);
});
