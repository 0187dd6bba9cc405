import type { SelfMetrics } from './metrics.ts';

/**
 * Process metrics under the names Prometheus client libraries use (process_*, nodejs_*), so the
 * usual dashboards work for Vigil itself.
 */
export function registerProcessMetrics(self: SelfMetrics): void {
  const rss = self.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.');
  const heapUsed = self.gauge('nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes.');
  const heapTotal = self.gauge('nodejs_heap_size_total_bytes', 'V8 heap reserved, in bytes.');
  const external = self.gauge(
    'nodejs_external_memory_bytes',
    'Memory of C++ objects bound to JS objects (incl. ArrayBuffers), in bytes.',
  );
  const cpu = self.gauge('process_cpu_seconds_total', 'User and system CPU time spent, in seconds.');
  const start = self.gauge(
    'process_start_time_seconds',
    'Start time of the process since the Unix epoch, in seconds.',
  );
  start.set(Math.round(Date.now() / 1000 - process.uptime()));
  rss.collect(() => {
    const m = process.memoryUsage();
    rss.set(m.rss);
    heapUsed.set(m.heapUsed);
    heapTotal.set(m.heapTotal);
    external.set(m.external);
    const u = process.cpuUsage();
    cpu.set((u.user + u.system) / 1e6);
  });
}
