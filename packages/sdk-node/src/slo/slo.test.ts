import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from '../metrics/registry.ts';
import { Slos } from './slo.ts';

test('availability and latency SLOs count good and total events per matching request', () => {
  const registry = new Registry();
  const slos = new Slos(registry, 'checkout');
  slos.availability({ name: 'checkout-availability', route: '/checkout', method: 'post', objective: 0.999 });
  slos.latency({ name: 'api-latency', route: /^\/api\//, thresholdSeconds: 0.3, objective: 0.99 });
  const req = (method: string, route: string, status: number, seconds: number) =>
    slos.observe({ method, route, status, seconds });
  req('POST', '/checkout', 200, 0.1);
  req('POST', '/checkout', 503, 0.1);
  req('POST', '/checkout', 404, 0.1); // the client's mistake, still good
  req('GET', '/checkout', 500, 0.1); // other method: not counted
  req('GET', '/api/items', 200, 0.2);
  req('GET', '/api/items', 200, 0.5);
  req('GET', '/api/items', 500, 0.1);
  slos.record('api-latency', true);
  const text = registry.render();
  assert.match(text, /^slo_events_total\{slo="checkout-availability"\} 3$/m);
  assert.match(text, /^slo_good_events_total\{slo="checkout-availability"\} 2$/m);
  assert.match(text, /^slo_events_total\{slo="api-latency"\} 4$/m);
  assert.match(text, /^slo_good_events_total\{slo="api-latency"\} 2$/m);
});

test('spec() is a Sloth prometheus/v1 document over those counters', () => {
  const slos = new Slos(new Registry(), 'checkout');
  slos.availability({ name: 'checkout-availability', route: '/checkout', objective: 0.999 });
  const spec = slos.spec();
  assert.equal(spec.version, 'prometheus/v1');
  assert.equal(spec.service, 'checkout');
  const [s] = spec.slos;
  assert.equal(s.objective, 99.9);
  assert.equal(
    s.sli.events.total_query,
    'sum(rate(slo_events_total{slo="checkout-availability"}[{{.window}}]))',
  );
  assert.equal(
    s.sli.events.error_query,
    '(sum(rate(slo_events_total{slo="checkout-availability"}[{{.window}}])) - sum(rate(slo_good_events_total{slo="checkout-availability"}[{{.window}}])))',
  );
  assert.equal(s.alerting.name, 'CheckoutAvailability');
  assert.throws(() => slos.availability({ name: 'checkout-availability', objective: 0.9 }), /declared twice/);
  assert.throws(() => slos.availability({ name: 'x', objective: 99.9 }), /between 0 and 1/);
  assert.throws(() => slos.latency({ name: 'y', objective: 0.9, thresholdSeconds: 0 }), /thresholdSeconds/);
});
