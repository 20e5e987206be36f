/**
 * SortedKeys (decoded keys for point reads) against a plain sorted array: the same lower bound for every
 * target, with shared user-key prefixes (where probes skip the prefix) and without, and under a custom
 * user comparator (no prefix skipping).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BlockBuilder } from '../../src/sstable/block-builder.js';
import { Block } from '../../src/sstable/block.js';
import { SortedKeys } from '../../src/sstable/sorted-keys.js';
import { InternalKeyComparator } from '../../src/memtable/internal-key.js';
import type { Comparator } from '../../src/util/comparator.js';
import { compareBytes } from '../../src/util/bytes.js';
import { ICMP, ik, lowerBound } from './table-test-util.js';

// Randomized tests: fast-check prints the seed of a failing run; SEED=<n> replays it.
const FC = process.env.SEED === undefined ? {} : { seed: Number(process.env.SEED) };

const reverseUser: Comparator = {
  name: 'test.reverse',
  compare: (a, b) => compareBytes(b, a),
  findShortestSeparator: (a) => a,
  findShortSuccessor: (a) => a,
};
const REVERSE = new InternalKeyComparator(reverseUser);

/** User keys over a tiny alphabet behind an optional common stem: long shared prefixes, some short keys. */
const userKey = (stem: Uint8Array) =>
  fc.uint8Array({ min: 0, max: 2, maxLength: 4 }).map((tail) => Uint8Array.from([...stem, ...tail]));

/**
 * Cases: keys behind a stem, random targets, the order, the restart interval; with `successor`, a last
 * key past the stem that shares less of it (as an index block's short successor: "1" after "0000…").
 */
const cases = fc
  .tuple(
    fc.uint8Array({ min: 0, max: 2, maxLength: 6 }),
    fc.boolean(),
    fc.integer({ min: 1, max: 16 }),
    fc.boolean(),
  )
  .chain(([stem, reverse, interval, successor]) =>
    fc.tuple(
      fc
        .array(fc.tuple(userKey(stem), fc.integer({ min: 0, max: 5 })), { maxLength: 60 })
        .map((e) =>
          successor && !reverse && stem.length > 0 ? [...e, [Uint8Array.of(stem[0]! + 1), 0] as const] : e,
        ),
      fc.array(fc.tuple(fc.uint8Array({ min: 0, max: 4, maxLength: 9 }), fc.integer({ min: 0, max: 6 })), {
        maxLength: 20,
      }),
      fc.constant(reverse),
      fc.constant(interval),
    ),
  );

test('SortedKeys.lowerBound agrees with a binary search over the sorted keys', () => {
  fc.assert(
    fc.property(cases, ([entries, targets, reverse, interval]) => {
      const cmp = reverse ? REVERSE : ICMP;
      const keyed = new Map(entries.map(([u, seq]) => [Buffer.from(ik(u, seq)).toString('hex'), ik(u, seq)]));
      const keys = [...keyed.values()].sort((x, y) => cmp.compare(x, y));
      const bb = new BlockBuilder(interval, 16);
      keys.forEach((k, i) => bb.add(k, Uint8Array.of(i & 0xff, 7)));
      const sk = SortedKeys.fromBlock(new Block(bb.finish().slice()), cmp, true);
      assert.equal(sk.count, keys.length);
      keys.forEach((k, i) => {
        assert.deepEqual(sk.keys.subarray(sk.keyStart(i), sk.keyEnd(i)), k);
        assert.deepEqual(sk.values.subarray(sk.valueStart(i), sk.valueEnd(i)), Uint8Array.of(i & 0xff, 7));
      });
      if (reverse) assert.equal(sk.prefix, 0);
      const probes = [...keys, ...targets.map(([u, seq]) => ik(u, seq))];
      for (const t of probes) {
        assert.equal(
          sk.lowerBound(t),
          lowerBound(keys, t, (x, y) => cmp.compare(x, y)),
        );
      }
    }),
    { numRuns: 400, ...FC },
  );
});

test('SortedKeys skips a shared user-key prefix and still bounds targets outside it', () => {
  const keys = ['key0100', 'key0150', 'key0199'].map((u) => ik(u, 5));
  const bb = new BlockBuilder(16, 16);
  for (const k of keys) bb.add(k, Uint8Array.of(1));
  const sk = SortedKeys.fromBlock(new Block(bb.finish().slice()), ICMP, false);
  assert.equal(sk.prefix, 5); // 'key01'
  assert.equal(sk.lowerBound(ik('key0099', 9)), 0);
  assert.equal(sk.lowerBound(ik('key02', 9)), 3);
  assert.equal(sk.lowerBound(ik('key0150', 9)), 1); // newer than the stored version: sorts first
  assert.equal(sk.lowerBound(ik('key0150', 1)), 2);
  assert.equal(sk.lowerBound(ik('key0', 9)), 0); // shorter than the prefix: a full comparison
  assert.equal(sk.lowerBound(ik('kez', 9)), 3);
});

test("SortedKeys keeps the body's prefix when only the last key breaks it (an index block's short successor)", () => {
  // LevelDB ends an index block with its table's short successor: "1" after keys "0000...".
  const users = ['0000000000001237', '0000000000001300', '0000000000001371', '0000000000001442', '1'];
  const keys = users.map((u) => ik(u, 5));
  const bb = new BlockBuilder(16, 16);
  for (const k of keys) bb.add(k, Uint8Array.of(1));
  const sk = SortedKeys.fromBlock(new Block(bb.finish().slice()), ICMP, false);
  assert.equal(sk.prefix, 13); // '0000000000001', not 0
  const targets = [
    ...users,
    '0000000000001236',
    '0000000000001299',
    '00000000000014420',
    '0000000000001443',
    '0000000000002000',
    '00000000000',
    '05',
    '0',
    '1',
    '10',
    '2',
    '',
  ];
  for (const u of targets)
    for (const seq of [0, 5, 9]) {
      const t = ik(u, seq);
      assert.equal(
        sk.lowerBound(t),
        lowerBound(keys, t, (x, y) => ICMP.compare(x, y)),
        `${u}@${seq}`,
      );
    }
});

test('SortedKeys.lowerBound agrees with a binary search when the last key breaks the shared prefix', () => {
  const stemmed = fc.tuple(
    fc.uint8Array({ min: 1, max: 3, minLength: 1, maxLength: 5 }),
    fc.array(fc.uint8Array({ min: 0, max: 3, maxLength: 3 }), { minLength: 2, maxLength: 40 }),
    fc.uint8Array({ min: 0, max: 4, minLength: 0, maxLength: 3 }),
    fc.array(fc.tuple(fc.uint8Array({ min: 0, max: 4, maxLength: 8 }), fc.integer({ min: 0, max: 6 })), {
      maxLength: 30,
    }),
  );
  fc.assert(
    fc.property(stemmed, ([stem, tails, last, targets]) => {
      const users = tails.map((t) => Uint8Array.from([...stem, ...t]));
      const keyed = new Map<string, Uint8Array>();
      for (const u of [...users, last]) keyed.set(Buffer.from(u).toString('hex'), ik(u, 3));
      const keys = [...keyed.values()].sort((x, y) => ICMP.compare(x, y));
      const bb = new BlockBuilder(4, 16);
      for (const k of keys) bb.add(k, Uint8Array.of(1));
      const sk = SortedKeys.fromBlock(new Block(bb.finish().slice()), ICMP, false);
      for (const t of [...keys, ...targets.map(([u, seq]) => ik(u, seq)), ...users.map((u) => ik(u, 9))])
        assert.equal(
          sk.lowerBound(t),
          lowerBound(keys, t, (x, y) => ICMP.compare(x, y)),
        );
    }),
    { numRuns: 500, ...FC },
  );
});

test("an index's short-successor last key keeps the others' prefix and signatures", () => {
  const keys = ['0000000000139312', '0000000000150000', '0000000000206473', '1'].map((u) => ik(u, 5));
  const bb = new BlockBuilder(1, 16);
  for (const k of keys) bb.add(k, Uint8Array.of(1));
  const sk = SortedKeys.fromBlock(new Block(bb.finish().slice()), ICMP, false);
  assert.equal(sk.prefix, 10); // '0000000000', not 0
  assert.equal(sk.prefixed, 3);
  assert.equal(sk.lowerBound(ik('0000000000100000', 9)), 0);
  assert.equal(sk.lowerBound(ik('0000000000150000', 9)), 1);
  assert.equal(sk.lowerBound(ik('0000000000150000', 1)), 2);
  assert.equal(sk.lowerBound(ik('0000000000206474', 9)), 3); // past the prefixed keys: the last key
  assert.equal(sk.lowerBound(ik('0000000000300000', 9)), 3); // outside the prefix, before '1'
  assert.equal(sk.lowerBound(ik('1', 9)), 3);
  assert.equal(sk.lowerBound(ik('1', 1)), 4);
  assert.equal(sk.lowerBound(ik('2', 9)), 4);
  assert.equal(sk.lowerBound(ik('00', 9)), 0); // shorter than the prefix: a full comparison
});
