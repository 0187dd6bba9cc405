import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { labelsFromRecord } from '../../model/labels.ts';
import { newMatcher } from '../../model/matcher.ts';
import { tempDir } from '../../testutil/vigil.ts';
import { encodeChunk } from '../chunkenc/xor.ts';
import { DuckBlocks } from './blocks.ts';
import { duckOptions } from './duckdb-storage.test.ts';
import { DuckDBMetricsStorage } from './duckdb-storage.ts';

const HOUR = 3_600_000;
const byName = (name: string) => [newMatcher('=', '__name__', name)];

/** `count` samples every `step` ms from `start` for series `name{i="0".."n-1"}`; value = series*1000 + index. */
function workload(name: string, nSeries: number, start: number, step: number, count: number) {
  const batches = [];
  for (let k = 0; k < count; k++) {
    const batch = [];
    for (let i = 0; i < nSeries; i++) {
      batch.push({
        labels: labelsFromRecord({ __name__: name, i: String(i) }),
        timestamps: new Float64Array([start + k * step]),
        values: new Float64Array([i * 1000 + k]),
      });
    }
    batches.push(batch);
  }
  return batches;
}

test('head windows move to DuckDB as data ages, and reads span head and DuckDB seamlessly', async () => {
  const dir = tempDir();
  let storage = await DuckDBMetricsStorage.open(
    duckOptions(dir.path, { blockDuration: HOUR, now: () => 10 * HOUR }),
  );
  try {
    for (const batch of workload('w', 20, 0, 60_000, 5 * 60)) await storage.append(batch); // 5h at 1m
    await storage.settle();
    // 1.5 windows stay in the head at most; the rest went to DuckDB.
    const stats = storage.stats();
    assert.ok(stats.headMinTime >= 3 * HOUR, `head starts at ${stats.headMinTime}`);
    const check = async () => {
      const got = await storage.select(byName('w'), { minT: 0, maxT: 10 * HOUR });
      assert.equal(got.length, 20);
      for (const s of got) {
        const i = Number(s.labels.find((l) => l.name === 'i')!.value);
        assert.equal(s.timestamps.length, 300);
        for (let k = 0; k < 300; k++) {
          assert.equal(s.timestamps[k], k * 60_000);
          assert.equal(s.values[k], i * 1000 + k);
        }
      }
      // A range inside one persisted window, and one across the head boundary.
      const [one] = await storage.select([...byName('w'), newMatcher('=', 'i', '3')], {
        minT: HOUR,
        maxT: HOUR + 120_000,
      });
      assert.deepEqual([...one.values], [3060, 3061, 3062]);
      const [cross] = await storage.select([...byName('w'), newMatcher('=', 'i', '3')], {
        minT: 3 * HOUR - 60_000,
        maxT: 3 * HOUR,
      });
      assert.deepEqual([...cross.values], [3179, 3180]);
    };
    await check();
    // Old windows are closed for writes: a sample there is too old.
    const r = await storage.append([
      {
        labels: labelsFromRecord({ __name__: 'w', i: 'new' }),
        timestamps: new Float64Array([60_000]),
        values: new Float64Array([1]),
      },
    ]);
    assert.equal(r.rejected[0]?.reason, 'too_old');
    await storage.close();
    storage = await DuckDBMetricsStorage.open(
      duckOptions(dir.path, { blockDuration: HOUR, now: () => 10 * HOUR }),
    );
    await check();
  } finally {
    await storage.close();
    dir.remove();
  }
});

test('every acknowledged sample survives kill -9, and a torn WAL tail is cut off', async () => {
  const dir = tempDir();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'testdata/crash-writer.ts'), dir.path],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let lastAcked = -1;
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      for (const m of chunk.matchAll(/acked (\d+)/g)) lastAcked = Number(m[1]);
      // 300 batches at 15s = 75 minutes: past one 1h window, so a persist has happened too.
      if (lastAcked >= 300) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', () =>
      lastAcked >= 300 ? resolve() : reject(new Error(`writer died early:\n${stderr}`)),
    );
  });
  await new Promise((r) => child.once('close', r));
  // Simulate a crash in the middle of a record: garbage after the last complete one.
  const walDir = join(dir.path, 'wal');
  const segments = readdirSync(walDir)
    .filter((f) => /^\d{8}$/.test(f))
    .sort();
  const last = join(walDir, segments[segments.length - 1]);
  const sizeBefore = statSync(last).size;
  appendFileSync(last, Buffer.from([2, 200, 0, 0, 0, 1, 2, 3]));

  const storage = await DuckDBMetricsStorage.open(
    duckOptions(dir.path, { blockDuration: HOUR, now: () => 100 * HOUR }),
  );
  try {
    assert.equal(statSync(last).size, sizeBefore, 'torn tail cut off');
    const got = await storage.select(byName('crash_test'), { minT: 0, maxT: 100 * HOUR });
    assert.equal(got.length, 50);
    for (const s of got) {
      // Every acknowledged batch is there, in order, with no gaps (later unacknowledged ones may be too).
      assert.ok(
        s.timestamps.length >= lastAcked + 1,
        `${s.timestamps.length} samples, ${lastAcked + 1} acknowledged`,
      );
      for (let n = 0; n <= lastAcked; n++) {
        assert.equal(s.timestamps[n], n * 15_000);
        assert.equal(s.values[n], n);
      }
    }
  } finally {
    await storage.close();
    dir.remove();
  }
});

test('retention deletes data older than the retention period, and series left without data', async () => {
  const dir = tempDir();
  const storage = await DuckDBMetricsStorage.open(
    duckOptions(dir.path, { blockDuration: HOUR, retention: 2 * HOUR, now: () => 10 * HOUR }),
  );
  try {
    for (const batch of workload('old', 5, 0, 60_000, 60)) await storage.append(batch); // hour 0 only
    for (const batch of workload('new', 5, 0, 60_000, 6 * 60)) await storage.append(batch); // hours 0-6
    await storage.settle();
    await storage.runRetention();
    const all = { matchers: [], minT: -8.64e15, maxT: 8.64e15 };
    assert.deepEqual(await storage.labelValues('__name__', all), ['new']);
    const [s] = await storage.select(byName('new'), { minT: 0, maxT: 10 * HOUR });
    // Newest sample is at 6h-1m; whole chunks older than 4h-1m are gone.
    assert.ok(
      s.timestamps[0] >= 3 * HOUR && s.timestamps[0] <= 4 * HOUR,
      `oldest left ${s.timestamps[0] / HOUR}h`,
    );
  } finally {
    await storage.close();
    dir.remove();
  }
});

test('size-based retention deletes the oldest windows until storage fits', async () => {
  const dir = tempDir();
  const storage = await DuckDBMetricsStorage.open(
    duckOptions(dir.path, { blockDuration: HOUR, now: () => 100 * HOUR }),
  );
  try {
    for (const batch of workload('big', 100, 0, 60_000, 12 * 60)) await storage.append(batch);
    await storage.settle();
    await storage.compactHead();
    const before = await storage.logicalBytes();
    const limit = Math.floor(before * 0.6);
    const limited = await reopenWithLimit(storage, dir.path, limit);
    try {
      await limited.runRetention();
      const after = await limited.logicalBytes();
      assert.ok(after <= limit && after > limit / 2, `${after} not in (${limit / 2}, ${limit}]`);
      const [s] = await limited.select([...byName('big'), newMatcher('=', 'i', '0')], {
        minT: 0,
        maxT: 100 * HOUR,
      });
      assert.ok(s.timestamps[0] > 0, 'oldest data deleted first');
      assert.equal(s.timestamps[s.timestamps.length - 1], (12 * 60 - 1) * 60_000, 'newest data kept');
    } finally {
      await limited.close();
    }
  } finally {
    dir.remove();
  }
});

async function reopenWithLimit(storage: DuckDBMetricsStorage, path: string, bytes: number) {
  await storage.close();
  return DuckDBMetricsStorage.open(
    duckOptions(path, { blockDuration: HOUR, retentionBytes: bytes, now: () => 100 * HOUR }),
  );
}

test('out-of-order window accepts late samples within it, in order on read', async () => {
  const dir = tempDir();
  const storage = await DuckDBMetricsStorage.open(
    duckOptions(dir.path, { outOfOrderWindow: 10 * 60_000, now: () => HOUR }),
  );
  try {
    const s = (t: number, v: number) => ({
      labels: labelsFromRecord({ __name__: 'ooo' }),
      timestamps: new Float64Array([t]),
      values: new Float64Array([v]),
    });
    await storage.append([s(900_000, 10)]);
    assert.equal((await storage.append([s(300_000, 5)])).accepted, 1);
    assert.equal((await storage.append([s(300_000, 5)])).accepted, 1, 'identical duplicate');
    assert.equal((await storage.append([s(300_000, 6)])).rejected[0]?.reason, 'duplicate_timestamp');
    assert.equal((await storage.append([s(1, 1)])).rejected[0]?.reason, 'out_of_order');
    const [got] = await storage.select(byName('ooo'), { minT: 0, maxT: HOUR });
    assert.deepEqual([...got.timestamps], [300_000, 900_000]);
    assert.deepEqual([...got.values], [5, 10]);
  } finally {
    await storage.close();
    dir.remove();
  }
});

test('series limits reject new series with a reason, and samples too far in the future', async () => {
  const dir = tempDir();
  const storage = await DuckDBMetricsStorage.open(
    duckOptions(dir.path, { maxSeries: 3, maxSeriesPerMetric: 2, now: () => HOUR }),
  );
  try {
    const s = (name: string, i: string, t = 1000) => ({
      labels: labelsFromRecord({ __name__: name, i }),
      timestamps: new Float64Array([t]),
      values: new Float64Array([1]),
    });
    const r = await storage.append([s('a', '1'), s('a', '2'), s('a', '3'), s('b', '1'), s('c', '1')]);
    assert.equal(r.accepted, 3);
    assert.equal(r.rejected[0].reason, 'series_limit');
    assert.equal(r.rejected[0].count, 2);
    assert.match(r.rejected[0].example, /series limit/);
    const future = await storage.append([s('a', '1', HOUR + 11 * 60_000)]);
    assert.equal(future.rejected[0].reason, 'too_far_in_future');
  } finally {
    await storage.close();
    dir.remove();
  }
});

test('chunks of an interrupted persist (past the sealed time) are dropped on open; the WAL has the data', async () => {
  const dir = tempDir();
  let storage = await DuckDBMetricsStorage.open(
    duckOptions(dir.path, { blockDuration: HOUR, now: () => 10 * HOUR }),
  );
  try {
    for (const batch of workload('p', 3, 0, 60_000, 4 * 60)) await storage.append(batch);
    await storage.settle();
    await storage.close();
    // What a crash between two batch transactions leaves: a chunk after persisted_until.
    const blocks = await DuckBlocks.open(join(dir.path, 'metrics.duckdb'));
    const bogus = encodeChunk([3 * HOUR + 1000], new Float64Array([999]));
    await blocks.writeBatch(
      [],
      [{ seriesId: 0, minT: 3 * HOUR + 1000, maxT: 3 * HOUR + 1000, count: 1, bytes: bogus }],
    );
    await blocks.close();
    storage = await DuckDBMetricsStorage.open(
      duckOptions(dir.path, { blockDuration: HOUR, now: () => 10 * HOUR }),
    );
    const got = await storage.select(byName('p'), { minT: 0, maxT: 10 * HOUR });
    assert.equal(got.length, 3);
    for (const s of got) {
      assert.equal(s.timestamps.length, 240);
      assert.ok(!s.values.includes(999));
    }
  } finally {
    await storage.close();
    dir.remove();
  }
});

test('a non-durable append is visible at once and is kept like any other', async () => {
  const dir = tempDir();
  const storage = await DuckDBMetricsStorage.open(duckOptions(dir.path, { now: () => 10 * HOUR }));
  try {
    for (const batch of workload('computed', 5, HOUR, 15_000, 20)) {
      const pending = storage.append(batch, { durable: false });
      // Visible to a query started before the append's promise settles, as a rule group needs.
      const [s] = await storage.select([...byName('computed'), newMatcher('=', 'i', '2')], {
        minT: 0,
        maxT: 10 * HOUR,
      });
      assert.equal(s.values[s.values.length - 1], batch[2].values[0]);
      assert.equal((await pending).accepted, 5);
    }
  } finally {
    await storage.close();
  }
  const reopened = await DuckDBMetricsStorage.open(duckOptions(dir.path, { now: () => 10 * HOUR }));
  try {
    const got = await reopened.select(byName('computed'), { minT: 0, maxT: 10 * HOUR });
    assert.deepEqual(
      got.map((s) => s.timestamps.length),
      [20, 20, 20, 20, 20],
    );
  } finally {
    await reopened.close();
    dir.remove();
  }
});
