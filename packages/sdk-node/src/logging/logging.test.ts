import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { withRequestId } from '../context.ts';
import { startOtlpReceiver } from '../testing/otlp-receiver.ts';
import { createLogging, type LoggingSetup } from './logger.ts';
import { createRedactor } from './redact.ts';
import { LogSampler } from './sampling.ts';

function capture(setup: Partial<LoggingSetup> = {}) {
  const lines: Record<string, unknown>[] = [];
  const destination = { write: (s: string) => void lines.push(JSON.parse(s)) };
  const logging = createLogging({
    level: 'trace',
    base: { service: 'checkout', version: '1.4.2', env: 'prod' },
    redact: {},
    sampling: false,
    destination,
    ...setup,
  });
  return { log: logging.logger, lines, logging };
}

test('lines inside a span carry its trace_id/span_id/trace_flags, the request id and base fields', (t) => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  t.after(() => context.disable());
  const tracer = new BasicTracerProvider().getTracer('t');
  const { log, lines } = capture();
  log.info('outside');
  let ids = { traceId: '', spanId: '' };
  tracer.startActiveSpan('op', (span) => {
    ids = span.spanContext();
    context.with(withRequestId(context.active(), 'req-7'), () => {
      log.info({ orderId: 42 }, 'order placed');
    });
    span.end();
  });
  // Only a request id, no span.
  context.with(withRequestId(context.active(), 'req-8'), () => log.warn('no span'));
  assert.equal(lines[0].trace_id, undefined);
  assert.equal(lines[0].service, 'checkout');
  assert.equal(lines[0].version, '1.4.2');
  assert.equal(lines[0].env, 'prod');
  assert.deepEqual(
    {
      trace_id: lines[1].trace_id,
      span_id: lines[1].span_id,
      trace_flags: lines[1].trace_flags,
      request_id: lines[1].request_id,
      orderId: lines[1].orderId,
      msg: lines[1].msg,
    },
    {
      trace_id: ids.traceId,
      span_id: ids.spanId,
      trace_flags: '01',
      request_id: 'req-7',
      orderId: 42,
      msg: 'order placed',
    },
  );
  assert.equal(lines[2].request_id, 'req-8');
  assert.equal(lines[2].trace_id, undefined);
  // The app's own fields win over correlation fields of the same name.
  tracer.startActiveSpan('op2', (span) => {
    log.info({ trace_id: 'mine' }, 'override');
    span.end();
  });
  assert.equal(lines[3].trace_id, 'mine');
  assert.equal(trace.getActiveSpan(), undefined);

  // Lines of two requests interleaved (as concurrent requests log): each line carries its own
  // request's ids, whatever was logged just before.
  const a = tracer.startSpan('a');
  const b = tracer.startSpan('b');
  const inA = withRequestId(trace.setSpan(context.active(), a), 'req-a');
  const inB = withRequestId(trace.setSpan(context.active(), b), 'req-b');
  const inBOtherId = withRequestId(trace.setSpan(context.active(), b), 'req-b2');
  for (const [ctx, name] of [
    [inA, 'a'],
    [inB, 'b'],
    [inA, 'a'],
    [inBOtherId, 'b2'],
    [inB, 'b'],
  ] as const) {
    context.with(ctx, () => log.info(name));
  }
  const expect = { a: [a, 'req-a'], b: [b, 'req-b'], b2: [b, 'req-b2'] } as const;
  for (const line of lines.slice(4)) {
    const [span, requestId] = expect[line.msg as keyof typeof expect];
    assert.equal(line.span_id, span.spanContext().spanId, String(line.msg));
    assert.equal(line.request_id, requestId, String(line.msg));
  }
  assert.equal(lines.length, 9);
  a.end();
  b.end();
});

test('secrets are redacted at any depth, without touching the app objects', () => {
  const { log, lines } = capture({ redact: { keys: ['ssn', 'body.card.number'] } });
  const user = { name: 'ann', password: 'hunter2', profile: { apiKey: 'k', ssn: '123' } };
  const req = { headers: { Authorization: 'Bearer x', cookie: 'a=b', accept: '*/*' } };
  log.info(
    {
      user,
      req,
      token: 't',
      items: [{ secret: 's', ok: 1 }],
      body: { card: { number: '4111', exp: '12/30' } },
    },
    'login',
  );
  // biome-ignore lint/suspicious/noExplicitAny: a parsed JSON line, navigated freely in asserts.
  const line = lines[0] as Record<string, any>;
  assert.equal(line.user.password, '[REDACTED]');
  assert.equal(line.user.name, 'ann');
  assert.equal(line.user.profile.apiKey, '[REDACTED]');
  assert.equal(line.user.profile.ssn, '[REDACTED]');
  assert.equal(line.req.headers.Authorization, '[REDACTED]');
  assert.equal(line.req.headers.cookie, '[REDACTED]');
  assert.equal(line.req.headers.accept, '*/*');
  assert.equal(line.token, '[REDACTED]');
  assert.deepEqual(line.items, [{ secret: '[REDACTED]', ok: 1 }]);
  assert.deepEqual(line.body.card, { number: '[REDACTED]', exp: '12/30' });
  assert.equal(user.password, 'hunter2');
  assert.equal(req.headers.Authorization, 'Bearer x');
  // Fields logged through a child logger are redacted too.
  log.child({ tenant: 't1' }).info({ apiKey: 'abc' }, 'child');
  assert.equal(lines[1].apiKey, '[REDACTED]');
  assert.equal(lines[1].tenant, 't1');
});

test('redactor: replaceDefaults, censor, unchanged objects are returned as is', () => {
  const r = createRedactor({ keys: ['pin'], replaceDefaults: true, censor: '***' });
  const o = { password: 'x', pin: 1234, nested: { a: 1 } };
  assert.deepEqual(r(o), { password: 'x', pin: '***', nested: { a: 1 } });
  const clean = { a: { b: [1, { c: 2 }] } };
  assert.equal(createRedactor()(clean), clean);
  assert.equal(createRedactor()('text'), 'text');
});

test('sampling: first N per message per interval, then one in M; other levels untouched', () => {
  let now = 0;
  const { log, lines } = capture({
    sampling: { initial: 3, thereafter: 5, intervalMs: 1000, now: () => now },
  });
  for (let i = 0; i < 23; i++) log.debug({ i }, 'cache miss');
  for (let i = 0; i < 10; i++) log.info({ i }, 'cache miss');
  log.debug('another message');
  const debug = lines.filter((l) => l.level === 20 && l.msg === 'cache miss').map((l) => l.i);
  assert.deepEqual(debug, [0, 1, 2, 7, 12, 17, 22]);
  assert.equal(lines.filter((l) => l.level === 30).length, 10);
  assert.equal(lines.filter((l) => l.msg === 'another message').length, 1);
  now = 1000;
  log.debug('cache miss');
  assert.equal(lines.at(-1)!.msg, 'cache miss');
  const s = new LogSampler({ maxLevel: 10 });
  assert.equal(s.applies(20), false);
});

test('OTLP transport: lines arrive as log records with severity, body, attributes and trace context', async (t) => {
  const receiver = await startOtlpReceiver();
  t.after(() => receiver.close());
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  t.after(() => context.disable());
  const tracer = new BasicTracerProvider().getTracer('t');
  const { log, lines, logging } = capture({
    otlp: {
      url: `${receiver.url}/v1/logs`,
      headers: {},
      timeoutMs: 5000,
      resource: { 'service.name': 'checkout', 'service.version': '1.4.2' },
      scopeName: '@vigil/node',
      scopeVersion: '0.1.0',
      delayMs: 50,
    },
  });
  let traceId = '';
  tracer.startActiveSpan('op', (span) => {
    traceId = span.spanContext().traceId;
    log.info({ orderId: 42, password: 'p' }, 'order placed');
    span.end();
  });
  log.error(new Error('boom'), 'failed');
  await logging.shutdown();
  assert.equal(lines.length, 2);
  const records = receiver.logs.flatMap((r) =>
    r.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((s) => s.logRecords)),
  );
  assert.equal(records.length, 2);
  const res = receiver.logs[0].resourceLogs[0].resource!.attributes;
  assert.deepEqual(
    res.filter((a) => a.key.startsWith('service.')).map((a) => [a.key, a.value!.value.value]),
    [
      ['service.name', 'checkout'],
      ['service.version', '1.4.2'],
    ],
  );
  const [info, error] = records;
  assert.equal(info.severityNumber, 9);
  assert.equal(info.severityText, 'INFO');
  assert.deepEqual(info.body!.value, { case: 'stringValue', value: 'order placed' });
  assert.equal(Buffer.from(info.traceId).toString('hex'), traceId);
  assert.equal(info.flags & 1, 1);
  const attrs = Object.fromEntries(info.attributes.map((a) => [a.key, a.value!.value.value]));
  assert.equal(attrs.orderId, 42n);
  assert.equal(attrs.password, '[REDACTED]');
  assert.equal(attrs.service, undefined, 'base fields travel in the resource, not per record');
  assert.equal(error.severityNumber, 17);
  const errAttrs = Object.fromEntries(error.attributes.map((a) => [a.key, a.value!.value.value]));
  assert.equal(errAttrs['exception.message'], 'boom');
  assert.equal(errAttrs['exception.type'], 'Error');
  assert.match(String(errAttrs['exception.stacktrace']), /logging\.test\.ts/);
  assert.equal(info.timeUnixNano > 0n, true);
});
