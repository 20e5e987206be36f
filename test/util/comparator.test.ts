import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bytewiseComparator as cmp } from '../../src/util/comparator.js';
import { compareBytes } from '../../src/util/bytes.js';

const b = (...x: number[]) => new Uint8Array(x);

test('bytewise order is memcmp with shorter first', () => {
  assert.ok(cmp.compare(b(1), b(1, 0)) < 0);
  assert.ok(cmp.compare(b(2), b(1, 0xff)) > 0);
  assert.equal(cmp.compare(b(), b()), 0);
  assert.ok(cmp.compare(b(), b(0)) < 0);
  assert.equal(cmp.name, 'leveldb.BytewiseComparator');
});

test('findShortestSeparator shortens where it can', () => {
  assert.deepEqual([...cmp.findShortestSeparator(b(1, 2, 3, 4), b(1, 2, 7))], [1, 2, 4]);
  assert.deepEqual([...cmp.findShortestSeparator(b(1, 2, 3), b(1, 2, 4))], [1, 2, 3]);
  assert.deepEqual([...cmp.findShortestSeparator(b(1, 2), b(1, 2, 4))], [1, 2]);
  assert.deepEqual([...cmp.findShortestSeparator(b(1, 0xff, 5), b(1, 0xff, 9, 0))], [1, 0xff, 6]);
});

test('findShortSuccessor increments the first non-0xff byte', () => {
  assert.deepEqual([...cmp.findShortSuccessor(b(0xff, 0xff, 3, 4))], [0xff, 0xff, 4]);
  assert.deepEqual([...cmp.findShortSuccessor(b(0xff, 0xff))], [0xff, 0xff]);
});

test('separators and successors keep their contracts', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), (x, y) => {
      const [lo, hi] = compareBytes(x, y) <= 0 ? [x, y] : [y, x];
      const sep = cmp.findShortestSeparator(lo, hi);
      assert.ok(compareBytes(lo, sep) <= 0);
      if (compareBytes(lo, hi) < 0) assert.ok(compareBytes(sep, hi) < 0);
      assert.ok(compareBytes(cmp.findShortSuccessor(x), x) >= 0);
    }),
  );
});
