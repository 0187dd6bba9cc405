import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
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

/** A fresh temporary directory (kept local so these tests do not load the whole server). */
function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'vigil-logs-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
