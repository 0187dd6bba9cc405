import { DuckDBInstance, HUGEINT, listValue } from '@duckdb/node-api';

const inst = await DuckDBInstance.create(':memory:');
const c = await inst.connect();
await c.run('CREATE TABLE t (id HUGEINT, s VARCHAR[], v BIGINT)');
const a = await c.createAppender('t');
const big = BigInt('0x7feeddccbbaa99887766554433221100');
a.appendHugeInt(big);
a.appendList(listValue(['a', 'b']));
a.appendBigInt(1700000000000000000n);
a.endRow();
a.closeSync();
const r = await c.runAndReadAll('SELECT id, s, v FROM t WHERE id = $x', { x: big });
console.log(r.getRows());
const r2 = await c.runAndReadAll(
  'SELECT id FROM t WHERE id >= $x::HUGEINT AND list_has_any(s, $l::VARCHAR[])',
  { x: big - 5n, l: listValue(['b']) },
);
console.log(r2.getRows());
// appender speed
await c.run(
  'CREATE TABLE u (a UINTEGER, b HUGEINT, c BIGINT, d BIGINT, e VARCHAR, f VARCHAR, g UTINYINT, h BLOB)',
);
const ap = await c.createAppender('u');
const t = performance.now();
const blob = new Uint8Array(100);
for (let i = 0; i < 100000; i++) {
  ap.appendUInteger(i);
  ap.appendHugeInt(big + BigInt(i));
  ap.appendBigInt(BigInt(i));
  ap.appendBigInt(BigInt(i));
  ap.appendVarchar('svc');
  ap.appendVarchar('name' + (i % 100));
  ap.appendUTinyInt(1);
  ap.appendBlob(blob);
  ap.endRow();
}
ap.closeSync();
console.log('100k rows ms', performance.now() - t);
