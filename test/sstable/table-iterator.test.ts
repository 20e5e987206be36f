import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BlockBuilder } from '../../src/sstable/block-builder.js';
import { Block } from '../../src/sstable/block.js';
import { TableIterator, type BlockSource } from '../../src/sstable/table-iterator.js';
import { bytewiseComparator } from '../../src/util/comparator.js';
import { compareBytes, fromUtf8 } from '../../src/util/bytes.js';
import { CorruptionError } from '../../src/util/errors.js';
import type { InternalIterator } from '../../src/util/internal-iterator.js';
import { Random } from '../../src/util/random.js';
import { b, lowerBound } from './table-test-util.js';

/**
 * makeSource builds data blocks from `groups` (some may be empty) as a BlockSource whose index keys
 * are each group's last key (or a key between groups for empty ones); `calls` counts block reads and
 * `fail` names a block whose read throws.
 */
function makeSource(groups: string[][], calls = { n: 0 }, fail = -1): BlockSource {
  const blocks = groups.map((g) => {
    const bb = new BlockBuilder(2);
    for (const k of g) bb.add(b(k), b('v' + k));
    return new Block(bb.finish().slice());
  });
  const seps: Uint8Array[] = [];
  let sep = '';
  for (const g of groups) {
    sep = g.length > 0 ? g[g.length - 1]! : sep + '\x00';
    seps.push(b(sep));
  }
  return {
    blockCount: blocks.length,
    findBlock: (t) => lowerBound(seps, t, compareBytes),
    dataBlock: (n) => {
      calls.n++;
      if (n === fail) throw new CorruptionError('bad block', 'x.ldb', 7);
      return blocks[n]!;
    },
  };
}

function tableIterator(groups: string[][], calls = { n: 0 }, fail = -1): TableIterator {
  return new TableIterator(makeSource(groups, calls, fail), bytewiseComparator, true, true);
}

function scan(it: InternalIterator, backward = false): string[] {
  const out: string[] = [];
  if (backward) for (it.seekToLast(); it.valid(); it.prev()) out.push(fromUtf8(it.key()));
  else for (it.seekToFirst(); it.valid(); it.next()) out.push(fromUtf8(it.key()));
  return out;
}

test('empty data blocks are skipped in both directions', () => {
  const groups = [[], ['a', 'b'], [], [], ['c'], ['d', 'e', 'f'], []];
  const calls = { n: 0 };
  const it = tableIterator(groups, calls);
  assert.deepEqual(scan(it), ['a', 'b', 'c', 'd', 'e', 'f']);
  assert.deepEqual(scan(it, true), ['f', 'e', 'd', 'c', 'b', 'a']);
  it.seek(b('bb'));
  assert.equal(fromUtf8(it.key()), 'c');
  assert.deepEqual(fromUtf8(it.value()), 'vc');
  it.prev();
  assert.equal(fromUtf8(it.key()), 'b');
  it.seek(b('g'));
  assert.equal(it.valid(), false);
  // Stepping within one block does not reopen it.
  it.seek(b('d'));
  const before = calls.n;
  it.next();
  it.next();
  it.prev();
  assert.equal(calls.n, before);
  it.close();
});

test('all-empty and no-block tables iterate nothing', () => {
  for (const groups of [[], [[], []]]) {
    const it = tableIterator(groups);
    assert.deepEqual(scan(it), []);
    assert.deepEqual(scan(it, true), []);
    it.seek(b('a'));
    assert.equal(it.valid(), false);
  }
});

test('random groups match the flat model', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      const rnd = new Random(seed);
      const all = [...new Set(Array.from({ length: rnd.uniform(40) }, () => 'k' + rnd.uniform(1000)))].sort();
      const groups: string[][] = [];
      let i = 0;
      while (i < all.length || rnd.oneIn(3)) {
        const n = rnd.uniform(4);
        groups.push(all.slice(i, i + n));
        i += n;
        if (groups.length > 200) break;
      }
      const flat = groups.flat();
      const it = tableIterator(groups);
      assert.deepEqual(scan(it), flat, `seed ${seed}`);
      assert.deepEqual(scan(it, true), [...flat].reverse(), `seed ${seed}`);
      const keys = flat.map((k) => b(k));
      for (let j = 0; j < 20; j++) {
        const t = b('k' + rnd.uniform(1100));
        const pos = lowerBound(keys, t, compareBytes);
        it.seek(t);
        assert.equal(it.valid(), pos < keys.length, `seed ${seed}`);
        if (pos < keys.length) assert.equal(fromUtf8(it.key()), flat[pos], `seed ${seed}`);
        // A walk in mixed directions from there, across blocks, against the position in the model.
        for (let p = pos, m = 0; it.valid() && m < 12; m++) {
          if (rnd.oneIn(2)) {
            it.next();
            p++;
          } else {
            it.prev();
            p--;
          }
          assert.equal(it.valid(), p >= 0 && p < flat.length, `seed ${seed}`);
          if (it.valid()) assert.equal(fromUtf8(it.key()), flat[p], `seed ${seed}`);
        }
      }
    }),
    { numRuns: 300 },
  );
});

test('an error reading a block leaves the iterator invalid and is rethrown', () => {
  const it = tableIterator([['a'], ['b'], ['c']], { n: 0 }, 1);
  it.seekToFirst();
  assert.equal(fromUtf8(it.key()), 'a');
  assert.throws(() => it.next(), CorruptionError);
  assert.equal(it.valid(), false);
  it.seek(b('c'));
  assert.equal(fromUtf8(it.key()), 'c');
  assert.throws(() => it.seek(b('b')), CorruptionError);
  assert.equal(it.valid(), false, 'no stale position after a failed seek');
  it.seekToLast();
  assert.throws(() => it.prev(), CorruptionError);
  assert.equal(it.valid(), false);
});

test('onClose runs once, at the first close', () => {
  let closes = 0;
  const it = new TableIterator(makeSource([['a']]), bytewiseComparator, true, true, () => closes++);
  it.seekToFirst();
  it.close();
  it.close();
  assert.equal(closes, 1);
  assert.equal(it.valid(), false);
});
