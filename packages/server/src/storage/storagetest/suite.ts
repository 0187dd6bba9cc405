/**
 * The behaviour every metrics backend must show, as one suite each backend runs with a few
 * lines (the Hono way): `runMetricsStorageTests({ name, open })`.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { type Labels, labelsFromRecord, labelsToRecord } from '../../model/labels.ts';
import { type MatchType, newMatcher } from '../../model/matcher.ts';
import { isStaleNaN, STALE_NAN } from '../../model/sample.ts';
import type { MetricsStorage } from '../interface.ts';

export interface StorageUnderTest {
  readonly storage: MetricsStorage;
  /** Closes and opens the same data again, when the backend persists; returns the new instance. */
  reopen?(): Promise<MetricsStorage>;
  cleanup(): Promise<void>;
}

export interface SuiteOptions {
  readonly name: string;
  readonly open: () => Promise<StorageUnderTest>;
}

const L = (r: Record<string, string>): Labels => labelsFromRecord(r);
const m = (type: MatchType, name: string, value: string) => newMatcher(type, name, value);

/** Values may be STALE_NAN: they are written one by one into the Float64Array, since plain JS arrays may drop NaN payloads. */
function series(labels: Record<string, string>, points: [number, number | 'stale'][]) {
  const values = new Float64Array(points.length);
  points.forEach((p, i) => {
    values[i] = p[1] === 'stale' ? STALE_NAN : p[1];
  });
  return { labels: L(labels), timestamps: new Float64Array(points.map((p) => p[0])), values };
}

export function runMetricsStorageTests({ name, open }: SuiteOptions): void {
  describe(`metrics storage contract: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups) await c();
    });
    const fresh = async () => {
      const s = await open();
      cleanups.push(() => s.cleanup());
      return s;
    };

    test('stores samples and returns them sorted by labels, in time order, inclusive range', async () => {
      const { storage } = await fresh();
      const r = await storage.append([
        series({ __name__: 'up', job: 'b' }, [
          [1000, 1],
          [2000, 0],
        ]),
        series({ __name__: 'up', job: 'a' }, [
          [1000, 1],
          [2000, 1],
          [3000, 1],
        ]),
        series({ __name__: 'other' }, [[1000, 5]]),
      ]);
      assert.equal(r.accepted, 6);
      assert.equal(r.seriesAdded, 3);
      assert.deepEqual(r.rejected, []);
      const got = await storage.select([m('=', '__name__', 'up')], { minT: 2000, maxT: 3000 });
      assert.deepEqual(
        got.map((s) => [labelsToRecord(s.labels), [...s.timestamps], [...s.values]]),
        [
          [{ __name__: 'up', job: 'a' }, [2000, 3000], [1, 1]],
          [{ __name__: 'up', job: 'b' }, [2000], [0]],
        ],
      );
      assert.deepEqual(await storage.select([m('=', '__name__', 'up')], { minT: 4000, maxT: 5000 }), []);
    });

    test('matchers: =, !=, =~, !~ fully anchored, with absent labels as ""', async () => {
      const { storage } = await fresh();
      await storage.append([
        series({ __name__: 'http', code: '200', path: '/a' }, [[1, 1]]),
        series({ __name__: 'http', code: '404', path: '/b' }, [[1, 1]]),
        series({ __name__: 'http', code: '500' }, [[1, 1]]),
        series({ __name__: 'http', code: '2000', path: 'x\ny' }, [[1, 1]]),
      ]);
      const codes = async (...ms: ReturnType<typeof m>[]) =>
        (await storage.select([m('=', '__name__', 'http'), ...ms], { minT: 0, maxT: 10 })).map(
          (s) => labelsToRecord(s.labels).code,
        );
      assert.deepEqual(await codes(m('=', 'code', '200')), ['200']);
      assert.deepEqual(await codes(m('!=', 'code', '200')), ['2000', '404', '500']);
      assert.deepEqual(await codes(m('=~', 'code', '2..')), ['200']); // anchored: 2000 does not match
      assert.deepEqual(await codes(m('=~', 'code', '2.*')), ['200', '2000']);
      assert.deepEqual(await codes(m('!~', 'code', '[45]..')), ['200', '2000']);
      assert.deepEqual(await codes(m('=~', 'code', '404|500')), ['404', '500']);
      assert.deepEqual(await codes(m('=', 'path', '')), ['500']); // absent label equals ""
      assert.deepEqual(await codes(m('!=', 'path', '')), ['200', '2000', '404']);
      assert.deepEqual(await codes(m('=~', 'path', 'x.y')), ['2000']); // . matches newline
      assert.deepEqual(await codes(m('=~', 'path', '/a|')), ['200', '500']); // "" matches absent
      assert.deepEqual(await codes(m('=~', 'code', '(?i)NOPE|404')), ['404']);
    });

    test('staleness markers are stored and returned bit for bit; plain NaN stays plain', async () => {
      const { storage } = await fresh();
      const values = new Float64Array(3);
      values[0] = 1;
      values[1] = Number.NaN;
      values[2] = STALE_NAN;
      await storage.append([
        { labels: L({ __name__: 'x' }), timestamps: new Float64Array([1, 2, 3]), values },
      ]);
      const [s] = await storage.select([m('=', '__name__', 'x')], { minT: 0, maxT: 10 });
      assert.equal(s.values[0], 1);
      assert.ok(Number.isNaN(s.values[1]) && !isStaleNaN(s.values[1]));
      assert.ok(isStaleNaN(s.values[2]));
    });

    test('out-of-order and conflicting duplicate samples are rejected; identical duplicates are not', async () => {
      const { storage } = await fresh();
      await storage.append([
        series({ __name__: 'x' }, [
          [1000, 1],
          [2000, 2],
        ]),
      ]);
      const r = await storage.append([
        series({ __name__: 'x' }, [
          [1500, 9],
          [2000, 2],
          [2000, 3],
          [3000, 4],
        ]),
        series({ __name__: 'y' }, [[10, 1]]),
      ]);
      assert.equal(r.accepted, 3); // the identical duplicate counts as stored, plus 3000 and y
      const reasons = Object.fromEntries(r.rejected.map((x) => [x.reason, x.count]));
      assert.deepEqual(reasons, { out_of_order: 1, duplicate_timestamp: 1 });
      for (const x of r.rejected) assert.match(x.example, /x/);
      const [s] = await storage.select([m('=', '__name__', 'x')], { minT: 0, maxT: 5000 });
      assert.deepEqual([...s.timestamps], [1000, 2000, 3000]);
      assert.deepEqual([...s.values], [1, 2, 4]);
    });

    test('series, label names and label values honour matchers and time ranges', async () => {
      const { storage } = await fresh();
      await storage.append([
        series({ __name__: 'a', job: 'j1', zone: 'z' }, [[1000, 1]]),
        series({ __name__: 'a', job: 'j2' }, [[5000, 1]]),
        series({ __name__: 'b', job: 'j1', extra: 'e' }, [[1000, 1]]),
      ]);
      const all = { matchers: [], minT: -8.64e15, maxT: 8.64e15 };
      assert.deepEqual(await storage.labelNames(all), ['__name__', 'extra', 'job', 'zone']);
      assert.deepEqual(await storage.labelValues('job', all), ['j1', 'j2']);
      const onlyA = { matchers: [[m('=', '__name__', 'a')]], minT: 0, maxT: 2000 };
      assert.deepEqual((await storage.series(onlyA)).map(labelsToRecord), [
        { __name__: 'a', job: 'j1', zone: 'z' },
      ]);
      assert.deepEqual(await storage.labelNames(onlyA), ['__name__', 'job', 'zone']);
      assert.deepEqual(await storage.labelValues('job', { ...onlyA, maxT: 9000 }), ['j1', 'j2']);
      const union = { matchers: [[m('=', 'job', 'j2')], [m('=', 'extra', 'e')]], minT: 0, maxT: 9000 };
      assert.deepEqual(
        (await storage.series(union)).map((l) => labelsToRecord(l).__name__),
        ['a', 'b'],
      );
      assert.equal((await storage.series({ ...all, limit: 2 })).length, 2);
    });

    test('metadata: newest entry per metric and type wins', async () => {
      const { storage } = await fresh();
      storage.setMetadata([{ metric: 'up', type: 'gauge', help: 'old', unit: '' }]);
      storage.setMetadata([{ metric: 'up', type: 'gauge', help: 'new', unit: '' }]);
      assert.deepEqual(storage.metadata('up').get('up'), [
        { metric: 'up', type: 'gauge', help: 'new', unit: '' },
      ]);
      assert.equal(storage.metadata('nope').size, 0);
    });

    test('exemplars: stored per series in time order, selected by matcher sets and time range', async () => {
      const { storage } = await fresh();
      const ex = (trace: string, value: number, timestamp: number) => ({
        labels: L({ trace_id: trace }),
        value,
        timestamp,
      });
      const r = await storage.appendExemplars([
        {
          labels: L({ __name__: 'req_bucket', le: '1' }),
          exemplars: [ex('a1', 0.5, 1000), ex('a2', 0.7, 2000)],
        },
        { labels: L({ __name__: 'req_bucket', le: '+Inf' }), exemplars: [ex('b1', 3, 1500)] },
        { labels: L({ __name__: 'other_total' }), exemplars: [ex('c1', 1, 1000)] },
      ]);
      assert.equal(r.accepted, 4);
      const again = await storage.appendExemplars([
        {
          labels: L({ __name__: 'req_bucket', le: '1' }),
          exemplars: [ex('a2', 0.7, 2000), ex('old', 1, 500)],
        },
        {
          labels: L({ __name__: 'other_total' }),
          exemplars: [{ labels: L({ trace_id: 'x'.repeat(130) }), value: 1, timestamp: 5000 }],
        },
      ]);
      assert.equal(again.accepted, 1, 'the exact duplicate counts as stored');
      assert.deepEqual(Object.fromEntries(again.rejected.map((x) => [x.reason, x.count])), {
        exemplar_out_of_order: 1,
        exemplar_invalid: 1,
      });
      const got = await storage.selectExemplars([[m('=', '__name__', 'req_bucket')]], 0, 1800);
      assert.deepEqual(
        got.map((s) => [
          labelsToRecord(s.labels),
          s.exemplars.map((e) => [labelsToRecord(e.labels).trace_id, e.value, e.timestamp]),
        ]),
        [
          [{ __name__: 'req_bucket', le: '+Inf' }, [['b1', 3, 1500]]],
          [{ __name__: 'req_bucket', le: '1' }, [['a1', 0.5, 1000]]],
        ],
      );
      const union = await storage.selectExemplars(
        [[m('=', 'le', '1')], [m('=', '__name__', 'other_total')]],
        0,
        9000,
      );
      assert.deepEqual(
        union.map((s) => labelsToRecord(s.labels).__name__),
        ['other_total', 'req_bucket'],
      );
    });

    test('data survives close and reopen (backends that persist)', async (t) => {
      const s = await fresh();
      if (!s.reopen) {
        t.skip('backend does not persist');
        return;
      }
      await s.storage.append([
        series({ __name__: 'kept', a: 'b' }, [
          [1000, 1.5],
          [2000, 'stale'],
        ]),
      ]);
      s.storage.setMetadata([{ metric: 'kept', type: 'counter', help: 'h', unit: '' }]);
      await s.storage.appendExemplars([
        {
          labels: L({ __name__: 'kept', a: 'b' }),
          exemplars: [{ labels: L({ trace_id: 'abc' }), value: 1.5, timestamp: 1000 }],
        },
      ]);
      const again = await s.reopen();
      const ex = await again.selectExemplars([[m('=', '__name__', 'kept')]], 0, 5000);
      assert.equal(ex[0]?.exemplars[0]?.labels[0]?.value, 'abc', 'exemplars survive a restart');
      const [got] = await again.select([m('=', '__name__', 'kept')], { minT: 0, maxT: 5000 });
      assert.deepEqual([...got.timestamps], [1000, 2000]);
      assert.equal(got.values[0], 1.5);
      assert.ok(isStaleNaN(got.values[1]));
      assert.equal(again.metadata('kept').get('kept')?.[0].type, 'counter');
      // Appends continue after reopen with the same ordering rules.
      const r = await again.append([
        series({ __name__: 'kept', a: 'b' }, [
          [1500, 1],
          [3000, 2],
        ]),
      ]);
      assert.equal(r.accepted, 1);
    });
  });
}
