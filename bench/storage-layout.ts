/**
 * Why samples are stored as compressed chunks rather than one DuckDB row per sample:
 * stores the same node_exporter-like data both ways and compares bytes per sample.
 *
 *   node --import tsx bench/storage-layout.ts [--hosts 20] [--steps 480]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { encodeChunk } from '../packages/server/src/storage/chunkenc/xor.ts';
import { ValueGenerator, workloadSeries } from './workload/node-exporter.ts';

const { values: args } = parseArgs({
  options: { hosts: { type: 'string', default: '20' }, steps: { type: 'string', default: '480' } },
});
const hosts = Number(args.hosts);
const steps = Number(args.steps);
const series = workloadSeries(hosts);
const gen = new ValueGenerator(series);
const ts = new Float64Array(steps);
const vs = series.map(() => new Float64Array(steps));
const row = new Float64Array(series.length);
const start = 1_700_000_000_000;
for (let k = 0; k < steps; k++) {
  gen.next(row);
  ts[k] = start + k * 15_000;
  for (let i = 0; i < series.length; i++) vs[i][k] = row[i];
}
const samples = series.length * steps;

async function measure(
  name: string,
  fill: (conn: Awaited<ReturnType<DuckDBInstance['connect']>>) => Promise<void>,
) {
  const dir = mkdtempSync(join(tmpdir(), 'layout-'));
  const path = join(dir, 'db.duckdb');
  const inst = await DuckDBInstance.create(path);
  const conn = await inst.connect();
  await fill(conn);
  await conn.run('CHECKPOINT');
  conn.closeSync();
  inst.closeSync();
  const bytes = statSync(path).size;
  rmSync(dir, { recursive: true, force: true });
  console.log(`| ${name} | ${(bytes / samples).toFixed(2)} |`);
}

console.log(`${samples} samples (${series.length} series × ${steps} scrapes at 15s)\n`);
console.log('| layout | bytes/sample (DuckDB file) |');
console.log('| --- | ---: |');
await measure('one row per sample (series_id UINTEGER, t BIGINT, v DOUBLE), sorted', async (conn) => {
  await conn.run('CREATE TABLE samples (series_id UINTEGER, t BIGINT, v DOUBLE)');
  const a = await conn.createAppender('samples');
  for (let i = 0; i < series.length; i++) {
    for (let k = 0; k < steps; k++) {
      a.appendUInteger(i);
      a.appendBigInt(BigInt(ts[k]));
      a.appendDouble(vs[i][k]);
      a.endRow();
    }
  }
  a.closeSync();
});
await measure('Gorilla chunk per series per 2h window (BLOB)', async (conn) => {
  await conn.run('CREATE TABLE chunks (series_id UINTEGER, min_t BIGINT, max_t BIGINT, data BLOB)');
  const a = await conn.createAppender('chunks');
  for (let i = 0; i < series.length; i++) {
    a.appendUInteger(i);
    a.appendBigInt(BigInt(ts[0]));
    a.appendBigInt(BigInt(ts[steps - 1]));
    a.appendBlob(encodeChunk(ts, vs[i]));
    a.endRow();
  }
  a.closeSync();
});
