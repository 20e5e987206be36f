import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BlockBuilder } from '../../src/sstable/block-builder.js';
import { Block, BlockIterator, rangeCompareFor } from '../../src/sstable/block.js';
import { bytewiseComparator } from '../../src/util/comparator.js';
import { compareBytes, toHex } from '../../src/util/bytes.js';
import { encodeFixed32 } from '../../src/util/coding.js';
import { CorruptionError } from '../../src/util/errors.js';
import { Random } from '../../src/util/random.js';
import { ICMP, b, ik, lowerBound } from './table-test-util.js';

const cmp = bytewiseComparator;

function buildBlock(entries: [Uint8Array, Uint8Array][], interval: number): Block {
  const bb = new BlockBuilder(interval, 16);
  for (const [k, v] of entries) bb.add(k, v);
  assert.equal(bb.currentSizeEstimate(), bb.finish().length);
  return new Block(bb.finish().slice(), 'test.ldb', 1234);
}

function forward(it: BlockIterator): string[] {
  const out: string[] = [];
  for (it.seekToFirst(); it.valid(); it.next()) out.push(toHex(it.key()) + '=' + toHex(it.value()));
  return out;
}

function backward(it: BlockIterator): string[] {
  const out: string[] = [];
  for (it.seekToLast(); it.valid(); it.prev()) out.push(toHex(it.key()) + '=' + toHex(it.value()));
  return out;
}

function randomEntries(rnd: Random, n: number, maxKey = 24, maxValue = 40): [Uint8Array, Uint8Array][] {
  const seen = new Map<string, Uint8Array>();
  while (seen.size < n) {
    // A small alphabet and a shared stem give long common prefixes.
    const k = new Uint8Array(1 + rnd.uniform(maxKey));
    for (let i = 0; i < k.length; i++)
      k[i] = rnd.oneIn(2) ? 0x61 : rnd.uniform(4) === 0 ? 0xff : rnd.uniform(3);
    seen.set(toHex(k), k);
  }
  const keys = [...seen.values()].sort(compareBytes);
  return keys.map((k) => [k, rnd.bytes(rnd.uniform(maxValue))]);
}

test('an empty block has one restart and iterates nothing', () => {
  const bb = new BlockBuilder(16);
  assert.ok(bb.empty);
  assert.equal(bb.currentSizeEstimate(), 8);
  const raw = bb.finish();
  assert.deepEqual([...raw], [0, 0, 0, 0, 1, 0, 0, 0]);
  const it = new Block(raw).iterator(cmp);
  it.seekToFirst();
  assert.equal(it.valid(), false);
  it.seekToLast();
  assert.equal(it.valid(), false);
  it.seek(b('a'));
  assert.equal(it.valid(), false);
  it.next();
  it.prev();
  assert.equal(it.valid(), false);
});

test('a block with zero restarts reads as empty', () => {
  const it = new Block(new Uint8Array(4)).iterator(cmp);
  it.seekToFirst();
  assert.equal(it.valid(), false);
  it.seek(b('x'));
  assert.equal(it.valid(), false);
});

test('block builder encodes prefixes and restarts as LevelDB', () => {
  const bb = new BlockBuilder(2);
  bb.add(b('apple'), b('1'));
  bb.add(b('apricot'), b('22'));
  bb.add(b('banana'), b(''));
  const raw = bb.finish();
  // entry 0 at 0: shared 0, non_shared 5, value 1, "apple" "1"
  // entry 1 at 9: shared 2, non_shared 5, value 2, "ricot" "22"
  // entry 2 at 19 (restart): shared 0, non_shared 6, value 0, "banana"
  const expected = [
    [0, 5, 1, ...b('apple'), ...b('1')],
    [2, 5, 2, ...b('ricot'), ...b('22')],
    [0, 6, 0, ...b('banana')],
    [0, 0, 0, 0, 19, 0, 0, 0, 2, 0, 0, 0],
  ].flat();
  assert.deepEqual([...raw], expected);
  bb.reset();
  assert.ok(bb.empty);
  bb.add(b('z'), b('9'));
  assert.deepEqual([...bb.finish()], [0, 1, 1, 0x7a, 0x39, 0, 0, 0, 0, 1, 0, 0, 0]);
});

test('long keys and values use multi-byte varints', () => {
  const rnd = new Random(7);
  const entries: [Uint8Array, Uint8Array][] = [
    [new Uint8Array(300).fill(1), rnd.bytes(20000)],
    [new Uint8Array(301).fill(1), rnd.bytes(200)],
    [new Uint8Array(5).fill(2), new Uint8Array(0)],
  ];
  for (const interval of [1, 16]) {
    const it = buildBlock(entries, interval).iterator(cmp);
    assert.deepEqual(
      forward(it),
      entries.map(([k, v]) => toHex(k) + '=' + toHex(v)),
    );
    it.seek(new Uint8Array(301).fill(1));
    assert.deepEqual(it.value(), entries[1]![1]);
  }
});

for (const interval of [1, 2, 3, 16, 1000]) {
  test(`block round trip, restart interval ${interval}`, () => {
    const seed = 1000 + interval;
    const rnd = new Random(seed);
    for (const n of [1, 2, 17, 300]) {
      const entries = randomEntries(rnd, n);
      const block = buildBlock(entries, interval);
      assert.equal(block.numRestarts, Math.ceil(n / interval), `seed ${seed}`);
      const it = block.iterator(cmp);
      const want = entries.map(([k, v]) => toHex(k) + '=' + toHex(v));
      assert.deepEqual(forward(it), want, `seed ${seed}`);
      assert.deepEqual(backward(it), [...want].reverse(), `seed ${seed}`);
      const keys = entries.map((e) => e[0]);
      // Seek to every key and to keys between them, from fresh and from positioned iterators.
      for (let i = 0; i < 200; i++) {
        const target = rnd.oneIn(2) ? keys[rnd.uniform(n)]! : randomEntries(rnd, 1)[0]![0];
        const j = lowerBound(keys, target, compareBytes);
        it.seek(target);
        if (j === n) assert.equal(it.valid(), false);
        else assert.equal(toHex(it.key()), toHex(keys[j]!), `seed ${seed} target ${toHex(target)}`);
        if (j < n && j > 0) {
          it.prev();
          assert.equal(toHex(it.key()), toHex(keys[j - 1]!));
          it.next();
          assert.equal(toHex(it.key()), toHex(keys[j]!));
        }
      }
    }
  });
}

test('random walks with next/prev/seek match a sorted array', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 0, max: 60 }),
      (seed, interval, n) => {
        const rnd = new Random(seed);
        const entries = n === 0 ? [] : randomEntries(rnd, n, 6, 4);
        const keys = entries.map((e) => e[0]);
        const it = buildBlock(entries, interval).iterator(cmp);
        let pos = -1; // -1: invalid
        for (let step = 0; step < 100; step++) {
          const op = rnd.uniform(6);
          if (op === 0) {
            it.seekToFirst();
            pos = n > 0 ? 0 : -1;
          } else if (op === 1) {
            it.seekToLast();
            pos = n - 1;
          } else if (op === 2) {
            const t = randomEntries(rnd, 1, 6)[0]![0];
            it.seek(t);
            const j = lowerBound(keys, t, compareBytes);
            pos = j < n ? j : -1;
          } else if (pos >= 0 && op <= 3) {
            it.next();
            pos = pos + 1 < n ? pos + 1 : -1;
          } else if (pos >= 0) {
            it.prev();
            pos = pos - 1;
          }
          assert.equal(it.valid(), pos >= 0, `seed ${seed} step ${step}`);
          if (pos >= 0) {
            assert.deepEqual(it.key(), keys[pos], `seed ${seed} step ${step}`);
            assert.deepEqual(it.value(), entries[pos]![1], `seed ${seed} step ${step}`);
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('internal-key blocks seek by the internal order (newest first)', () => {
  const entries: [Uint8Array, Uint8Array][] = [
    [ik('a', 9), b('a9')],
    [ik('a', 5), b('a5')],
    [ik('a', 5, 0), b('')],
    [ik('b', 100), b('b100')],
    [ik('b', 2 ** 40), b('big')],
  ].sort((x, y) => ICMP.compare(x[0] as Uint8Array, y[0] as Uint8Array)) as [Uint8Array, Uint8Array][];
  assert.deepEqual(entries[3]![1], b('big'));
  for (const interval of [1, 16]) {
    const it = buildBlock(entries, interval).iterator(ICMP);
    it.seek(ik('a', 7));
    assert.deepEqual(it.value(), b('a5'));
    it.seek(ik('a', 5, 0));
    assert.deepEqual(it.key(), ik('a', 5, 0));
    it.seek(ik('b', 2 ** 50));
    assert.deepEqual(it.value(), b('big'));
    it.seek(ik('b', 3));
    assert.equal(it.valid(), false);
  }
});

test('range compare agrees with the comparators', () => {
  const rc = rangeCompareFor(ICMP);
  const rb = rangeCompareFor(cmp);
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 4 }),
      fc.uint8Array({ maxLength: 4 }),
      fc.maxSafeNat(),
      fc.maxSafeNat(),
      fc.integer({ min: 0, max: 1 }),
      fc.integer({ min: 0, max: 1 }),
      (ua, ub, sa, sb, ta, tb) => {
        const a = ik(ua, Math.floor(sa / 1024), ta);
        const c = ik(ub, Math.floor(sb / 1024), tb);
        const pad = new Uint8Array(a.length + 3);
        pad.set(a, 2);
        assert.equal(Math.sign(rc(pad, 2, 2 + a.length, c, 0, c.length)), Math.sign(ICMP.compare(a, c)));
        assert.equal(Math.sign(rb(pad, 2, 2 + a.length, c, 0, c.length)), Math.sign(compareBytes(a, c)));
      },
    ),
  );
});

test('a custom comparator is honoured through the generic path', () => {
  const reverse = {
    ...bytewiseComparator,
    name: 'reverse',
    compare: (x: Uint8Array, y: Uint8Array) => compareBytes(y, x),
  };
  const entries = ['d', 'c', 'b', 'a'].map((k): [Uint8Array, Uint8Array] => [b(k), b(k + k)]);
  const it = buildBlock(entries, 2).iterator(reverse);
  it.seek(b('bb'));
  assert.deepEqual(it.key(), b('b'));
  it.seek(b('0'));
  assert.equal(it.valid(), false);
});

test('key views are reused only while the key length stays the same', () => {
  const entries: [Uint8Array, Uint8Array][] = [
    [b('aa'), b('1')],
    [b('ab'), b('2')],
    [b('abc'), b('3')],
  ];
  const it = buildBlock(entries, 16).iterator(cmp);
  it.seekToFirst();
  const k0 = it.key();
  assert.deepEqual(k0, b('aa'));
  assert.equal(it.key(), k0, 'same view for the same entry');
  it.next();
  assert.deepEqual(it.key(), b('ab'));
  it.next();
  assert.deepEqual(it.key(), b('abc'));
  assert.deepEqual(it.value(), b('3'));
});

function expectCorruption(fn: () => void): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CorruptionError, String(err));
    assert.equal(err.file, 'test.ldb');
    assert.equal(err.offset, 1234);
    return true;
  });
}

test('malformed restart arrays are CorruptionErrors naming the file and block offset', () => {
  expectCorruption(() => new Block(new Uint8Array(3), 'test.ldb', 1234));
  const tooMany = new Uint8Array(8);
  encodeFixed32(tooMany, 4, 2);
  expectCorruption(() => new Block(tooMany, 'test.ldb', 1234));
  const huge = new Uint8Array(8);
  encodeFixed32(huge, 4, 0xffffffff);
  expectCorruption(() => new Block(huge, 'test.ldb', 1234));
  // A restart point past the entries.
  const bb = new BlockBuilder(1);
  bb.add(b('a'), b('1'));
  bb.add(b('b'), b('2'));
  const raw = bb.finish().slice();
  encodeFixed32(raw, raw.length - 8, 200);
  expectCorruption(() => new Block(raw, 'test.ldb', 1234));
  // Restart points out of order.
  encodeFixed32(raw, raw.length - 8, 0);
  expectCorruption(() => new Block(raw, 'test.ldb', 1234));
});

test('malformed entries are CorruptionErrors, never garbage', () => {
  const bb = new BlockBuilder(16);
  bb.add(b('abc'), b('1'));
  bb.add(b('abd'), b('2'));
  const good = bb.finish().slice();
  // Entry 1 starts at 7: [2, 1, 1, 'd', '2']. Claim a shared prefix longer than the previous key.
  const badShared = good.slice();
  badShared[7] = 9;
  const it1 = new Block(badShared, 'test.ldb', 1234).iterator(cmp);
  it1.seekToFirst();
  expectCorruption(() => it1.next());
  assert.equal(it1.valid(), false);
  // A value length running into the restart array.
  const badLen = good.slice();
  badLen[9] = 50;
  const it2 = new Block(badLen, 'test.ldb', 1234).iterator(cmp);
  expectCorruption(() => {
    for (it2.seekToFirst(); it2.valid(); it2.next());
  });
  // A restart entry with a non-zero shared length (seek decodes restart keys).
  const bb2 = new BlockBuilder(1);
  bb2.add(b('a'), b('1'));
  bb2.add(b('b'), b('2'));
  const r2 = bb2.finish().slice();
  r2[5] = 1; // the second entry (a restart, at 5) claims shared = 1
  const it3 = new Block(r2, 'test.ldb', 1234).iterator(cmp);
  expectCorruption(() => it3.seek(b('b')));
  // A truncated varint.
  const r3 = new Uint8Array([0x80, 0x80, 0, 0, 0, 0, 1, 0, 0, 0]);
  const it4 = new Block(r3, 'test.ldb', 1234).iterator(cmp);
  expectCorruption(() => it4.seekToFirst());
});

test('random damage to a block only ever yields CorruptionError or some entries, and terminates', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      (seed, flips) => {
        const rnd = new Random(seed);
        const raw = buildBlock(randomEntries(rnd, 20, 8, 8), 1 + rnd.uniform(4)).data.slice();
        for (const [pos, v] of flips) raw[pos % raw.length] = v;
        try {
          const it = new Block(raw, 'test.ldb', 1234).iterator(cmp);
          let n = 0;
          for (it.seekToFirst(); it.valid() && n < 1000; it.next()) n++;
          assert.ok(n < 1000);
          for (it.seekToLast(); it.valid() && n < 2000; it.prev()) n++;
          assert.ok(n < 2000);
          it.seek(b('a'));
        } catch (err) {
          assert.ok(err instanceof CorruptionError, `seed ${seed}: ${String(err)}`);
        }
      },
    ),
    { numRuns: 500 },
  );
});
