import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ALL,
  escapeRegex,
  formatSelection,
  interpolate,
  parseVariableQuery,
  referencedVariables,
} from './variables.ts';

test('label_values with and without a selector; custom lists', () => {
  assert.deepEqual(parseVariableQuery('label_values(job)'), { kind: 'label_values', label: 'job' });
  assert.deepEqual(parseVariableQuery('label_values(up{job="a,b", env=~"x|y"}, instance)'), {
    kind: 'label_values',
    match: 'up{job="a,b", env=~"x|y"}',
    label: 'instance',
  });
  assert.deepEqual(parseVariableQuery(' label_values( rate(x[5m]) , code ) '), {
    kind: 'label_values',
    match: 'rate(x[5m])',
    label: 'code',
  });
  assert.deepEqual(parseVariableQuery('prod, staging ,dev'), {
    kind: 'custom',
    values: ['prod', 'staging', 'dev'],
  });
});

test('selections: one value as is, several as an escaped alternation, All as .*', () => {
  const v = { multi: true, includeAll: true };
  assert.equal(formatSelection(['api'], v), 'api');
  assert.equal(formatSelection(['a.b', 'c|d'], v), '(a\\.b|c\\|d)');
  assert.equal(formatSelection([ALL], v), '.*');
  assert.equal(escapeRegex('x(1)+'), 'x\\(1\\)\\+');
});

test('interpolate expands variables and built-ins, leaving unknown names', () => {
  const b = { step: 30_000, range: 3_600_000 };
  assert.equal(
    interpolate(
      'rate(x{svc="$service", env="${env}"}[$__rate_interval]) $unknown',
      { service: 'api', env: 'prod' },
      b,
    ),
    'rate(x{svc="api", env="prod"}[1m]) $unknown',
  );
  assert.equal(interpolate('$__interval $__range', {}, b), '30s 3600s');
  // A large step: one step plus a scrape.
  assert.equal(interpolate('$__rate_interval', {}, { step: 300_000, range: 1 }), '5m15s');
  // $service_name is not $service followed by text.
  assert.equal(interpolate('$service_name', { service: 'x' }, b), '$service_name');
  assert.deepEqual(referencedVariables('up{a="$x", b="${y}"} $x'), ['x', 'y']);
});
