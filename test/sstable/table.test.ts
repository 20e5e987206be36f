import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TableBuilder, type TableBuilderOptions } from '../../src/sstable/table-builder.js';
import { Table } from '../../src/sstable/table.js';
import type { Block } from '../../src/sstable/block.js';
import { CompressionType } from '../../src/sstable/compression.js';
import type { FilterPolicy } from '../../src/sstable/filter-policy.js';
import { BlockCache, type AdmissionStamps, type BlockSlots } from '../../src/sstable/block-cache.js';
import { toHex } from '../../src/util/bytes.js';
import { ClosedError, InvalidArgumentError, IOError } from '../../src/util/errors.js';
import { Random } from '../../src/util/random.js';
import { MAX_SEQUENCE, lookupKey, userKeyOf } from '../../src/memtable/internal-key.js';
import {
  ICMP,
  MemRandomAccessFile,
  MemWritableFile,
  TestHashFilter,
  b,
  ik,
  lowerBound,
  snappySkipReason,
  sortInternal,
} from './table-test-util.js';
import { BlockHandle } from '../../src/sstable/format.js';

type Entry = [Uint8Array, Uint8Array];

function options(over: Partial<TableBuilderOptions> = {}): TableBuilderOptions {
  return {
    comparator: ICMP,
    blockSize: 4096,
    blockRestartInterval: 16,
    compression: CompressionType.NONE,
    filterPolicy: null,
    ...over,
  };
}

function build(
  entries: Entry[],
  over: Partial<TableBuilderOptions> = {},
): { bytes: Uint8Array; file: MemWritableFile } {
  const file = new MemWritableFile();
  const tb = new TableBuilder(options(over), file);
  for (const [k, v] of entries) tb.add(k, v);
  assert.equal(tb.numEntries, entries.length);
  const size = tb.finish();
  assert.equal(size, file.size);
  assert.equal(tb.fileSize, size);
  return { bytes: file.contents(), file };
}

function open(
  bytes: Uint8Array,
  filterPolicy: FilterPolicy | null = null,
  blockCache: BlockCache | null = null,
): { table: Table; file: MemRandomAccessFile } {
  const file = new MemRandomAccessFile(bytes, 'test.ldb');
  const table = Table.open(file, bytes.length, {
    comparator: ICMP,
    filterPolicy,
    blockCache,
    fileName: 'test.ldb',
  });
  return { table, file };
}

function randomEntries(rnd: Random, n: number): Entry[] {
  const seen = new Map<string, Entry>();
  for (let i = 0; i < n; i++) {
    const user = new Uint8Array(rnd.uniform(6));
    for (let j = 0; j < user.length; j++) user[j] = rnd.oneIn(3) ? rnd.uniform(256) : 0x61 + rnd.uniform(3);
    const key = ik(user, rnd.uniform(50), rnd.oneIn(5) ? 0 : 1);
    seen.set(toHex(key), [key, rnd.bytes(rnd.uniform(rnd.oneIn(10) ? 200 : 12))]);
  }
  return sortInternal([...seen.values()]);
}

function hexEntries(entries: Iterable<Entry>): string[] {
  return [...entries].map(([k, v]) => toHex(k) + '=' + toHex(v));
}

test('an empty table has no entries', () => {
  const { bytes } = build([]);
  const { table } = open(bytes);
  const it = table.iterator();
  it.seekToFirst();
  assert.equal(it.valid(), false);
  it.seekToLast();
  assert.equal(it.valid(), false);
  assert.equal(table.get(ik('a', 1)), undefined);
  assert.equal(table.approximateOffsetOf(ik('a', 1)), 0);
});

test('tables round-trip, with the model, under random block sizes and restart intervals', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.integer({ min: 0, max: 300 }),
      fc.constantFrom(1, 16, 64, 200, 4096),
      fc.integer({ min: 1, max: 4 }),
      fc.boolean(),
      fc.boolean(),
      (seed, n, blockSize, interval, withFilter, withCache) => {
        const rnd = new Random(seed);
        const entries = randomEntries(rnd, n);
        const keys = entries.map((e) => e[0]);
        const policy = withFilter ? new TestHashFilter() : null;
        const { bytes } = build(entries, { blockSize, blockRestartInterval: interval, filterPolicy: policy });
        const cache = withCache ? new BlockCache(1 << 20) : null;
        const { table } = open(bytes, policy, cache);
        const msg = `seed ${seed} n ${n} blockSize ${blockSize} interval ${interval}`;
        assert.equal(table.hasFilter, withFilter, msg);

        const it = table.iterator();
        const fwd: Entry[] = [];
        for (it.seekToFirst(); it.valid(); it.next()) fwd.push([it.key().slice(), it.value().slice()]);
        assert.deepEqual(hexEntries(fwd), hexEntries(entries), msg);
        const bwd: Entry[] = [];
        for (it.seekToLast(); it.valid(); it.prev()) bwd.push([it.key().slice(), it.value().slice()]);
        assert.deepEqual(hexEntries(bwd), hexEntries(entries).reverse(), msg);

        let lastOffset = 0;
        for (let i = 0; i < 60; i++) {
          // Targets: existing keys, lookups at random snapshots, random user keys.
          const pick = rnd.uniform(3);
          let target: Uint8Array;
          if (pick === 0 && n > 0) target = keys[rnd.uniform(keys.length)]!;
          else if (pick === 1 && n > 0)
            target = lookupKey(userKeyOf(keys[rnd.uniform(keys.length)]!), rnd.uniform(60));
          else target = ik(rnd.bytes(rnd.uniform(3)), rnd.uniform(60));
          const j = lowerBound(keys, target);

          it.seek(target);
          assert.equal(it.valid(), j < keys.length, msg);
          if (j < keys.length) {
            assert.deepEqual(it.key(), keys[j], msg);
            assert.deepEqual(it.value(), entries[j]![1], msg);
            it.prev();
            if (j > 0) assert.deepEqual(it.key(), keys[j - 1], msg);
            else assert.equal(it.valid(), false, msg);
            // Then a walk in mixed directions (across blocks when they are small).
            it.seek(target);
            for (let p = j, m = 0; it.valid() && m < 10; m++) {
              if (rnd.oneIn(2)) {
                it.next();
                p++;
              } else {
                it.prev();
                p--;
              }
              assert.equal(it.valid(), p >= 0 && p < keys.length, msg);
              if (it.valid()) assert.deepEqual(it.value(), entries[p]![1], msg);
            }
          }

          const got = table.get(target);
          const sameUser = j < keys.length && toHex(userKeyOf(keys[j]!)) === toHex(userKeyOf(target));
          if (got !== undefined) {
            assert.deepEqual(got.key, keys[j], msg);
            assert.deepEqual(got.value, entries[j]![1], msg);
          } else {
            assert.ok(!sameUser, `${msg}: get missed ${toHex(target)}`);
          }
          if (sameUser) assert.ok(got !== undefined, msg);
        }

        // approximateOffsetOf is monotone in the key and within the file.
        for (const k of keys) {
          const off = table.approximateOffsetOf(k);
          assert.ok(off >= lastOffset && off <= bytes.length, msg);
          lastOffset = off;
        }
        const end = table.approximateOffsetOf(ik(new Uint8Array(8).fill(0xff), 0));
        assert.ok(end >= lastOffset && end <= bytes.length, msg);
        it.close();
        table.close();
      },
    ),
    { numRuns: 200 },
  );
});

test('keys in separate blocks: index separators are shortened as LevelDB', () => {
  const entries: Entry[] = [
    [ik('abcdefgh', 5), b('1')],
    [ik('abzzz', 4), b('2')],
    [ik('b', 3), b('3')],
  ];
  const { bytes } = build(entries, { blockSize: 1 });
  const { table } = open(bytes);
  // Index: separator("abcdefgh", "abzzz") = "abd"@MAX, separator("abzzz", "b") = "abzzz"@4 (cannot shorten),
  // and "b"@3 for the last block ("c" is no shorter than "b", so LevelDB keeps the key).
  const ii = (table as unknown as { indexBlock: Block }).indexBlock.iterator(ICMP);
  const seps: string[] = [];
  for (ii.seekToFirst(); ii.valid(); ii.next()) seps.push(toHex(ii.key()));
  assert.deepEqual(seps, [toHex(ik('abd', MAX_SEQUENCE)), toHex(ik('abzzz', 4)), toHex(ik('b', 3))]);
  // A key between "abcdefgh" and the separator maps to the first block but is not there.
  assert.equal(table.get(ik('abcz', 9)), undefined);
  assert.deepEqual(table.get(ik('abc', 9))?.value, b('1'));
});

test('get skips the data block when the filter says absent', () => {
  const rnd = new Random(11);
  const entries = sortInternal(
    Array.from({ length: 500 }, (_, i): Entry => [
      ik(`key${String(i).padStart(5, '0')}`, i + 1),
      rnd.bytes(20),
    ]),
  );
  const policy = new TestHashFilter();
  const { bytes } = build(entries, { filterPolicy: policy, blockSize: 256 });
  const { table, file } = open(bytes, policy);
  assert.ok(table.hasFilter);
  const readsAtOpen = file.reads;
  for (let i = 0; i < 500; i++)
    assert.equal(table.get(lookupKey(b(`key${String(i).padStart(5, '0')}x`), 1000)), undefined);
  assert.equal(file.reads, readsAtOpen, 'absent keys read no data block');
  assert.deepEqual(table.get(lookupKey(b('key00042'), 1000))?.value, entries[42]![1]);
  assert.equal(file.reads, readsAtOpen + 1);

  // A table opened with another policy (or none) ignores the filter.
  const other: FilterPolicy = {
    name: 'other',
    createFilter: () => new Uint8Array(0),
    keyMayMatch: () => false,
  };
  const t2 = open(bytes, other).table;
  assert.equal(t2.hasFilter, false);
  assert.deepEqual(t2.get(lookupKey(b('key00042'), 1000))?.value, entries[42]![1]);
});

test('the block cache serves repeated reads; fillCache:false does not insert', () => {
  const entries = sortInternal(
    Array.from({ length: 200 }, (_, i): Entry => [ik(`k${1000 + i}`, 1), b(`v${i}`)]),
  );
  const { bytes } = build(entries, { blockSize: 128 });
  const cache = new BlockCache(1 << 20);
  const { table, file } = open(bytes, null, cache);
  const base = file.reads;
  assert.deepEqual(table.get(ik('k1100', 5), { fillCache: false })?.value, b('v100'));
  assert.equal(cache.size, 0);
  assert.equal(file.reads, base + 1);
  // Another get in the same block reuses it (no read, no cache lookup).
  assert.deepEqual(table.get(ik('k1101', 5))?.value, b('v101'));
  assert.equal(file.reads, base + 1);
  // While the cache has room, a point read's block enters it on its first miss.
  assert.deepEqual(table.get(ik('k1000', 5))?.value, b('v0'));
  assert.equal(file.reads, base + 2);
  assert.equal(cache.size, 1);
  assert.deepEqual(table.get(ik('k1100', 5))?.value, b('v100'));
  assert.equal(file.reads, base + 3);
  assert.equal(cache.size, 2);
  assert.deepEqual(table.get(ik('k1000', 5))?.value, b('v0'));
  assert.equal(file.reads, base + 3, 'served from the cache');

  // So do an iterator's: a first scan caches every data block (charged by size), a second reads nothing.
  const it = table.iterator();
  let n = 0;
  for (it.seekToFirst(); it.valid(); it.next()) n++;
  assert.equal(n, 200);
  const blocks = cache.size;
  assert.ok(blocks > 5);
  const readsAfterScan = file.reads;
  for (it.seekToFirst(); it.valid(); it.next()) n++;
  assert.equal(n, 400);
  assert.equal(file.reads, readsAfterScan);
  // The charge is the blocks' byte size: the sum of the data block sizes in the index.
  const ii = (table as unknown as { indexBlock: Block }).indexBlock.iterator(ICMP);
  let dataBytes = 0;
  let dataBlocks = 0;
  for (ii.seekToFirst(); ii.valid(); ii.next()) {
    dataBytes += BlockHandle.decode(ii.value()).size;
    dataBlocks++;
  }
  assert.equal(blocks, dataBlocks);
  assert.equal(cache.usage, dataBytes);
  // ... plus the decoded keys of blocks point reads keep coming back to (after four hits each).
  const reread = (table as unknown as { getBlock: Block }).getBlock;
  assert.ok(reread.lookup === null);
  for (let i = 0; i < 4; i++) {
    assert.deepEqual(table.get(ik('k1100', 5))?.value, b('v100'));
    assert.deepEqual(table.get(ik('k1000', 5))?.value, b('v0'));
  }
  assert.deepEqual(table.get(ik('k1100', 5))?.value, b('v100'));
  const alsoHit = (table as unknown as { getBlock: Block }).getBlock; // k1100's, hit as often
  const decoded = [reread.lookup, alsoHit.lookup] as ({ bytes: number } | null)[];
  assert.ok(alsoHit !== reread && decoded[0] !== null && decoded[1] !== null);
  assert.equal(cache.usage, dataBytes + decoded[0]!.bytes + decoded[1]!.bytes);

  // Two tables sharing a cache do not see each other's blocks.
  const other = sortInternal(entries.map(([k]): Entry => [k, b('other')]));
  const t2 = open(build(other, { blockSize: 128 }).bytes, null, cache).table;
  assert.deepEqual(t2.get(ik('k1100', 5))?.value, b('other'));
  assert.deepEqual(table.get(ik('k1100', 5))?.value, b('v100'));
});

test('a full block cache refuses blocks missed once or twice (scratch) and lets in a block that keeps missing', () => {
  const entries = sortInternal(
    Array.from({ length: 400 }, (_, i): Entry => [ik(`k${1000 + i}`, 1), b(`v${i}`.repeat(3))]),
  );
  const { bytes } = build(entries, { blockSize: 128 });
  const cache = new BlockCache(1024); // a few blocks
  const { table, file } = open(bytes, null, cache);
  // Fill the cache with the first blocks (a miss that adds no block: full).
  const filled: number[] = [];
  for (let i = 0, size = -1; cache.size > size; i += 8) {
    size = cache.size;
    table.get(ik(`k${1000 + i}`, 5));
    if (cache.size > size) filled.push(i);
  }
  assert.ok(filled.length >= 3);
  // Reads spread over the rest: each block missed once evicts none of those, and every value is right.
  for (let i = 399; i > 300; i -= 7) {
    assert.deepEqual(table.get(ik(`k${1000 + i}`, 5))?.value, b(`v${i}`.repeat(3)));
  }
  const beforeFilled = file.reads;
  for (const i of filled) table.get(ik(`k${1000 + i}`, 5));
  assert.equal(file.reads, beforeFilled, 'the blocks cached first are all still there');
  // One block read again and again between others: its fifth miss admits it; then it is served from memory.
  const hot = ik('k1350', 5);
  const reads = (): number => file.reads;
  for (let round = 0; round < 5; round++) {
    assert.deepEqual(table.get(hot)?.value, b('v350'.repeat(3)));
    table.get(ik(`k${1000 + 200 + round * 20}`, 5)); // another block, so the next get of `hot` misses
  }
  const before = reads();
  assert.deepEqual(table.get(hot)?.value, b('v350'.repeat(3)));
  assert.equal(reads(), before, 'the hot block is cached');
});

test('iterators survive get() calls and other iterators on the same table', () => {
  const entries = sortInternal(
    Array.from({ length: 100 }, (_, i): Entry => [ik(`k${100 + i}`, 1), b(`v${i}`)]),
  );
  const { table } = open(build(entries, { blockSize: 64 }).bytes);
  const a = table.iterator();
  const c = table.iterator();
  a.seekToFirst();
  c.seekToLast();
  for (let i = 0; i < 100; i++) {
    assert.deepEqual(a.value(), b(`v${i}`));
    assert.deepEqual(c.value(), b(`v${99 - i}`));
    assert.deepEqual(table.get(ik(`k${100 + ((i * 37) % 100)}`, 1))?.value, b(`v${(i * 37) % 100}`));
    a.next();
    c.prev();
  }
  assert.equal(a.valid(), false);
  assert.equal(c.valid(), false);
});

test('large values and keys span blocks bigger than blockSize', () => {
  const rnd = new Random(5);
  const entries = sortInternal(
    Array.from({ length: 30 }, (_, i): Entry => [
      ik(rnd.bytes(1 + rnd.uniform(400)), i),
      rnd.bytes(rnd.uniform(20000)),
    ]),
  );
  const { table } = open(build(entries, { blockSize: 1024 }).bytes);
  const it = table.iterator();
  const got: Entry[] = [];
  for (it.seekToFirst(); it.valid(); it.next()) got.push([it.key().slice(), it.value().slice()]);
  assert.deepEqual(hexEntries(got), hexEntries(entries));
});

test('each block is appended as its contents, then its trailer (tables go through BufferedWritableFile)', () => {
  const entries = sortInternal(
    Array.from({ length: 100 }, (_, i): Entry => [ik(`k${100 + i}`, 1), b(`v${i}`)]),
  );
  const policy = new TestHashFilter();
  const { file, bytes } = build(entries, { blockSize: 64, filterPolicy: policy });
  const { table } = open(bytes, policy);
  const ii = (table as unknown as { indexBlock: Block }).indexBlock.iterator(ICMP);
  let dataBlocks = 0;
  for (ii.seekToFirst(); ii.valid(); ii.next()) dataBlocks++;
  // two appends per block (data blocks, filter, metaindex, index), one for the footer
  assert.equal(file.appends, 2 * (dataBlocks + 3) + 1);
});

test(
  'out-of-order keys are refused under invariants',
  { skip: process.env.SHALE_INVARIANTS !== '1' && 'SHALE_INVARIANTS is off' },
  () => {
    const tb = new TableBuilder(options(), new MemWritableFile());
    tb.add(ik('b', 1), b(''));
    assert.throws(() => tb.add(ik('a', 1), b('')), InvalidArgumentError);
    // The builder is now unusable.
    assert.throws(() => tb.add(ik('c', 1), b('')), InvalidArgumentError);
    const tb2 = new TableBuilder(options(), new MemWritableFile());
    tb2.add(ik('b', 5), b(''));
    assert.throws(() => tb2.add(ik('b', 5), b('')), InvalidArgumentError, 'duplicate keys');
    assert.throws(
      () => new TableBuilder(options(), new MemWritableFile()).add(b('short'), b('')),
      InvalidArgumentError,
    );
  },
);

test('a failed write makes the builder rethrow; finish/abandon close it', () => {
  const file = new MemWritableFile();
  file.failAfter = 0;
  const tb = new TableBuilder(options({ blockSize: 1 }), file);
  assert.throws(() => tb.add(ik('a', 1), b('x')), IOError);
  assert.throws(() => tb.add(ik('b', 1), b('x')), IOError);
  assert.throws(() => tb.finish(), IOError);

  const tb2 = new TableBuilder(options(), new MemWritableFile());
  tb2.add(ik('a', 1), b('x'));
  tb2.abandon();
  assert.throws(() => tb2.add(ik('b', 1), b('x')), InvalidArgumentError);
  assert.throws(() => tb2.finish(), InvalidArgumentError);
});

test('a closed table refuses reads and closes its file', () => {
  const { table, file } = open(build([[ik('a', 1), b('1')]]).bytes);
  table.close();
  table.close();
  assert.ok(file.closed);
  assert.throws(() => table.get(ik('a', 1)), ClosedError);
  assert.throws(() => table.iterator(), ClosedError);
});

test('snappy-compressed tables round-trip', { skip: snappySkipReason() }, () => {
  const rnd = new Random(3);
  const entries = sortInternal(
    Array.from({ length: 2000 }, (_, i): Entry => [
      ik(`key${String(i).padStart(6, '0')}`, i + 1),
      b(`value ${i % 7} `.repeat(5)),
    ]),
  );
  entries.push([ik('zz-random', 1), rnd.bytes(3000)]); // incompressible: stored raw
  const { bytes } = build(entries, { compression: CompressionType.SNAPPY });
  const plain = build(entries).bytes;
  assert.ok(bytes.length < plain.length / 2, 'compression pays');
  const { table } = open(bytes);
  const it = table.iterator();
  const got: Entry[] = [];
  for (it.seekToFirst(); it.valid(); it.next()) got.push([it.key().slice(), it.value().slice()]);
  assert.deepEqual(hexEntries(got), hexEntries(entries));
  assert.deepEqual(table.get(lookupKey(b('key001234'), 1e9))?.value, entries[1234]![1]);
});

test('tables sharing a block cache never see each other blocks', () => {
  const e1: Entry[] = [[ik('a', 1), b('one')]];
  const e2: Entry[] = [[ik('a', 1), b('two')]];
  const cache = new BlockCache(1 << 20);
  const openWith = (entries: Entry[]) => {
    const bytes = build(entries).bytes;
    return Table.open(new MemRandomAccessFile(bytes, 'x.ldb'), bytes.length, {
      comparator: ICMP,
      filterPolicy: null,
      blockCache: cache,
      fileName: 'x.ldb',
    });
  };
  const tables = [openWith(e1), openWith(e2), openWith(e1), openWith(e2)];
  // A scan caches each table's block; gets then find it in the cache.
  for (const t of tables) {
    const it = t.iterator();
    it.seekToFirst();
    assert.ok(it.valid());
  }
  for (let round = 0; round < 2; round++) {
    tables.forEach((t, i) => assert.deepEqual(t.get(ik('a', 5))?.value, i % 2 === 0 ? b('one') : b('two')));
  }
  assert.equal(cache.size, 4);
});

test('the shortest successor shortens the last index key when it can', () => {
  const { table } = open(build([[ik('abc', 7), b('x')]]).bytes);
  const ii = (table as unknown as { indexBlock: Block }).indexBlock.iterator(ICMP);
  ii.seekToFirst();
  assert.deepEqual(ii.key(), ik('b', MAX_SEQUENCE));
  assert.deepEqual(table.get(ik('abc', 9))?.value, b('x'));
  assert.equal(table.get(ik('abd', 9)), undefined);
});

test('blocks read once share slab memory; a block the cache serves again gets its own, same bytes', () => {
  const entries = sortInternal(
    Array.from({ length: 200 }, (_, i): Entry => [ik(`k${1000 + i}`, 1), b(`value ${i} `.repeat(4))]),
  );
  const { bytes } = build(entries, { blockSize: 256, compression: CompressionType.SNAPPY });
  const inserted: Block[] = [];
  const cache = new (class extends BlockCache {
    override insert(
      slots: BlockSlots,
      stamps: AdmissionStamps,
      index: number,
      block: Block,
      charge: number,
    ): void {
      if (!inserted.includes(block)) inserted.push(block);
      super.insert(slots, stamps, index, block, charge);
    }
  })(1 << 20);
  const { table } = open(bytes, null, cache);
  // While the cache has room, missed blocks go in, decoded into a slab.
  assert.deepEqual(table.get(ik('k1100', 5))?.value, entries[100]![1]);
  assert.equal(inserted.length, 1);
  const first = inserted[0]!;
  assert.equal(first.pooled, true);
  assert.ok(first.data.buffer.byteLength > first.data.length, 'a view into a larger slab');
  const before = first.data.slice();
  // Another block, then the first again: served from the cache, it moves to memory of its own.
  assert.deepEqual(table.get(ik('k1000', 5))?.value, entries[0]![1]);
  assert.equal(inserted.length, 2);
  assert.equal(inserted[1]!.pooled, true);
  assert.equal(inserted[1]!.data.buffer, first.data.buffer, 'the two share one slab');
  assert.deepEqual(table.get(ik('k1100', 5))?.value, entries[100]![1]);
  assert.equal(first.pooled, false);
  assert.equal(first.data.buffer.byteLength, first.data.length);
  assert.deepEqual(first.data, before);
  // Point reads that keep coming back decode its keys.
  for (let i = 0; i < 4; i++) {
    assert.deepEqual(table.get(ik('k1000', 5))?.value, entries[0]![1]);
    assert.deepEqual(table.get(ik('k1100', 5))?.value, entries[100]![1]);
  }
  assert.ok(first.lookup !== null, 'and its keys decoded for point reads');
});

test('iterators reading uncached blocks recycle one buffer as they move, and never each other’s', () => {
  const entries = sortInternal(
    Array.from({ length: 300 }, (_, i): Entry => [ik(`k${1000 + i}`, 1), b(`value ${i} `.repeat(3))]),
  );
  const { bytes } = build(entries, { blockSize: 128, compression: CompressionType.SNAPPY });
  const { table } = open(bytes); // no block cache: every block an iterator reads is unkept
  const it = table.iterator();
  const buffers = new Set<ArrayBufferLike>();
  let i = 0;
  for (it.seekToFirst(); it.valid(); it.next(), i++) {
    assert.deepEqual(it.value(), entries[i]![1]);
    buffers.add(it.value().buffer);
  }
  assert.equal(i, entries.length);
  assert.ok(buffers.size <= 2, `a forward walk reuses its block buffer (${buffers.size} buffers)`);
  it.close();

  // Several iterators moving at random: each one's current entry, and the value view it handed out
  // before the others moved, stay right.
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          it: fc.integer({ min: 0, max: 3 }),
          op: fc.constantFrom('seek', 'next', 'prev', 'first', 'last', 'reopen'),
          at: fc.integer({ min: 0, max: entries.length }),
        }),
        { maxLength: 120 },
      ),
      (cmds) => {
        const its = [0, 1, 2, 3].map(() => table.iterator());
        const pos = [-1, -1, -1, -1];
        for (const c of cmds) {
          const views = its.map((x) => (x.valid() ? x.value() : null));
          const x = its[c.it]!;
          const p = pos[c.it]!;
          switch (c.op) {
            case 'seek':
              x.seek(entries[Math.min(c.at, entries.length - 1)]![0]);
              pos[c.it] = Math.min(c.at, entries.length - 1);
              break;
            case 'next':
              if (p < 0) continue;
              x.next();
              pos[c.it] = p + 1 < entries.length ? p + 1 : -1;
              break;
            case 'prev':
              if (p < 0) continue;
              x.prev();
              pos[c.it] = p - 1;
              break;
            case 'first':
              x.seekToFirst();
              pos[c.it] = 0;
              break;
            case 'last':
              x.seekToLast();
              pos[c.it] = entries.length - 1;
              break;
            case 'reopen':
              x.close();
              its[c.it] = table.iterator();
              pos[c.it] = -1;
              break;
          }
          for (let j = 0; j < its.length; j++) {
            const q = pos[j]!;
            assert.equal(its[j]!.valid(), q >= 0);
            if (q < 0) continue;
            assert.deepEqual(its[j]!.key(), entries[q]![0]);
            assert.deepEqual(its[j]!.value(), entries[q]![1]);
            if (j !== c.it && views[j] !== null) assert.deepEqual(views[j], entries[q]![1]);
          }
        }
        for (const x of its) x.close();
      },
    ),
    { numRuns: 200 },
  );
});
