/**
 * Remote-write decode benchmark: the generated @bufbuild decoder vs the hand-written one
 * (packages/server/src/ingest/remote-write/decode.ts), on the same pre-encoded requests.
 *
 *   node --import tsx bench/remote-write-decode.ts [--hosts 50] [--rounds 15]
 *
 * Workload: `hosts` × 400 node_exporter-like series with ~10 labels each (the target's labels plus
 * Kubernetes-style ones and a replica external label), one sample per series per request and 2000
 * samples per request, which is the shape of Prometheus's steady-state remote write. Requests are
 * encoded with the generated code and snappy-compressed up front.
 *
 * Reported per decoder: samples/s of one pass through every request (after a warm-up pass), best
 * and median of `rounds` passes, for protobuf decode alone and for snappy + decode. Both produce what the handler needs
 * (sorted label sets and Float64Arrays). The hand-written decoder runs twice: with its label cache
 * off (every series decoded as new) and on (series seen before, the steady state).
 */
import { parseArgs } from 'node:util';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import snappy from 'snappy';
import { WriteRequestSchema } from '../packages/server/src/gen/remote_pb.ts';
import { WriteRequestDecoder } from '../packages/server/src/ingest/remote-write/decode.ts';
import { decodeWriteRequestGenerated } from '../packages/server/src/ingest/remote-write/decode-generated.ts';
import type { DecodedWriteRequest } from '../packages/server/src/ingest/remote-write/decoded.ts';
import { decompressSnappyBlock } from '../packages/server/src/ingest/remote-write/snappy-body.ts';

const { values: args } = parseArgs({
  options: {
    hosts: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '15' },
  },
});
const hosts = Number(args.hosts);
const rounds = Number(args.rounds);
const SAMPLES_PER_REQUEST = 2000;

/** ~400 series per host: CPU, network, filesystem, disk and memory families as node_exporter has. */
function hostSeries(host: number): [string, string][][] {
  const common: [string, string][] = [
    ['cluster', 'prod-eu-west-1'],
    ['container', 'node-exporter'],
    ['instance', `10.0.${host >> 8}.${host & 255}:9100`],
    ['job', 'node-exporter'],
    ['namespace', 'monitoring'],
    ['node', `ip-10-0-${host >> 8}-${host & 255}.eu-west-1.compute.internal`],
    ['pod', `node-exporter-${(host * 2654435761).toString(36).slice(-5)}`],
    ['prometheus_replica', 'prometheus-k8s-0'],
  ];
  const out: [string, string][][] = [];
  const add = (name: string, extra: [string, string][]) =>
    out.push([['__name__', name], ...common, ...extra]);
  for (let cpu = 0; cpu < 16; cpu++) {
    for (const mode of ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user']) {
      add('node_cpu_seconds_total', [
        ['cpu', String(cpu)],
        ['mode', mode],
      ]);
    }
  }
  for (const m of [
    'receive_bytes',
    'transmit_bytes',
    'receive_packets',
    'transmit_packets',
    'receive_errs',
  ]) {
    for (const device of ['eth0', 'eth1', 'lo', 'docker0', 'cni0', 'flannel.1']) {
      add(`node_network_${m}_total`, [['device', device]]);
    }
  }
  for (const m of ['size_bytes', 'free_bytes', 'avail_bytes', 'files', 'files_free']) {
    for (const [device, fstype, mountpoint] of [
      ['/dev/nvme0n1p1', 'ext4', '/'],
      ['/dev/nvme1n1', 'xfs', '/var/lib/kubelet'],
      ['tmpfs', 'tmpfs', '/run'],
      ['overlay', 'overlay', '/var/lib/containerd'],
    ]) {
      add(`node_filesystem_${m}`, [
        ['device', device],
        ['fstype', fstype],
        ['mountpoint', mountpoint],
      ]);
    }
  }
  for (const m of ['reads_completed', 'writes_completed', 'read_bytes', 'written_bytes', 'io_time_seconds']) {
    for (const device of ['nvme0n1', 'nvme1n1']) add(`node_disk_${m}_total`, [['device', device]]);
  }
  for (let i = 0; out.length < 400; i++) add(`node_memory_${MEMORY[i % MEMORY.length]}_${i}_bytes`, []);
  return out;
}
const MEMORY = ['MemFree', 'Cached', 'Buffers', 'Active', 'Inactive', 'Dirty', 'Slab', 'Shmem'];

function buildRequests(): { bodies: Uint8Array[]; compressed: Buffer[]; samples: number } {
  const series = [];
  for (let h = 0; h < hosts; h++) series.push(...hostSeries(h));
  const bodies: Uint8Array[] = [];
  const t0 = BigInt(Date.UTC(2025, 0, 1));
  for (let first = 0; first < series.length; first += SAMPLES_PER_REQUEST) {
    const timeseries = series.slice(first, first + SAMPLES_PER_REQUEST).map((labels, i) => ({
      labels: labels.map(([name, value]) => ({ name, value })),
      samples: [{ value: (first + i) * 1.25, timestamp: t0 + BigInt(first % 15_000) }],
    }));
    bodies.push(toBinary(WriteRequestSchema, create(WriteRequestSchema, { timeseries })));
  }
  return {
    bodies,
    compressed: bodies.map((b) => snappy.compressSync(b)),
    samples: series.length,
  };
}

interface Candidate {
  readonly name: string;
  readonly decode: (body: Uint8Array) => unknown;
}

/** Seconds for one pass over every request. */
function pass(candidate: Candidate, inputs: readonly Uint8Array[], snappyFirst: boolean): number {
  const start = process.hrtime.bigint();
  let sink = 0;
  for (const input of inputs) {
    const body = snappyFirst ? decompressSnappyBlock(input, 64 << 20) : input;
    const out = candidate.decode(body) as DecodedWriteRequest | { timeseries: unknown[] };
    sink += 'series' in out ? out.series.length : out.timeseries.length;
  }
  if (sink < 0) throw new Error('unreachable');
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const { bodies, compressed, samples } = buildRequests();
const totalBytes = bodies.reduce((n, b) => n + b.length, 0);
const totalCompressed = compressed.reduce((n, b) => n + b.length, 0);
console.log(
  `workload: ${samples} series, ${bodies.length} requests of ${SAMPLES_PER_REQUEST} samples, ` +
    `${(totalBytes / bodies.length / 1024).toFixed(0)} KiB per request (${(totalCompressed / bodies.length / 1024).toFixed(0)} KiB snappy), ` +
    `${(totalBytes / samples).toFixed(0)} bytes per sample; ${rounds} rounds; node ${process.version}`,
);

const warm = new WriteRequestDecoder(); // default cache size, as the server runs it
const candidates: Candidate[] = [
  { name: 'generated: fromBinary only (no conversion)', decode: (b) => fromBinary(WriteRequestSchema, b) },
  { name: 'generated: fromBinary + labels/Float64Arrays', decode: decodeWriteRequestGenerated },
  {
    name: 'hand-written, label cache off',
    decode: (b) => new WriteRequestDecoder({ labelCacheEntries: 0 }).decode(b),
  },
  { name: 'hand-written, label cache warm', decode: (b) => warm.decode(b) },
];

// Candidates interleaved pass by pass, so a busy neighbour on a shared machine slows them alike;
// best and median of `rounds` passes are reported.
const modes = [
  { label: 'decode', inputs: bodies, snappyFirst: false },
  { label: 'snappy+decode', inputs: compressed, snappyFirst: true },
];
const times = candidates.map(() => modes.map(() => [] as number[]));
for (const c of candidates) for (const m of modes) pass(c, m.inputs, m.snappyFirst); // warm-up: JIT, label cache
for (let r = 0; r < rounds; r++) {
  candidates.forEach((c, i) => {
    modes.forEach((m, j) => {
      times[i][j].push(pass(c, m.inputs, m.snappyFirst));
    });
  });
}
const rate = (seconds: number) => samples / seconds;
const best = (xs: number[]) => rate(Math.min(...xs));
const median = (xs: number[]) => rate([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
console.log(
  `${''.padEnd(46)} ${modes.map((m) => `${m.label} samples/s (best / median)`.padEnd(40)).join('')}`,
);
candidates.forEach((c, i) => {
  console.log(
    `${c.name.padEnd(46)} ${modes.map((_, j) => `${fmt(best(times[i][j]))} / ${fmt(median(times[i][j]))}`.padEnd(40)).join('')}`,
  );
});
const baseline = 1;
for (const i of [2, 3]) {
  console.log(
    `${candidates[i].name}: ${modes.map((m, j) => `${(best(times[i][j]) / best(times[baseline][j])).toFixed(1)}x (${m.label})`).join(', ')} the generated decoder`,
  );
}

function fmt(n: number): string {
  return `${(n / 1e6).toFixed(2)}M`.padStart(7);
}
