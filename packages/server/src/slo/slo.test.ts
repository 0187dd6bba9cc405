/**
 * SLOs end to end over simulated time: synthetic request counters with known error rates are
 * written to real DuckDB storage while a manual clock drives the real rules engine through the
 * generated Sloth rules; the API (over HTTP on 127.0.0.1) must then report the SLI, burn rates
 * and remaining budget the traffic implies, and an error spike must fire the page alert when the
 * SRE workbook's arithmetic says it should, while a short spike must not page.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createHttpServer } from '../api/server.ts';
import { ConfigError, parseConfig } from '../config/load.ts';
import { createMetricsSink } from '../ingest/metrics-sink.ts';
import type { Alert } from '../model/alert.ts';
import { type Labels, labelsFromRecord, labelsToRecord } from '../model/labels.ts';
import type { SeriesSamples } from '../model/sample.ts';
import { Engine } from '../promql/index.ts';
import { AlertingRule } from '../rules/alerting-rule.ts';
import { ManualClock } from '../rules/clock.ts';
import { type RulesModule, startRules } from '../rules/index.ts';
import { SelfMetrics } from '../self/metrics.ts';
import { DuckDBMetricsStorage } from '../storage/duckdb/duckdb-storage.ts';
import { spawnVigil, startTestVigil } from '../testutil/vigil.ts';
import { generateSpec } from './generate.ts';
import { SloLoadError, type SloModule, startSlos } from './index.ts';
import type { SloStatus } from './status.ts';

const MINUTE = 60_000;
/** A minute boundary a day ago: in the past for storage, aligned so evaluation slots are predictable. */
const START = Math.floor((Date.now() - 86_400_000) / MINUTE) * MINUTE;
const STEP = 15_000;
/** Whole numbers of errors per step for every share used below (0.05% → 1). */
const REQUESTS_PER_STEP = 2000;
/**
 * Raw traffic from START on; the rules engine starts at T0, 7h later, so that every alert window
 * up to 6h is full of baseline traffic (3d windows hold 7h) and the arithmetic below is exact.
 */
const T0 = START + 7 * 60 * MINUTE;
const SPIKE_AT = T0 + 10 * MINUTE;

const SLOS = `
slos:
  - version: prometheus/v1
    service: checkout
    labels: {team: payments}
    slos:
      - name: availability
        objective: 99.9
        sli:
          events:
            error_query: sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))
            total_query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
        alerting:
          name: CheckoutBudgetBurn
          page_alert: {labels: {severity: critical}}
          ticket_alert: {labels: {severity: warning}}
  - version: prometheus/v1
    service: search
    slos:
      - name: availability
        objective: 99.9
        sli:
          events:
            error_query: sum(rate(http_requests_total{job="search",code=~"5.."}[{{.window}}]))
            total_query: sum(rate(http_requests_total{job="search"}[{{.window}}]))
        alerting:
          name: SearchBudgetBurn
  - version: prometheus/v1
    service: steady
    slos:
      - name: availability
        objective: 99
        sli:
          raw:
            error_ratio_query: sum(rate(http_requests_total{job="steady",code=~"5.."}[{{.window}}])) / sum(rate(http_requests_total{job="steady"}[{{.window}}]))
        alerting:
          name: SteadyBudgetBurn
      - name: latency
        objective: 95
        sli:
          latency: {histogram: http_request_duration_seconds, matchers: 'job="steady"', threshold: 0.5}
        alerting:
          name: SteadyLatency
          ticket_alert: {disable: true}
`;

/** Error share of each job's requests at time t (ms). */
function errorShare(job: string, t: number): number {
  if (job === 'checkout') return t >= SPIKE_AT ? 0.1 : 0.0005;
  if (job === 'search') return t >= SPIKE_AT && t < SPIKE_AT + 3 * MINUTE ? 0.1 : 0.0005;
  return 0.002;
}

interface Harness {
  clock: ManualClock;
  storage: DuckDBMetricsStorage;
  rules: RulesModule;
  slos: SloModule;
  app: FastifyInstance;
  url: string;
  notified: Alert[];
  /** The first time (ms) each alert (`<alertname>/<severity>`) was firing at an evaluation. */
  firstFiring: Map<string, number>;
  dir: string;
}

async function harness(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-slo-'));
  const clock = new ManualClock(T0);
  const logger = pino({ level: 'silent' });
  const self = new SelfMetrics();
  const config = parseConfig(`global: {evaluation_interval: 1m}\n${SLOS}`, 'slo-test.yml');
  const storage = await DuckDBMetricsStorage.open({
    dataDir: join(dir, 'metrics'),
    retention: 15 * 86_400_000,
    retentionBytes: 0,
    outOfOrderWindow: 0,
    blockDuration: 2 * 3_600_000,
    maxFutureSkew: 10 * MINUTE,
    maxSeries: 0,
    maxSeriesPerMetric: 0,
    logger,
    now: () => clock.now(),
  });
  const sink = createMetricsSink(storage, config.limits, self);
  const engine = new Engine();
  const notified: Alert[] = [];
  const rules = await startRules({
    config,
    baseDir: dir,
    engine,
    queryable: storage,
    sink,
    notify: (a) => notified.push(...a),
    logger,
    self,
    now: () => clock.now(),
    externalURL: 'http://vigil.test',
    clock,
  });
  const slos = await startSlos({
    config,
    baseDir: dir,
    configFile: 'slo-test.yml',
    engine,
    queryable: storage,
    rules,
    logger,
    now: () => clock.now(),
  });
  const app = createHttpServer({ logger, bearerTokens: undefined, maxBodyBytes: 1 << 20 });
  slos.registerApi(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address() as { port: number };
  return {
    clock,
    storage,
    rules,
    slos,
    app,
    url: `http://127.0.0.1:${addr.port}`,
    notified,
    firstFiring: new Map(),
    dir,
  };
}

/** Cumulative counters per job, appended as a scrape would every STEP. */
class Traffic {
  private readonly totals = new Map<string, { ok: number; bad: number; fast: number }>();

  /** Appends one scrape's samples at the clock's time. */
  async scrape(h: Harness): Promise<void> {
    await h.storage.append(this.sample(h.clock.now()));
  }

  /** Appends the history from START up to (not including) T0 in one batch. */
  async backfill(h: Harness): Promise<void> {
    const bySeries = new Map<string, { labels: Labels; t: number[]; v: number[] }>();
    for (let t = START; t < T0; t += STEP)
      for (const s of this.sample(t)) {
        const key = JSON.stringify(s.labels);
        const e = bySeries.get(key) ?? { labels: s.labels, t: [], v: [] };
        e.t.push(s.timestamps[0]);
        e.v.push(s.values[0]);
        bySeries.set(key, e);
      }
    await h.storage.append(
      [...bySeries.values()].map((e) => ({
        labels: e.labels,
        timestamps: Float64Array.from(e.t),
        values: Float64Array.from(e.v),
      })),
    );
  }

  private sample(t: number): SeriesSamples[] {
    const batch: SeriesSamples[] = [];
    for (const job of ['checkout', 'search', 'steady']) {
      const c = this.totals.get(job) ?? { ok: 0, bad: 0, fast: 0 };
      const bad = Math.round(REQUESTS_PER_STEP * errorShare(job, t));
      c.bad += bad;
      c.ok += REQUESTS_PER_STEP - bad;
      // 1% of the steady job's requests take longer than 0.5s.
      c.fast += REQUESTS_PER_STEP * 0.99;
      this.totals.set(job, c);
      const series: [Record<string, string>, number][] = [
        [{ __name__: 'http_requests_total', job, code: '200' }, c.ok],
        [{ __name__: 'http_requests_total', job, code: '500' }, c.bad],
      ];
      if (job === 'steady') {
        const n = c.ok + c.bad;
        series.push(
          [{ __name__: 'http_request_duration_seconds_bucket', job, le: '0.1' }, c.fast / 2],
          [{ __name__: 'http_request_duration_seconds_bucket', job, le: '0.5' }, c.fast],
          [{ __name__: 'http_request_duration_seconds_bucket', job, le: '+Inf' }, n],
          [{ __name__: 'http_request_duration_seconds_count', job }, n],
        );
      }
      for (const [labels, v] of series)
        batch.push({
          labels: labelsFromRecord(labels),
          timestamps: Float64Array.of(t),
          values: Float64Array.of(v),
        });
    }
    return batch;
  }
}

/** Notes, after each step, which SLO alerts are firing (the rules engine's own state). */
function recordFiring(h: Harness): void {
  for (const g of h.rules.manager.ruleGroups())
    for (const r of g.rules) {
      if (!(r instanceof AlertingRule) || r.state() !== 'firing') continue;
      const severity = labelsToRecord(r.labels).sloth_severity;
      const key = `${r.name}/${severity}`;
      if (!h.firstFiring.has(key)) h.firstFiring.set(key, h.clock.now());
    }
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('SLOs over simulated traffic', () => {
  let h: Harness;
  let statuses: Map<string, SloStatus>;
  const END = SPIKE_AT + 12 * MINUTE;

  before(async () => {
    h = await harness();
    const traffic = new Traffic();
    await traffic.backfill(h);
    while (h.clock.now() < END) {
      await traffic.scrape(h);
      await h.clock.advance(STEP);
      recordFiring(h);
    }
    const { body } = await getJson(`${h.url}/api/vigil/v1/slos`);
    statuses = new Map(
      ((body.data as { slos: SloStatus[] }).slos ?? []).map((s): [string, SloStatus] => [s.id, s]),
    );
  });

  after(async () => {
    await h.app.close();
    await h.rules.stop();
    await h.storage.close();
    rmSync(h.dir, { recursive: true, force: true });
  });

  test('steady traffic with 0.2% errors: SLI 99.8%, burn rate 0.2 on every window, 80% budget left', () => {
    const s = statuses.get('steady-availability');
    assert.ok(s, 'the SLO is listed');
    assert.equal(s.objective, 99);
    assert.equal(s.period, '30d');
    assert.ok(Math.abs(s.errorBudget - 0.01) < 1e-12);
    for (const w of s.windows) {
      assert.ok(w.errorRatio !== null, `window ${w.window} has data`);
      assert.ok(Math.abs(w.errorRatio - 0.002) < 1e-9, `window ${w.window}: error ratio ${w.errorRatio}`);
      assert.ok(Math.abs((w.burnRate ?? 0) - 0.2) < 1e-6, `window ${w.window}: burn rate ${w.burnRate}`);
    }
    assert.ok(Math.abs((s.sli ?? 0) - 0.998) < 1e-9, `sli ${s.sli}`);
    assert.ok(Math.abs((s.budgetRemaining ?? 0) - 0.8) < 1e-6, `budget remaining ${s.budgetRemaining}`);
    assert.ok(Math.abs((s.currentBurnRate ?? 0) - 0.2) < 1e-6);
    assert.equal(s.alerts.page.state, 'inactive');
    assert.equal(s.alerts.ticket.state, 'inactive');
    assert.deepEqual(
      s.alerts.page.conditions.map((c) => [c.shortWindow, c.longWindow, c.burnRate]),
      [
        ['5m', '1h', 14.4],
        ['30m', '6h', 6],
      ],
    );
  });

  test('a latency SLO counts requests above the threshold bucket as bad', () => {
    const s = statuses.get('steady-latency');
    assert.ok(s);
    assert.equal(s.sliType, 'latency');
    const w = s.windows.find((x) => x.window === '1h')!;
    assert.ok(Math.abs((w.errorRatio ?? 0) - 0.01) < 1e-9, `error ratio ${w.errorRatio}`);
    assert.ok(Math.abs((w.burnRate ?? 0) - 0.2) < 1e-6);
    assert.ok(Math.abs((s.budgetRemaining ?? 0) - 0.8) < 1e-6, `budget remaining ${s.budgetRemaining}`);
    assert.equal(s.alerts.ticket.enabled, false);
  });

  test('a sustained 10% error spike pages when the 1h window crosses 14.4x the budget, not before', (t) => {
    // SRE workbook arithmetic: the 1h error ratio reaches 14.4 × 0.001 once the spike has lasted
    // s seconds with 0.0005·(3600 − s) + 0.1·s = 0.0144·3600, i.e. s ≈ 503 s; the 5m window
    // crossed long before, and the slow condition (6x over 6h) would need ~1194 s. Evaluations
    // run every minute on samples every 15 s.
    const spikeAt = SPIKE_AT;
    const predicted = spikeAt + ((0.0144 - 0.0005) * 3600_000) / (0.1 - 0.0005);
    const fired = h.firstFiring.get('CheckoutBudgetBurn/page');
    assert.ok(fired !== undefined, 'the page alert never fired');
    t.diagnostic(
      `paged ${(fired - spikeAt) / 1000}s into the spike; predicted ${(predicted - spikeAt) / 1000}s`,
    );
    assert.ok(
      fired >= predicted - 30_000 && fired <= predicted + 2 * MINUTE,
      `paged ${(fired - spikeAt) / 1000}s into the spike; predicted ${(predicted - spikeAt) / 1000}s`,
    );
    const s = statuses.get('checkout-availability')!;
    assert.equal(s.alerts.page.state, 'firing');
    assert.ok(s.alerts.page.activeAt !== null);
    assert.ok((s.windows[0].burnRate ?? 0) > 99, 'the 5m window burns ~100x');
    // The notification carries Sloth's labels and annotations.
    const page = h.notified.find((a) => labelsToRecord(a.labels).sloth_severity === 'page');
    assert.ok(page, 'the page alert was sent to alerting');
    const labels = labelsToRecord(page.labels);
    assert.equal(labels.alertname, 'CheckoutBudgetBurn');
    assert.equal(labels.severity, 'critical');
    assert.equal(labels.sloth_id, 'checkout-availability');
    assert.equal(labels.team, 'payments');
    assert.match(labelsToRecord(page.annotations).title, /^\(page\) checkout availability SLO error budget/);
  });

  test('a 3-minute spike (under 2% of the budget) and steady traffic never page', () => {
    assert.equal(h.firstFiring.get('SearchBudgetBurn/page'), undefined);
    assert.equal(h.firstFiring.get('SteadyBudgetBurn/page'), undefined);
    assert.equal(h.firstFiring.get('SteadyLatency/page'), undefined);
    // The short spike does burn 2h-window budget at over 3x: a ticket, not a page.
    assert.ok(h.firstFiring.has('SearchBudgetBurn/ticket'));
  });

  test('the burn-down series follows the rolling remaining budget', async () => {
    const s = statuses.get('checkout-availability')!;
    // The default burn-down spans the period in ~240 steps; ask for minutes since the rules started.
    const { status, body } = await getJson(
      `${h.url}/api/vigil/v1/slos/checkout-availability?start=${T0 / 1000}&step=60`,
    );
    assert.equal(status, 200);
    const burndown = (body.data as SloStatus).burndown;
    assert.equal(burndown.step, 60);
    const points = burndown.points;
    assert.ok(points.length > 10, `only ${points.length} points`);
    // Before the spike half the budget rate is burnt (0.0005 of 0.001); the spike eats into it.
    const beforeSpike = points.filter(([t]) => t * 1000 < SPIKE_AT);
    assert.ok(beforeSpike.length > 0);
    for (const [, v] of beforeSpike) assert.ok(Math.abs(v - 0.5) < 1e-6, `remaining ${v} before the spike`);
    const last = points[points.length - 1][1];
    assert.ok(Math.abs(last - (s.budgetRemaining ?? Number.NaN)) < 1e-9);
    assert.ok(last < 0, 'a 12-minute 10% spike after 10 quiet minutes overspends the rolling average');
  });

  test('rules show up in the rules engine like a rule file, one file per SLO source', () => {
    const names = h.rules.manager
      .ruleGroups()
      .filter((g) => g.file === 'slo-test.yml')
      .map((g) => g.name);
    assert.ok(names.includes('sloth-slo-sli-recordings-checkout-availability'));
    assert.ok(names.includes('sloth-slo-meta-recordings-steady-latency'));
    assert.ok(names.includes('sloth-slo-alerts-search-availability'));
  });

  test('GET /api/vigil/v1/slos/:id, unknown ids and bad times', async () => {
    const one = await getJson(`${h.url}/api/vigil/v1/slos/steady-availability`);
    assert.equal(one.status, 200);
    assert.equal((one.body.data as SloStatus).id, 'steady-availability');
    const missing = await getJson(`${h.url}/api/vigil/v1/slos/nope`);
    assert.equal(missing.status, 404);
    assert.match(String(missing.body.error), /no SLO with id "nope"/);
    const bad = await getJson(`${h.url}/api/vigil/v1/slos?time=yesterday`);
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.error), /invalid time "yesterday"/);
    const tooMany = await getJson(`${h.url}/api/vigil/v1/slos?step=1`);
    assert.equal(tooMany.status, 400);
  });
});

describe('SLO declarations', () => {
  test('errors name the file, line and key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-slo-bad-'));
    try {
      const file = join(dir, 'bad.yml');
      writeFileSync(
        file,
        [
          'version: prometheus/v1',
          'service: api',
          'slos:',
          '  - name: availability',
          '    objective: 120',
          '    sli:',
          '      events:',
          '        error_query: sum(rate(errors_total[5m]))',
          '        total_query: sum(rate(requests_total[{{.window}}]))',
          '    alerting: {name: ApiBurn}',
          '',
        ].join('\n'),
      );
      const config = parseConfig('slo_files: ["*.yml"]\n', 'c.yml');
      const err = await startSlos({
        config,
        baseDir: dir,
        engine: new Engine(),
        queryable: { select: async () => [] } as never,
        rules: { manager: { setGeneratedGroups: async () => undefined, ruleGroups: () => [] } },
        logger: pino({ level: 'silent' }),
        now: Date.now,
      }).then(
        () => assert.fail('loaded an invalid SLO file'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof SloLoadError);
      const text = err.problems.join('\n');
      assert.match(text, new RegExp(`${file}:5: slos\\.0\\.objective: objective is a percentage`));
      assert.match(
        text,
        new RegExp(
          `${file}:8: slos\\.0\\.sli\\.events\\.error_query: the query has no \\{\\{\\.window\\}\\}`,
        ),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a broken annotation template is refused like in a rule file', async () => {
    const config = parseConfig(
      [
        'slos:',
        '  - version: prometheus/v1',
        '    service: api',
        '    slos:',
        '      - name: availability',
        '        objective: 99',
        '        sli: {raw: {error_ratio_query: "sum(rate(e[{{.window}}])) / sum(rate(r[{{.window}}]))"}}',
        '        alerting: {name: ApiBurn, annotations: {summary: "{{ $labels.sloth_slo "}}',
      ].join('\n'),
      'vigil.yml',
    );
    await assert.rejects(
      startSlos({
        config,
        baseDir: tmpdir(),
        configFile: 'vigil.yml',
        engine: new Engine(),
        queryable: { select: async () => [] } as never,
        rules: { manager: { setGeneratedGroups: async () => undefined, ruleGroups: () => [] } },
        logger: pino({ level: 'silent' }),
        now: Date.now,
      }),
      (e: unknown) =>
        e instanceof SloLoadError &&
        /^vigil\.yml: service "api": generated rules are invalid: .*"ApiBurn": annotation "summary"/.test(
          e.problems[0],
        ),
    );
  });

  test('inline slos are checked with the config file', () => {
    assert.throws(
      () =>
        parseConfig(
          'slos:\n  - version: prometheus/v1\n    service: "bad name"\n    slos: []\n',
          'vigil.yml',
        ),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.problems.some((p) => p.startsWith('vigil.yml:3: slos.0.service: service must match')) &&
        e.problems.some((p) => p.includes('slos.0.slos: slos must list at least one SLO')),
    );
  });

  test('28d periods use the 28d burn-rate factors and a 4w period window, as Sloth', () => {
    const config = parseConfig(
      [
        'slos:',
        '  - version: prometheus/v1',
        '    service: api',
        '    slo_period: 28d',
        '    slos:',
        '      - name: availability',
        '        objective: 99.5',
        '        sli: {raw: {error_ratio_query: "sum(rate(e[{{.window}}])) / sum(rate(r[{{.window}}]))"}}',
        '        alerting: {name: ApiBurn}',
      ].join('\n'),
      'c.yml',
    );
    const groups = generateSpec(config.slos[0], { version: 'test', mode: 'test' });
    const sli = groups[0].rules.map((r) => r.record);
    assert.deepEqual(sli, [
      'slo:sli_error:ratio_rate5m',
      'slo:sli_error:ratio_rate30m',
      'slo:sli_error:ratio_rate1h',
      'slo:sli_error:ratio_rate2h',
      'slo:sli_error:ratio_rate6h',
      'slo:sli_error:ratio_rate1d',
      'slo:sli_error:ratio_rate3d',
      'slo:sli_error:ratio_rate4w',
    ]);
    assert.equal(groups[1].rules.find((r) => r.record === 'slo:time_period:days')?.expr, 'vector(28)');
    const [page, ticket] = groups[2].rules;
    assert.match(page.expr, /ratio_rate5m\{[^}]*\} > \(13\.44 \* 0\.005\)/);
    assert.match(page.expr, /ratio_rate6h\{[^}]*\} > \(5\.6000000000000005 \* 0\.005\)/);
    assert.match(ticket.expr, /ratio_rate1d\{[^}]*\} > \(2\.8000000000000003 \* 0\.005\)/);
    assert.match(ticket.expr, /ratio_rate3d\{[^}]*\} > \(0\.9333333333333333 \* 0\.005\)/);
  });
});

describe('SLOs in a running Vigil', () => {
  test('slo_files are served by /api/vigil/v1/slos and their rules by /api/v1/rules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-slo-server-'));
    const file = join(dir, 'checkout.yml');
    writeFileSync(
      file,
      [
        'version: prometheus/v1',
        'service: checkout',
        'slos:',
        '  - name: availability',
        '    objective: 99.5',
        '    sli:',
        '      events:',
        '        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))',
        '        total_query: sum(rate(http_requests_total[{{.window}}]))',
        '    alerting: {name: CheckoutBurn}',
      ].join('\n'),
    );
    const vigil = await startTestVigil(`slo_files: [${JSON.stringify(join(dir, '*.yml'))}]\n`);
    try {
      const slos = await getJson(`${vigil.url}/api/vigil/v1/slos`);
      assert.equal(slos.status, 200);
      const [s] = (slos.body.data as { slos: SloStatus[] }).slos;
      assert.equal(s.id, 'checkout-availability');
      assert.equal(s.file, file);
      assert.equal(s.sli, null, 'no data recorded yet');
      assert.equal(s.alerts.page.state, 'unknown', 'not evaluated yet');
      const rules = await getJson(`${vigil.url}/api/v1/rules`);
      const groups = (rules.body.data as { groups: { name: string; file: string }[] }).groups;
      assert.deepEqual(
        groups.filter((g) => g.file === file).map((g) => g.name),
        [
          'sloth-slo-alerts-checkout-availability',
          'sloth-slo-meta-recordings-checkout-availability',
          'sloth-slo-sli-recordings-checkout-availability',
        ],
      );
    } finally {
      await vigil.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('POST /-/reload applies changed SLO files and refuses invalid ones', {
    timeout: 120_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-slo-server-'));
    const file = join(dir, 'api.yml');
    const spec = (objective: number) =>
      `version: prometheus/v1\nservice: api\nslos:\n  - name: availability\n    objective: ${objective}\n` +
      '    sli: {raw: {error_ratio_query: "sum(rate(e[{{.window}}])) / sum(rate(r[{{.window}}]))"}}\n' +
      '    alerting: {name: ApiBurn}\n';
    writeFileSync(file, spec(99.5));
    const proc = await spawnVigil(join(dir, 'data'), `slo_files: [${JSON.stringify(file)}]\n`);
    const objective = async () =>
      ((await getJson(`${proc.url}/api/vigil/v1/slos`)).body.data as { slos: SloStatus[] }).slos[0].objective;
    try {
      assert.equal(await objective(), 99.5);
      writeFileSync(file, spec(99));
      const ok = await fetch(`${proc.url}/-/reload`, { method: 'POST' });
      assert.equal(ok.status, 200, await ok.text());
      assert.equal(await objective(), 99);
      writeFileSync(file, spec(0));
      const refused = await fetch(`${proc.url}/-/reload`, { method: 'POST' });
      assert.equal(refused.status, 500);
      assert.match(
        await refused.text(),
        new RegExp(`${file}:5: slos\\.0\\.objective: objective must be above 0`),
      );
      assert.equal(await objective(), 99, 'the running SLOs stay');
    } finally {
      proc.child.kill('SIGKILL');
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an invalid SLO file stops Vigil from starting, naming file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-slo-server-'));
    const file = join(dir, 'bad.yml');
    writeFileSync(file, 'version: prometheus/v1\nservice: x1\nslo_plugins: {chain: []}\nslos: []\n');
    try {
      await assert.rejects(
        startTestVigil(`slo_files: [${JSON.stringify(file)}]\n`),
        (e: Error) =>
          e.message.includes(`${file}:3: slo_plugins: SLO plugins are Sloth plugins`) &&
          e.message.includes(`${file}:4: slos: slos must list at least one SLO`),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('reloading SLOs', () => {
  const spec = (objective: number, alertName: string) =>
    [
      'version: prometheus/v1',
      'service: api',
      'slos:',
      '  - name: availability',
      `    objective: ${objective}`,
      '    sli:',
      '      events:',
      '        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))',
      '        total_query: sum(rate(http_requests_total[{{.window}}]))',
      `    alerting: {name: ${alertName}}`,
      '',
    ].join('\n');

  test('a changed spec replaces its rules, an invalid one is refused, and rule-file reloads keep SLO rules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-slo-reload-'));
    const sloFile = join(dir, 'api.yml');
    const rulesFile = join(dir, 'rules.yml');
    writeFileSync(sloFile, spec(99.9, 'ApiBurn'));
    writeFileSync(rulesFile, 'groups:\n- name: mine\n  rules:\n  - record: one\n    expr: vector(1)\n');
    const config = parseConfig(
      `slo_files: [${JSON.stringify(sloFile)}]\nrule_files: [${JSON.stringify(rulesFile)}]\n`,
      'c.yml',
    );
    const clock = new ManualClock(START);
    const logger = pino({ level: 'silent' });
    const self = new SelfMetrics();
    const storage = await DuckDBMetricsStorage.open({
      dataDir: join(dir, 'metrics'),
      retention: 15 * 86_400_000,
      retentionBytes: 0,
      outOfOrderWindow: 0,
      blockDuration: 2 * 3_600_000,
      maxFutureSkew: 10 * MINUTE,
      maxSeries: 0,
      maxSeriesPerMetric: 0,
      logger,
      now: () => clock.now(),
    });
    const engine = new Engine();
    const rules = await startRules({
      config,
      baseDir: dir,
      engine,
      queryable: storage,
      sink: createMetricsSink(storage, config.limits, self),
      notify: () => undefined,
      logger,
      self,
      now: () => clock.now(),
      externalURL: 'http://vigil.test',
      clock,
    });
    const slos = await startSlos({
      config,
      baseDir: dir,
      engine,
      queryable: storage,
      rules,
      logger,
      now: () => clock.now(),
    });
    const alertExprs = () =>
      rules.manager
        .ruleGroups()
        .filter((g) => g.name === 'sloth-slo-alerts-api-availability')
        .flatMap((g) => g.rules.map((r) => `${r.name}: ${r.query}`));
    try {
      assert.equal(rules.manager.ruleGroups().length, 4);
      assert.match(alertExprs()[0], /^ApiBurn: .*\(14\.4 \* 0\.0009999999999999432\)/);

      writeFileSync(sloFile, spec(99, 'ApiBurnFast'));
      await slos.reload(config);
      assert.equal(slos.slos()[0].objective, 99);
      assert.match(alertExprs()[0], /^ApiBurnFast: .*\(14\.4 \* 0\.01\)/);
      assert.equal(rules.manager.ruleGroups().length, 4);

      writeFileSync(sloFile, spec(101, 'ApiBurn'));
      await assert.rejects(slos.reload(config), (e: unknown) => e instanceof SloLoadError);
      assert.equal(slos.slos()[0].objective, 99, 'the previous SLOs stay');
      assert.match(alertExprs()[0], /^ApiBurnFast: /);

      await rules.reload(config);
      assert.equal(rules.manager.ruleGroups().length, 4, 'a rule-file reload keeps the SLO groups');
    } finally {
      await rules.stop();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
