import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Labels } from '../../model/labels.ts';
import { hashKey, LabelCache } from './label-cache.ts';

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const labels = (v: string): Labels => [{ name: '__name__', value: v }];

test('behaves like a map of the keys it still holds, whatever the hashes and limits', () => {
  // Hashes are forced into a tiny range so most keys collide; limits are tiny so generations rotate.
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.uint8Array({ maxLength: 9 }), fc.boolean()), { maxLength: 60 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 9, max: 40 }),
      (ops, maxEntries, maxBytes) => {
        const cache = new LabelCache(maxEntries, maxBytes);
        const reference = new Map<string, string>();
        for (const [bytes, write] of ops) {
          const key = Buffer.from(bytes).toString('hex');
          const hash = bytes.length % 3;
          const got = cache.get(hash, view(bytes), 0, bytes.length);
          // Anything found must be what was stored for exactly these bytes.
          if (got !== undefined) assert.deepStrictEqual(got, labels(reference.get(key)!));
          if (write) {
            cache.set(hash, view(bytes), 0, bytes.length, labels(key));
            reference.set(key, key);
            assert.deepStrictEqual(cache.get(hash, view(bytes), 0, bytes.length), labels(key));
          }
        }
        assert.ok(cache.size <= 2 * maxEntries);
      },
    ),
  );
});

test('a key used at least once per generation stays cached; others age out after two', () => {
  const cache = new LabelCache(2, 1024);
  const key = (s: string) => Buffer.from(s);
  const get = (s: string) => cache.get(hashKey(view(key(s)), 0, s.length), view(key(s)), 0, s.length);
  const set = (s: string) =>
    cache.set(hashKey(view(key(s)), 0, s.length), view(key(s)), 0, s.length, labels(s));
  set('hot');
  set('cold');
  set('a'); // young is full: {hot, cold} becomes old
  assert.deepStrictEqual(get('hot'), labels('hot')); // promoted into young {a, hot}
  set('b'); // {a, hot} becomes old; cold is dropped
  assert.equal(get('cold'), undefined);
  assert.deepStrictEqual(get('hot'), labels('hot'));
  assert.deepStrictEqual(get('a'), labels('a'));
});

test('keys are compared byte for byte, at any offset in the source', () => {
  const cache = new LabelCache(10, 1024);
  const src = Buffer.from('xxabcdefghij-abcdefghik');
  cache.set(7, view(src), 2, 12, labels('first'));
  assert.deepStrictEqual(cache.get(7, view(src), 2, 12), labels('first'));
  assert.equal(cache.get(7, view(src), 13, 23), undefined, 'same hash and length, one byte differs');
  assert.equal(cache.get(7, view(src), 2, 11), undefined, 'a prefix is a different key');
});

test('hashKey depends on every byte and on the length', () => {
  const h = (s: string) => {
    const b = Buffer.from(s);
    return hashKey(view(b), 0, b.length);
  };
  assert.notEqual(h('abcdefgh'), h('abcdefgi'));
  assert.notEqual(h('abcdefgh'), h('bbcdefgh'));
  assert.notEqual(h('abc'), h('abc\0'));
  assert.ok(h('anything') >= 0 && h('anything') < 2 ** 30);
});
