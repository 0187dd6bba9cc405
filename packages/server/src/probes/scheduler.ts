/**
 * Scheduled probes: each configured target is probed every interval (spread over the interval by
 * a hash, as Prometheus spreads scrapes), and the probe's series are stored with `job`,
 * `instance` (the target) and the group's labels at the probe's start time, as a Prometheus
 * scraping the exporter would store them. Series that a probe no longer reports (TLS metrics after
 * a failed handshake, a removed target) get staleness markers.
 */
import type { Logger } from 'pino';
import type { ProbeModule } from '../config/probes.ts';
import { describeRejections, type MetricsSink } from '../ingest/metrics-sink.ts';
import { type Labels, labelsFromRecord, labelsKey } from '../model/labels.ts';
import { type SeriesSamples, STALE_NAN } from '../model/sample.ts';
import { TIMEOUT_OFFSET_SECONDS } from './handler.ts';
import { runProbe } from './probe.ts';

/** One scheduled (job, target). */
export interface ScheduledProbe {
  readonly job: string;
  readonly target: string;
  readonly moduleName: string;
  readonly module: ProbeModule;
  readonly intervalMs: number;
  /** The deadline Prometheus would send as X-Prometheus-Scrape-Timeout-Seconds (ms). */
  readonly timeoutMs: number;
  readonly labels: Readonly<Record<string, string>>;
}

/** The last result of a scheduled probe, for the API. */
export interface ProbeStatus {
  readonly job: string;
  readonly instance: string;
  readonly module: string;
  readonly intervalMs: number;
  readonly lastProbe: number | undefined;
  readonly success: boolean | undefined;
  readonly durationSeconds: number;
  readonly lastError: string;
}

export interface SchedulerDeps {
  readonly sink: MetricsSink;
  readonly logger: Logger;
  readonly baseDir: string;
  readonly now: () => number;
  observe?(job: string, success: boolean): void;
}

/** A running loop for one scheduled probe. */
export class ProbeLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly offset: number;
  private readonly baseLabels: Labels;
  private previous = new Map<string, Labels>();
  private status: Omit<ProbeStatus, 'job' | 'instance' | 'module' | 'intervalMs'> = {
    lastProbe: undefined,
    success: undefined,
    durationSeconds: 0,
    lastError: '',
  };

  constructor(
    readonly probe: ScheduledProbe,
    private readonly deps: SchedulerDeps,
  ) {
    this.offset = fnv(`${probe.job}\u0000${probe.target}`) % probe.intervalMs;
    this.baseLabels = labelsFromRecord({ ...probe.labels, job: probe.job, instance: probe.target });
  }

  /** Identifies the loop's computation: an identical key after a reload keeps the loop running. */
  get key(): string {
    return JSON.stringify(this.probe);
  }

  start(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const iv = this.probe.intervalMs;
    const now = this.deps.now();
    const slot = Math.floor((now - this.offset) / iv) * iv + this.offset + iv;
    this.timer = setTimeout(() => this.tick(slot), Math.max(0, slot - now));
    this.timer.unref?.();
  }

  private tick(t: number): void {
    if (!this.running) {
      this.running = this.probeOnce(t).finally(() => {
        this.running = undefined;
      });
    }
    this.schedule();
  }

  /** Probes once at time `t` (ms) and stores the result. Exposed for tests. */
  async probeOnce(t: number): Promise<void> {
    const p = this.probe;
    const timeoutSeconds = effectiveTimeout(p);
    const result = await runProbe({
      module: p.module,
      moduleName: p.moduleName,
      target: p.target,
      timeoutSeconds,
      baseDir: this.deps.baseDir,
    });
    if (this.stopped) return;
    this.deps.observe?.(p.job, result.success);
    this.status = {
      lastProbe: t,
      success: result.success,
      durationSeconds: result.durationSeconds,
      lastError: result.success ? '' : result.log.errors(),
    };
    const batch: SeriesSamples[] = [];
    const current = new Map<string, Labels>();
    for (const s of result.registry.samples(this.baseLabels)) {
      current.set(labelsKey(s.labels), s.labels);
      batch.push({ labels: s.labels, timestamps: Float64Array.of(t), values: Float64Array.of(s.value) });
    }
    for (const [key, labels] of this.previous) if (!current.has(key)) batch.push(stale(labels, t));
    this.previous = current;
    await this.append(batch);
  }

  private async append(batch: SeriesSamples[]): Promise<void> {
    if (batch.length === 0) return;
    try {
      const r = await this.deps.sink.append('probes', batch);
      if (r.rejected.length > 0)
        this.deps.logger.warn(
          { job: this.probe.job, target: this.probe.target, rejected: describeRejections(r.rejected) },
          'probe samples rejected',
        );
    } catch (err) {
      this.deps.logger.warn(
        { job: this.probe.job, target: this.probe.target, err: (err as Error).message },
        'storing probe results failed',
      );
    }
  }

  /** Stops the loop; with `markStale`, the series it stored get staleness markers. */
  async stop(markStale: boolean): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    if (markStale && this.previous.size > 0) {
      const t = this.deps.now();
      await this.append([...this.previous.values()].map((l) => stale(l, t)));
      this.previous.clear();
    }
  }

  snapshot(): ProbeStatus {
    return {
      job: this.probe.job,
      instance: this.probe.target,
      module: this.probe.moduleName,
      intervalMs: this.probe.intervalMs,
      ...this.status,
    };
  }
}

/** The probe deadline (s) the exporter would use when Prometheus scrapes it with this timeout. */
export function effectiveTimeout(p: Pick<ScheduledProbe, 'timeoutMs' | 'module'>): number {
  const max = p.timeoutMs / 1000 - TIMEOUT_OFFSET_SECONDS;
  const moduleSeconds = p.module.timeout / 1000;
  if ((moduleSeconds > 0 && moduleSeconds < max) || max <= 0)
    return moduleSeconds > 0 ? moduleSeconds : p.timeoutMs / 1000;
  return max;
}

function stale(labels: Labels, t: number): SeriesSamples {
  const values = new Float64Array(1);
  values[0] = STALE_NAN;
  return { labels, timestamps: Float64Array.of(t), values };
}

function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
