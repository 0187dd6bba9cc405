/**
 * Anomaly detection: runs every `anomaly_rules:` entry on its interval, writes anomaly_score,
 * anomaly_upper_band, anomaly_lower_band and anomaly_baseline through the metrics sink (protocol
 * 'anomaly'), and serves GET /api/vigil/v1/anomaly/rules.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { VigilConfig } from '../config/schema.ts';
import type { Stoppable } from '../ingest/deps.ts';
import { describeRejections, type MetricsSink } from '../ingest/metrics-sink.ts';
import { formatDuration } from '../model/duration.ts';
import type { Engine, Queryable } from '../promql/index.ts';
import type { SelfMetrics } from '../self/metrics.ts';
import { AnomalyRule, type RuleStatus } from './rule.ts';

/** What main.ts gives anomaly detection. */
export interface AnomalyDeps {
  readonly config: VigilConfig;
  readonly engine: Engine;
  readonly queryable: Queryable;
  /** anomaly_score / anomaly_upper_band / anomaly_lower_band series go here (protocol 'anomaly'). */
  readonly sink: MetricsSink;
  readonly logger: Logger;
  readonly self: SelfMetrics;
  readonly now: () => number;
}

/** Running anomaly detectors. */
export interface AnomalyModule extends Stoppable {
  registerApi(app: FastifyInstance): void;
  /** Applies new anomaly rules; rules whose computation did not change keep their models. */
  reload(config: VigilConfig): Promise<void>;
  /** Every rule's status, as the API shows it. */
  rules(): RuleStatus[];
}

/** Starts the configured anomaly rules. */
export async function startAnomaly(deps: AnomalyDeps): Promise<AnomalyModule> {
  const logger = deps.logger.child({ component: 'anomaly' });
  const m = {
    evaluations: deps.self.counter('vigil_anomaly_evaluations_total', 'Anomaly rule evaluations.', ['rule']),
    failures: deps.self.counter(
      'vigil_anomaly_evaluation_failures_total',
      'Anomaly rule evaluations that failed (query error or rejected writes).',
      ['rule'],
    ),
    missed: deps.self.counter(
      'vigil_anomaly_evaluations_missed_total',
      'Anomaly rule evaluations skipped because the previous one was still running.',
      ['rule'],
    ),
    dropped: deps.self.counter(
      'vigil_anomaly_series_dropped_total',
      'Series an anomaly rule did not track because it already tracked max_series.',
      ['rule'],
    ),
    series: deps.self.gauge('vigil_anomaly_series', 'Series tracked by each anomaly rule.', ['rule']),
    state: deps.self.gauge(
      'vigil_anomaly_model_state_values',
      'Numbers held by the models of each anomaly rule (8 bytes each, 24 for window samples).',
      ['rule'],
    ),
    duration: deps.self.gauge(
      'vigil_anomaly_last_evaluation_duration_seconds',
      'How long the last evaluation of each anomaly rule took.',
      ['rule'],
    ),
  };

  let runners = new Map<string, RuleRunner>();
  const build = (config: VigilConfig, previous: Map<string, RuleRunner>): Map<string, RuleRunner> => {
    const next = new Map<string, RuleRunner>();
    for (const rc of config.anomaly_rules) {
      const rule = new AnomalyRule(rc, config.global.evaluation_interval, deps.engine, deps.queryable);
      const old = previous.get(rc.name);
      const keep = old?.rule.sameComputation(rc, config.global.evaluation_interval) ?? false;
      if (old && keep) rule.adopt(old.rule);
      next.set(rc.name, new RuleRunner(rule, !keep, deps, logger, m));
    }
    return next;
  };

  runners = build(deps.config, runners);
  for (const r of runners.values()) r.start();
  if (runners.size > 0) logger.info({ rules: runners.size }, 'anomaly rules started');

  return {
    registerApi(app) {
      app.get('/api/vigil/v1/anomaly/rules', async () => ({
        status: 'success',
        data: {
          rules: [...runners.values()].map((r) => {
            const s = r.rule.status();
            return {
              ...s,
              interval: formatDuration(s.intervalMs),
              lastEvaluation:
                s.lastEvaluation === undefined ? null : new Date(s.lastEvaluation).toISOString(),
            };
          }),
        },
      }));
    },
    async reload(config) {
      const next = build(config, runners);
      for (const [name, old] of runners) {
        await old.stop();
        // A removed or changed rule's series go stale now; unchanged rules carry on seamlessly.
        const successor = next.get(name);
        if (!successor || successor.prime) await old.writeStale();
      }
      runners = next;
      for (const r of runners.values()) r.start();
      logger.info({ rules: runners.size }, 'anomaly rules reloaded');
    },
    rules: () => [...runners.values()].map((r) => r.rule.status()),
    async stop() {
      for (const r of runners.values()) await r.stop();
    },
  };
}

interface RunnerMetrics {
  readonly evaluations: ReturnType<SelfMetrics['counter']>;
  readonly failures: ReturnType<SelfMetrics['counter']>;
  readonly missed: ReturnType<SelfMetrics['counter']>;
  readonly dropped: ReturnType<SelfMetrics['counter']>;
  readonly series: ReturnType<SelfMetrics['gauge']>;
  readonly state: ReturnType<SelfMetrics['gauge']>;
  readonly duration: ReturnType<SelfMetrics['gauge']>;
}

/**
 * Schedules one rule: evaluations at multiples of its interval plus a fixed per-rule offset (so
 * rules spread over the interval, as Prometheus spreads groups), never two at once.
 */
class RuleRunner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private stopped = false;
  private priming = false;
  private readonly offset: number;

  constructor(
    readonly rule: AnomalyRule,
    /** Whether the models start empty and should be primed from stored history. */
    readonly prime: boolean,
    private readonly deps: AnomalyDeps,
    private readonly logger: Logger,
    private readonly m: RunnerMetrics,
  ) {
    this.offset = hash(rule.config.name) % rule.intervalMs;
  }

  start(): void {
    const name = this.rule.config.name;
    this.m.series.labels(name).set(0);
    if (this.prime) {
      const t = this.nextSlot(this.deps.now()) - this.rule.intervalMs;
      this.priming = true;
      this.running = this.rule
        .prime(t, this.abort.signal)
        .then((fed) => {
          if (fed > 0)
            this.logger.info({ rule: name, samples: fed }, 'anomaly models primed from stored history');
        })
        .catch((err) => {
          if (!this.stopped)
            this.logger.warn({ rule: name, err: (err as Error).message }, 'priming anomaly models failed');
        })
        .finally(() => {
          this.running = undefined;
          this.priming = false;
        });
    }
    this.schedule();
  }

  private nextSlot(now: number): number {
    const iv = this.rule.intervalMs;
    return Math.floor((now - this.offset) / iv) * iv + this.offset + iv;
  }

  private schedule(): void {
    if (this.stopped) return;
    const slot = this.nextSlot(this.deps.now());
    this.timer = setTimeout(() => this.tick(slot), Math.max(0, slot - this.deps.now()));
    this.timer.unref?.();
  }

  private tick(t: number): void {
    const name = this.rule.config.name;
    if (this.running) {
      // Waiting for priming is expected at start; anything else is an overrun.
      if (!this.priming) this.m.missed.labels(name).inc();
      this.schedule();
      return;
    }
    this.running = this.evaluate(t).finally(() => {
      this.running = undefined;
    });
    this.schedule();
  }

  private async evaluate(t: number): Promise<void> {
    const name = this.rule.config.name;
    this.m.evaluations.labels(name).inc();
    try {
      const result = await this.rule.evaluate(t, this.abort.signal);
      if (result.dropped > 0) this.m.dropped.labels(name).inc(result.dropped);
      if (result.samples.length > 0) {
        const appended = await this.deps.sink.append('anomaly', result.samples);
        if (appended.rejected.length > 0) {
          this.m.failures.labels(name).inc();
          this.logger.warn(
            { rule: name, rejected: describeRejections(appended.rejected) },
            'anomaly samples rejected',
          );
        }
      }
    } catch (err) {
      if (this.stopped) return;
      this.m.failures.labels(name).inc();
      this.logger.warn({ rule: name, err: (err as Error).message }, 'anomaly rule evaluation failed');
    } finally {
      const s = this.rule.status();
      this.m.series.labels(name).set(s.series);
      this.m.state.labels(name).set(s.stateValues);
      this.m.duration.labels(name).set(s.evaluationSeconds);
    }
  }

  /** Stops scheduling and waits for a running evaluation. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }

  /** Writes stale markers for the rule's current outputs. */
  async writeStale(): Promise<void> {
    const samples = this.rule.staleAll(this.deps.now());
    if (samples.length > 0) await this.deps.sink.append('anomaly', samples).catch(() => undefined);
  }
}

/** A small stable string hash (FNV-1a), for spreading rules over their interval. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
