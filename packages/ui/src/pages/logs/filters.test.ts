import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addPipelineFilter, addStreamMatcher } from './filters.ts';

test('a stream label joins the selector, once', () => {
  assert.equal(addStreamMatcher('{job="a"}', 'level', 'error'), '{job="a", level="error"}');
  assert.equal(addStreamMatcher('{job="a"} |= "x}"', 'app', 'b'), '{job="a", app="b"} |= "x}"');
  assert.equal(addStreamMatcher('{job="a", level="error"}', 'level', 'error'), '{job="a", level="error"}');
  assert.equal(addStreamMatcher('', 'job', 'shop'), '{job="shop"}');
  assert.equal(addStreamMatcher('{}', 'job', 'shop'), '{job="shop"}');
  assert.equal(addStreamMatcher('{job="a\\"}"}', 'k', 'v'), '{job="a\\"}", k="v"}');
  assert.equal(addStreamMatcher('{job="a"}', 'k', 'say "hi"', '!='), '{job="a", k!="say \\"hi\\""}');
});

test('other fields become pipeline label filters', () => {
  assert.equal(addPipelineFilter('{job="a"} | json', 'status', '500'), '{job="a"} | json | status="500"');
  assert.equal(addPipelineFilter('{job="a"} | status="500"', 'status', '500'), '{job="a"} | status="500"');
  assert.equal(addPipelineFilter('', 'trace_id', 'abc'), '{job=~".+"} | trace_id="abc"');
});
