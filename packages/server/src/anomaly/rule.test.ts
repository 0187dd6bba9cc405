import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../config/load.ts';
import { formatLabels, labelsFromRecord } from '../model/labels.ts';
import { isStaleNaN, type SeriesSamples } from '../model/sample.ts';
import { Engine } from '../promql/index.ts';
import { MemoryStorage } from '../storage/memory/memory-storage.ts';
import { gaussian, prng } from './eval/synthetic.ts';
import { AnomalyRule, AnomalyRuleError } from './rule.ts';

const M = 60_000;

function rulesFrom(yaml: string) {
  return parseConfig(yaml, 'test.yml').anomaly_rules;
}

/** Two series of `requests` (noise around 100) every minute for `minutes`, with a spike on job=b at `spikeAt`. */
async function storage(minutes: number, spikeAt: number): Promise<MemoryStorage> {
  const st = new MemoryStorage();
  const g = gaussian(prng(1));
  const batch: SeriesSamples[] = ['a', 'b'].map((job) => {
    const ts = new Float64Array(minutes);
    const vs = new Float64Array(minutes);
    for (let i = 0; i < minutes; i++) {
      ts[i] = i * M;
      vs[i] = 100 + g() + (job === 'b' && i === spikeAt ? 30 : 0);
    }
    return { labels: labelsFromRecord({ __name__: 'requests', job }), timestamps: ts, values: vs };
  });
  assert.deepEqual((await st.append(batch)).rejected, []);
  return st;
}

test('a rule scores each series of its expression and writes four outputs with the source labels', async () => {
  const st = await storage(120, 100);
  const [config] = rulesFrom(`
anomaly_rules:
  - name: req
    expr: requests
    interval: 1m
    model: { type: robust_zscore, window: 30m, min_samples: 10 }
    labels: { team: web }
`);
  const rule = new AnomalyRule(config, M, new Engine(), st);
  const outputs: SeriesSamples[][] = [];
  for (let i = 0; i < 120; i++) outputs.push((await rule.evaluate(i * M)).samples);
  // Warm-up: min_samples evaluations without output.
  for (let i = 0; i < 10; i++) assert.deepEqual(outputs[i], []);
  const at100 = outputs[100];
  assert.deepEqual(at100.map((s) => formatLabels(s.labels)).sort(), [
    'anomaly_baseline{anomaly_name="req", job="a", team="web"}',
    'anomaly_baseline{anomaly_name="req", job="b", team="web"}',
    'anomaly_lower_band{anomaly_name="req", job="a", team="web"}',
    'anomaly_lower_band{anomaly_name="req", job="b", team="web"}',
    'anomaly_score{anomaly_name="req", job="a", team="web"}',
    'anomaly_score{anomaly_name="req", job="b", team="web"}',
    'anomaly_upper_band{anomaly_name="req", job="a", team="web"}',
    'anomaly_upper_band{anomaly_name="req", job="b", team="web"}',
  ]);
  const score = (job: string, samples: SeriesSamples[]) =>
    samples.find(
      (s) => formatLabels(s.labels) === `anomaly_score{anomaly_name="req", job="${job}", team="web"}`,
    )!.values[0];
  assert.ok(score('b', at100) > 10, `spike scores ${score('b', at100)}`);
  assert.ok(score('a', at100) < 4);
  assert.equal(at100[0].timestamps[0], 100 * M);
  assert.equal(rule.status().health, 'ok');
  assert.equal(rule.status().series, 2);
});

test('missing data: a series that leaves the result goes stale once, and resumes with its model intact', async () => {
  const [config] = rulesFrom(`
anomaly_rules:
  - name: r
    expr: x
    model: { type: robust_zscore, window: 1h, min_samples: 5 }
`);
  const rule = new AnomalyRule(config, M, new Engine(), new MemoryStorage());
  const metric = labelsFromRecord({ __name__: 'x', instance: 'i1' });
  for (let i = 0; i < 10; i++) rule.score(i * M, [{ metric, v: 10 + (i % 3) }]);
  const gone = rule.score(10 * M, []);
  assert.equal(gone.samples.length, 4);
  assert.ok(gone.samples.every((s) => isStaleNaN(s.values[0])));
  assert.deepEqual(rule.score(11 * M, []).samples, [], 'stale markers are written once');
  // NaN and Inf are missing data too: no output, no model update.
  assert.deepEqual(rule.score(12 * M, [{ metric, v: Number.NaN }]).samples, []);
  const back = rule.score(13 * M, [{ metric, v: 11 }]);
  assert.equal(back.scored, 1, 'no new warm-up after a short gap');
});

test('max_series bounds the tracked series; the rest are counted as dropped', async () => {
  const [config] = rulesFrom(`
anomaly_rules:
  - name: r
    expr: x
    max_series: 2
`);
  const rule = new AnomalyRule(config, M, new Engine(), new MemoryStorage());
  const samples = ['a', 'b', 'c'].map((i) => ({ metric: labelsFromRecord({ __name__: 'x', i }), v: 1 }));
  const r = rule.score(0, samples);
  assert.equal(r.dropped, 1);
  assert.equal(rule.status().series, 2);
});

test('a scalar expression is one unlabeled series; a range vector is an error that names the rule', async () => {
  const st = await storage(30, -1);
  const [scalarRule, matrixRule] = rulesFrom(`
anomaly_rules:
  - name: total
    expr: scalar(sum(requests))
  - name: bad
    expr: requests[5m]
`);
  const rule = new AnomalyRule(scalarRule, M, new Engine(), st);
  for (let i = 0; i < 30; i++) await rule.evaluate(i * M);
  assert.equal(rule.status().series, 1);
  const bad = new AnomalyRule(matrixRule, M, new Engine(), st);
  await assert.rejects(bad.evaluate(10 * M), (err: Error) => {
    assert.ok(err instanceof AnomalyRuleError);
    assert.match(err.message, /"bad".*instant vector or a scalar, not a matrix/);
    return true;
  });
  assert.equal(bad.status().health, 'err');
});

test('series that differ only by metric name are an error, since their outputs would collide', async () => {
  const st = await storage(30, -1);
  const renamed = labelsFromRecord({ __name__: 'requests_copy', job: 'a' });
  assert.deepEqual(
    (await st.append([{ labels: renamed, timestamps: Float64Array.of(20 * M), values: Float64Array.of(1) }]))
      .rejected,
    [],
  );
  const [both, one] = rulesFrom(`
anomaly_rules:
  - name: both
    expr: '{__name__=~"requests.*", job="a"}'
  - name: one
    expr: '{__name__=~"requests.*", job="b"}'
`);
  const rule = new AnomalyRule(both, M, new Engine(), st);
  await assert.rejects(rule.evaluate(20 * M), (err: Error) => {
    assert.ok(err instanceof AnomalyRuleError);
    assert.match(err.message, /"both".*several series with the labels \{job="a"\}.*label_replace/);
    return true;
  });
  const fine = new AnomalyRule(one, M, new Engine(), st);
  await fine.evaluate(20 * M);
  assert.equal(fine.status().health, 'ok');
});

test('priming from stored history makes the first evaluation score at once', async () => {
  const st = await storage(120, 119);
  const [config] = rulesFrom(`
anomaly_rules:
  - name: req
    expr: requests
    model: { type: robust_zscore, window: 1h, min_samples: 30 }
`);
  const rule = new AnomalyRule(config, M, new Engine(), st);
  const fed = await rule.prime(118 * M);
  assert.ok(fed >= 2 * 59, `fed ${fed} samples`);
  const r = await rule.evaluate(119 * M);
  assert.equal(r.scored, 2);
});

test('config errors name the rule, the key and what to do', () => {
  const bad = [
    ['anomaly_rules:\n  - name: a\n    expr: "rate(x[5m]"\n', /anomaly_rules\.0\.expr: invalid PromQL/],
    ['anomaly_rules:\n  - name: a\n    expr: x\n    model: { type: arima }\n', /model\.type must be one of/],
    [
      'anomaly_rules:\n  - name: a\n    expr: x\n  - name: a\n    expr: y\n',
      /duplicate anomaly rule name "a"/,
    ],
    ['anomaly_rules:\n  - name: a\n    expr: x\n    labels: { anomaly_name: z }\n', /reserved/],
    [
      'anomaly_rules:\n  - name: a\n    expr: x\n    model: { type: robust_zscore, window: 0s }\n',
      /longer than 0s/,
    ],
    ['anomaly_rules:\n  - name: a\n    expr: x\n    modle: {}\n', /unknown key "modle"/],
  ] as const;
  for (const [yaml, want] of bad) assert.throws(() => parseConfig(yaml, 'c.yml'), want);
  const [ok] = rulesFrom('anomaly_rules:\n  - name: a\n    expr: x\n');
  assert.equal(ok.model.type, 'robust_zscore');
  const [ens] = rulesFrom('anomaly_rules:\n  - name: a\n    expr: x\n    model: { type: ensemble }\n');
  assert.equal(ens.model.type === 'ensemble' && ens.model.members.length, 5);
});
