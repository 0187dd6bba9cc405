/**
 * One anomaly rule: evaluates its PromQL expression, keeps one model per resulting series, and
 * turns each evaluation into output samples. No timers and no writes here (index.ts schedules and
 * appends), so it can be driven step by step with any timestamps.
 */
import type { AnomalyRuleConfig } from '../config/anomaly.ts';
import {
  formatLabels,
  type Label,
  type Labels,
  labelsFromPairs,
  labelsKey,
  METRIC_NAME,
} from '../model/labels.ts';
import { type SeriesSamples, STALE_NAN } from '../model/sample.ts';
import type { Engine, Queryable, QueryValue } from '../promql/index.ts';
import { modelFactory, warmupSpan } from './models/index.ts';
import type { AnomalyModel, Verdict } from './models/model.ts';

/** The series every rule writes, per source series. */
export const OUTPUT_METRICS = [
  'anomaly_score',
  'anomaly_upper_band',
  'anomaly_lower_band',
  'anomaly_baseline',
] as const;

/** History used to prime new models is capped at this span (ms). */
export const MAX_PRIMING_SPAN = 8 * 86_400_000;

interface TrackedSeries {
  /** Output label sets, one per OUTPUT_METRICS entry. */
  readonly outputs: readonly Labels[];
  readonly model: AnomalyModel;
  lastT: number;
  /** Whether the last evaluation wrote samples for this series (so a stale marker is due when it stops). */
  emitted: boolean;
}

/** What one evaluation produced. */
export interface EvaluationResult {
  /** Samples to append: the four outputs of every scored series, and stale markers for series that stopped. */
  readonly samples: SeriesSamples[];
  /** Series in the query result. */
  readonly seen: number;
  /** Series scored (past warm-up). */
  readonly scored: number;
  /** New series not tracked because max_series was reached. */
  readonly dropped: number;
}

/** A rule's health, for the API. */
export interface RuleStatus {
  readonly name: string;
  readonly expr: string;
  readonly intervalMs: number;
  readonly model: AnomalyRuleConfig['model'];
  readonly labels: Readonly<Record<string, string>>;
  readonly health: 'unknown' | 'ok' | 'err';
  readonly lastError: string;
  readonly lastEvaluation: number | undefined;
  readonly evaluationSeconds: number;
  readonly series: number;
  readonly warmingUp: number;
  readonly stateValues: number;
}

export class AnomalyRule {
  readonly intervalMs: number;
  private readonly newModel: () => AnomalyModel;
  private readonly series = new Map<string, TrackedSeries>();
  /** Series state is dropped after this long without samples: the model would start over anyway. */
  private readonly forgetAfter: number;
  private health: RuleStatus['health'] = 'unknown';
  private lastError = '';
  private lastEvaluation: number | undefined;
  private evaluationSeconds = 0;
  private lastScored = 0;

  constructor(
    readonly config: AnomalyRuleConfig,
    defaultIntervalMs: number,
    private readonly engine: Engine,
    private readonly queryable: Queryable,
  ) {
    this.intervalMs = config.interval ?? defaultIntervalMs;
    this.newModel = modelFactory(config.model, this.intervalMs);
    this.forgetAfter = Math.max(warmupSpan(config.model), 10 * this.intervalMs);
  }

  /** Whether `other` describes the same computation, so that state can be carried over on reload. */
  sameComputation(other: AnomalyRuleConfig, defaultIntervalMs: number): boolean {
    return (
      other.expr === this.config.expr &&
      (other.interval ?? defaultIntervalMs) === this.intervalMs &&
      JSON.stringify(other.model) === JSON.stringify(this.config.model) &&
      JSON.stringify(other.labels) === JSON.stringify(this.config.labels) &&
      other.max_series === this.config.max_series
    );
  }

  /** Moves the tracked series of `old` (same computation) into this rule. */
  adopt(old: AnomalyRule): void {
    for (const [k, s] of old.series) this.series.set(k, s);
    this.health = old.health;
    this.lastError = old.lastError;
    this.lastEvaluation = old.lastEvaluation;
  }

  /**
   * Feeds the models the expression's history up to `t` (the last evaluation slot before the
   * rule starts), so that a rule that starts (or restarts)
   * over existing data scores at once instead of warming up again. At most MAX_PRIMING_SPAN.
   */
  async prime(t: number, signal?: AbortSignal): Promise<number> {
    const span = Math.min(MAX_PRIMING_SPAN, warmupSpan(this.config.model));
    const start = t - Math.floor(span / this.intervalMs) * this.intervalMs;
    const end = t;
    if (end <= start) return 0;
    const { result } = await this.engine.rangeQuery(
      this.queryable,
      this.config.expr,
      start,
      end,
      this.intervalMs,
      {
        signal,
      },
    );
    if (result.type !== 'matrix') return 0;
    let fed = 0;
    for (const s of result.series) {
      const tracked = this.track(s.metric);
      if (!tracked) continue;
      for (let i = 0; i < s.timestamps.length; i++) {
        const ts = s.timestamps[i];
        const v = s.values[i];
        if (ts <= tracked.lastT || !Number.isFinite(v)) continue;
        tracked.model.observe(ts, v);
        tracked.lastT = ts;
        fed++;
      }
    }
    return fed;
  }

  /** Evaluates at `t` (ms): runs the query, scores every series, and returns the samples to write. */
  async evaluate(t: number, signal?: AbortSignal): Promise<EvaluationResult> {
    const started = performance.now();
    try {
      const { result } = await this.engine.instantQuery(this.queryable, this.config.expr, t, { signal });
      const out = this.score(t, instantSamples(result, this.config.name));
      this.health = 'ok';
      this.lastError = '';
      this.lastScored = out.scored;
      return out;
    } catch (err) {
      this.health = 'err';
      this.lastError = (err as Error).message;
      throw err;
    } finally {
      this.lastEvaluation = t;
      this.evaluationSeconds = (performance.now() - started) / 1000;
    }
  }

  /** Scores one evaluation's samples (exposed for tests that bypass the engine). */
  score(t: number, samples: readonly { metric: Labels; v: number }[]): EvaluationResult {
    const out: SeriesSamples[] = [];
    const present = new Set<TrackedSeries>();
    let scored = 0;
    let dropped = 0;
    for (const { metric, v } of samples) {
      const tracked = this.track(metric);
      if (!tracked) {
        dropped++;
        continue;
      }
      present.add(tracked);
      // Missing data: NaN and ±Inf are not fed to the model and produce no output.
      if (!Number.isFinite(v) || t <= tracked.lastT) continue;
      const verdict = tracked.model.observe(t, v);
      tracked.lastT = t;
      if (verdict) {
        scored++;
        pushVerdict(out, tracked.outputs, t, verdict);
        tracked.emitted = true;
      } else if (tracked.emitted) {
        pushStale(out, tracked.outputs, t);
        tracked.emitted = false;
      }
    }
    for (const [key, s] of this.series) {
      if (present.has(s)) continue;
      // Gone from the result: its outputs go stale now, like a recording rule's; its model is
      // kept (so a short gap costs no warm-up) until it has been gone for forgetAfter.
      if (s.emitted) {
        pushStale(out, s.outputs, t);
        s.emitted = false;
      }
      if (t - s.lastT > this.forgetAfter) this.series.delete(key);
    }
    return { samples: out, seen: samples.length, scored, dropped };
  }

  private track(metric: Labels): TrackedSeries | undefined {
    const source = metric.filter((l) => l.name !== METRIC_NAME);
    const key = labelsKey(source);
    let tracked = this.series.get(key);
    if (tracked) return tracked;
    if (this.series.size >= this.config.max_series) return undefined;
    tracked = {
      outputs: outputLabels(source, this.config),
      model: this.newModel(),
      lastT: Number.NEGATIVE_INFINITY,
      emitted: false,
    };
    this.series.set(key, tracked);
    return tracked;
  }

  /** Stale markers for everything this rule currently shows (when the rule is removed or stops). */
  staleAll(t: number): SeriesSamples[] {
    const out: SeriesSamples[] = [];
    for (const s of this.series.values()) if (s.emitted) pushStale(out, s.outputs, t);
    return out;
  }

  status(): RuleStatus {
    let stateValues = 0;
    for (const s of this.series.values()) stateValues += s.model.stateSize();
    return {
      name: this.config.name,
      expr: this.config.expr,
      intervalMs: this.intervalMs,
      model: this.config.model,
      labels: this.config.labels,
      health: this.health,
      lastError: this.lastError,
      lastEvaluation: this.lastEvaluation,
      evaluationSeconds: this.evaluationSeconds,
      series: this.series.size,
      warmingUp: Math.max(0, this.series.size - this.lastScored),
      stateValues,
    };
  }
}

/** The output label sets of a source series: its labels, the rule's labels, anomaly_name, and each output's name. */
function outputLabels(source: Labels, config: AnomalyRuleConfig): Labels[] {
  const pairs = new Map<string, string>();
  for (const l of source) pairs.set(l.name, l.value);
  for (const [name, value] of Object.entries(config.labels)) pairs.set(name, value);
  pairs.set('anomaly_name', config.name);
  return OUTPUT_METRICS.map((name) => {
    const all: Label[] = [{ name: METRIC_NAME, value: name }];
    for (const [n, v] of pairs) all.push({ name: n, value: v });
    return labelsFromPairs(all);
  });
}

function pushVerdict(out: SeriesSamples[], outputs: readonly Labels[], t: number, v: Verdict): void {
  const values = [v.score, v.upper, v.lower, v.baseline];
  for (let i = 0; i < outputs.length; i++) {
    out.push({ labels: outputs[i], timestamps: Float64Array.of(t), values: Float64Array.of(values[i]) });
  }
}

function pushStale(out: SeriesSamples[], outputs: readonly Labels[], t: number): void {
  for (const labels of outputs) {
    const values = new Float64Array(1);
    values[0] = STALE_NAN;
    out.push({ labels, timestamps: Float64Array.of(t), values });
  }
}

/**
 * An instant query's result as samples; a scalar becomes one series without labels. Outputs drop
 * `__name__`, so two series that differ only by name would feed one model: that is an error, as
 * Prometheus makes it for a recording rule ("same labelset after applying rule labels").
 */
function instantSamples(result: QueryValue, rule: string): { metric: Labels; v: number }[] {
  if (result.type === 'vector') {
    const seen = new Set<string>();
    for (const s of result.samples) {
      const source = s.metric.filter((l) => l.name !== METRIC_NAME);
      const key = labelsKey(source);
      if (seen.has(key))
        throw new AnomalyRuleError(
          `anomaly rule "${rule}": expr returned several series with the labels ${formatLabels(source)} once the metric name is dropped; aggregate them or tell them apart with a label (e.g. label_replace)`,
        );
      seen.add(key);
    }
    return result.samples.map((s) => ({ metric: s.metric, v: s.v }));
  }
  if (result.type === 'scalar') return [{ metric: [], v: result.v }];
  throw new AnomalyRuleError(
    `anomaly rule "${rule}": expr must return an instant vector or a scalar, not a ${result.type}`,
  );
}

/** A rule whose expression cannot be used (wrong result type). */
export class AnomalyRuleError extends Error {}
