/**
 * CompressedBlockCache (verified file bytes of data blocks in a ring): against a model of what was last
 * stored per slot, it never returns other bytes, always keeps what was stored recently, and drops
 * everything on clear. Through a Table: a block-cache miss it holds reads no file, only verified bytes
 * enter it, and damage to the file after a block entered it is never seen.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CompressedBlockCache } from '../../src/sstable/compressed-block-cache.js';
import { TableBuilder } from '../../src/sstable/table-builder.js';
import { Table } from '../../src/sstable/table.js';
import { CompressionType } from '../../src/sstable/compression.js';
import { ReadCounters } from '../../src/sstable/read-counters.js';
import { lookupKey, userKeyOf } from '../../src/memtable/internal-key.js';
import { toHex } from '../../src/util/bytes.js';
import { Random } from '../../src/util/random.js';
import { ICMP, MemRandomAccessFile, MemWritableFile, ik, sortInternal } from './table-test-util.js';

const FC = process.env.SEED === undefined ? {} : { seed: Number(process.env.SEED) };

const op = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    table: fc.nat(2),
    slot: fc.nat(9),
    length: fc.integer({ min: 1, max: 64 }),
    fill: fc.nat(255),
  }),
  fc.record({ kind: fc.constant('read' as const), table: fc.nat(2), slot: fc.nat(9) }),
  fc.record({ kind: fc.constant('clear' as const) }),
);

test('CompressedBlockCache returns only the bytes last stored for a slot, and keeps recent ones', () => {
  fc.assert(
    fc.property(fc.integer({ min: 16, max: 600 }), fc.array(op, { maxLength: 300 }), (capacity, ops) => {
      const cache = new CompressedBlockCache(capacity);
      const slots = [0, 1, 2].map(() => CompressedBlockCache.slotsFor(10));
      // model: per slot, the bytes last stored and how many bytes were stored after them.
      const model = new Map<string, { bytes: Uint8Array; after: number }>();
      for (const o of ops) {
        if (o.kind === 'clear') {
          cache.clear();
          model.clear();
        } else if (o.kind === 'insert') {
          const bytes = new Uint8Array(o.length).fill(o.fill);
          bytes[0] = o.table;
          bytes[bytes.length - 1] = o.slot;
          cache.insert(slots[o.table]!, o.slot, bytes);
          if (o.length > capacity >>> 2) continue; // too large to keep: the slot keeps what it had
          for (const m of model.values()) m.after += o.length;
          model.set(`${o.table}/${o.slot}`, { bytes, after: 0 });
        } else {
          const m = model.get(`${o.table}/${o.slot}`);
          const n = m?.bytes.length ?? 8;
          const out = new Uint8Array(n);
          const hit = cache.copyOut(slots[o.table]!, o.slot, n, out);
          if (hit) assert.deepEqual(out, m!.bytes, 'a hit returns exactly the stored bytes');
          // With half the ring written since, at most one wrap lies between: the bytes must still be there.
          if (m !== undefined && m.after + n <= capacity >>> 1) assert.ok(hit, 'recent bytes are kept');
          if (m === undefined) assert.ok(!hit, 'nothing stored (or cleared): no hit');
        }
        assert.ok(cache.usage <= capacity);
      }
    }),
    { ...FC, numRuns: 300 },
  );
});

type Entry = [Uint8Array, Uint8Array];

function buildTable(): { bytes: Uint8Array; entries: Entry[] } {
  const rnd = new Random(7);
  const entries = sortInternal(
    Array.from({ length: 200 }, (_, i): Entry => [
      ik(`key${String(i * 3).padStart(5, '0')}`, 10),
      new TextEncoder().encode(`value-${i}-`.repeat(1 + rnd.uniform(6))),
    ]),
  );
  const file = new MemWritableFile('000007.ldb');
  const tb = new TableBuilder(
    {
      comparator: ICMP,
      blockSize: 256,
      blockRestartInterval: 4,
      compression: CompressionType.SNAPPY,
      filterPolicy: null,
    },
    file,
  );
  for (const [k, v] of entries) tb.add(k, v);
  tb.finish();
  return { bytes: file.contents(), entries };
}

function open(bytes: Uint8Array, cache: CompressedBlockCache, verifyChecksums = true) {
  const file = new MemRandomAccessFile(bytes, '000007.ldb');
  const counters = new ReadCounters();
  const table = Table.open(file, bytes.length, {
    comparator: ICMP,
    filterPolicy: null,
    fileName: '000007.ldb',
    compressedBlockCache: cache,
    verifyChecksums,
    counters,
  });
  return { table, file, counters };
}

function getAll(table: Table, entries: Entry[]): string[] {
  return entries.map(([k]) => {
    const e = table.get(lookupKey(userKeyOf(k), 100));
    return e === undefined ? 'missing' : toHex(e.key) + '=' + toHex(e.value);
  });
}

test('a table reads each block from its file once while the compressed cache holds it', () => {
  const { bytes, entries } = buildTable();
  const want = entries.map(([k, v]) => toHex(k) + '=' + toHex(v));
  const { table, file, counters } = open(bytes, new CompressedBlockCache(1 << 20));
  assert.deepEqual(getAll(table, entries), want);
  const readsAfterFirstPass = file.reads;
  const blocks = counters.blockReads;
  assert.ok(blocks > 5, `the table has several blocks (${blocks})`);
  // Damage every data byte in the file: the cache's verified copies are what later reads see.
  for (let i = 0; i < bytes.length - 200; i++) bytes[i] = bytes[i]! ^ 0x5a;
  assert.deepEqual(getAll(table, entries), want);
  const it = table.iterator();
  const scanned: string[] = [];
  for (it.seekToFirst(); it.valid(); it.next()) scanned.push(toHex(it.key()) + '=' + toHex(it.value()));
  assert.deepEqual(scanned, want);
  assert.equal(file.reads, readsAfterFirstPass, 'no file read once every block is held');
  assert.equal(counters.blockReads, blocks);
  assert.ok(counters.compressedCacheHits >= blocks);
});

test('blocks read without checksum verification do not enter the compressed cache', () => {
  const { bytes, entries } = buildTable();
  const cache = new CompressedBlockCache(1 << 20);
  const { table, counters } = open(bytes, cache, false);
  getAll(table, entries);
  getAll(table, entries);
  assert.equal(counters.compressedCacheHits, 0);
  assert.equal(cache.usage, 0);
});

test('a ring smaller than the table still returns every value right', () => {
  const { bytes, entries } = buildTable();
  const want = entries.map(([k, v]) => toHex(k) + '=' + toHex(v));
  // A ring of a third of the table (blocks of up to a quarter of the ring are kept).
  const { table, counters } = open(bytes, new CompressedBlockCache(Math.floor(bytes.length / 3)));
  // Random order: a FIFO smaller than a loop over the table would never hit.
  const rnd = new Random(3);
  for (let pass = 0; pass < 4; pass++) {
    const order = entries.map((_, i) => i).sort(() => rnd.uniform(3) - 1);
    const got = getAll(
      table,
      order.map((i) => entries[i]!),
    );
    assert.deepEqual(
      got,
      order.map((i) => want[i]),
    );
  }
  assert.ok(counters.compressedCacheHits > 0 && counters.blockReads > 0);
});
