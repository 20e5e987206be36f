/**
 * BlockCache (CLOCK over blocks that tables find in slot arrays of their own) against its invariants
 * under random inserts, hits, recharges and clears; and the second chance a block read since it was
 * cached gets over one that was not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Block } from '../../src/sstable/block.js';
import { BlockCache, type BlockSlots } from '../../src/sstable/block-cache.js';

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
);

test('BlockCache keeps usage, size and every table slot consistent, within capacity', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 120 }), fc.array(op, { maxLength: 200 }), (capacity, ops) => {
      const cache = new BlockCache(capacity);
      const tables: BlockSlots[] = [[], [], []];
      for (const o of ops) {
        if (o.kind === 'clear') cache.clear();
        else if (o.kind === 'insert') {
          if (tables[o.table]![o.slot] === undefined)
            cache.insert(tables[o.table]!, o.slot, newBlock(), o.charge);
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
  for (let i = 0; i < 3; i++) cache.insert(slots, i, newBlock(), 10);
  slots[0]!.referenced = true; // the oldest was read again
  cache.insert(slots, 3, newBlock(), 10);
  assert.notEqual(slots[0], undefined, 'the block read again got a second chance');
  assert.equal(slots[1], undefined, 'the oldest block not read again left');
  assert.notEqual(slots[2], undefined);
  assert.notEqual(slots[3], undefined);
  // Its mark is spent: it went to the back of the ring and leaves when its turn comes round again.
  cache.insert(slots, 4, newBlock(), 10);
  cache.insert(slots, 5, newBlock(), 10);
  assert.notEqual(slots[0], undefined);
  cache.insert(slots, 6, newBlock(), 10);
  assert.equal(slots[0], undefined);
  assert.equal(cache.size, 3);
});

test('a block too large for the cache is still kept alone, and a cleared cache forgets every slot', () => {
  const cache = new BlockCache(5);
  const slots: BlockSlots = [];
  cache.insert(slots, 0, newBlock(), 3);
  cache.insert(slots, 1, newBlock(), 50);
  assert.equal(slots[0], undefined);
  assert.notEqual(slots[1], undefined);
  assert.equal(cache.usage, 50);
  cache.clear();
  assert.equal(slots[1], undefined);
  assert.equal(cache.usage, 0);
  assert.equal(cache.size, 0);
});
