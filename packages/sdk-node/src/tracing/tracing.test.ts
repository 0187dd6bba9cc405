import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SamplingDecision,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { readOtelEnv } from '../config/env.ts';
import { VigilConfigError } from '../errors.ts';
import { startTracing } from './provider.ts';
import { AdaptiveSampler, RuleBasedSampler, ruleBasedSampler, samplerFromEnv } from './samplers.ts';
import { inSpan } from './spans.ts';

const randomTraceId = () => randomBytes(16).toString('hex');

function sampledShare(sampler: RuleBasedSampler, name: string, attributes: Record<string, string>, n = 4000) {
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const r = sampler.shouldSample(ROOT_CONTEXT, randomTraceId(), name, SpanKind.SERVER, attributes, []);
    if (r.decision === SamplingDecision.RECORD_AND_SAMPLED) kept++;
  }
  return kept / n;
}

test('rule-based sampler: first matching rule decides, by route, name, method; fallback otherwise', () => {
  const s = new RuleBasedSampler([
    { match: { route: /^\/health/ }, ratio: 0.01 },
    { match: { route: '/checkout', method: 'POST' }, ratio: 1 },
    { match: { name: 'cron' }, ratio: 0 },
  ]);
  assert.ok(sampledShare(s, 'GET', { 'url.path': '/healthz' }) < 0.03);
  assert.equal(sampledShare(s, 'POST', { 'url.path': '/checkout', 'http.request.method': 'POST' }), 1);
  assert.equal(sampledShare(s, 'cron', {}), 0);
  assert.equal(sampledShare(s, 'GET', { 'url.path': '/other' }), 1);
  // Decisions depend on the trace id only: the same id always gets the same answer.
  const id = randomTraceId();
  const a = s.shouldSample(ROOT_CONTEXT, id, 'GET', SpanKind.SERVER, { 'url.path': '/health' }, []);
  const b = s.shouldSample(ROOT_CONTEXT, id, 'GET', SpanKind.SERVER, { 'url.path': '/health' }, []);
  assert.equal(a.decision, b.decision);
  assert.throws(() => new RuleBasedSampler([{ match: {}, ratio: 2 }]), VigilConfigError);
});

test('rule-based sampler as a parent-based root: children follow the parent', () => {
  const provider = new BasicTracerProvider({
    sampler: ruleBasedSampler([{ match: { name: 'noisy' }, ratio: 0 }]),
  });
  const tracer = provider.getTracer('t');
  const parent = tracer.startSpan('noisy');
  const child = tracer.startSpan('checkout', {}, trace.setSpan(ROOT_CONTEXT, parent));
  assert.equal(parent.isRecording(), false);
  assert.equal(child.isRecording(), false);
  const root = tracer.startSpan('checkout');
  assert.equal(root.spanContext().traceFlags & 1, 1);
});

test('adaptive sampler: everything at low load, about the target under high load', () => {
  let now = 0;
  let elapsed = 0;
  const s = new AdaptiveSampler({ tracesPerSecond: 50, now: () => now });
  // Sends `perSecond` root spans per second, evenly spread, for `seconds`; returns kept per second.
  const run = (perSecond: number, seconds: number) => {
    let kept = 0;
    for (let sec = 0; sec < seconds; sec++) {
      for (let i = 0; i < perSecond; i++) {
        now = elapsed + sec * 1000 + Math.floor((i * 1000) / perSecond);
        const r = s.shouldSample(ROOT_CONTEXT, randomTraceId());
        if (r.decision === SamplingDecision.RECORD_AND_SAMPLED) kept++;
      }
    }
    elapsed += seconds * 1000;
    return kept / seconds;
  };
  assert.equal(run(20, 5), 20);
  assert.equal(s.currentRatio(), 1);
  run(5000, 3); // let the average catch up
  const perSecond = run(5000, 5);
  assert.ok(perSecond > 30 && perSecond <= 75, `kept ${perSecond}/s under load, target 50`);
  assert.ok(s.currentRatio() < 0.02);
  const r = s.shouldSample(ROOT_CONTEXT, '0'.repeat(32));
  if (r.decision === SamplingDecision.RECORD_AND_SAMPLED)
    assert.equal(typeof r.attributes?.['sampling.probability'], 'number');
  run(10, 12); // load drops: back to everything within seconds
  assert.equal(s.currentRatio(), 1);
});

test('OTEL_TRACES_SAMPLER names map to samplers; bad values say what is allowed', () => {
  const env = readOtelEnv({
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.25',
  });
  assert.equal(
    samplerFromEnv(env.tracesSampler, env.tracesSamplerArg).toString(),
    'ParentBased{root=TraceIdRatioBased{0.25}, remoteParentSampled=AlwaysOnSampler, remoteParentNotSampled=AlwaysOffSampler, localParentSampled=AlwaysOnSampler, localParentNotSampled=AlwaysOffSampler}',
  );
  assert.equal(samplerFromEnv('always_off', undefined).toString(), 'AlwaysOffSampler');
  assert.match(samplerFromEnv(undefined, undefined).toString(), /root=AlwaysOnSampler/);
  assert.match(samplerFromEnv('parentbased_vigil_adaptive', '5').toString(), /Adaptive\{5\/s\}/);
  assert.throws(
    () => samplerFromEnv('sometimes', undefined),
    /not a known sampler.*parentbased_traceidratio/,
  );
  assert.throws(() => samplerFromEnv('traceidratio', '1.5'), /between 0 and 1/);
});

test('OTEL_* variables: resource attributes, headers with percent-encoding, bad values name the variable', () => {
  const env = readOtelEnv({
    OTEL_SERVICE_NAME: 'checkout',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod, team=pay%20ments',
    OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://vigil:4318',
    OTEL_METRIC_EXPORT_INTERVAL: '5000',
    OTEL_TRACES_EXPORTER: 'none',
  });
  assert.equal(env.serviceName, 'checkout');
  assert.deepEqual(env.resourceAttributes, { 'deployment.environment.name': 'prod', team: 'pay ments' });
  assert.deepEqual(env.headers, { authorization: 'Bearer abc' });
  assert.equal(env.metricExportIntervalMs, 5000);
  assert.equal(env.tracesExporter, 'none');
  assert.throws(
    () => readOtelEnv({ OTEL_RESOURCE_ATTRIBUTES: 'novalue' }),
    /OTEL_RESOURCE_ATTRIBUTES: "novalue" is not key=value/,
  );
  assert.throws(
    () => readOtelEnv({ OTEL_METRIC_EXPORT_INTERVAL: 'soon' }),
    /OTEL_METRIC_EXPORT_INTERVAL="soon"/,
  );
});

test('startTracing registers globally; inSpan records exceptions and status; shutdown unregisters', async () => {
  const memory = new InMemorySpanExporter();
  const tracing = startTracing({
    exporter: 'none',
    url: '',
    headers: {},
    timeoutMs: 1000,
    sampler: samplerFromEnv(undefined, undefined),
    resource: resourceFromAttributes({ 'service.name': 'svc' }),
    propagators: ['tracecontext', 'baggage'],
    spanProcessors: [new SimpleSpanProcessor(memory)],
    instrumentations: [],
    tracerName: '@vigil/node',
    tracerVersion: '0',
  });
  assert.ok(tracing.provider);
  await assert.rejects(
    inSpan(tracing.tracer, 'pay', async () => {
      await new Promise((r) => setTimeout(r, 1));
      // Context follows async code.
      assert.equal(trace.getActiveSpan() !== undefined, true);
      throw new TypeError('card declined');
    }),
    /card declined/,
  );
  assert.equal(
    inSpan(tracing.tracer, 'sync', () => 7),
    7,
  );
  const [pay, sync] = memory.getFinishedSpans();
  assert.equal(pay.name, 'pay');
  assert.equal(pay.status.code, SpanStatusCode.ERROR);
  assert.equal(pay.status.message, 'card declined');
  assert.equal(pay.attributes['error.type'], 'TypeError');
  assert.equal(pay.events[0].name, 'exception');
  assert.equal(pay.events[0].attributes?.['exception.type'], 'TypeError');
  assert.equal(pay.resource.attributes['service.name'], 'svc');
  assert.equal(sync.status.code, SpanStatusCode.UNSET);
  await tracing.shutdown();
  assert.equal(trace.getActiveSpan(), undefined);
});

test('an SDK registered before us stays in charge; our spans go through it', async () => {
  const theirs = new InMemorySpanExporter();
  const existing = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(theirs)] });
  trace.setGlobalTracerProvider(existing);
  try {
    const enabled: string[] = [];
    const tracing = startTracing({
      exporter: 'none',
      url: '',
      headers: {},
      timeoutMs: 1000,
      sampler: samplerFromEnv(undefined, undefined),
      resource: resourceFromAttributes({}),
      propagators: ['tracecontext'],
      spanProcessors: [],
      instrumentations: [
        {
          instrumentationName: 'fake-http',
          setTracerProvider: (p) => enabled.push(p === trace.getTracerProvider() ? 'provider' : 'other'),
          enable: () => enabled.push('enabled'),
          disable: () => enabled.push('disabled'),
        },
      ],
      tracerName: '@vigil/node',
      tracerVersion: '0',
    });
    assert.equal(tracing.provider, undefined);
    tracing.tracer.startSpan('through-theirs').end();
    assert.deepEqual(
      theirs.getFinishedSpans().map((s) => s.name),
      ['through-theirs'],
    );
    await tracing.shutdown();
    assert.deepEqual(enabled, ['provider', 'enabled', 'disabled']);
  } finally {
    trace.disable();
  }
});
