import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DnsFormatError, decodeMessage, encodeQuery, formatIPv6 } from './dns-message.ts';

/** A response to `query` with the given records (owner = pointer to the question). */
function response(query: Uint8Array, rcode: number, records: [number, number[]][]): Uint8Array {
  const out = [...query];
  out[2] = 0x81;
  out[3] = 0x80 | rcode;
  out[6] = 0;
  out[7] = records.length;
  for (const [type, rdata] of records)
    out.push(
      0xc0,
      0x0c,
      type >> 8,
      type & 0xff,
      0,
      1,
      0,
      0,
      0x0e,
      0x10,
      rdata.length >> 8,
      rdata.length & 0xff,
      ...rdata,
    );
  return Uint8Array.from(out);
}

const name = (s: string) => [...s.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0];

test('a query encodes header, RD flag and question; the response decodes to miekg-style record text', () => {
  const q = encodeQuery(0x1234, { name: 'www.example.org', type: 1, class: 1 }, true);
  assert.deepEqual([...q.subarray(0, 12)], [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...q.subarray(12)], [...name('www.example.org'), 0, 1, 0, 1]);
  const r = decodeMessage(
    response(q, 0, [
      [1, [192, 0, 2, 7]],
      [28, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
      [5, name('alias.example.org')],
      [15, [0, 10, ...name('mail.example.org')]],
      [16, [5, ...Buffer.from('hello'), 6, ...Buffer.from('wo"rld')]],
      [
        6,
        [
          ...name('ns.example.org'),
          ...name('admin.example.org'),
          0,
          0,
          0,
          42,
          0,
          0,
          0x1c,
          0x20,
          0,
          0,
          3,
          0x84,
          0,
          0x12,
          0x75,
          0,
          0,
          0,
          1,
          0x2c,
        ],
      ],
      [33, [0, 1, 0, 2, 0x1f, 0x90, ...name('svc.example.org')]],
      [99, [1, 0x41]],
      [0x1234, [1, 2, 3]],
    ]),
  );
  assert.equal(r.id, 0x1234);
  assert.equal(r.rcode, 0);
  assert.deepEqual(
    r.answers.map((a) => a.text),
    [
      'www.example.org.\t3600\tIN\tA\t192.0.2.7',
      'www.example.org.\t3600\tIN\tAAAA\t2001:db8::1',
      'www.example.org.\t3600\tIN\tCNAME\talias.example.org.',
      'www.example.org.\t3600\tIN\tMX\t10 mail.example.org.',
      'www.example.org.\t3600\tIN\tTXT\t"hello" "wo\\"rld"',
      'www.example.org.\t3600\tIN\tSOA\tns.example.org. admin.example.org. 42 7200 900 1209600 300',
      'www.example.org.\t3600\tIN\tSRV\t1 2 8080 svc.example.org.',
      'www.example.org.\t3600\tIN\tSPF\t"A"',
      'www.example.org.\t3600\tIN\tTYPE4660\t\\# 3 010203',
    ],
  );
  assert.equal(r.answers[5].serial, 42);
});

test('IPv6 addresses print as Go prints them', () => {
  const b = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
  assert.equal(formatIPv6(b('00000000000000000000000000000001')), '::1');
  assert.equal(formatIPv6(b('00000000000000000000ffffc0000201')), '192.0.2.1');
  assert.equal(formatIPv6(b('20010db8000000010000000000000001')), '2001:db8:0:1::1');
  assert.equal(formatIPv6(b('20010db8000100010001000100010001')), '2001:db8:1:1:1:1:1:1');
});

test('the decoder throws only DnsFormatError, whatever the bytes', () => {
  const q = encodeQuery(7, { name: 'a.b', type: 1, class: 1 }, false);
  const valid = response(q, 0, [
    [1, [1, 2, 3, 4]],
    [15, [0, 1, ...name('mx.a.b')]],
  ]);
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        // Mutations of a valid message reach deeper into the parser.
        fc
          .tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(valid.length))
          .map(([i, v, cut]) => {
            const m = Uint8Array.from(valid);
            m[i] = v;
            return m.subarray(0, Math.max(cut, 12));
          }),
      ),
      (bytes) => {
        try {
          decodeMessage(bytes);
        } catch (err) {
          assert.ok(err instanceof DnsFormatError, `unexpected ${(err as Error).stack}`);
        }
      },
    ),
    { numRuns: 5000 },
  );
  // A compression loop ends in an error, not a hang.
  const loop = Uint8Array.from([...valid.subarray(0, 12), 0xc0, 0x0c]);
  loop[5] = 1;
  assert.throws(() => decodeMessage(loop), DnsFormatError);
});
