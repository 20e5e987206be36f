/** KeyFilter (the memtable's bloom filter): never a false negative, few false positives when sized. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KeyFilter } from '../../src/memtable/key-filter.js';

const FC = process.env.SEED === undefined ? {} : { seed: Number(process.env.SEED) };

test('KeyFilter answers yes for every key added, at any size and key offset', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(1, 64, 100, 1024, 65536),
      fc.array(fc.uint8Array({ maxLength: 24 }), { maxLength: 300 }),
      fc.nat(5),
      (bytes, keys, pad) => {
        const f = new KeyFilter(bytes);
        for (const k of keys) {
          const framed = new Uint8Array(pad + k.length + 3);
          framed.set(k, pad);
          f.add(framed, pad, pad + k.length);
        }
        for (const k of keys) assert.ok(f.mayContain(k));
      },
    ),
    { numRuns: 200, ...FC },
  );
});

test('a KeyFilter of 1 bit per 8 bytes of 100-byte entries rejects nearly every absent key', () => {
  const f = new KeyFilter(65536); // a 4 MiB write buffer's filter: ~30k entries of ~130 bytes
  const key = (i: number) => new TextEncoder().encode(String(i).padStart(16, '0'));
  for (let i = 0; i < 30000; i++) f.add(key(i * 2), 0, 16);
  let positives = 0;
  for (let i = 0; i < 30000; i++) if (f.mayContain(key(i * 2 + 1))) positives++;
  assert.ok(positives < 300, `false positives ${positives} of 30000`);
});
