import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { pino } from 'pino';
import { parseConfig } from '../../config/load.ts';
import type { Span } from '../../model/span.ts';
import { SelfMetrics } from '../../self/metrics.ts';
import { testResource, testSpan } from '../../storage/traces/storetest/spans.ts';
import { buildPolicy, combineDecisions, hashTraceId, probabilisticThreshold } from './policies.ts';
import { TailSampler } from './sampler.ts';

/** The tail_sampling config from a YAML list of policies (indented under `policies:`). */
function samplingConfig(policies: string, extra = '') {
  return parseConfig(
    `traces:\n  tail_sampling:\n    decision_wait: 10s\n${extra}    policies:\n${policies}`,
    't.yml',
  ).traces.tail_sampling;
}

const T0 = Date.UTC(2026, 0, 1);
let n = 0;
/** A trace of `count` spans with the given fields on its first span. */
function trace(
  fields: Parameters<typeof testSpan>[0] extends infer F ? Partial<F> : never = {},
  count = 2,
): Span[] {
  const traceId = (++n).toString(16).padStart(32, '0');
  return Array.from({ length: count }, (_, i) =>
    testSpan({
      traceId,
      spanId: (n * 100 + i + 1).toString(16).padStart(16, '0'),
      parentSpanId: i ? (n * 100 + 1).toString(16).padStart(16, '0') : '',
      startMs: T0,
      durationMs: 10,
      ...(i === 0 ? fields : {}),
    }),
  );
}

function decide(policyYaml: string, spans: Span[], clockSec = T0 / 1000): string {
  const cfg = samplingConfig(policyYaml);
  const policies = cfg.policies.map((p) => buildPolicy(p, () => clockSec));
  return combineDecisions(policies.map((p) => p.evaluate({ traceId: spans[0].traceId, spans })));
}

test('always_sample keeps everything', () => {
  assert.equal(decide('      - {name: all, type: always_sample}\n', trace()), 'sampled');
});

test('latency: trace duration from earliest start to latest end, with an optional upper bound', () => {
  const p = '      - {name: slow, type: latency, latency: {threshold_ms: 100}}\n';
  assert.equal(decide(p, trace({ durationMs: 99 })), 'not_sampled');
  assert.equal(decide(p, trace({ durationMs: 100 })), 'sampled');
  const band = '      - {name: band, type: latency, latency: {threshold_ms: 100, upper_threshold_ms: 200}}\n';
  assert.equal(decide(band, trace({ durationMs: 100 })), 'not_sampled'); // lower bound exclusive with an upper bound
  assert.equal(decide(band, trace({ durationMs: 150 })), 'sampled');
  assert.equal(decide(band, trace({ durationMs: 201 })), 'not_sampled');
});

test('status_code: any span with one of the codes', () => {
  const p = '      - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}\n';
  assert.equal(decide(p, trace({ status: 2 })), 'sampled');
  assert.equal(decide(p, trace({ status: 1 })), 'not_sampled');
  assert.equal(
    decide('      - {name: e, type: status_code, status_code: {status_codes: [ERROR, UNSET]}}\n', trace()),
    'sampled',
  );
});

test('probabilistic: FNV-1a of salt and trace id against the percentage, as the Collector', () => {
  // Reference values from Go's hash/fnv: fnv.New64a() over "default-hash-seed" then the id bytes.
  assert.equal(hashTraceId('', ''), 0xcbf29ce484222325n);
  assert.equal(hashTraceId('a', ''), 0xaf63dc4c8601ec8cn);
  assert.equal(probabilisticThreshold(1), 0xffffffffffffffffn);
  assert.equal(probabilisticThreshold(0.5), 0x7fffffffffffffffn);
  const p = (pct: number) =>
    `      - {name: p, type: probabilistic, probabilistic: {sampling_percentage: ${pct}}}\n`;
  // Random ids, as real trace ids are (FNV-1a of ids differing only in their last bytes barely
  // moves the hash's top bits, in the Collector too).
  let kept = 0;
  for (let i = 0; i < 2000; i++) {
    const spans = trace().map((s) => ({ ...s, traceId: randomBytes(16).toString('hex') }));
    if (decide(p(25), spans) === 'sampled') kept++;
  }
  assert.ok(kept > 400 && kept < 600, `25% of 2000 traces kept: ${kept}`);
  assert.equal(decide(p(0), trace()), 'not_sampled');
  assert.equal(decide(p(100), trace()), 'sampled');
  // The same trace id always gets the same decision.
  const t = trace();
  assert.equal(decide(p(50), t), decide(p(50), t));
});

test('string_attribute: exact or regex values on span or resource attributes; invert_match', () => {
  const exact =
    '      - {name: s, type: string_attribute, string_attribute: {key: tenant, values: [acme, globex]}}\n';
  assert.equal(decide(exact, trace({ attributes: { tenant: 'acme' } })), 'sampled');
  assert.equal(decide(exact, trace({ resource: testResource('x', { tenant: 'globex' }) })), 'sampled');
  assert.equal(decide(exact, trace({ attributes: { tenant: 'initech' } })), 'not_sampled');
  assert.equal(decide(exact, trace({ attributes: { tenant: 1n } })), 'not_sampled');
  const regex =
    '      - {name: r, type: string_attribute, string_attribute: {key: url.path, values: ["^/api/.*"], enabled_regex_matching: true}}\n';
  assert.equal(decide(regex, trace({ attributes: { 'url.path': '/api/orders' } })), 'sampled');
  assert.equal(decide(regex, trace({ attributes: { 'url.path': '/health' } })), 'not_sampled');
  const invert =
    '      - {name: i, type: string_attribute, string_attribute: {key: url.path, values: [/health], invert_match: true}}\n';
  assert.equal(decide(invert, trace({ attributes: { 'url.path': '/health' } })), 'not_sampled');
  assert.equal(decide(invert, trace({ attributes: { 'url.path': '/orders' } })), 'sampled');
  // An inverted "not sampled" overrides every other policy.
  assert.equal(
    decide(
      `      - {name: all, type: always_sample}\n${invert}`,
      trace({ attributes: { 'url.path': '/health' } }),
    ),
    'not_sampled',
  );
});

test('numeric_attribute: inclusive range, either bound optional', () => {
  const p =
    '      - {name: n, type: numeric_attribute, numeric_attribute: {key: http.status_code, min_value: 500, max_value: 599}}\n';
  assert.equal(decide(p, trace({ attributes: { 'http.status_code': 503n } })), 'sampled');
  assert.equal(decide(p, trace({ attributes: { 'http.status_code': 599n } })), 'sampled');
  assert.equal(decide(p, trace({ attributes: { 'http.status_code': 404n } })), 'not_sampled');
  assert.equal(decide(p, trace({ attributes: { 'http.status_code': '503' } })), 'not_sampled');
  const min = '      - {name: m, type: numeric_attribute, numeric_attribute: {key: retries, min_value: 3}}\n';
  assert.equal(decide(min, trace({ attributes: { retries: 1000n } })), 'sampled');
});

test('rate_limiting: spans per second, the count starting again each second', () => {
  const cfg = samplingConfig(
    '      - {name: rl, type: rate_limiting, rate_limiting: {spans_per_second: 5}}\n',
  );
  let second = 1000;
  const policy = buildPolicy(cfg.policies[0], () => second);
  const ev = (spans: Span[]) => policy.evaluate({ traceId: spans[0].traceId, spans });
  assert.equal(ev(trace({}, 2)), 'sampled'); // 2
  assert.equal(ev(trace({}, 3)), 'sampled'); // 5
  assert.equal(ev(trace({}, 1)), 'not_sampled'); // would be 6
  second = 1001.2;
  assert.equal(ev(trace({}, 4)), 'sampled');
});

test('and: every sub-policy must sample', () => {
  const p = `      - name: both
        type: and
        and:
          and_sub_policy:
            - {name: err, type: status_code, status_code: {status_codes: [ERROR]}}
            - {name: slow, type: latency, latency: {threshold_ms: 50}}
`;
  assert.equal(decide(p, trace({ status: 2, durationMs: 60 })), 'sampled');
  assert.equal(decide(p, trace({ status: 2, durationMs: 10 })), 'not_sampled');
  assert.equal(decide(p, trace({ durationMs: 60 })), 'not_sampled');
});

test('composite: sub-policies in order, each within its share of spans per second', () => {
  const cfg = samplingConfig(`      - name: budget
        type: composite
        composite:
          max_total_spans_per_second: 10
          policy_order: [errors, rest]
          composite_sub_policy:
            - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
            - {name: rest, type: always_sample}
          rate_allocation:
            - {policy: errors, percent: 60}
            - {policy: rest, percent: 40}
`);
  let second = 50;
  const policy = buildPolicy(cfg.policies[0], () => second);
  const ev = (spans: Span[]) => policy.evaluate({ traceId: spans[0].traceId, spans });
  assert.equal(ev(trace({ status: 2 }, 3)), 'sampled'); // errors: 3 of 6
  assert.equal(ev(trace({ status: 2 }, 3)), 'sampled'); // errors: 6 of 6
  assert.equal(ev(trace({ status: 2 }, 1)), 'not_sampled'); // errors full: the first matching sub-policy decides
  assert.equal(ev(trace({}, 4)), 'sampled'); // rest: 4 of 4
  assert.equal(ev(trace({}, 1)), 'not_sampled');
  second = 51;
  assert.equal(ev(trace({ status: 2 }, 6)), 'sampled');
});

test('the sampler buffers spans for decision_wait, then stores or drops whole traces', async () => {
  let now = T0;
  const stored: Span[] = [];
  const self = new SelfMetrics();
  const sampler = new TailSampler({
    config: samplingConfig(
      '      - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}\n',
    ),
    store: async (spans) => {
      stored.push(...spans);
    },
    logger: pino({ level: 'silent' }),
    self,
    now: () => now,
  });
  const bad = trace({}, 3);
  const good = trace({}, 2);
  await sampler.add([bad[0], good[0]]);
  now += 5_000;
  // The error arrives later in the trace: the decision still sees it.
  await sampler.add([{ ...bad[1], status: { code: 2, message: 'boom' } }, good[1]]);
  sampler.decideDue();
  assert.equal(stored.length, 0, 'nothing is decided before decision_wait');
  now += 5_000;
  sampler.decideDue();
  await sampler.stop();
  assert.deepEqual(stored.map((s) => s.spanId).sort(), [bad[0].spanId, bad[1].spanId].sort());
  // A late span follows its trace's decision.
  await sampler.add([bad[2]]);
  assert.equal(stored.length, 3);
  const metrics = self.render();
  assert.match(metrics, /vigil_tail_sampling_traces_total\{decision="sampled"\} 1/);
  assert.match(metrics, /vigil_tail_sampling_traces_total\{decision="not_sampled"\} 1/);
  assert.match(metrics, /vigil_tail_sampling_policy_decisions_total\{policy="errors",decision="sampled"\} 1/);
  assert.match(metrics, /vigil_tail_sampling_late_spans_total\{decision="sampled"\} 1/);
});

test('memory stays bounded when traces never finish: the oldest are decided early', async () => {
  let now = T0;
  let stored = 0;
  const self = new SelfMetrics();
  const sampler = new TailSampler({
    config: samplingConfig(
      '      - {name: all, type: always_sample}\n',
      '    num_traces: 100\n    max_spans: 250\n',
    ),
    store: async (spans) => {
      stored += spans.length;
    },
    logger: pino({ level: 'silent' }),
    self,
    now: () => now,
  });
  // Traces keep arriving and never reach decision_wait (the clock barely moves).
  let maxTraces = 0;
  let maxSpans = 0;
  for (let i = 0; i < 5_000; i++) {
    await sampler.add(trace({}, 1 + (i % 4)));
    now += 1;
    maxTraces = Math.max(maxTraces, sampler.waitingTraces);
    maxSpans = Math.max(maxSpans, sampler.waitingSpans);
  }
  assert.ok(maxTraces <= 100, `waiting traces stayed at most num_traces (max ${maxTraces})`);
  assert.ok(maxSpans <= 250, `waiting spans stayed at most max_spans (max ${maxSpans})`);
  await sampler.stop();
  assert.equal(stored, 5_000 * 2.5, 'every span was still decided (always_sample keeps them all)');
  assert.match(self.render(), /vigil_tail_sampling_early_decisions_total \d{4}/);
});
