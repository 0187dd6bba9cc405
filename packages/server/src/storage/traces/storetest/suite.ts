/**
 * The contract every SpanStore backend passes (storage/traces/interface.ts), run from each
 * backend's own test file: `runSpanStoreTests({ name, open })`. `open(dir)` opens a store on a
 * directory (the same directory again after a close must show the same data); `persist`, when
 * given, moves everything in memory to long-term storage so both paths are exercised.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Span } from '../../../model/span.ts';
import type { SpanStore } from '../interface.ts';
import { EncodedSpan, spanBytes } from '../otlp/span-codec.ts';
import { spanData, spanIdOf, testResource, testSpan, traceIdOf } from './spans.ts';

export interface SpanStoreSuiteOptions<S extends SpanStore> {
  readonly name: string;
  open(dir: string): Promise<S>;
  /** Moves spans from memory to long-term storage, if the backend has the distinction. */
  persist?(store: S): Promise<void>;
  /** Runs retention now, if the backend has it; the store was opened with 1h retention by age. */
  retention?(store: S, nowMs: number): Promise<void>;
}

const T0 = Date.UTC(2026, 0, 1);
const NS = 1_000_000n;

/** A span with one attribute of every OTLP type, an event, a link and a status. */
export function richSpan(traceId: string, spanId: string, parent = ''): Span {
  return testSpan({
    traceId,
    spanId,
    parentSpanId: parent,
    name: 'GET /orders/{id}',
    kind: 2,
    startMs: T0 + 5,
    durationMs: 12.5,
    traceState: 'vendor=abc',
    flags: 0x101,
    attributes: {
      'http.method': 'GET',
      'http.status_code': 200n,
      ratio: 0.25,
      cached: true,
      payload: new Uint8Array([0, 1, 254, 255]),
      tags: ['a', 1n, 2.5, false],
      nested: { kvlist: [{ key: 'inner', value: 'x' }] },
      empty: null,
      negative: -42n,
      unicode: 'é✓ 😀',
    },
    status: 2,
    statusMessage: 'boom',
    resource: testResource('checkout', { 'host.name': 'box-1', 'process.pid': 1234n }),
    events: [
      {
        timeUnixNano: BigInt(T0 + 6) * NS,
        name: 'exception',
        attributes: [{ key: 'exception.type', value: 'E' }],
        droppedAttributesCount: 1,
      },
    ],
    links: [
      {
        traceId: traceIdOf(999),
        spanId: spanIdOf(999),
        traceState: 'k=v',
        attributes: [{ key: 'link.kind', value: 'follows' }],
        droppedAttributesCount: 0,
        flags: 1,
      },
    ],
  });
}

export function runSpanStoreTests<S extends SpanStore>(options: SpanStoreSuiteOptions<S>): void {
  const withStore = async (fn: (store: S, dir: string) => Promise<void>) => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-spans-'));
    const store = await options.open(dir);
    try {
      await fn(store, dir);
    } finally {
      await store.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const persist = async (store: S) => options.persist?.(store);

  describe(`SpanStore contract: ${options.name}`, () => {
    test('a span read back by trace id is the span that was sent, every field', async () => {
      await withStore(async (store) => {
        const sent = richSpan(traceIdOf(1), spanIdOf(1));
        await store.append([sent]);
        const inMemory = await store.trace(traceIdOf(1));
        assert.equal(inMemory.length, 1);
        assert.deepEqual(spanData(inMemory[0]), spanData(sent));
        await persist(store);
        const persisted = await store.trace(traceIdOf(1));
        assert.deepEqual(spanData(persisted[0]), spanData(sent));
        // Stored as OTLP bytes: encoding the span read back gives the bytes of the span sent.
        assert.deepEqual(Buffer.from(spanBytes(persisted[0])), Buffer.from(spanBytes(sent)));
      });
    });

    test('spans decoded from OTLP bytes keep those exact bytes', async () => {
      await withStore(async (store) => {
        const original = richSpan(traceIdOf(2), spanIdOf(2));
        const bytes = spanBytes(original);
        const encoded = new EncodedSpan(bytes, original.resource, original.scope, true);
        await store.append([encoded]);
        await persist(store);
        const [back] = await store.trace(traceIdOf(2));
        assert.deepEqual(Buffer.from(spanBytes(back)), Buffer.from(bytes));
      });
    });

    test('an unknown trace id gives no spans', async () => {
      await withStore(async (store) => {
        await store.append([richSpan(traceIdOf(3), spanIdOf(3))]);
        await persist(store);
        assert.deepEqual(await store.trace(traceIdOf(4)), []);
      });
    });

    test('a trace appended in parts, before and after a persist, comes back whole and by start time', async () => {
      await withStore(async (store) => {
        const id = traceIdOf(5);
        const spans = [0, 1, 2, 3, 4].map((i) =>
          testSpan({
            traceId: id,
            spanId: spanIdOf(50 + i),
            parentSpanId: i ? spanIdOf(50) : '',
            startMs: T0 + 10 * (4 - i),
          }),
        );
        await store.append(spans.slice(0, 2));
        await persist(store);
        await store.append(spans.slice(2, 4));
        await persist(store);
        await store.append(spans.slice(4));
        // Other traces around it must not leak in.
        await store.append([testSpan({ traceId: traceIdOf(6), spanId: spanIdOf(60) })]);
        const back = await store.trace(id);
        assert.deepEqual(
          back.map((s) => s.spanId),
          [spanIdOf(54), spanIdOf(53), spanIdOf(52), spanIdOf(51), spanIdOf(50)],
        );
      });
    });

    test('trace by id honours a time range', async () => {
      await withStore(async (store) => {
        await store.append([testSpan({ traceId: traceIdOf(7), spanId: spanIdOf(70), startMs: T0 })]);
        await persist(store);
        const at = (ms: number) => BigInt(ms) * NS;
        assert.equal(
          (await store.trace(traceIdOf(7), { startNs: at(T0 - 1000), endNs: at(T0 + 1000) })).length,
          1,
        );
        assert.equal(
          (await store.trace(traceIdOf(7), { startNs: at(T0 + 60_000), endNs: at(T0 + 120_000) })).length,
          0,
        );
      });
    });

    test('scan finds every trace overlapping the window, with the service hint applied', async () => {
      await withStore(async (store) => {
        const spans: Span[] = [];
        for (let i = 0; i < 40; i++) {
          spans.push(
            testSpan({
              traceId: traceIdOf(100 + i),
              spanId: spanIdOf(100 + i),
              startMs: T0 + i * 1000,
              resource: testResource(i % 2 ? 'odd' : 'even'),
            }),
          );
        }
        await store.append(spans.slice(0, 20));
        await persist(store);
        await store.append(spans.slice(20));
        const ids = async (req: Parameters<SpanStore['scan']>[0]) => {
          const found = new Set<string>();
          for await (const batch of store.scan(req)) for (const p of batch) found.add(p.traceId);
          return found;
        };
        const window = { startNs: BigInt(T0 + 10_000) * NS, endNs: BigInt(T0 + 29_000) * NS };
        const all = await ids(window);
        for (let i = 10; i <= 29; i++) assert.ok(all.has(traceIdOf(100 + i)), `trace ${i} found`);
        assert.ok(!all.has(traceIdOf(100 + 35)), 'traces after the window are not needed');
        const odd = await ids({ ...window, services: ['odd'] });
        for (let i = 11; i <= 29; i += 2) assert.ok(odd.has(traceIdOf(100 + i)), `odd trace ${i} found`);
      });
    });

    test('tag names and values cover span, resource and intrinsic values', async () => {
      await withStore(async (store) => {
        await store.append([richSpan(traceIdOf(8), spanIdOf(8))]);
        await persist(store);
        await store.append([
          testSpan({
            traceId: traceIdOf(9),
            spanId: spanIdOf(9),
            name: 'in-memory',
            attributes: { 'http.method': 'POST' },
          }),
        ]);
        const range = { startNs: 0n, endNs: BigInt(T0 + 3_600_000) * NS };
        const names = await store.tagNames(range);
        assert.ok(names.get('span')?.includes('http.method'));
        assert.ok(names.get('resource')?.includes('host.name'));
        assert.ok(names.get('event')?.includes('exception.type'));
        assert.ok(names.get('link')?.includes('link.kind'));
        const methods = (await store.tagValues('span', 'http.method', range, 100)).map((v) => v.value).sort();
        assert.deepEqual(methods, ['GET', 'POST']);
        const codes = await store.tagValues('span', 'http.status_code', range, 100);
        assert.deepEqual(codes, [{ type: 'int', value: '200' }]);
        const services = (await store.tagValues('resource', 'service.name', range, 100))
          .map((v) => v.value)
          .sort();
        assert.deepEqual(services, ['checkout', 'test-service']);
        const names2 = (await store.tagValues('intrinsic', 'name', range, 100)).map((v) => v.value).sort();
        assert.deepEqual(names2, ['GET /orders/{id}', 'in-memory']);
      });
    });

    test('data survives close and reopen', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vigil-spans-'));
      try {
        let store = await options.open(dir);
        await store.append([richSpan(traceIdOf(10), spanIdOf(10))]);
        await persist(store);
        await store.append([richSpan(traceIdOf(11), spanIdOf(11))]);
        await store.close();
        store = await options.open(dir);
        try {
          assert.equal((await store.trace(traceIdOf(10))).length, 1);
          assert.deepEqual(
            spanData((await store.trace(traceIdOf(11)))[0]),
            spanData(richSpan(traceIdOf(11), spanIdOf(11))),
          );
        } finally {
          await store.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    if (options.retention) {
      test('retention deletes traces older than the retention period', async () => {
        await withStore(async (store) => {
          await store.append([testSpan({ traceId: traceIdOf(12), spanId: spanIdOf(12), startMs: T0 })]);
          await persist(store);
          await store.append([
            testSpan({ traceId: traceIdOf(13), spanId: spanIdOf(13), startMs: T0 + 7_200_000 }),
          ]);
          await persist(store);
          await options.retention!(store, T0 + 7_200_000 + 60_000);
          assert.equal((await store.trace(traceIdOf(12))).length, 0);
          assert.equal((await store.trace(traceIdOf(13))).length, 1);
        });
      });
    }
  });
}
