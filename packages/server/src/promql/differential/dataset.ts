/**
 * The deterministic data set the differential tests send to both Vigil and Prometheus: about 300
 * series of counters, gauges and classic histograms with several label dimensions, one sample
 * every 15s for an hour, with the awkward parts real data has: counter resets, gaps longer than
 * the lookback delta, staleness markers (the StaleNaN bit pattern), a series that starts late, one
 * that ends with a staleness marker, genuine NaN and +Inf values, and label values full of regex
 * metacharacters.
 *
 * Timestamps carry a per-scrape jitter that keeps their millisecond part in [100, 450). Queries
 * are evaluated at times whose millisecond part is 700 and subqueries step on whole seconds, so
 * no window boundary ever coincides with a sample: Prometheus 2.42's closed windows and 3.x's
 * left-open windows then select the same samples.
 */

/** Samples per series: one hour at 15s, both ends included. */
export const STEPS = 241;
/** Scrape interval of the data set (ms). */
export const INTERVAL_MS = 15_000;

/** A sample that is absent at this step (a gap), or a staleness marker. */
export type StepValue = number | 'gap' | 'stale';

/** One series: sorted label pairs (`__name__` included) and its samples in time order. */
export interface DatasetSeries {
  readonly labels: readonly (readonly [string, string])[];
  readonly timestamps: readonly number[];
  /** Float64Array so that the StaleNaN payload survives (plain arrays may canonicalise NaN). */
  readonly values: Float64Array;
}

/** Prometheus's staleness marker, 0x7ff0000000000002, as a number. */
export const STALE_NAN_BITS = 0x7ff0000000000002n;
const staleScratch = new DataView(new ArrayBuffer(8));
staleScratch.setBigUint64(0, STALE_NAN_BITS);
const STALE_NAN = staleScratch.getFloat64(0);

/** xorshift32: seeded, identical on every run and platform. */
function rng(seed: number): () => number {
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

const JOBS = ['api', 'worker'];
const INSTANCES = ['host-a:9100', 'host-b:9100', 'host-c:9100'];
const BUCKETS = ['0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];

interface Family {
  readonly labels: [string, string][];
  readonly value: (step: number) => StepValue;
}

/** Label pairs sorted by name, the order remote write and both systems expect. */
function sorted(labels: [string, string][]): [string, string][] {
  return [...labels].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * A counter: increments from `next()` (at most `maxIncrement` per scrape), optionally a reset to
 * a small value at `resetAt`. It starts far above its increments, like a counter that has been
 * running for a while: then the "zero point" of rate()'s extrapolation never falls inside a
 * window, the one case where 2.42 and 3.x (since 2.51) extrapolate differently.
 */
function counter(
  random: () => number,
  maxIncrement: number,
  next: () => number,
  resetAt?: number,
): (step: number) => number {
  let v = Math.floor(maxIncrement * 4 + random() * 10_000);
  const values: number[] = [];
  for (let k = 0; k < STEPS; k++) {
    if (k === resetAt) v = Math.floor(random() * 5);
    else if (k > 0) v += Math.min(maxIncrement, next());
    values.push(v);
  }
  return (k) => values[k];
}

/** A gauge: a random walk from `start` with steps from `delta()`, rounded to `decimals`. */
function gauge(start: number, delta: () => number, decimals: number): (step: number) => number {
  let v = start;
  const values: number[] = [];
  const scale = 10 ** decimals;
  for (let k = 0; k < STEPS; k++) {
    if (k > 0) v = Math.round((v + delta()) * scale) / scale;
    values.push(v);
  }
  return (k) => values[k];
}

function families(): Family[] {
  const r = rng(20240917);
  const out: Family[] = [];
  const hosts: [string, string][] = [];
  for (const job of JOBS) for (const instance of INSTANCES) hosts.push([job, instance]);

  hosts.forEach(([job, instance], h) => {
    const base: [string, string][] = [
      ['job', job],
      ['instance', instance],
    ];
    // Request counters by method and status; two of them reset.
    for (const method of ['GET', 'POST'])
      for (const status of ['200', '404', '500']) {
        const weight = status === '200' ? 50 : status === '404' ? 5 : 1;
        const resetAt =
          h === 0 && method === 'GET' && status === '200'
            ? 120
            : h === 4 && method === 'POST' && status === '500'
              ? 200
              : undefined;
        const requests = counter(r, weight * 15, () => Math.floor(r() * weight * 15), resetAt);
        const late = h === 5 && method === 'GET' && status === '404'; // starts 15 minutes late
        const gap = h === 1 && method === 'POST' && status === '200'; // 12.5 minutes missing
        out.push({
          labels: [...base, ['__name__', 'vd_http_requests_total'], ['method', method], ['status', status]],
          value: (k) => ((late && k < 60) || (gap && k >= 100 && k < 150) ? 'gap' : requests(k)),
        });
      }
    // CPU seconds by cpu and mode: counters growing by hundredths.
    for (const cpu of ['0', '1'])
      for (const mode of ['idle', 'iowait', 'system', 'user']) {
        const share = mode === 'idle' ? 12 : mode === 'user' ? 2 : mode === 'system' ? 0.7 : 0.05;
        out.push({
          labels: [...base, ['__name__', 'vd_cpu_seconds_total'], ['cpu', cpu], ['mode', mode]],
          value: counter(r, Math.ceil(share), () => Math.round(r() * share * 100) / 100),
        });
      }
    // Temperatures: two-decimal walks, the outdoor sensor crossing zero.
    for (const sensor of ['cpu', 'disk', 'board', 'outdoor']) {
      const start = sensor === 'outdoor' ? 1.5 : 35 + h * 2 + (sensor === 'cpu' ? 20 : 0);
      out.push({
        labels: [...base, ['__name__', 'vd_temperature_celsius'], ['sensor', sensor]],
        value: gauge(start, () => (r() - 0.5) * 1.2, 2),
      });
    }
    // Memory: large gauges moving in 4 KiB pages.
    for (const type of ['used', 'cached', 'free']) {
      const start = (type === 'used' ? 6e9 : type === 'cached' ? 2e9 : 8e9) + h * 123_456_789;
      out.push({
        labels: [...base, ['__name__', 'vd_memory_bytes'], ['type', type]],
        value: gauge(Math.round(start / 4096) * 4096, () => Math.round((r() - 0.5) * 2000) * 4096, 0),
      });
    }
    // Queue lengths: small integers with zeros; the odd ones out have gaps and staleness.
    for (const queue of ['email', 'billing']) {
      const walk = gauge(3, () => Math.round((r() - 0.5) * 4), 0);
      const special = `${h}:${queue}`;
      out.push({
        labels: [...base, ['__name__', 'vd_queue_length'], ['queue', queue]],
        value: (k) => {
          const v = Math.max(0, walk(k));
          if (special === '1:email' && k >= 100 && k < 150) return 'gap'; // 12.5 minutes missing
          if (special === '2:email' && k === 180) return 'stale'; // goes stale, comes back at 200
          if (special === '2:email' && k > 180 && k < 200) return 'gap';
          if (special === '3:billing' && k === 220) return 'stale'; // ends with a staleness marker
          if (special === '3:billing' && k > 220) return 'gap';
          if (special === '5:email' && k < 60) return 'gap'; // starts 15 minutes late
          return v;
        },
      });
    }
    // A classic histogram per handler: cumulative buckets, _sum and _count; one set resets.
    for (const handler of ['/api/v1/query', '/']) {
      const resetAt = h === 3 && handler === '/' ? 150 : undefined;
      // Like every counter here, the buckets start well above their per-scrape increments.
      const counts = BUCKETS.map((_, b) => 200 + b * 100);
      const bucketValues: number[][] = BUCKETS.map(() => []);
      const sums: number[] = [];
      let sum = 250;
      for (let k = 0; k < STEPS; k++) {
        if (k === resetAt) {
          counts.fill(0);
          sum = 0;
        }
        let running = 0;
        for (let b = 0; b < BUCKETS.length; b++) {
          running += Math.floor(r() * (b < 3 ? 4 : 2) * (handler === '/' ? 3 : 1));
          counts[b] += running;
          bucketValues[b].push(counts[b]);
        }
        sum = Math.round((sum + running * (0.05 + r() * 0.4)) * 1000) / 1000;
        sums.push(sum);
      }
      for (const [b, le] of BUCKETS.entries())
        out.push({
          labels: [
            ...base,
            ['__name__', 'vd_request_duration_seconds_bucket'],
            ['handler', handler],
            ['le', le],
          ],
          value: (k) => bucketValues[b][k],
        });
      out.push({
        labels: [...base, ['__name__', 'vd_request_duration_seconds_sum'], ['handler', handler]],
        value: (k) => sums[k],
      });
      out.push({
        labels: [...base, ['__name__', 'vd_request_duration_seconds_count'], ['handler', handler]],
        value: (k) => bucketValues[BUCKETS.length - 1][k],
      });
    }
    // up: one target down for ten minutes.
    out.push({
      labels: [...base, ['__name__', 'vd_up']],
      value: (k) => (h === 2 && k >= 80 && k < 120 ? 0 : 1),
    });
    // An info metric for joins: exactly one per target.
    out.push({
      labels: [
        ...base,
        ['__name__', 'vd_build_info'],
        ['version', `1.${h % 3}.0`],
        ['goversion', h < 3 ? 'go1.21' : 'go1.22'],
      ],
      value: () => 1,
    });
    // Ratios in (-1, 1) for the inverse trigonometric functions.
    for (const kind of ['hit', 'error']) {
      const walk = gauge(kind === 'hit' ? 0.5 : -0.3, () => (r() - 0.5) * 0.1, 3);
      out.push({
        labels: [...base, ['__name__', 'vd_ratio'], ['kind', kind]],
        value: (k) => Math.max(-0.999, Math.min(0.999, walk(k))),
      });
    }
  });

  // Label values that are regex metacharacters, spaces and non-ASCII.
  ['/api/v1/query', '/a.b*c', 'with space', 'zürich|(x)'].forEach((path, i) => {
    out.push({
      labels: [
        ['__name__', 'vd_path_hits_total'],
        ['job', 'edge'],
        ['path', path],
      ],
      value: counter(r, (i + 1) * 3, () => Math.floor(r() * (i + 1) * 3)),
    });
  });
  // Genuine NaN and +Inf samples (not staleness markers).
  const odd = gauge(10, () => (r() - 0.5) * 2, 1);
  out.push({
    labels: [
      ['__name__', 'vd_odd_values'],
      ['job', 'edge'],
      ['kind', 'nan'],
    ],
    value: (k) => (k % 40 === 17 ? Number.NaN : odd(k)),
  });
  out.push({
    labels: [
      ['__name__', 'vd_odd_values'],
      ['job', 'edge'],
      ['kind', 'inf'],
    ],
    value: (k) => (k % 50 === 33 ? Number.POSITIVE_INFINITY : odd(k) * 2),
  });
  return out;
}

/**
 * Builds the data set with its first scrape at `startMs` (which should be a whole second).
 * Each scrape's timestamp is `startMs + k * 15s + 100ms + jitter`, the jitter below 350ms.
 */
export function buildDataset(startMs: number): DatasetSeries[] {
  const jitter = rng(7);
  return families().map((family) => {
    const timestamps: number[] = [];
    const values = new Float64Array(STEPS);
    for (let k = 0; k < STEPS; k++) {
      const t = startMs + k * INTERVAL_MS + 100 + Math.floor(jitter() * 350);
      const v = family.value(k);
      if (v === 'gap') continue;
      values[timestamps.length] = v === 'stale' ? STALE_NAN : v;
      timestamps.push(t);
    }
    return { labels: sorted(family.labels), timestamps, values: values.slice(0, timestamps.length) };
  });
}

/** True when `v` is the staleness marker bit pattern. */
export function isStaleMarker(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  staleScratch.setFloat64(0, v);
  return staleScratch.getBigUint64(0) === STALE_NAN_BITS;
}
