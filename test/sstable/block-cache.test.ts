/**
 * BlockCache (CLOCK over blocks that tables find in slot arrays of their own) against its invariants
 * under random admissions, inserts, hits, recharges and clears; the second chance a block read since it
 * was cached gets over one that was not; and the admission policy (fill while there is room, then let in
 * only blocks missed repeatedly).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Block } from '../../src/sstable/block.js';
import { BlockCache, type AdmissionStamps, type BlockSlots } from '../../src/sstable/block-cache.js';

const FC = process.env.SEED === undefined ? {} : { seed: Number(process.env.SEED) };

const newBlock = () => new Block(new Uint8Array(4)); // an empty block: one restart, no entries

const op = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    table: fc.nat(2),
    slot: fc.nat(7),
    charge: fc.integer({ min: 1, max: 40 }),
  }),
  fc.record({ kind: fc.constant('hit' as const), table: fc.nat(2), slot: fc.nat(7) }),
  fc.record({
    kind: fc.constant('recharge' as const),
    table: fc.nat(2),
    slot: fc.nat(7),
    charge: fc.integer({ min: 1, max: 40 }),
  }),
  fc.record({ kind: fc.constant('clear' as const) }),
  fc.record({ kind: fc.constant('forget' as const), table: fc.nat(2) }),
  fc.record({
    kind: fc.constant('admit' as const),
    table: fc.nat(2),
    slot: fc.nat(7),
    charge: fc.integer({ min: 1, max: 40 }),
  }),
);

const stampsFor = (): AdmissionStamps => new Float64Array(8);

test('BlockCache keeps usage, size and every table slot consistent, within capacity', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 120 }), fc.array(op, { maxLength: 200 }), (capacity, ops) => {
      const cache = new BlockCache(capacity);
      const tables: BlockSlots[] = [[], [], []];
      const stamps = [stampsFor(), stampsFor(), stampsFor()];
      for (const o of ops) {
        if (o.kind === 'clear') cache.clear();
        else if (o.kind === 'forget') {
          cache.forget(tables[o.table]!);
          assert.ok(tables[o.table]!.every((b) => b === undefined));
        } else if (o.kind === 'insert' || o.kind === 'admit') {
          if (tables[o.table]![o.slot] !== undefined) continue;
          if (o.kind === 'admit' && !cache.admit(stamps[o.table]!, o.slot, o.charge)) continue;
          cache.insert(tables[o.table]!, stamps[o.table]!, o.slot, newBlock(), o.charge);
        } else {
          const b = tables[o.table]![o.slot];
          if (b === undefined) continue;
          if (o.kind === 'hit') b.referenced = true;
          else cache.recharge(b, o.charge);
        }
        // Every cached block sits in its slot, knows it, and is charged once.
        let usage = 0;
        let size = 0;
        tables.forEach((slots) =>
          slots.forEach((b, i) => {
            if (b === undefined) return;
            assert.equal(b.cacheSlots, slots);
            assert.equal(b.cacheSlot, i);
            usage += b.cacheCharge;
            size++;
          }),
        );
        assert.equal(cache.usage, usage);
        assert.equal(cache.size, size);
        assert.ok(usage <= capacity || size === 1, `usage ${usage} over ${capacity} with ${size} blocks`);
      }
    }),
    { numRuns: 300, ...FC },
  );
});

test('BlockCache evicts a block not read since it was cached before one that was', () => {
  const cache = new BlockCache(30);
  const slots: BlockSlots = [];
  const stamps = stampsFor();
  for (let i = 0; i < 3; i++) cache.insert(slots, stamps, i, newBlock(), 10);
  slots[0]!.referenced = true; // the oldest was read again
  cache.insert(slots, stamps, 3, newBlock(), 10);
  assert.notEqual(slots[0], undefined, 'the block read again got a second chance');
  assert.equal(slots[1], undefined, 'the oldest block not read again left');
  assert.notEqual(slots[2], undefined);
  assert.notEqual(slots[3], undefined);
  // Its mark is spent: it went to the back of the ring and leaves when its turn comes round again.
  cache.insert(slots, stamps, 4, newBlock(), 10);
  cache.insert(slots, stamps, 5, newBlock(), 10);
  assert.notEqual(slots[0], undefined);
  cache.insert(slots, stamps, 6, newBlock(), 10);
  assert.equal(slots[0], undefined);
  assert.equal(cache.size, 3);
});

test('a block too large for the cache is still kept alone, and a cleared cache forgets every slot', () => {
  const cache = new BlockCache(5);
  const slots: BlockSlots = [];
  const stamps = stampsFor();
  cache.insert(slots, stamps, 0, newBlock(), 3);
  cache.insert(slots, stamps, 1, newBlock(), 50);
  assert.equal(slots[0], undefined);
  assert.notEqual(slots[1], undefined);
  assert.equal(cache.usage, 50);
  cache.clear();
  assert.equal(slots[1], undefined);
  assert.equal(cache.usage, 0);
  assert.equal(cache.size, 0);
});

test('admission: every block while there is room, then only blocks missed repeatedly and more than the victim', () => {
  const BLOCK = 4096;
  const cache = new BlockCache(64 * BLOCK); // 64 blocks; miss counts halve every 64 misses
  const slots: BlockSlots = [];
  const stamps = new Float64Array(1000);
  const miss = (n: number): boolean => {
    const keep = cache.admit(stamps, n, BLOCK);
    if (keep) cache.insert(slots, stamps, n, newBlock(), BLOCK);
    return keep;
  };
  for (let n = 0; n < 64; n++) assert.ok(miss(n), `block ${n} fills free room`);
  assert.equal(cache.size, 64);
  // Full: blocks missed once or twice (a scan, random reads over more data than the cache) stay out.
  for (let n = 64; n < 200; n++) assert.equal(miss(n), false);
  assert.equal(miss(100), false, 'a second miss is not enough');
  // A block that keeps missing (a hot key's block) gets in on its fifth miss and evicts the oldest block.
  for (let i = 0; i < 4; i++) assert.equal(miss(500), false, `miss ${i + 1}`);
  assert.ok(miss(500));
  assert.notEqual(slots[500], undefined);
  assert.equal(slots[0], undefined, 'CLOCK evicted the oldest unread block');
  assert.equal(cache.size, 64);
  // A victim missed often itself is displaced only by a block missed more than twice as often: block 1,
  // next in line, gets a count of 4 misses this epoch (block 500's count, 5, less one).
  stamps[1] = stamps[500]! - 1;
  let misses = 1;
  while (!miss(600)) misses++;
  assert.equal(misses, 9, 'the 9th miss beats a victim missed 4 times');
  assert.equal(slots[1], undefined);
});

test('admission: miss counts age, so blocks missed long ago do not add up to a fifth miss', () => {
  const BLOCK = 4096;
  const cache = new BlockCache(64 * BLOCK);
  const slots: BlockSlots = [];
  const stamps = new Float64Array(10_000);
  const miss = (n: number): boolean => {
    const keep = cache.admit(stamps, n, BLOCK);
    if (keep) cache.insert(slots, stamps, n, newBlock(), BLOCK);
    return keep;
  };
  for (let n = 0; n < 64; n++) miss(n);
  for (let i = 0; i < 4; i++) assert.equal(miss(5000), false);
  // Many epochs of other misses later, four earlier misses have decayed away.
  for (let n = 100; n < 100 + 64 * 4; n++) miss(n);
  assert.equal(miss(5000), false, 'the old misses aged out');
});

test('admission: a closed table leaves room that missed blocks take at once', () => {
  const BLOCK = 4096;
  const cache = new BlockCache(8 * BLOCK);
  const old: BlockSlots = [];
  const [oldStamps, freshStamps] = [new Float64Array(8), new Float64Array(8)];
  for (let n = 0; n < 8; n++) {
    assert.ok(cache.admit(oldStamps, n, BLOCK));
    cache.insert(old, oldStamps, n, newBlock(), BLOCK);
  }
  assert.equal(cache.admit(freshStamps, 0, BLOCK), false, 'full');
  cache.forget(old); // the table closed (e.g. a compaction deleted its file)
  assert.equal(cache.usage, 0);
  for (let n = 0; n < 8; n++) assert.ok(cache.admit(freshStamps, n, BLOCK), `block ${n} takes the room`);
});
