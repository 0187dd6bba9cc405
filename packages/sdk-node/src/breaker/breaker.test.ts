import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Registry } from '../metrics/registry.ts';
import { BreakerOpenError, BreakerTimeoutError, createBreaker } from './breaker.ts';

function clock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test('opens at the failure ratio once the minimum throughput is reached; fails fast while open', async () => {
  const c = clock();
  const registry = new Registry();
  let fail = false;
  let calls = 0;
  const pay = createBreaker(
    'payments',
    async (amount: number) => {
      calls++;
      if (fail) throw new Error('gateway down');
      return amount * 2;
    },
    { failureRatio: 0.5, minimumThroughput: 4, resetAfterMs: 30_000, now: c.now },
    { registry },
  );
  assert.equal(pay.name, 'payments');
  assert.equal(await pay(21), 42);
  fail = true;
  await assert.rejects(pay(1), /gateway down/);
  await assert.rejects(pay(1), /gateway down/);
  assert.equal(pay.state(), 'closed', '2 of 3 failed, but fewer than 4 calls');
  await assert.rejects(pay(1), /gateway down/);
  assert.equal(pay.state(), 'open');
  const before = calls;
  await assert.rejects(pay(1), BreakerOpenError);
  assert.equal(calls, before, 'open: the call was not made');
  // After resetAfterMs: half-open lets one trial through; success closes.
  c.advance(30_000);
  assert.equal(pay.state(), 'half_open');
  fail = false;
  assert.equal(await pay(1), 2);
  assert.equal(pay.state(), 'closed');
  const text = registry.render();
  assert.match(text, /^circuit_breaker_state\{breaker="payments",state="closed"\} 1$/m);
  assert.match(text, /^circuit_breaker_state\{breaker="payments",state="open"\} 0$/m);
  assert.match(text, /^circuit_breaker_transitions_total\{breaker="payments",from="closed",to="open"\} 1$/m);
  assert.match(
    text,
    /^circuit_breaker_transitions_total\{breaker="payments",from="open",to="half_open"\} 1$/m,
  );
  assert.match(
    text,
    /^circuit_breaker_transitions_total\{breaker="payments",from="half_open",to="closed"\} 1$/m,
  );
  assert.match(text, /^circuit_breaker_calls_total\{breaker="payments",outcome="failure"\} 3$/m);
  assert.match(text, /^circuit_breaker_calls_total\{breaker="payments",outcome="rejected"\} 1$/m);
  assert.match(text, /^circuit_breaker_calls_total\{breaker="payments",outcome="success"\} 2$/m);
});

test('a failed trial reopens; the window forgets old failures; timeouts count as failures', async () => {
  const c = clock();
  let mode: 'ok' | 'fail' | 'hang' = 'fail';
  const b = createBreaker(
    'inventory',
    () =>
      mode === 'ok' ? 'ok' : mode === 'fail' ? Promise.reject(new Error('x')) : new Promise<string>(() => {}),
    { minimumThroughput: 2, windowMs: 1000, windowBuckets: 4, resetAfterMs: 100, timeoutMs: 20, now: c.now },
  );
  await assert.rejects(b());
  c.advance(2000); // the first failure leaves the window
  await assert.rejects(b());
  assert.equal(b.state(), 'closed');
  assert.deepEqual(b.stats(), { calls: 1, failures: 1 });
  mode = 'hang';
  await assert.rejects(b(), BreakerTimeoutError);
  assert.equal(b.state(), 'open');
  c.advance(100);
  mode = 'fail';
  await assert.rejects(b(), /x/);
  assert.equal(b.state(), 'open', 'failed trial');
});

test('fallback answers when open or failing; isFailure excludes expected errors', async () => {
  const b = createBreaker(
    'search',
    async (q: string) => {
      if (q === 'missing') throw Object.assign(new Error('not found'), { status: 404 });
      throw new Error('timeout');
    },
    {
      minimumThroughput: 1,
      failureRatio: 0.5,
      isFailure: (e) => (e as { status?: number }).status !== 404,
      fallback: (err, q) => `cached:${q}:${(err as Error).name}`,
    },
  );
  // An error that is not a failure passes through and counts as a successful call.
  await assert.rejects(b('missing'), /not found/);
  assert.equal(b.state(), 'closed');
  assert.deepEqual(b.stats(), { calls: 1, failures: 0 });
  assert.equal(await b('shoes'), 'cached:shoes:Error');
  assert.equal(b.state(), 'open');
  assert.equal(await b('hats'), 'cached:hats:BreakerOpenError');
});

test('transitions are span events on the active span', async (t) => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  t.after(() => context.disable());
  const spans = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }).getTracer('t');
  const b = createBreaker('db', () => Promise.reject(new Error('down')), { minimumThroughput: 1 });
  await tracer.startActiveSpan('request', async (span) => {
    await assert.rejects(b());
    span.end();
  });
  const event = spans.getFinishedSpans()[0].events.find((e) => e.name === 'circuit_breaker.state_change')!;
  assert.deepEqual(event.attributes, {
    'circuit_breaker.name': 'db',
    'circuit_breaker.from': 'closed',
    'circuit_breaker.to': 'open',
    'circuit_breaker.reason': '1 of 1 calls failed in the last 10000 ms',
  });
  assert.throws(
    () => createBreaker('bad', () => 1, { failureRatio: 2 }),
    /failureRatio must be a number in \(0, 1\]/,
  );
});
