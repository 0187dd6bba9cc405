import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { ContentTypeError, decodeBody, formatForContentType } from '../../textparse/index.ts';
import type { IngestDeps } from '../deps.ts';
import {
  endOfRunStaleness,
  processScrape,
  REPORT_METADATA,
  ScrapeCache,
  type ScrapeResult,
} from './append.ts';
import type { ScrapeJob } from './config.ts';
import { type HttpScraper, ScrapeError } from './http-client.ts';
import type { ScrapeSelfMetrics } from './metrics.ts';
import type { Target } from './targets.ts';

/** The state of a target as of its last scrape, for status pages and tests. */
export interface TargetStatus {
  readonly job: string;
  readonly url: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly health: 'unknown' | 'up' | 'down';
  readonly lastError: string;
  /** Unix ms of the last scrape, 0 before the first. */
  readonly lastScrape: number;
  readonly lastScrapeDuration: number;
  readonly interval: number;
  readonly timeout: number;
}

/** What a scrape loop needs from its pool. */
export interface LoopContext {
  readonly deps: IngestDeps;
  readonly logger: Logger;
  readonly metrics: ScrapeSelfMetrics;
  readonly scraper: HttpScraper;
  /** Aborted when the server shuts down: in-flight requests end and nothing more is written. */
  readonly shutdown: AbortSignal;
  /** Mixed into every target's phase, so two servers scraping the same targets spread apart. */
  readonly offsetSeed: bigint;
  /** An error that fails every scrape of the pool (target_limit exceeded), or undefined. */
  forcedError(): ScrapeError | undefined;
}

/**
 * Scrapes one target every interval, as Prometheus's scrapeLoop: the first scrape waits for a
 * phase derived from the target's identity (so a job's targets spread over the interval and
 * keep their phase across restarts), later ones follow a fixed grid, ticks that are missed
 * because a scrape ran long are skipped, and scrape timestamps within 2ms (or 1% of the
 * interval) of the grid are snapped to it, which keeps timestamps regular.
 */
export class ScrapeLoop {
  readonly cache: ScrapeCache;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private nextAt = 0;
  private status: TargetStatus;
  private metadataSent = false;

  constructor(
    readonly job: ScrapeJob,
    readonly target: Target,
    private readonly ctx: LoopContext,
    cache?: ScrapeCache,
  ) {
    this.cache = cache ?? new ScrapeCache();
    this.status = {
      job: job.jobName,
      url: target.url.href,
      labels: Object.fromEntries(target.publicLabels.map((l) => [l.name, l.value])),
      health: 'unknown',
      lastError: '',
      lastScrape: 0,
      lastScrapeDuration: 0,
      interval: target.interval,
      timeout: target.timeout,
    };
  }

  targetStatus(): TargetStatus {
    return this.status;
  }

  start(): void {
    const now = this.ctx.deps.now();
    this.nextAt = now + this.initialDelay(now);
    this.arm();
  }

  /**
   * Stops scheduling and waits for a scrape in progress to finish (its request is not cut short
   * unless the server is shutting down).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /**
   * After stop(): writes staleness markers for everything this target produced, as Prometheus
   * does when a target disappears. Like Prometheus it first waits two intervals (plus 10%) in case
   * the target comes back, timestamping the markers at the first missed scrape. Resolves early,
   * writing nothing, when the server shuts down or `cancel` aborts.
   */
  async writeEndOfRunStaleness(cancel: AbortSignal): Promise<void> {
    if (this.status.lastScrape === 0) return;
    const interval = this.target.interval;
    const now = this.ctx.deps.now();
    let next = this.nextAt;
    while (next <= now) next += interval;
    if (!(await this.sleep(next - now, cancel))) return;
    const staleTime = this.ctx.deps.now();
    if (!(await this.sleep(interval + interval / 10, cancel))) return;
    const batch = endOfRunStaleness(this.job, this.target, this.cache, staleTime);
    try {
      await this.ctx.deps.sink.append('scrape', batch);
      this.ctx.metrics.staleMarkers.labels(this.job.jobName).inc(batch.length);
    } catch (err) {
      this.ctx.logger.warn(
        { err: (err as Error).message, target: this.target.url.href },
        'writing staleness markers failed',
      );
    }
  }

  private sleep(ms: number, cancel: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.ctx.shutdown.aborted || cancel.aborted) return resolve(false);
      const done = (ok: boolean) => {
        clearTimeout(t);
        this.ctx.shutdown.removeEventListener('abort', onAbort);
        cancel.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const onAbort = () => done(false);
      const t = setTimeout(() => done(true), ms);
      this.ctx.shutdown.addEventListener('abort', onAbort, { once: true });
      cancel.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Prometheus's Target.offset: the target's fixed phase within the interval, from now. */
  private initialDelay(now: number): number {
    const interval = this.target.interval;
    const hash = createHash('sha256').update(this.target.key).digest().readBigUInt64BE(0);
    const phase = Number((hash ^ this.ctx.offsetSeed) % BigInt(interval));
    let next = interval - (now % interval) + phase;
    if (next > interval) next -= interval;
    return next;
  }

  private arm(): void {
    if (this.stopped) return;
    const delay = Math.max(0, this.nextAt - this.ctx.deps.now());
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
      });
    }, delay);
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.ctx.shutdown.aborted) return;
    const interval = this.target.interval;
    const scheduled = this.nextAt;
    let ts = this.ctx.deps.now();
    const tolerance = Math.min(interval / 100, 2);
    if (ts >= scheduled && ts - scheduled <= tolerance) ts = scheduled;
    try {
      await this.scrapeAndReport(ts);
    } catch (err) {
      // processScrape and the sink do not throw on bad input; this is a bug, but keep scraping.
      this.ctx.logger.error({ err, target: this.target.url.href }, 'scrape loop iteration failed');
    }
    const now = this.ctx.deps.now();
    this.nextAt = scheduled + interval;
    while (this.nextAt <= now) this.nextAt += interval;
    this.arm();
  }

  /** One scrape: fetch, parse, append samples and report series in one batch. */
  async scrapeAndReport(timestamp: number): Promise<ScrapeResult | undefined> {
    const { deps, metrics } = this.ctx;
    const job = this.job.jobName;
    const started = performance.now();
    let error = this.ctx.forcedError();
    let body: { text: string; format: 'openmetrics' | 'prometheus-text'; invalidUtf8: boolean } | undefined;
    let bodySize = 0;
    let warning: string | undefined;
    if (!error) {
      try {
        const res = await this.ctx.scraper.scrape(this.target.url, this.target.timeout, this.ctx.shutdown);
        bodySize = res.body.length;
        if (res.body.length > 0) {
          const { format, warning: w } = formatForContentType(res.contentType, this.job.fallbackProtocol);
          warning = w;
          const decoded = decodeBody(res.body);
          body = { format, ...decoded };
        } else {
          body = { format: 'prometheus-text', text: '', invalidUtf8: false };
        }
      } catch (err) {
        if (err instanceof ScrapeError) {
          error = err;
          if (err.reason === 'body_size_limit') bodySize = -1;
        } else if (err instanceof ContentTypeError) {
          error = new ScrapeError(`GET ${this.target.url.href}: ${err.message}`, 'content_type');
        } else throw err;
      }
    }
    // A scrape cut short by shutdown is not a failed scrape: write nothing.
    if (this.ctx.shutdown.aborted) return undefined;

    const duration = (performance.now() - started) / 1000;
    const result = processScrape(
      { job: this.job, target: this.target, cache: this.cache, timestamp, body, error },
      { duration, bodySize: error ? (bodySize < 0 ? -1 : 0) : bodySize },
    );

    metrics.scrapes.labels(job).inc();
    metrics.duration.labels(job).observe(duration);
    if (result.error) metrics.failures.labels(job, result.error.reason).inc();
    else metrics.samples.labels(job).inc(result.postRelabel);
    if (result.staleMarkers > 0) metrics.staleMarkers.labels(job).inc(result.staleMarkers);
    if (result.duplicates > 0) metrics.droppedSamples.labels(job, 'duplicate').inc(result.duplicates);
    if (result.outOfOrder > 0) metrics.droppedSamples.labels(job, 'out_of_order').inc(result.outOfOrder);
    this.report(timestamp, duration, result, warning);

    // Metadata first, so it is there by the time the samples can be queried.
    const metadata = this.metadataSent ? result.metadata : [...REPORT_METADATA, ...result.metadata];
    if (metadata.length > 0 && !result.error) {
      deps.sink.metadata(metadata);
      this.metadataSent = true;
    }
    try {
      const appended = await deps.sink.append('scrape', result.batch);
      if (result.exemplars.length > 0) await deps.sink.appendExemplars('scrape', result.exemplars);
      if (appended.rejected.length > 0) {
        this.ctx.logger.debug(
          { target: this.target.url.href, rejected: appended.rejected },
          'storage rejected some scraped samples',
        );
      }
    } catch (err) {
      this.ctx.logger.error(
        { err: (err as Error).message, target: this.target.url.href },
        'appending scraped samples failed',
      );
    }
    return result;
  }

  private report(
    timestamp: number,
    duration: number,
    result: ScrapeResult,
    warning: string | undefined,
  ): void {
    const was = this.status.health;
    const health = result.error ? 'down' : 'up';
    this.status = {
      ...this.status,
      health,
      lastError: result.error?.message ?? '',
      lastScrape: timestamp,
      lastScrapeDuration: duration,
    };
    const target = this.target.url.href;
    const job = this.job.jobName;
    if (result.error && was !== 'down') {
      this.ctx.logger.warn(
        { job, target, reason: result.error.reason, err: result.error.message },
        'scrape target is down',
      );
    } else if (result.error) {
      this.ctx.logger.debug({ job, target, err: result.error.message }, 'scrape failed');
    } else if (was === 'down') {
      this.ctx.logger.info({ job, target }, 'scrape target is up again');
    }
    if (warning) this.ctx.logger.debug({ job, target, warning }, 'scrape content type');
    if (result.duplicates + result.outOfOrder > 0) {
      this.ctx.logger.warn(
        { job, target, duplicates: result.duplicates, outOfOrder: result.outOfOrder },
        'the target exposed some series more than once at the same timestamp, or out of time order; those samples were dropped',
      );
    }
  }
}
