/**
 * A deterministic node_exporter-like workload: `hosts` hosts, each exposing the same ~500 series
 * (counters, gauges and one classic histogram family), scraped every `intervalMs`.
 * Values follow seeded pseudo-random walks, so every run produces identical bytes.
 */
/** Bump when the generated data changes, so cached workload files are regenerated. */
export const WORKLOAD_VERSION = 2;

export interface SeriesDef {
  /** Sorted label pairs, __name__ included. */
  readonly labels: readonly [string, string][];
  readonly kind: 'counter' | 'gauge' | 'bucket' | 'sum' | 'count';
}

const CPU_MODES = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
const DEVICES = ['eth0', 'eth1', 'lo', 'docker0'];
const DISKS = ['sda', 'sdb', 'nvme0n1', 'dm-0'];
const MOUNTS: [string, string, string][] = [
  ['/dev/sda1', 'ext4', '/'],
  ['/dev/sdb1', 'xfs', '/data'],
  ['tmpfs', 'tmpfs', '/run'],
  ['tmpfs', 'tmpfs', '/dev/shm'],
  ['/dev/nvme0n1p1', 'ext4', '/var/lib'],
  ['overlay', 'overlay', '/var/lib/docker'],
];
const HANDLERS = ['/api/v1/query', '/api/v1/write', '/metrics', '/-/healthy', '/'];
const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];

/** The per-host series template (labels other than job/instance). */
function hostTemplate(): { name: string; extra: [string, string][]; kind: SeriesDef['kind'] }[] {
  const out: { name: string; extra: [string, string][]; kind: SeriesDef['kind'] }[] = [];
  for (let cpu = 0; cpu < 8; cpu++) {
    for (const mode of CPU_MODES)
      out.push({
        name: 'node_cpu_seconds_total',
        extra: [
          ['cpu', String(cpu)],
          ['mode', mode],
        ],
        kind: 'counter',
      });
  }
  for (const m of [
    'receive_bytes',
    'transmit_bytes',
    'receive_packets',
    'transmit_packets',
    'receive_errs',
    'transmit_errs',
    'receive_drop',
    'transmit_drop',
    'receive_multicast',
    'transmit_colls',
  ]) {
    for (const d of DEVICES)
      out.push({ name: `node_network_${m}_total`, extra: [['device', d]], kind: 'counter' });
  }
  for (const m of ['size_bytes', 'free_bytes', 'avail_bytes', 'files', 'files_free']) {
    for (const [device, fstype, mountpoint] of MOUNTS) {
      out.push({
        name: `node_filesystem_${m}`,
        extra: [
          ['device', device],
          ['fstype', fstype],
          ['mountpoint', mountpoint],
        ],
        kind: 'gauge',
      });
    }
  }
  for (const m of [
    'reads_completed',
    'writes_completed',
    'read_bytes',
    'written_bytes',
    'io_time_seconds',
    'read_time_seconds',
    'write_time_seconds',
    'reads_merged',
    'writes_merged',
    'discards_completed',
    'io_time_weighted_seconds',
    'flush_requests',
  ]) {
    for (const d of DISKS)
      out.push({ name: `node_disk_${m}_total`, extra: [['device', d]], kind: 'counter' });
  }
  for (let i = 0; i < 50; i++)
    out.push({ name: `node_memory_field${String(i).padStart(2, '0')}_bytes`, extra: [], kind: 'gauge' });
  for (const h of HANDLERS) {
    for (const le of BUCKETS)
      out.push({
        name: 'http_request_duration_seconds_bucket',
        extra: [
          ['handler', h],
          ['le', le],
        ],
        kind: 'bucket',
      });
    out.push({ name: 'http_request_duration_seconds_sum', extra: [['handler', h]], kind: 'sum' });
    out.push({ name: 'http_request_duration_seconds_count', extra: [['handler', h]], kind: 'count' });
  }
  for (let i = 0; i < 48; i++)
    out.push({ name: `go_runtime_metric_${String(i).padStart(2, '0')}`, extra: [], kind: 'gauge' });
  for (let i = 0; out.length < 500; i++)
    out.push({ name: `node_vmstat_counter_${String(i).padStart(3, '0')}_total`, extra: [], kind: 'counter' });
  return out;
}

export function workloadSeries(hosts: number): SeriesDef[] {
  const template = hostTemplate();
  const out: SeriesDef[] = [];
  for (let h = 0; h < hosts; h++) {
    const instance = `host-${String(h).padStart(4, '0')}:9100`;
    for (const t of template) {
      const labels: [string, string][] = [
        ['__name__', t.name],
        ['instance', instance],
        ['job', 'node'],
        ...t.extra,
      ];
      labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      out.push({ labels, kind: t.kind });
    }
  }
  return out;
}

/** xorshift32: fast, seeded, identical across runs. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

/**
 * Produces each series' value at step k, in series order. Counters grow by integer or
 * fractional amounts, gauges walk, histogram buckets are cumulative counts consistent across `le`.
 */
export class ValueGenerator {
  private readonly state: Float64Array;
  private readonly random = rng(42);
  /** Counters of seconds grow by hundredths; the rest by whole numbers. */
  private readonly fractional: boolean[];

  constructor(private readonly series: readonly SeriesDef[]) {
    this.state = new Float64Array(series.length);
    this.fractional = series.map((s) =>
      s.labels.some(([n, v]) => n === '__name__' && v.includes('_seconds')),
    );
    for (let i = 0; i < series.length; i++) this.state[i] = Math.floor(this.random() * 1e6);
  }

  /**
   * Advances one scrape and writes every series' value into `out`. The mix follows what
   * node_exporter exposes: byte and packet counters grow by integers, CPU-seconds counters by
   * hundredths, memory gauges move in pages, a quarter of gauges rarely change, and some
   * (load, temperatures) are fresh two-decimal readings each scrape.
   */
  next(out: Float64Array): void {
    const r = this.random;
    let bucketRun = 0;
    for (let i = 0; i < this.series.length; i++) {
      const kind = this.series[i].kind;
      let v = this.state[i];
      if (kind === 'counter')
        v = this.fractional[i] ? Math.round((v + r() * 15) * 100) / 100 : v + Math.round(r() * 1000);
      else if (kind === 'gauge') {
        const style = i % 4;
        if (style === 0) v = Math.max(0, v + Math.round((r() - 0.5) * 64) * 4096);
        else if (style === 1) v = r() < 0.02 ? v + 1 : v;
        else if (style === 2) v = Math.round(r() * 400) / 100;
        else v = Math.max(0, v + Math.round((r() - 0.5) * 10));
      } else if (kind === 'bucket') {
        // Cumulative: each bucket grows at least as much as the one before it.
        bucketRun =
          this.series[i - 1]?.kind === 'bucket' ? bucketRun + Math.round(r() * 5) : Math.round(r() * 5);
        v += bucketRun;
      } else if (kind === 'count') v += bucketRun;
      else v = Math.round((v + r() * 2) * 1000) / 1000;
      this.state[i] = v;
      out[i] = v;
    }
  }
}
