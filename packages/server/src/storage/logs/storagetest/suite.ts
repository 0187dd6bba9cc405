/**
 * The behaviour every log storage backend must show, as one suite each backend runs with a few
 * lines: `runLogStoreTests({ name, open })`.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { type Labels, labelsFromRecord, labelsToRecord } from '../../../model/labels.ts';
import type { LogRecord } from '../../../model/log.ts';
import { type MatchType, newMatcher } from '../../../model/matcher.ts';
import type { LogRow, LogSelect, LogStore } from '../interface.ts';

export interface LogStoreUnderTest {
  readonly store: LogStore;
  /** Closes and opens the same data again, when the backend persists. */
  reopen?(): Promise<LogStore>;
  cleanup(): Promise<void>;
}

export interface LogSuiteOptions {
  readonly name: string;
  /** A store whose partitions are `partitionMs` long (retention tests rely on it). */
  readonly open: (partitionMs: number) => Promise<LogStoreUnderTest>;
}

const HOUR_NS = 3_600_000_000_000n;
const T0 = 1_700_000_000_000_000_000n; // 2023-11-14T22:13:20Z

function rec(
  labels: Record<string, string>,
  ts: bigint,
  body: string,
  extra: Partial<LogRecord> = {},
): LogRecord {
  return {
    timestampNs: ts,
    observedTimestampNs: 0n,
    severityNumber: 0,
    severityText: '',
    body,
    labels: labelsFromRecord(labels),
    metadata: [],
    traceId: '',
    spanId: '',
    ...extra,
  };
}

const m = (type: MatchType, name: string, value: string) => newMatcher(type, name, value);

async function collect(
  store: LogStore,
  q: Partial<LogSelect> & Pick<LogSelect, 'matchers'>,
): Promise<LogRow[]> {
  const out: LogRow[] = [];
  for await (const batch of store.select({
    startNs: T0 - HOUR_NS,
    endNs: T0 + 10n * HOUR_NS,
    direction: 'forward',
    ...q,
  })) {
    out.push(...batch);
  }
  return out;
}

const bodies = (rows: readonly LogRow[]) => rows.map((r) => r.body);

export function runLogStoreTests({ name, open }: LogSuiteOptions): void {
  describe(`log storage contract: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups) await c();
    });
    const fresh = async (partitionMs = 3_600_000) => {
      const s = await open(partitionMs);
      cleanups.push(() => s.cleanup());
      return s;
    };

    test('returns records in time order both ways, with [start, end) ranges', async () => {
      const { store } = await fresh();
      await store.append([
        rec({ app: 'a' }, T0 + 3n, 'three'),
        rec({ app: 'a' }, T0 + 1n, 'one'),
        rec({ app: 'b' }, T0 + 2n, 'two'),
        rec({ app: 'a' }, T0 + 2n * HOUR_NS, 'later partition'),
      ]);
      const all = await collect(store, { matchers: [m('=~', 'app', '.+')] });
      assert.deepEqual(bodies(all), ['one', 'two', 'three', 'later partition']);
      const back = await collect(store, { matchers: [m('=~', 'app', '.+')], direction: 'backward' });
      assert.deepEqual(bodies(back), ['later partition', 'three', 'two', 'one']);
      const range = await collect(store, {
        matchers: [m('=', 'app', 'a')],
        startNs: T0 + 1n,
        endNs: T0 + 3n,
      });
      assert.deepEqual(bodies(range), ['one']);
      assert.deepEqual(labelsToRecord(all[1].labels), { app: 'b' });
    });

    test('stream matchers: =, !=, =~, !~, absent labels as ""', async () => {
      const { store } = await fresh();
      await store.append([
        rec({ app: 'api', env: 'prod' }, T0, 'api-prod'),
        rec({ app: 'api', env: 'dev' }, T0 + 1n, 'api-dev'),
        rec({ app: 'web' }, T0 + 2n, 'web'),
      ]);
      const q = async (...ms: ReturnType<typeof m>[]) => bodies(await collect(store, { matchers: ms }));
      assert.deepEqual(await q(m('=', 'app', 'api')), ['api-prod', 'api-dev']);
      assert.deepEqual(await q(m('=~', 'app', '.+'), m('!=', 'env', 'prod')), ['api-dev', 'web']);
      assert.deepEqual(await q(m('=~', 'env', 'pro.')), ['api-prod']);
      assert.deepEqual(await q(m('=~', 'app', '.+'), m('!~', 'env', 'p.*')), ['api-dev', 'web']);
      assert.deepEqual(await q(m('=~', 'app', '.+'), m('=', 'env', '')), ['web']);
      assert.deepEqual(await q(m('=', 'app', 'nope')), []);
    });

    test('pushed-down line filters: contains, regex, negation, or', async () => {
      const { store } = await fresh();
      await store.append([
        rec({ app: 'a' }, T0, 'GET /users 200'),
        rec({ app: 'a' }, T0 + 1n, 'POST /users 500 it\'s "quoted"'),
        rec({ app: 'a' }, T0 + 2n, 'GET /health 200\nsecond line'),
      ]);
      const q = async (lineFilters: LogSelect['lineFilters']) =>
        bodies(await collect(store, { matchers: [m('=', 'app', 'a')], lineFilters }));
      assert.deepEqual(await q([{ kind: 'contains', text: '/users', negate: false }]), [
        'GET /users 200',
        'POST /users 500 it\'s "quoted"',
      ]);
      assert.deepEqual(await q([{ kind: 'contains', text: "it's", negate: false }]), [
        'POST /users 500 it\'s "quoted"',
      ]);
      assert.deepEqual(await q([{ kind: 'contains', text: '/users', negate: true }]), [
        'GET /health 200\nsecond line',
      ]);
      assert.deepEqual(await q([{ kind: 'regex', pattern: '5\\d\\d', negate: false }]), [
        'POST /users 500 it\'s "quoted"',
      ]);
      // Go regexp semantics: unanchored, `.` does not match a newline unless (?s).
      assert.deepEqual(await q([{ kind: 'regex', pattern: '200.second', negate: false }]), []);
      assert.deepEqual(await q([{ kind: 'regex', pattern: '(?s)200.second', negate: false }]), [
        'GET /health 200\nsecond line',
      ]);
      assert.deepEqual(await q([{ kind: 'regex', pattern: '(?i)get', negate: true }]), [
        'POST /users 500 it\'s "quoted"',
      ]);
      assert.deepEqual(
        await q([
          {
            kind: 'or',
            any: [
              { kind: 'contains', text: 'health', negate: false },
              { kind: 'regex', pattern: '^POST', negate: false },
            ],
          },
          { kind: 'contains', text: 'GET', negate: true },
        ]),
        ['POST /users 500 it\'s "quoted"'],
      );
    });

    test('keeps severity, metadata, trace and span ids; body length mode', async () => {
      const { store } = await fresh();
      const meta: Labels = [
        { name: 'pod', value: 'p-1' },
        { name: 'user', value: 'ünïcode' },
      ];
      await store.append([
        rec({ app: 'a' }, T0, 'héllo', {
          severityNumber: 17,
          severityText: 'ERROR',
          observedTimestampNs: T0 + 5n,
          metadata: meta,
          traceId: '0af7651916cd43dd8448eb211c80319c',
          spanId: '00f067aa0ba902b7',
        }),
      ]);
      const [row] = await collect(store, { matchers: [m('=', 'app', 'a')] });
      assert.equal(row.body, 'héllo');
      assert.equal(row.bodyBytes, 6);
      assert.equal(row.severityNumber, 17);
      assert.equal(row.severityText, 'ERROR');
      assert.equal(row.observedTimestampNs, T0 + 5n);
      assert.deepEqual(row.metadata, meta);
      assert.equal(row.traceId, '0af7651916cd43dd8448eb211c80319c');
      assert.equal(row.spanId, '00f067aa0ba902b7');
      const [short] = await collect(store, {
        matchers: [m('=', 'app', 'a')],
        body: 'length',
        withoutMetadata: true,
      });
      assert.equal(short.body, '');
      assert.equal(short.bodyBytes, 6);
      assert.deepEqual(short.metadata, []);
    });

    test('trace lookups return the records of one trace, oldest first, limited', async () => {
      const { store } = await fresh();
      const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
      await store.append([
        rec({ app: 'a' }, T0 + 2n, 'second', { traceId: trace }),
        rec({ app: 'b' }, T0 + 1n, 'first', { traceId: trace, spanId: '00f067aa0ba902b7' }),
        rec({ app: 'a' }, T0 + 3n, 'other trace', { traceId: 'ffffffffffffffffffffffffffffffff' }),
        rec({ app: 'a' }, T0 + HOUR_NS, 'next hour', { traceId: trace }),
      ]);
      const got = await store.traceRecords(trace, T0, T0 + 2n * HOUR_NS, 10);
      assert.deepEqual(bodies(got), ['first', 'second', 'next hour']);
      assert.deepEqual(bodies(await store.traceRecords(trace, T0, T0 + 2n * HOUR_NS, 2)), [
        'first',
        'second',
      ]);
      assert.deepEqual(
        await store.traceRecords('00000000000000000000000000000001', T0, T0 + HOUR_NS, 10),
        [],
      );
    });

    test('series, label names, values, stats and volume honour matchers and time ranges', async () => {
      const { store } = await fresh();
      await store.append([
        rec({ app: 'a', env: 'prod' }, T0, 'xx'),
        rec({ app: 'a', env: 'prod' }, T0 + 1n, 'yyy'),
        rec({ app: 'b', zone: 'z1' }, T0 + 3n * HOUR_NS, 'z'),
      ]);
      const early = { matchers: [], startNs: T0, endNs: T0 + HOUR_NS };
      assert.deepEqual((await store.series(early)).map(labelsToRecord), [{ app: 'a', env: 'prod' }]);
      assert.deepEqual(await store.labelNames(early), ['app', 'env']);
      const all = { matchers: [], startNs: T0, endNs: T0 + 5n * HOUR_NS };
      assert.deepEqual(await store.labelValues('app', all), ['a', 'b']);
      const onlyB = { ...all, matchers: [[m('=', 'app', 'b')]] };
      assert.deepEqual(await store.labelNames(onlyB), ['app', 'zone']);
      const stats = await store.stats(all);
      assert.equal(stats.streams, 2);
      assert.equal(stats.entries, 3);
      assert.equal(stats.bytes, 6);
      const volume = await store.volume({ ...all, matchers: [[m('=', 'app', 'a')]] });
      assert.deepEqual(
        volume.map((v) => [labelsToRecord(v.labels), v.entries, v.bytes]),
        [[{ app: 'a', env: 'prod' }, 2, 5]],
      );
    });

    test('bucket counts: lines and bytes per stream in left-open time buckets, with line filters', async () => {
      const { store } = await fresh();
      await store.append([
        rec({ app: 'a' }, T0 + 10n, 'x1'),
        rec({ app: 'a' }, T0 + 11n, 'xx2'),
        rec({ app: 'a' }, T0 + 20n, 'y'),
        rec({ app: 'b' }, T0 + 25n, 'x'),
        rec({ app: 'b' }, T0 + 2n * HOUR_NS, 'x next partition'),
      ]);
      const got = await store.countBuckets({
        matchers: [m('=~', 'app', '.+')],
        startNs: T0,
        endNs: T0 + 3n * HOUR_NS,
        originNs: T0,
        bucketNs: 10n,
      });
      assert.deepEqual(
        got.map((s) => [labelsToRecord(s.labels), s.buckets, s.counts, s.bytes]),
        [
          [{ app: 'a' }, [0, 1], [1, 2], [2, 4]],
          [{ app: 'b' }, [2, 719_999_999_999], [1, 1], [1, 16]],
        ],
      );
      const filtered = await store.countBuckets({
        matchers: [m('=', 'app', 'a')],
        startNs: T0,
        endNs: T0 + 15n,
        originNs: T0,
        bucketNs: 10n,
        lineFilters: [{ kind: 'contains', text: 'x', negate: false }],
      });
      assert.deepEqual(
        filtered.map((s) => [s.buckets, s.counts]),
        [
          [
            [0, 1],
            [1, 1],
          ],
        ],
      );
    });

    test('retention deletes whole partitions older than the cutoff', async () => {
      const { store } = await fresh();
      await store.append([rec({ app: 'a' }, T0, 'old'), rec({ app: 'a' }, T0 + 2n * HOUR_NS, 'new')]);
      const { deletedPartitions } = await store.applyRetention(T0 + 2n * HOUR_NS, 0);
      assert.equal(deletedPartitions, 1);
      assert.deepEqual(bodies(await collect(store, { matchers: [m('=', 'app', 'a')] })), ['new']);
      assert.equal(store.storeStats().partitions, 1);
    });

    test('many concurrent appends are all stored; large selects come back complete and ordered', async () => {
      const { store } = await fresh();
      const n = 30_000;
      const jobs: Promise<void>[] = [];
      for (let b = 0; b < 30; b++) {
        const batch: LogRecord[] = [];
        for (let i = b; i < n; i += 30)
          batch.push(rec({ app: `s${i % 7}` }, T0 + BigInt(i) * 1000n, `line ${i}`));
        jobs.push(store.append(batch));
      }
      await Promise.all(jobs);
      const rows = await collect(store, { matchers: [m('=~', 'app', 's.*')] });
      assert.equal(rows.length, n);
      for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1].timestampNs <= rows[i].timestampNs);
      const back = await collect(store, { matchers: [m('=', 'app', 's3')], direction: 'backward' });
      assert.equal(back.length, Math.ceil((n - 3) / 7));
      assert.equal(back[0].body, `line ${n - 1 - ((n - 1 - 3) % 7)}`);
    });

    test('records survive close and reopen (backends that persist)', async (t) => {
      const s = await fresh();
      if (!s.reopen) {
        t.skip('backend does not persist');
        return;
      }
      await s.store.append([
        rec({ app: 'kept' }, T0, 'still here', { traceId: '4bf92f3577b34da6a3ce929d0e0e4736' }),
      ]);
      const again = await s.reopen();
      assert.deepEqual(bodies(await collect(again, { matchers: [m('=', 'app', 'kept')] })), ['still here']);
      assert.deepEqual(await again.labelValues('app', { matchers: [], startNs: T0, endNs: T0 + 1n }), [
        'kept',
      ]);
      await again.append([rec({ app: 'kept' }, T0 + 1n, 'after reopen'), rec({ app: 'new' }, T0 + 2n, 'x')]);
      assert.deepEqual(bodies(await collect(again, { matchers: [m('=~', 'app', '.+')] })), [
        'still here',
        'after reopen',
        'x',
      ]);
    });
  });
}
