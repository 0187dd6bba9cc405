import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { parseConfig } from '../config/load.ts';
import { createMetricsSink } from '../ingest/metrics-sink.ts';
import { Engine } from '../promql/index.ts';
import { SelfMetrics } from '../self/metrics.ts';
import { MemoryStorage } from '../storage/memory/memory-storage.ts';
import { startTestVigil } from '../testutil/vigil.ts';
import { startAnomaly } from './index.ts';

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a running server evaluates anomaly rules and serves their outputs to PromQL and the rules API', async () => {
  const vigil = await startTestVigil(`
anomaly_rules:
  - name: constant
    expr: vector(7)
    interval: 1s
    model: { type: robust_zscore, window: 1m, min_samples: 3 }
    labels: { team: core }
`);
  try {
    const query = async (q: string) => {
      const res = await fetch(`${vigil.url}/api/v1/query?query=${encodeURIComponent(q)}`);
      assert.equal(res.status, 200);
      return (
        (await res.json()) as {
          data: { result: { metric: Record<string, string>; value: [number, string] }[] };
        }
      ).data.result;
    };
    const result = await waitFor('anomaly_score', async () => {
      const r = await query('anomaly_score');
      return r.length > 0 ? r : undefined;
    });
    assert.deepEqual(result[0].metric, { __name__: 'anomaly_score', anomaly_name: 'constant', team: 'core' });
    assert.equal(result[0].value[1], '0');
    const bands = await query('anomaly_upper_band - anomaly_lower_band');
    assert.equal(bands.length, 1);
    assert.deepEqual(await query('anomaly_score > 3'), []);

    const api = (await (await fetch(`${vigil.url}/api/vigil/v1/anomaly/rules`)).json()) as {
      data: {
        rules: { name: string; health: string; interval: string; series: number; model: { type: string } }[];
      };
    };
    assert.equal(api.data.rules.length, 1);
    const [rule] = api.data.rules;
    assert.deepEqual(
      [rule.name, rule.health, rule.interval, rule.series, rule.model.type],
      ['constant', 'ok', '1s', 1, 'robust_zscore'],
    );
    const self = await (await fetch(`${vigil.url}/metrics`)).text();
    assert.match(self, /vigil_anomaly_evaluations_total\{rule="constant"\} [1-9]/);
    assert.match(self, /vigil_ingest_samples_total\{protocol="anomaly"\} [1-9]/);
  } finally {
    await vigil.stop();
  }
});

test('reload keeps the models of unchanged rules, starts changed ones over and drops removed ones', async () => {
  const storage = new MemoryStorage();
  const self = new SelfMetrics();
  const yaml = (extra: string) => `
anomaly_rules:
  - name: kept
    expr: vector(1)
    interval: 1s
    model: { type: robust_zscore, window: 1m, min_samples: 3 }
${extra}`;
  const config = parseConfig(
    yaml(`  - name: changed
    expr: vector(2)
    interval: 1s
  - name: removed
    expr: vector(3)
    interval: 1s
`),
    'a.yml',
  );
  const anomaly = await startAnomaly({
    config,
    engine: new Engine(),
    queryable: storage,
    sink: createMetricsSink(storage, config.limits, self),
    logger: pino({ level: 'silent' }),
    self,
    now: Date.now,
  });
  try {
    await waitFor('evaluations', async () =>
      anomaly.rules().every((r) => r.series === 1) ? true : undefined,
    );
    await anomaly.reload(
      parseConfig(
        yaml(`  - name: changed
    expr: vector(20)
    interval: 1s
`),
        'b.yml',
      ),
    );
    const byName = new Map(anomaly.rules().map((r) => [r.name, r]));
    assert.deepEqual([...byName.keys()].sort(), ['changed', 'kept']);
    assert.equal(byName.get('kept')!.series, 1, 'unchanged rule keeps its series and models');
    assert.equal(byName.get('changed')!.series, 0, 'changed rule starts over');
    assert.equal(byName.get('changed')!.expr, 'vector(20)');
  } finally {
    await anomaly.stop();
  }
});
