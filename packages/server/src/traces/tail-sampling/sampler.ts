/**
 * Tail sampling: spans are buffered per trace until `decision_wait` has passed since the trace's
 * first span, then the policies decide and the trace's spans are stored or dropped together, as
 * in the OpenTelemetry Collector's tail_sampling processor. Spans that arrive after their trace
 * was decided follow the remembered decision (decision_cache).
 *
 * Memory is bounded by num_traces and max_spans. When a new span would pass either bound, the
 * oldest waiting traces are decided early, on the spans they have so far, until it fits (the
 * Collector drops such traces unsampled instead; deciding early keeps error and slow traces that
 * a policy would have kept). Every decision, early decision and late span is counted.
 */
import type { Logger } from 'pino';
import type { TailSamplingConfig } from '../../config/traces.ts';
import type { Span } from '../../model/span.ts';
import type { SelfMetrics } from '../../self/metrics.ts';
import { buildPolicy, combineDecisions, type Policy, type SecondsClock } from './policies.ts';

interface PendingTrace {
  readonly spans: Span[];
  readonly firstArrivalMs: number;
}

export interface TailSamplerOptions {
  readonly config: TailSamplingConfig;
  /** Where kept traces go (the span store). */
  readonly store: (spans: readonly Span[]) => Promise<void>;
  readonly logger: Logger;
  readonly self: SelfMetrics;
  /** Server clock in ms. */
  readonly now: () => number;
  /** How often waiting traces are checked (ms); default a tenth of decision_wait, at most 1 s. */
  readonly tickMs?: number;
}

export class TailSampler {
  private readonly policies: Policy[];
  /** Waiting traces in arrival order of their first span. */
  private readonly pending = new Map<string, PendingTrace>();
  private pendingSpans = 0;
  private readonly sampledCache: DecisionCache;
  private readonly notSampledCache: DecisionCache;
  private timer: NodeJS.Timeout | undefined;
  private readonly writes = new Set<Promise<void>>();
  private readonly metrics: SamplerMetrics;

  constructor(private readonly options: TailSamplerOptions) {
    const clock: SecondsClock = () => options.now() / 1000;
    this.policies = options.config.policies.map((p) => buildPolicy(p, clock));
    this.sampledCache = new DecisionCache(options.config.decision_cache.sampled_cache_size);
    this.notSampledCache = new DecisionCache(options.config.decision_cache.non_sampled_cache_size);
    this.metrics = new SamplerMetrics(options.self, this);
    for (const p of options.config.policies) {
      if (p.type !== 'composite') continue;
      const allocated = new Set(p.composite!.rate_allocation.map((a) => a.policy));
      for (const sub of p.composite!.composite_sub_policy) {
        if (!allocated.has(sub.name)) {
          options.logger.warn(
            { policy: p.name, subPolicy: sub.name },
            'composite sub-policy has no rate_allocation entry, so it can never sample (as in the OpenTelemetry Collector); give it a percent',
          );
        }
      }
    }
  }

  start(): void {
    const tick = this.options.tickMs ?? Math.min(1000, Math.max(10, this.options.config.decision_wait / 10));
    this.timer = setInterval(() => this.decideDue(), tick);
    this.timer.unref();
  }

  get waitingTraces(): number {
    return this.pending.size;
  }

  get waitingSpans(): number {
    return this.pendingSpans;
  }

  /**
   * Buffers spans for their traces' decisions (or stores/drops them at once when their trace was
   * already decided). Resolves once buffered, or once a late span of a kept trace is stored.
   */
  async add(spans: readonly Span[]): Promise<void> {
    const now = this.options.now();
    const late: Span[] = [];
    for (const span of spans) {
      const id = span.traceId;
      let trace = this.pending.get(id);
      if (!trace) {
        if (this.sampledCache.has(id)) {
          late.push(span);
          this.metrics.late.labels('sampled').inc();
          continue;
        }
        if (this.notSampledCache.has(id)) {
          this.metrics.late.labels('not_sampled').inc();
          continue;
        }
        this.makeRoom(1, 1);
        trace = { spans: [], firstArrivalMs: now };
        this.pending.set(id, trace);
      } else {
        this.makeRoom(0, 1);
        // makeRoom may have decided this very trace early; it then starts again.
        if (!this.pending.has(id)) {
          trace = { spans: [], firstArrivalMs: now };
          this.pending.set(id, trace);
        }
      }
      trace.spans.push(span);
      this.pendingSpans++;
    }
    if (late.length > 0) await this.options.store(late);
  }

  /** Decides the oldest traces until `traces` more traces and `spans` more spans fit. */
  private makeRoom(traces: number, spans: number): void {
    const { num_traces, max_spans } = this.options.config;
    while (
      this.pending.size > 0 &&
      (this.pending.size + traces > num_traces || this.pendingSpans + spans > max_spans)
    ) {
      const [id, trace] = this.pending.entries().next().value as [string, PendingTrace];
      this.metrics.early.inc();
      this.decide(id, trace);
    }
  }

  /** Decides every trace whose decision_wait has passed. */
  decideDue(): void {
    const cutoff = this.options.now() - this.options.config.decision_wait;
    for (const [id, trace] of this.pending) {
      if (trace.firstArrivalMs > cutoff) break;
      this.decide(id, trace);
    }
  }

  private decide(id: string, trace: PendingTrace): void {
    this.pending.delete(id);
    this.pendingSpans -= trace.spans.length;
    const data = { traceId: id, spans: trace.spans };
    const decisions = this.policies.map((p) => {
      let d: ReturnType<Policy['evaluate']>;
      try {
        d = p.evaluate(data);
      } catch (err) {
        this.options.logger.warn(
          { err, policy: p.name },
          'tail sampling policy failed; counting it as not sampled',
        );
        d = 'not_sampled';
      }
      this.metrics.policy.labels(p.name, d).inc();
      return d;
    });
    const final = combineDecisions(decisions);
    this.metrics.decisions.labels(final).inc();
    this.metrics.spans.labels(final).inc(trace.spans.length);
    if (final === 'sampled') {
      this.sampledCache.add(id);
      const write = this.options
        .store(trace.spans)
        .catch((err) => {
          this.metrics.storeFailures.inc(trace.spans.length);
          this.options.logger.error({ err, traceId: id }, 'storing a sampled trace failed');
        })
        .finally(() => this.writes.delete(write));
      this.writes.add(write);
    } else {
      this.notSampledCache.add(id);
    }
  }

  /** Decides everything still waiting (on shutdown) and waits for the stores. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const [id, trace] of this.pending) this.decide(id, trace);
    await Promise.allSettled([...this.writes]);
  }
}

/** Trace ids of recent decisions, oldest forgotten first. */
class DecisionCache {
  private readonly ids = new Set<string>();

  constructor(private readonly size: number) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    if (this.size === 0) return;
    this.ids.add(id);
    if (this.ids.size > this.size) this.ids.delete(this.ids.values().next().value as string);
  }
}

class SamplerMetrics {
  readonly decisions;
  readonly spans;
  readonly policy;
  readonly early;
  readonly late;
  readonly storeFailures;

  constructor(self: SelfMetrics, sampler: TailSampler) {
    this.decisions = self.counter(
      'vigil_tail_sampling_traces_total',
      'Tail-sampling decisions, by outcome.',
      ['decision'],
    );
    this.spans = self.counter('vigil_tail_sampling_spans_total', 'Spans kept or dropped by tail sampling.', [
      'decision',
    ]);
    this.policy = self.counter(
      'vigil_tail_sampling_policy_decisions_total',
      'Decisions of each tail-sampling policy (before they are combined).',
      ['policy', 'decision'],
    );
    this.early = self.counter(
      'vigil_tail_sampling_early_decisions_total',
      'Traces decided before decision_wait because num_traces or max_spans was reached.',
    );
    this.late = self.counter(
      'vigil_tail_sampling_late_spans_total',
      'Spans that arrived after their trace was decided, by the decision they followed.',
      ['decision'],
    );
    this.storeFailures = self.counter(
      'vigil_tail_sampling_store_failures_total',
      'Spans of sampled traces that span storage failed to store.',
    );
    const traces = self.gauge('vigil_tail_sampling_waiting_traces', 'Traces buffered awaiting a decision.');
    traces.collect(() => traces.set(sampler.waitingTraces));
    const spans = self.gauge('vigil_tail_sampling_waiting_spans', 'Spans buffered awaiting a decision.');
    spans.collect(() => spans.set(sampler.waitingSpans));
  }
}
