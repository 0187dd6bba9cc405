import type { Logger } from 'pino';
import { labelsKey } from '../../model/labels.ts';
import { acceptHeader } from '../../textparse/index.ts';
import type { IngestDeps } from '../deps.ts';
import { ScrapeCache } from './append.ts';
import type { ScrapeJob } from './config.ts';
import { type Discoverer, FileDiscoverer, staticTargetGroups } from './discovery.ts';
import { HttpScraper, ScrapeError } from './http-client.ts';
import { type LoopContext, ScrapeLoop, type TargetStatus } from './loop.ts';
import type { ScrapeSelfMetrics } from './metrics.ts';
import { populateTarget, type Target, type TargetGroup } from './targets.ts';

/** What every pool shares. */
export interface PoolContext {
  readonly deps: IngestDeps;
  readonly logger: Logger;
  readonly metrics: ScrapeSelfMetrics;
  readonly shutdown: AbortSignal;
  readonly offsetSeed: bigint;
  /** Registers background work (end-of-run staleness) the manager must wait for when it stops. */
  track(work: Promise<void>): void;
}

const USER_AGENT = 'Vigil/0.1 (Prometheus-compatible scraper)';

/**
 * All targets of one scrape job (Prometheus's scrapePool): runs the job's discoveries, turns
 * their target groups into targets, and keeps one scrape loop per distinct target. Targets that
 * disappear get staleness markers; a reload hands each surviving target's state to its new loop.
 */
export class ScrapePool {
  private readonly loops = new Map<string, ScrapeLoop>();
  private readonly groups = new Map<string, TargetGroup[]>();
  private discoverers: Discoverer[] = [];
  private scraper: HttpScraper;
  private forced: ScrapeError | undefined;
  /** Serializes target syncs: discovery callbacks, reloads and stop never interleave. */
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private job: ScrapeJob,
    private readonly ctx: PoolContext,
  ) {
    this.scraper = newScraper(job);
  }

  /** The job as currently configured. */
  get currentJob(): ScrapeJob {
    return this.job;
  }

  /** Starts discovery and the loops of the targets found so far. */
  async start(): Promise<void> {
    await this.startDiscovery();
    await this.enqueue(() => this.sync());
  }

  targets(): TargetStatus[] {
    return [...this.loops.values()].map((l) => l.targetStatus());
  }

  /**
   * Applies a changed config for the same job: new HTTP settings, discovery and relabeling take
   * effect at once; surviving targets keep their staleness state (and their series cache when
   * the change cannot alter series labels).
   */
  async reload(job: ScrapeJob): Promise<void> {
    const old = this.job;
    const discoveryChanged =
      JSON.stringify([old.source.static_configs, old.source.file_sd_configs, old.fileSd]) !==
      JSON.stringify([job.source.static_configs, job.source.file_sd_configs, job.fileSd]);
    await this.enqueue(async () => {
      this.job = job;
      const oldScraper = this.scraper;
      this.scraper = newScraper(job);
      if (discoveryChanged) {
        // Discover with the new settings before syncing, so unchanged targets keep their loops' state.
        for (const d of this.discoverers) d.stop();
        this.groups.clear();
        await this.startDiscovery();
      }
      await this.sync({ restartAll: true, reuseCache: cacheReusable(old, job) });
      oldScraper.close();
    });
  }

  /**
   * Stops the pool. With `removed` (the job left the config) every target later gets staleness
   * markers, as when a target disappears; at shutdown nothing more is written.
   */
  async stop(removed: boolean): Promise<void> {
    this.stopped = true;
    for (const d of this.discoverers) d.stop();
    await this.enqueue(async () => {
      const loops = [...this.loops.values()];
      this.loops.clear();
      await Promise.all(loops.map((l) => l.stop()));
      if (removed) for (const l of loops) this.ctx.track(l.writeEndOfRunStaleness(this.ctx.shutdown));
      this.ctx.metrics.targets.labels(this.job.jobName).set(0);
    });
    this.scraper.close();
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const run = this.queue.then(fn);
    this.queue = run.catch((err) =>
      this.ctx.logger.error({ err, job: this.job.jobName }, 'target sync failed'),
    );
    return run;
  }

  private async startDiscovery(): Promise<void> {
    this.groups.set('static', staticTargetGroups(this.job.staticConfigs));
    const discoverers = this.job.fileSd.map(
      (settings, i) =>
        new FileDiscoverer(
          settings,
          (groups) => {
            this.groups.set(`file/${i}`, groups);
            if (!this.stopped) void this.enqueue(() => this.sync());
          },
          this.ctx.logger.child({ job: this.job.jobName }),
          () => this.ctx.metrics.fileSdReadErrors.inc(),
        ),
    );
    this.discoverers = discoverers;
    await Promise.all(discoverers.map((d) => d.start()));
  }

  /** Reconciles loops with the targets the current groups and config produce. */
  private async sync(options: { restartAll?: boolean; reuseCache?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    const job = this.job;
    const wanted = new Map<string, Target>();
    for (const groups of this.groups.values()) {
      for (const group of groups) {
        for (const t of group.targets) {
          const result = populateTarget(job, t, group.labels);
          if (result.kind === 'target') wanted.set(result.target.key, result.target);
          else if (result.kind === 'error') {
            this.ctx.metrics.targetErrors.labels(job.jobName).inc();
            this.ctx.logger.error(
              { job: job.jobName, group: group.source, err: result.error },
              'cannot create scrape target',
            );
          }
        }
      }
    }

    const loopCtx = this.loopContext();
    const oldByPublic = new Map<string, ScrapeLoop>();
    const leaving: ScrapeLoop[] = [];
    for (const [key, loop] of this.loops) {
      if (options.restartAll || !wanted.has(key)) {
        this.loops.delete(key);
        leaving.push(loop);
        oldByPublic.set(publicKey(loop.target), loop);
      }
    }
    await Promise.all(leaving.map((l) => l.stop()));

    for (const [key, target] of wanted) {
      if (this.loops.has(key)) continue;
      // The same series identity under the new config: continue its staleness tracking.
      const predecessor = oldByPublic.get(publicKey(target));
      let cache: ScrapeCache | undefined;
      if (predecessor) {
        oldByPublic.delete(publicKey(target));
        if (options.reuseCache && predecessor.target.key === key) cache = predecessor.cache;
        else {
          cache = new ScrapeCache();
          cache.prev = new Map(predecessor.cache.prev);
        }
      }
      const loop = new ScrapeLoop(job, target, loopCtx, cache);
      this.loops.set(key, loop);
      loop.start();
    }
    // Targets that are gone: their series go stale after a grace period.
    for (const loop of oldByPublic.values()) this.ctx.track(loop.writeEndOfRunStaleness(this.ctx.shutdown));

    this.forced =
      job.targetLimit > 0 && this.loops.size > job.targetLimit
        ? new ScrapeError(
            `target_limit exceeded (number of targets: ${this.loops.size}, limit: ${job.targetLimit})`,
            'target_limit',
          )
        : undefined;
    this.ctx.metrics.targets.labels(job.jobName).set(this.loops.size);
  }

  private loopContext(): LoopContext {
    return {
      deps: this.ctx.deps,
      logger: this.ctx.logger.child({ component: 'scrape' }),
      metrics: this.ctx.metrics,
      scraper: this.scraper,
      shutdown: this.ctx.shutdown,
      offsetSeed: this.ctx.offsetSeed,
      forcedError: () => this.forced,
    };
  }
}

function newScraper(job: ScrapeJob): HttpScraper {
  return new HttpScraper({
    settings: job.http,
    accept: acceptHeader(job.protocols, job.escaping),
    enableCompression: job.enableCompression,
    bodySizeLimit: job.bodySizeLimit,
    userAgent: USER_AGENT,
  });
}

function publicKey(t: Target): string {
  return `${labelsKey(t.publicLabels)}\u0000${t.url.href}`;
}

/** Whether cached series labels stay right under the new config (nothing that shapes them changed). */
function cacheReusable(a: ScrapeJob, b: ScrapeJob): boolean {
  const shape = (j: ScrapeJob) =>
    JSON.stringify([
      j.source.honor_labels,
      j.source.metric_relabel_configs,
      j.labelLimit,
      j.labelNameLengthLimit,
      j.labelValueLengthLimit,
      j.legacyNames,
    ]);
  return shape(a) === shape(b);
}
