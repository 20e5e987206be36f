/** The 8-byte tag of an internal key, (sequence << 8 | type) little-endian, against a BigInt reference. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { tagHigh, tagLow, writeTag } from '../../src/memtable/internal-key.js';

test('writeTag, tagHigh and tagLow encode (seq << 8) | type for every sequence below 2^56 - 2^24', () => {
  const seqs = fc.oneof(fc.maxSafeNat(), fc.integer({ min: 0, max: 2 ** 32 }), fc.constant(2 ** 24 - 1));
  fc.assert(
    fc.property(seqs, fc.integer({ min: 0, max: 2 }), (seq, type) => {
      const b = new Uint8Array(8);
      writeTag(b, 0, seq, type);
      const expected = new Uint8Array(8);
      new DataView(expected.buffer).setBigUint64(0, (BigInt(seq) << 8n) | BigInt(type), true);
      assert.deepEqual(b, expected);
      const view = new DataView(b.buffer);
      assert.equal(tagLow(seq, type), view.getUint32(0, true));
      assert.equal(tagHigh(seq), view.getUint32(4, true));
    }),
  );
});
