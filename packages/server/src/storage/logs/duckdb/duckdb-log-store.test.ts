import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { labelsFromRecord } from '../../../model/labels.ts';
import { newMatcher } from '../../../model/matcher.ts';
import type { LogStore } from '../interface.ts';
import { runLogStoreTests } from '../storagetest/suite.ts';
import { DuckDBLogStore, type DuckDBLogStoreOptions } from './duckdb-log-store.ts';
import { lineFilterSql } from './sql.ts';

const options = (dataDir: string, partitionDurationMs: number): DuckDBLogStoreOptions => ({
  dataDir,
  partitionDurationMs,
  logger: pino({ level: 'silent' }),
  memoryLimit: '256MB',
});

runLogStoreTests({
  name: 'duckdb',
  open: async (partitionMs) => {
    const dir = tempDir();
    let store: LogStore = await DuckDBLogStore.open(options(dir.path, partitionMs));
    return {
      get store() {
        return store;
      },
      async reopen() {
        await store.close();
        store = await DuckDBLogStore.open(options(dir.path, partitionMs));
        return store;
      },
      async cleanup() {
        await store.close();
        dir.remove();
      },
    };
  },
});

test('line filter SQL: literals are quoted, patterns inlined, NUL refuses pushdown', () => {
  assert.equal(
    lineFilterSql([
      { kind: 'contains', text: "it's", negate: false },
      { kind: 'regex', pattern: 'a\\d+', negate: true },
    ]),
    `contains(line, 'it''s') AND NOT regexp_matches(line, 'a\\d+')`,
  );
  assert.equal(
    lineFilterSql([
      {
        kind: 'or',
        any: [
          { kind: 'contains', text: 'x', negate: false },
          { kind: 'contains', text: 'y', negate: false },
        ],
      },
    ]),
    `(contains(line, 'x') OR contains(line, 'y'))`,
  );
  assert.equal(lineFilterSql([{ kind: 'contains', text: 'a\0b', negate: false }]), undefined);
  assert.equal(lineFilterSql([]), undefined);
});

test('compaction rewrites an old partition sorted, keeps every record and late appends', async () => {
  const dir = tempDir();
  let now = 1_700_000_000_000;
  const store = await DuckDBLogStore.open({
    ...options(dir.path, 3_600_000),
    compactAfterMs: 60_000,
    now: () => now,
  });
  try {
    const t0 = BigInt(now) * 1_000_000n - 7_200_000_000_000n;
    const records = [];
    for (let i = 0; i < 5000; i++) {
      records.push({
        timestampNs: t0 + BigInt(i) * 100_000_000n,
        observedTimestampNs: 0n,
        severityNumber: 9,
        severityText: 'info',
        body: `line ${i}`,
        labels: labelsFromRecord({ app: `a${i % 5}` }),
        metadata: [],
        traceId: i === 42 ? '4bf92f3577b34da6a3ce929d0e0e4736' : '',
        spanId: '',
      });
    }
    await store.append(records);
    now += 60_000;
    const compactions = await store.compactDue();
    assert.ok(compactions >= 1);
    await store.append([{ ...records[0], body: 'late', timestampNs: t0 + 1n }]);
    let n = 0;
    let prev = -1n;
    for await (const batch of store.select({
      matchers: [newMatcher('=~', 'app', '.+')],
      startNs: t0,
      endNs: t0 + 10_000_000_000_000n,
      direction: 'forward',
    })) {
      for (const r of batch) {
        assert.ok(r.timestampNs >= prev);
        prev = r.timestampNs;
        n++;
      }
    }
    assert.equal(n, 5001);
    const traced = await store.traceRecords(
      '4bf92f3577b34da6a3ce929d0e0e4736',
      t0,
      t0 + 10_000_000_000_000n,
      5,
    );
    assert.deepEqual(
      traced.map((r) => r.body),
      ['line 42'],
    );
  } finally {
    await store.close();
    dir.remove();
  }
});

/** Everything a store answers about a time range, for comparing before and after compaction. */
async function snapshot(store: DuckDBLogStore, startNs: bigint, endNs: bigint) {
  const rows: string[] = [];
  for await (const batch of store.select({
    matchers: [newMatcher('=~', 'app', '.+')],
    startNs,
    endNs,
    direction: 'forward',
  })) {
    for (const r of batch) {
      rows.push(
        `${r.timestampNs} ${r.labels.map((l) => l.value).join(',')} ${r.severityNumber} ${r.severityText} ` +
          `${r.body} ${JSON.stringify(r.metadata)} ${r.traceId} ${r.spanId} ${r.bodyBytes}`,
      );
    }
  }
  const filtered: string[] = [];
  for await (const batch of store.select({
    matchers: [newMatcher('=', 'app', 'a3')],
    startNs,
    endNs,
    direction: 'backward',
    lineFilters: [{ kind: 'regex', pattern: 'line [0-9]*7$', negate: false }],
  })) {
    for (const r of batch) filtered.push(r.body);
  }
  const buckets = await store.countBuckets({
    matchers: [newMatcher('=~', 'app', 'a[12]')],
    startNs,
    endNs,
    originNs: startNs,
    bucketNs: 60_000_000_000n,
  });
  const q = { matchers: [], startNs, endNs };
  return {
    rows,
    filtered,
    buckets,
    volume: await store.volume(q),
    stats: await store.stats(q),
    series: await store.series(q),
    trace: (await store.traceRecords(TRACE, startNs, endNs, 5)).map((r) => r.body),
  };
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

test('compaction to Parquet answers every query as before, survives reopen, takes late lines and retention', async () => {
  const dir = tempDir();
  let now = 1_700_000_000_000;
  const open = () =>
    DuckDBLogStore.open({ ...options(dir.path, 3_600_000), compactAfterMs: 60_000, now: () => now });
  let store = await open();
  try {
    const hour = 3_600_000_000_000n;
    const t0 = ((BigInt(now) * 1_000_000n) / hour) * hour - 3n * hour;
    const records = [];
    for (let i = 0; i < 6000; i++) {
      records.push({
        timestampNs: t0 + BigInt(i) * 1_000_000_000n, // 100 minutes: two partitions
        observedTimestampNs: BigInt(i),
        severityNumber: i % 24,
        severityText: i % 2 ? 'info' : '',
        body: `line ${i}`,
        labels: labelsFromRecord({ app: `a${i % 5}` }),
        metadata: i % 3 ? [] : labelsFromRecord({ k: `v${i % 7}` }),
        traceId: i % 1000 === 42 ? TRACE : '',
        spanId: i % 1000 === 42 ? '00f067aa0ba902b7' : '',
      });
    }
    await store.append(records);
    const end = t0 + 3n * hour;
    const before = await snapshot(store, t0, end);
    assert.equal(before.rows.length, 6000);
    assert.deepEqual(before.trace, ['line 42', 'line 1042', 'line 2042', 'line 3042', 'line 4042']);

    assert.equal(await store.compactDue(), 2);
    const files = () =>
      readdirSync(dir.path)
        .filter((f) => f.endsWith('.parquet'))
        .sort();
    assert.equal(files().length, 2);
    assert.deepEqual(await snapshot(store, t0, end), before);

    // Kept across a reopen; a file a killed compaction left behind is not read.
    await store.close();
    writeFileSync(join(dir.path, 'logs_1.2.parquet.tmp'), 'partial');
    copyFileSync(
      join(dir.path, files()[0]),
      join(dir.path, files()[0].replace(/\.\d+\.parquet$/, '.1.parquet')),
    );
    store = await open();
    assert.equal(files().length, 2);
    assert.ok(!readdirSync(dir.path).some((f) => f.endsWith('.tmp')));
    assert.deepEqual(await snapshot(store, t0, end), before);
    assert.equal(await store.compactDue(), 0, 'nothing left to compact');

    // A late line goes into a new table beside the file, and the next compaction merges them.
    const late = { ...records[10], body: 'late', timestampNs: t0 + 1n };
    await store.append([late]);
    const withLate = await snapshot(store, t0, end);
    assert.equal(withLate.rows.length, 6001);
    assert.ok(withLate.rows[1].includes(' late '));
    now += 1;
    assert.equal(await store.compactDue(), 1);
    assert.equal(files().length, 2, 'the merged file replaced the old one');
    assert.deepEqual(await snapshot(store, t0, end), withLate);

    // Retention deletes the compacted partitions' files.
    const { deletedPartitions } = await store.applyRetention(end, 0);
    assert.equal(deletedPartitions, 2);
    assert.deepEqual(files(), []);
    assert.deepEqual((await snapshot(store, t0, end)).rows, []);
  } finally {
    await store.close();
    dir.remove();
  }
});

test('a scan that is under way when its partition is compacted carries on from the file', async () => {
  const dir = tempDir();
  let now = 1_700_000_000_000;
  const store = await DuckDBLogStore.open({
    ...options(dir.path, 3_600_000),
    compactAfterMs: 60_000,
    now: () => now,
  });
  try {
    const hour = 3_600_000_000_000n;
    const t0 = ((BigInt(now) * 1_000_000n) / hour) * hour - 3n * hour;
    const records = [];
    for (let i = 0; i < 40_000; i++) {
      records.push({
        timestampNs: t0 + BigInt(i) * 50_000_000n,
        observedTimestampNs: 0n,
        severityNumber: 9,
        severityText: '',
        body: `line ${i}`,
        labels: labelsFromRecord({ app: `a${i % 3}` }),
        metadata: [],
        traceId: '',
        spanId: '',
      });
    }
    await store.append(records);
    let n = 0;
    let batches = 0;
    let prev = -1n;
    for await (const batch of store.select({
      matchers: [newMatcher('=~', 'app', '.+')],
      startNs: t0,
      endNs: t0 + hour,
      direction: 'forward',
    })) {
      if (batches++ === 0) {
        now += 60_000;
        assert.equal(await store.compactDue(), 1);
      }
      for (const r of batch) {
        assert.ok(r.timestampNs > prev);
        prev = r.timestampNs;
        n++;
      }
    }
    assert.ok(batches > 1, 'the scan took several slices');
    assert.equal(n, 40_000);
  } finally {
    await store.close();
    dir.remove();
  }
});

/** A fresh temporary directory (kept local so these tests do not load the whole server). */
function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'vigil-logs-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
