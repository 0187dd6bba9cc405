import { mkdtempSync } from 'node:fs';
import { pino } from 'pino';
import { DuckDBSpanStore } from '../src/storage/traces/duckdb/span-store.ts';
import { spanIdOf, testSpan, traceIdOf } from '../src/storage/traces/storetest/spans.ts';

const dir = mkdtempSync('/tmp/dbg-');
const store = await DuckDBSpanStore.open({
  dataDir: dir,
  logger: pino({ level: 'debug' }),
  limits: { maxAttributes: 128, maxKeyBytes: 256, maxValueBytes: 65536, maxFutureSkewMs: 600_000 },
  retentionMs: 0,
  retentionBytes: 0,
});
const id = traceIdOf(5);
await store.append([testSpan({ traceId: id, spanId: spanIdOf(1) })]);
await store.persist(true);
await store.append([testSpan({ traceId: id, spanId: spanIdOf(2) })]);
await store.persist(true);
console.log((store as any).blocks.map((b: any) => b.bloom.bits));
console.log(
  (store as any).blocks.map((b: any) => ({ id: b.row.id, spans: b.row.spans, may: b.bloom.mayContain(id) })),
);
console.log((await store.trace(id)).map((s) => s.spanId));
const t = (store as any).tables;
console.log(
  (
    await t.reader.runAndReadAll('SELECT block_id, page, first_trace, last_trace, spans FROM pages')
  ).getRows(),
);
await store.close();
