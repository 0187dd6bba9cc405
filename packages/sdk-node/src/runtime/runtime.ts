/**
 * Runtime and process metrics, under the names prom-client uses so existing dashboards work:
 * event-loop lag (percentiles from perf_hooks' delay histogram) and utilisation, heap and RSS,
 * GC pauses by kind, active resources by type, CPU time, open file descriptors; optionally host
 * CPU, memory and disk. Values are read when metrics are collected, so they cost nothing between
 * scrapes; only the GC observer (in C++) and the event-loop delay sampler (one timer callback per
 * resolution tick) run continuously.
 */
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import os from 'node:os';
import {
  constants,
  createHistogram,
  type EventLoopUtilization,
  PerformanceObserver,
  performance,
} from 'node:perf_hooks';
import { reportError } from '../errors.ts';
import type { Registry } from '../metrics/registry.ts';

/** Options of the runtime metrics. */
export interface RuntimeMetricsOptions {
  /** Also host metrics (CPU, memory, load, disk). Default false. */
  host?: boolean;
  /** Paths whose file systems are reported when `host` is on (default `/`). */
  diskPaths?: readonly string[];
  /** Event-loop delay sampling resolution in ms (default 10). */
  eventLoopResolutionMs?: number;
}

/** Running runtime metrics; `stop()` ends the observers. */
export interface RuntimeMetrics {
  stop(): void;
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

function maxFds(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the runtime metrics in `registry`. */
export function startRuntimeMetrics(registry: Registry, options: RuntimeMetricsOptions = {}): RuntimeMetrics {
  // Event-loop delay: a timer every `resolution` ms records the time since its previous tick, as
  // perf_hooks' monitorEventLoopDelay does (idle ≈ the resolution). Not that monitor itself: its
  // reset() also forgets when it last ticked, so a stall right after a collection (which resets
  // the histogram) was never recorded at all.
  const resolutionMs = options.eventLoopResolutionMs ?? 10;
  const delay = createHistogram();
  let lastTick = performance.now();
  const sampler = setInterval(() => {
    const now = performance.now();
    delay.record(Math.max(1, Math.round((now - lastTick) * 1e6)));
    lastTick = now;
  }, resolutionMs);
  sampler.unref();
  let lastElu: EventLoopUtilization = performance.eventLoopUtilization();

  // With no sample since the last collection (scraped again within one resolution tick) the
  // histogram reads min = 2^63 ns and mean = NaN; the gauges then keep their previous values.
  const lag = (name: string, help: string, read: () => number) =>
    registry.gauge({
      name,
      help,
      aggregate: 'perWorker',
      collect() {
        if (delay.count > 0) this.set(read() / 1e9);
      },
    });
  lag(
    'nodejs_eventloop_lag_min_seconds',
    'Smallest event-loop delay since the last collection.',
    () => delay.min,
  );
  lag(
    'nodejs_eventloop_lag_max_seconds',
    'Largest event-loop delay since the last collection.',
    () => delay.max,
  );
  lag(
    'nodejs_eventloop_lag_mean_seconds',
    'Mean event-loop delay since the last collection.',
    () => delay.mean,
  );
  lag('nodejs_eventloop_lag_p50_seconds', 'Median event-loop delay since the last collection.', () =>
    delay.percentile(50),
  );
  lag('nodejs_eventloop_lag_p90_seconds', '90th percentile event-loop delay since the last collection.', () =>
    delay.percentile(90),
  );
  // The last one read resets the histogram, so each collection covers the time since the previous.
  lag(
    'nodejs_eventloop_lag_p99_seconds',
    '99th percentile event-loop delay since the last collection.',
    () => {
      const v = delay.percentile(99);
      delay.reset();
      return v;
    },
  );
  registry.gauge({
    name: 'nodejs_eventloop_utilization_ratio',
    help: 'Share of time the event loop was busy since the last collection.',
    aggregate: 'perWorker',
    collect() {
      const now = performance.eventLoopUtilization();
      this.set(performance.eventLoopUtilization(now, lastElu).utilization);
      lastElu = now;
    },
  });

  const heapTotal = registry.gauge({
    name: 'nodejs_heap_size_total_bytes',
    help: 'V8 heap reserved.',
    aggregate: 'perWorker',
  });
  const external = registry.gauge({
    name: 'nodejs_external_memory_bytes',
    help: 'Memory of C++ objects bound to JS.',
    aggregate: 'perWorker',
  });
  const rss = registry.gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident set size.',
    aggregate: 'perWorker',
  });
  // One memoryUsage() call per collection sets all four.
  registry.gauge({
    name: 'nodejs_heap_size_used_bytes',
    help: 'V8 heap in use.',
    aggregate: 'perWorker',
    collect() {
      const m = process.memoryUsage();
      this.set(m.heapUsed);
      heapTotal.set(m.heapTotal);
      external.set(m.external);
      rss.set(m.rss);
    },
  });

  const gc = registry.histogram({
    name: 'nodejs_gc_duration_seconds',
    help: 'Garbage collection pauses by kind.',
    labelNames: ['kind'],
    buckets: [0.001, 0.01, 0.1, 1, 2, 5],
    unit: 'seconds',
  });
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail = (entry as unknown as { detail?: { kind?: number } }).detail;
      const kind = GC_KINDS[detail?.kind ?? -1] ?? 'unknown';
      gc.observe({ kind }, entry.duration / 1000);
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });

  registry.gauge({
    name: 'nodejs_active_resources',
    help: 'Resources keeping the event loop alive, by type (sockets, timers, …).',
    labelNames: ['type'],
    aggregate: 'perWorker',
    collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const t of process.getActiveResourcesInfo()) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const [type, n] of counts) this.set({ type }, n);
    },
  });

  let lastCpu = { user: 0, system: 0 };
  const cpuUser = registry.counter({ name: 'process_cpu_user_seconds_total', help: 'User CPU time.' });
  const cpuSystem = registry.counter({ name: 'process_cpu_system_seconds_total', help: 'System CPU time.' });
  registry.counter({
    name: 'process_cpu_seconds_total',
    help: 'User and system CPU time.',
    collect() {
      const now = process.cpuUsage();
      const du = (now.user - lastCpu.user) / 1e6;
      const ds = (now.system - lastCpu.system) / 1e6;
      lastCpu = now;
      cpuUser.inc(du);
      cpuSystem.inc(ds);
      this.inc(du + ds);
    },
  });

  const fdLimit = maxFds();
  if (process.platform === 'linux') {
    registry.gauge({
      name: 'process_open_fds',
      help: 'Open file descriptors.',
      aggregate: 'perWorker',
      collect() {
        try {
          this.set(readdirSync('/proc/self/fd').length);
        } catch (err) {
          reportError(err, 'reading /proc/self/fd');
        }
      },
    });
    if (fdLimit !== undefined) {
      registry
        .gauge({ name: 'process_max_fds', help: 'Limit on open file descriptors.', aggregate: 'max' })
        .set(fdLimit);
    }
  }
  registry
    .gauge({
      name: 'process_start_time_seconds',
      help: 'Start time of the process, Unix seconds.',
      aggregate: 'min',
    })
    .set(Math.round((Date.now() - process.uptime() * 1000) / 1000));
  const [major, minor, patch] = process.versions.node.split('.');
  registry
    .gauge({
      name: 'nodejs_version_info',
      help: 'Node.js version.',
      labelNames: ['version', 'major', 'minor', 'patch'],
      aggregate: 'max',
    })
    .set({ version: process.version, major, minor, patch }, 1);

  if (options.host) startHostMetrics(registry, options.diskPaths ?? ['/']);

  return {
    stop() {
      clearInterval(sampler);
      gcObserver.disconnect();
    },
  };
}

function startHostMetrics(registry: Registry, diskPaths: readonly string[]): void {
  let lastTimes = cpuTimes();
  registry.gauge({
    name: 'host_cpu_utilization_ratio',
    help: 'Share of host CPU time not idle since the last collection, over all cores.',
    aggregate: 'max',
    collect() {
      const now = cpuTimes();
      const total = now.total - lastTimes.total;
      this.set(total > 0 ? 1 - (now.idle - lastTimes.idle) / total : 0);
      lastTimes = now;
    },
  });
  registry.gauge({ name: 'host_cpu_count', help: 'Logical CPUs.', aggregate: 'max' }).set(os.cpus().length);
  registry.gauge({
    name: 'host_load1',
    help: 'Host load average over 1 minute.',
    aggregate: 'max',
    collect() {
      this.set(os.loadavg()[0]);
    },
  });
  registry.gauge({
    name: 'host_memory_total_bytes',
    help: 'Host memory.',
    aggregate: 'max',
    collect() {
      this.set(os.totalmem());
    },
  });
  registry.gauge({
    name: 'host_memory_free_bytes',
    help: 'Host memory free.',
    aggregate: 'max',
    collect() {
      this.set(os.freemem());
    },
  });
  const diskTotal = registry.gauge({
    name: 'host_disk_total_bytes',
    help: 'File system size.',
    labelNames: ['path'],
    aggregate: 'max',
  });
  registry.gauge({
    name: 'host_disk_free_bytes',
    help: 'File system space available to unprivileged users.',
    labelNames: ['path'],
    aggregate: 'max',
    collect() {
      for (const path of diskPaths) {
        try {
          const s = statfsSync(path);
          diskTotal.set({ path }, s.blocks * s.bsize);
          this.set({ path }, s.bavail * s.bsize);
        } catch (err) {
          reportError(err, `reading file system stats of ${path}`);
        }
      }
    },
  });
}

function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}
