/**
 * Prometheus-style scraping: `scrape_configs` (static and file discovery, relabeling, auth, TLS,
 * limits) → one scrape pool per job → one loop per target → samples, report series and staleness
 * markers appended through the metrics sink. See README.md in this folder for the user-facing
 * configuration.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { ScrapeConfigInput } from '../../config/scrape.ts';
import type { IngestDeps, Stoppable } from '../deps.ts';
import { checkUniqueJobNames, resolveScrapeJob, type ScrapeGlobals, type ScrapeJob } from './config.ts';
import { loadScrapeConfigFiles } from './config-files.ts';
import type { TargetStatus } from './loop.ts';
import { scrapeSelfMetrics } from './metrics.ts';
import { type PoolContext, ScrapePool } from './pool.ts';

export { ScrapeConfigError } from './config.ts';
export { loadScrapeConfigFiles } from './config-files.ts';
export type { TargetStatus } from './loop.ts';

/** What startScraping and reload take: the relevant parts of the config file. */
export interface ScrapeOptions {
  /** The `global` section; its scrape defaults (scrape_interval, sample_limit, ...) apply to every job. */
  readonly global: ScrapeGlobals;
  readonly scrapeConfigs: readonly ScrapeConfigInput[];
  /** Directory relative paths in the config (file_sd_configs, credentials files) resolve against. */
  readonly baseDir: string;
  /** `scrape_config_files` globs (relative to baseDir); their jobs are added to scrapeConfigs. */
  readonly scrapeConfigFiles?: readonly string[];
}

/** The running scraper. */
export interface ScrapeManager extends Stoppable {
  /**
   * Applies a new configuration (SIGHUP): jobs that are new start, removed ones stop (their
   * series get staleness markers), changed ones reload in place. An invalid configuration throws
   * and leaves the running one untouched.
   */
  reload(options: ScrapeOptions): Promise<void>;
  /** Every active target with its health, last error and last scrape time. */
  targets(): TargetStatus[];
}

/** Starts scraping the configured targets. Throws ScrapeConfigError/ConfigError for an invalid config. */
export async function startScraping(deps: IngestDeps, options: ScrapeOptions): Promise<ScrapeManager> {
  const metrics = scrapeSelfMetrics(deps.self);
  const logger = deps.logger.child({ component: 'scrape' });
  const shutdown = new AbortController();
  const background = new Set<Promise<void>>();
  const pools = new Map<string, ScrapePool>();

  const ctx = (global: ScrapeGlobals): PoolContext => ({
    deps,
    logger,
    metrics,
    shutdown: shutdown.signal,
    offsetSeed: offsetSeed(global),
    track(work) {
      const p = work.catch((err) => logger.error({ err }, 'background scrape work failed'));
      background.add(p);
      void p.finally(() => background.delete(p));
    },
  });

  async function resolveAll(o: ScrapeOptions): Promise<ScrapeJob[]> {
    const fromFiles = o.scrapeConfigFiles?.length
      ? await loadScrapeConfigFiles(o.scrapeConfigFiles, o.baseDir)
      : [];
    const all = [...o.scrapeConfigs, ...fromFiles];
    checkUniqueJobNames(all);
    return all.map((c) => resolveScrapeJob(c, o.global, o.baseDir, deps.maxBodyBytes));
  }

  async function apply(o: ScrapeOptions): Promise<void> {
    const jobs = await resolveAll(o);
    const poolCtx = ctx(o.global);
    const wanted = new Map(jobs.map((j) => [j.jobName, j]));
    const work: Promise<void>[] = [];
    for (const [name, pool] of pools) {
      if (!wanted.has(name)) {
        pools.delete(name);
        work.push(pool.stop(true));
        logger.info({ job: name }, 'scrape job removed');
      }
    }
    for (const job of jobs) {
      const pool = pools.get(job.jobName);
      if (!pool) {
        const created = new ScrapePool(job, poolCtx);
        pools.set(job.jobName, created);
        work.push(created.start());
      } else if (fingerprint(pool.currentJob) !== fingerprint(job)) {
        work.push(pool.reload(job));
        logger.info({ job: job.jobName }, 'scrape job reloaded');
      }
    }
    await Promise.all(work);
  }

  await apply(options);
  logger.info({ jobs: [...pools.keys()] }, 'scraping started');

  return {
    async reload(o) {
      try {
        await apply(o);
        metrics.reloads.labels('success').inc();
      } catch (err) {
        metrics.reloads.labels('failure').inc();
        throw err;
      }
    },
    targets() {
      return [...pools.values()].flatMap((p) => p.targets());
    },
    async stop() {
      shutdown.abort();
      await Promise.all([...pools.values()].map((p) => p.stop(false)));
      pools.clear();
      await Promise.all(background);
    },
  };
}

/** What decides whether a job must be reloaded: its config as written plus the globals it used. */
function fingerprint(job: ScrapeJob): string {
  return JSON.stringify([
    job.source,
    job.interval,
    job.timeout,
    job.protocols,
    job.sampleLimit,
    job.targetLimit,
    job.bodySizeLimit,
    job.labelLimit,
    job.labelNameLengthLimit,
    job.labelValueLengthLimit,
    job.extraScrapeMetrics,
    job.escaping,
    job.legacyNames,
    job.fileSd,
  ]);
}

/**
 * Prometheus's offset seed: a hash of the host name and external labels, so that several servers
 * scraping the same targets pick different phases, while one server keeps its phases.
 */
function offsetSeed(global: ScrapeGlobals): bigint {
  const h = createHash('sha256')
    .update(hostname())
    .update(JSON.stringify(global.external_labels ?? {}));
  return h.digest().readBigUInt64BE(0);
}
