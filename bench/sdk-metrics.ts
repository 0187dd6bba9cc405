/**
 * @vigil/node metrics vs prom-client, side by side in one run (a benchmark, not a test):
 *
 *   npm run build -w @vigil/node && node --expose-gc --import tsx bench/sdk-metrics.ts
 *
 * Operations: counter increment with labels, bound counter increment, histogram observe with
 * labels, exposition of 10,000 series. Rounds alternate between the two libraries; the median
 * round is reported. @vigil/node runs as a service runs it: AsyncLocalStorage context manager
 * registered (for exemplars), first with no active span, then inside a sampled span (so every
 * observation also records an exemplar, which prom-client does not do).
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
// The built package, as apps run it (npm run build -w @vigil/node first): running the sources
// through tsx would add its keep-names wrappers to every closure.
import { Registry } from '@vigil/node';
import client from 'prom-client';

const ROUNDS = 7;
/** Rounds run first and not counted, so both libraries are measured after the JIT settled. */
const WARMUP = 2;
const METHODS = ['GET', 'POST', 'PUT'];
const ROUTES = ['/api/orders/:id', '/api/items', '/checkout', '/health'];
const STATUS = ['200', '201', '404', '500'];
// 48 label sets (12 for the histogram), visited in a fixed pseudo-random order so neither library sees one hot key.
const LABELS = Array.from({ length: 4096 }, (_, i) => ({
  method: METHODS[(i * 7) % 3],
  route: ROUTES[(i * 13) % 4],
  status: STATUS[(i * 17) % 4],
}));
const HISTOGRAM_LABELS = LABELS.map(({ method, route }) => ({ method, route }));
const VALUES = Array.from({ length: 4096 }, (_, i) => ((i * 7919) % 1000) / 400);

type Op = { name: string; iterations: number; vigil: () => void; prom: () => void | Promise<void> };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function time(fn: () => void | Promise<void>, iterations: number, batch: boolean): Promise<number> {
  const start = process.hrtime.bigint();
  if (batch) fn();
  else for (let i = 0; i < iterations; i++) await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function makeOps(): Op[] {
  const vr = new Registry({ maxSeries: 100_000 });
  const pr = new client.Registry();
  const vc = vr.counter({ name: 'requests_total', help: 'R.', labelNames: ['method', 'route', 'status'] });
  const pc = new client.Counter({
    name: 'requests_total',
    help: 'R.',
    labelNames: ['method', 'route', 'status'],
    registers: [pr],
  });
  const vb = vc.labels({ method: 'GET', route: '/checkout', status: '200' });
  const pb = pc.labels({ method: 'GET', route: '/checkout', status: '200' });
  const vh = vr.histogram({ name: 'duration_seconds', help: 'D.', labelNames: ['method', 'route'] });
  const ph = new client.Histogram({
    name: 'duration_seconds',
    help: 'D.',
    labelNames: ['method', 'route'],
    registers: [pr],
  });
  const N = 2_000_000;
  return [
    {
      name: 'counter inc with 3 labels',
      iterations: N,
      vigil: () => {
        for (let i = 0; i < N; i++) vc.inc(LABELS[i & 4095]);
      },
      prom: () => {
        for (let i = 0; i < N; i++) pc.inc(LABELS[i & 4095]);
      },
    },
    {
      name: 'bound counter inc',
      iterations: N * 5,
      vigil: () => {
        for (let i = 0; i < N * 5; i++) vb.inc();
      },
      prom: () => {
        for (let i = 0; i < N * 5; i++) pb.inc();
      },
    },
    {
      name: 'histogram observe with 2 labels',
      iterations: N,
      vigil: () => {
        for (let i = 0; i < N; i++) vh.observe(HISTOGRAM_LABELS[i & 4095], VALUES[i & 4095]);
      },
      prom: () => {
        for (let i = 0; i < N; i++) ph.observe(HISTOGRAM_LABELS[i & 4095], VALUES[i & 4095]);
      },
    },
  ];
}

/** 10,000 series: 4,000 counter series, 1,000 gauge series, 5,000 histogram series (500 histograms × 10 lines). */
function makeExposition(): { vigil: Registry; prom: client.Registry; series: number } {
  const vigil = new Registry({ maxSeries: 100_000 });
  const prom = new client.Registry();
  const vc = vigil.counter({ name: 'c_total', help: 'C.', labelNames: ['a', 'b'] });
  const pc = new client.Counter({ name: 'c_total', help: 'C.', labelNames: ['a', 'b'], registers: [prom] });
  const vg = vigil.gauge({ name: 'g', help: 'G.', labelNames: ['a'] });
  const pg = new client.Gauge({ name: 'g', help: 'G.', labelNames: ['a'], registers: [prom] });
  const buckets = [0.01, 0.05, 0.1, 0.5, 1, 5, 10];
  const vh = vigil.histogram({ name: 'h_seconds', help: 'H.', labelNames: ['a'], buckets });
  const ph = new client.Histogram({
    name: 'h_seconds',
    help: 'H.',
    labelNames: ['a'],
    buckets,
    registers: [prom],
  });
  for (let i = 0; i < 4000; i++) {
    const l = { a: `value-${i % 200}`, b: `b${Math.floor(i / 200)}` };
    vc.inc(l, i);
    pc.inc(l, i);
  }
  for (let i = 0; i < 1000; i++) {
    vg.set({ a: `g${i}` }, i * 1.5);
    pg.set({ a: `g${i}` }, i * 1.5);
  }
  for (let i = 0; i < 500; i++) {
    for (let k = 0; k < 5; k++) {
      vh.observe({ a: `h${i}` }, k * 0.7);
      ph.observe({ a: `h${i}` }, k * 0.7);
    }
  }
  const count = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#')).length;
  return { vigil, prom, series: count(vigil.render()) };
}

function fmt(opsPerSecond: number): string {
  return opsPerSecond >= 1e6
    ? `${(opsPerSecond / 1e6).toFixed(1)} M/s`
    : `${Math.round(opsPerSecond).toLocaleString()}/s`;
}

async function runOps(label: string, inSpan: boolean): Promise<void> {
  const tracer = new BasicTracerProvider().getTracer('bench');
  const ops = makeOps();
  console.log(`\n${label}`);
  console.log('| operation | @vigil/node | prom-client | ratio |\n| --- | ---: | ---: | ---: |');
  for (const op of ops) {
    const v: number[] = [];
    const p: number[] = [];
    const run = (fn: () => void) =>
      inSpan
        ? tracer.startActiveSpan('req', (s) => {
            const t = time(fn, op.iterations, true);
            s.end();
            return t;
          })
        : time(fn, op.iterations, true);
    for (let r = 0; r < WARMUP + ROUNDS; r++) {
      const vt = await run(op.vigil);
      const pt = await run(op.prom as () => void);
      if (r < WARMUP) continue;
      v.push(op.iterations / vt);
      p.push(op.iterations / pt);
    }
    const mv = median(v);
    const mp = median(p);
    console.log(`| ${op.name} | ${fmt(mv)} | ${fmt(mp)} | ${(mv / mp).toFixed(1)}× |`);
  }
}

async function runExposition(): Promise<void> {
  const { vigil, prom, series } = makeExposition();
  const v: number[] = [];
  const p: number[] = [];
  // With --expose-gc, a collection before each timed scrape keeps one library's garbage from
  // being collected during the other's turn.
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  for (let r = 0; r < WARMUP * 5 + ROUNDS * 3; r++) {
    gc();
    let t = process.hrtime.bigint();
    await vigil.metrics();
    const vt = Number(process.hrtime.bigint() - t) / 1e6;
    gc();
    t = process.hrtime.bigint();
    await prom.metrics();
    const pt = Number(process.hrtime.bigint() - t) / 1e6;
    if (r < WARMUP * 5) continue;
    v.push(vt);
    p.push(pt);
  }
  const mv = median(v);
  const mp = median(p);
  console.log(
    `\nexposition of ${series.toLocaleString()} series (text format 0.0.4), median of ${ROUNDS * 3}`,
  );
  console.log('| | @vigil/node | prom-client | ratio |\n| --- | ---: | ---: | ---: |');
  console.log(`| time per scrape | ${mv.toFixed(2)} ms | ${mp.toFixed(2)} ms | ${(mp / mv).toFixed(1)}× |`);
  const om: number[] = [];
  for (let r = 0; r < WARMUP * 5 + ROUNDS * 3; r++) {
    gc();
    const t = process.hrtime.bigint();
    await vigil.metrics(true);
    if (r >= WARMUP * 5) om.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  console.log(`| OpenMetrics (@vigil/node only) | ${median(om).toFixed(2)} ms | | |`);
}

console.log(
  `node ${process.version}, prom-client ${(await import('prom-client/package.json', { with: { type: 'json' } })).default.version}`,
);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
await runOps('AsyncLocalStorage context registered, no active span', false);
await runOps('inside a sampled span (@vigil/node also records exemplars)', true);
await runExposition();
