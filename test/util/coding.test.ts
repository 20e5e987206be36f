import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  Decoder,
  Encoder,
  decodeFixed32,
  decodeFixed64,
  encodeFixed32,
  encodeFixed64,
  varintLength,
} from '../../src/util/coding.js';
import { CorruptionError } from '../../src/util/errors.js';

test('fixed32 and fixed64 are little-endian', () => {
  const b = new Uint8Array(8);
  encodeFixed32(b, 0, 0x04030201);
  assert.deepEqual([...b.subarray(0, 4)], [1, 2, 3, 4]);
  assert.equal(decodeFixed32(b, 0), 0x04030201);
  encodeFixed64(b, 0, 2 ** 40 + 5);
  assert.deepEqual([...b], [5, 0, 0, 0, 0, 1, 0, 0]);
  assert.equal(decodeFixed64(b, 0), 2 ** 40 + 5);
});

test('decodeFixed64 refuses values beyond 2^53', () => {
  const b = new Uint8Array(8).fill(0xff);
  assert.throws(() => decodeFixed64(b, 0), CorruptionError);
});

test('varints round-trip and have the right lengths', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.maxSafeNat(), (v32, v64) => {
      const e = new Encoder(1);
      e.varint32(v32)
        .varint64(v64)
        .fixed32(v32)
        .fixed64(v64)
        .lengthPrefixed(new Uint8Array([1, 2]));
      const d = new Decoder(e.finish());
      assert.equal(d.varint32(), v32);
      assert.equal(d.varint64(), v64);
      assert.equal(d.fixed32(), v32);
      assert.equal(d.fixed64(), v64);
      assert.deepEqual([...d.lengthPrefixed()], [1, 2]);
      assert.equal(d.remaining, 0);
      assert.equal(e.finish().length, varintLength(v32) + varintLength(v64) + 4 + 8 + 3);
    }),
  );
});

test('the decoder reports truncated and overlong fields as corruption', () => {
  assert.throws(() => new Decoder(new Uint8Array([0x80])).varint32(), CorruptionError);
  assert.throws(
    () => new Decoder(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x1f])).varint32(),
    CorruptionError,
  );
  assert.throws(() => new Decoder(new Uint8Array(11).fill(0xff)).varint64(), CorruptionError);
  assert.throws(() => new Decoder(new Uint8Array([5, 1, 2])).lengthPrefixed(), CorruptionError);
  assert.throws(() => new Decoder(new Uint8Array(3)).fixed32(), CorruptionError);
});

test('encodeFixed64 writes any safe integer as its little-endian uint64 (against BigInt)', () => {
  fc.assert(
    fc.property(fc.maxSafeNat(), (v) => {
      const b = new Uint8Array(8);
      encodeFixed64(b, 0, v);
      const expected = new Uint8Array(8);
      new DataView(expected.buffer).setBigUint64(0, BigInt(v), true);
      assert.deepEqual(b, expected);
      assert.equal(decodeFixed64(b, 0), v);
    }),
  );
});
