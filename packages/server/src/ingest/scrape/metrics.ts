import type { Counter, Gauge, Histogram, SelfMetrics } from '../../self/metrics.ts';

/** The scraper's self-metrics (vigil_scrape_*), registered once per server. */
export interface ScrapeSelfMetrics {
  readonly targets: Gauge;
  readonly scrapes: Counter;
  readonly failures: Counter;
  readonly duration: Histogram;
  readonly samples: Counter;
  readonly staleMarkers: Counter;
  readonly droppedSamples: Counter;
  readonly targetErrors: Counter;
  readonly fileSdReadErrors: Counter;
  readonly reloads: Counter;
}

/** Registers (or finds) the scraper's self-metrics. */
export function scrapeSelfMetrics(self: SelfMetrics): ScrapeSelfMetrics {
  return {
    targets: self.gauge('vigil_scrape_targets', 'Targets being scraped, by job.', ['job']),
    scrapes: self.counter('vigil_scrape_scrapes_total', 'Scrapes performed, by job.', ['job']),
    failures: self.counter(
      'vigil_scrape_failures_total',
      'Scrapes that failed (up = 0), by job and reason: http, timeout, body_size_limit, content_type, parse, sample_limit, label_limit, invalid_series, target_limit, config.',
      ['job', 'reason'],
    ),
    duration: self.histogram(
      'vigil_scrape_duration_seconds',
      'Time from scrape start to parsed body, by job.',
      ['job'],
    ),
    samples: self.counter(
      'vigil_scrape_samples_total',
      'Samples scraped and kept after metric relabeling, by job.',
      ['job'],
    ),
    staleMarkers: self.counter(
      'vigil_scrape_stale_markers_total',
      'Staleness markers written for series that disappeared, by job.',
      ['job'],
    ),
    droppedSamples: self.counter(
      'vigil_scrape_dropped_samples_total',
      'Scraped samples not stored because the exposition repeated a series at one timestamp (duplicate) or went back in time (out_of_order), by job.',
      ['job', 'reason'],
    ),
    targetErrors: self.counter(
      'vigil_scrape_target_errors_total',
      'Discovered targets that could not be scraped because their labels were invalid after relabeling, by job.',
      ['job'],
    ),
    fileSdReadErrors: self.counter(
      'vigil_scrape_file_sd_read_errors_total',
      'file_sd files that could not be read or parsed.',
    ),
    reloads: self.counter('vigil_scrape_reloads_total', 'Scrape configuration reloads, by result.', [
      'result',
    ]),
  };
}
