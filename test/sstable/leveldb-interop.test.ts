// Interop with real LevelDB 1.20 (classic-level): shale reads LevelDB's tables, and LevelDB reads
// shale's (through RepairDB, which rebuilds a MANIFEST around whatever tables it finds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { TableBuilder } from '../../src/sstable/table-builder.js';
import { Table } from '../../src/sstable/table.js';
import { CompressionType } from '../../src/sstable/compression.js';
import { bytesEqual, toHex } from '../../src/util/bytes.js';
import { Random } from '../../src/util/random.js';
import {
  MAX_SEQUENCE,
  ValueType,
  lookupKey,
  sequenceOf,
  typeOf,
  userKeyOf,
} from '../../src/memtable/internal-key.js';
import {
  ICMP,
  MemRandomAccessFile,
  MemWritableFile,
  TestLevelDbBloom,
  ik,
  snappySkipReason,
  sortInternal,
} from './table-test-util.js';

const SEED = Number(process.env.SEED ?? 20240601);

/** assertBytes compares byte arrays, rendering hex only on failure (large values make toHex slow). */
function assertBytes(actual: Uint8Array | undefined, expected: Uint8Array, msg: string): void {
  if (actual === undefined || !bytesEqual(actual, expected)) {
    assert.fail(
      `${msg}: got ${actual === undefined ? 'undefined' : toHex(actual).slice(0, 80)}, want ${toHex(expected).slice(0, 80)}`,
    );
  }
}

/** withTempDir runs `fn` in a fresh directory that is removed afterwards (local to this file). */
async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'shale-sst-interop-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function randomKey(rnd: Random): Uint8Array {
  const k = rnd.bytes(1 + rnd.uniform(40));
  // Make the extremes common: keys full of 0x00 and 0xff bytes.
  for (let i = 0; i < k.length; i++) if (rnd.oneIn(4)) k[i] = rnd.oneIn(2) ? 0x00 : 0xff;
  return k;
}

function randomValue(rnd: Random): Uint8Array {
  return rnd.bytes(rnd.oneIn(5) ? rnd.uniform(10 * 1024 + 1) : rnd.uniform(100));
}

/** Model is what the database should hold: user key (hex) -> value, or null when deleted. */
type Model = Map<string, { key: Uint8Array; value: Uint8Array | null }>;

async function writeWithLevelDb(dir: string, rnd: Random, compression: boolean): Promise<Model> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(dir, {
    keyEncoding: 'view',
    valueEncoding: 'view',
    compression,
    writeBufferSize: 256 * 1024, // several flushes
    maxFileSize: 512 * 1024, // several tables per level
  });
  await db.open();
  const model: Model = new Map();
  const keys: Uint8Array[] = [];
  try {
    for (let round = 0; round < 3; round++) {
      const batch = db.batch();
      for (let i = 0; i < 1500; i++) {
        const existing = round > 0 && keys.length > 0 && rnd.oneIn(3);
        const key = existing ? keys[rnd.uniform(keys.length)]! : randomKey(rnd);
        if (!existing) keys.push(key);
        if (round > 0 && rnd.oneIn(8)) {
          batch.del(key);
          model.set(toHex(key), { key, value: null });
        } else {
          const value = randomValue(rnd);
          batch.put(key, value);
          model.set(toHex(key), { key, value });
        }
      }
      await batch.write();
    }
    await db.compactRange(new Uint8Array(0), new Uint8Array(64).fill(0xff));
  } finally {
    await db.close();
  }
  return model;
}

/** readTables opens every .ldb in `dir` with shale and returns the newest entry of each user key. */
function readTables(dir: string): {
  latest: Map<string, { seq: number; type: number; value: Uint8Array }>;
  tables: number;
  bloomRejections: number;
  bloomProbes: number;
} {
  const latest = new Map<string, { seq: number; type: number; value: Uint8Array }>();
  const names = readdirSync(dir).filter((n) => n.endsWith('.ldb') || n.endsWith('.sst'));
  const rnd = new Random(SEED + 1);
  let bloomRejections = 0;
  let bloomProbes = 0;
  for (const name of names) {
    const bytes = new Uint8Array(readFileSync(join(dir, name)));
    const file = new MemRandomAccessFile(bytes, name);
    const table = Table.open(file, bytes.length, {
      comparator: ICMP,
      filterPolicy: new TestLevelDbBloom(),
      fileName: name,
    });
    assert.ok(table.hasFilter, `${name}: LevelDB's bloom filter block found`);
    const it = table.iterator();
    let prev: Uint8Array | null = null;
    const userKeys: Uint8Array[] = [];
    for (it.seekToFirst(); it.valid(); it.next()) {
      const k = it.key();
      if (prev !== null) assert.ok(ICMP.compare(prev, k) < 0, `${name}: keys increase`);
      prev = k.slice();
      const user = userKeyOf(k).slice();
      userKeys.push(user);
      const seq = sequenceOf(k);
      const cur = latest.get(toHex(user));
      if (cur === undefined || cur.seq < seq)
        latest.set(toHex(user), { seq, type: typeOf(k), value: it.value().slice() });
    }
    // Every key of the table passes LevelDB's filter and is found by get().
    for (const user of userKeys) {
      const got = table.get(lookupKey(user, MAX_SEQUENCE - 1));
      assert.ok(
        got !== undefined && toHex(userKeyOf(got.key)) === toHex(user),
        `${name}: get ${toHex(user)}`,
      );
    }
    // Absent keys are mostly rejected by the filter without reading a data block.
    for (let i = 0; i < 200; i++) {
      const before = file.reads;
      const probe = randomKey(rnd);
      const got = table.get(lookupKey(probe, MAX_SEQUENCE - 1));
      if (got !== undefined && toHex(userKeyOf(got.key)) === toHex(probe)) continue; // present after all
      bloomProbes++;
      if (file.reads === before) bloomRejections++;
    }
    table.close();
  }
  return { latest, tables: names.length, bloomRejections, bloomProbes };
}

function checkAgainstModel(
  model: Model,
  latest: Map<string, { seq: number; type: number; value: Uint8Array }>,
): void {
  let live = 0;
  for (const [hex, { value }] of model) {
    const got = latest.get(hex);
    if (value === null) {
      assert.ok(got === undefined || got.type === ValueType.DELETION, `deleted key ${hex} reads as live`);
    } else {
      live++;
      assert.ok(got !== undefined, `key ${hex} missing from the tables`);
      assert.equal(got.type, ValueType.VALUE, `key ${hex} type`);
      assertBytes(got.value, value, `key ${hex} value`);
    }
  }
  for (const hex of latest.keys()) assert.ok(model.has(hex), `unexpected key ${hex}`);
  assert.ok(live > 2000, `${live} live keys`);
}

async function levelDbWritesShaleReads(compression: boolean): Promise<void> {
  await withTempDir(async (dir) => {
    const model = await writeWithLevelDb(dir, new Random(SEED), compression);
    const { latest, tables, bloomRejections, bloomProbes } = readTables(dir);
    assert.ok(tables >= 2, `${tables} tables`);
    checkAgainstModel(model, latest);
    assert.ok(bloomRejections > bloomProbes * 0.9, `bloom rejected ${bloomRejections} of ${bloomProbes}`);
  });
}

test(`shale reads the tables LevelDB wrote (no compression) (seed ${SEED})`, async () => {
  await levelDbWritesShaleReads(false);
});

test(
  `shale reads the tables LevelDB wrote (snappy) (seed ${SEED})`,
  { skip: snappySkipReason() },
  async () => {
    await levelDbWritesShaleReads(true);
  },
);

// ---- shale writes, LevelDB reads ----

/** crc32cRef is a bit-at-a-time CRC-32C, independent of src/util/crc32c.ts. */
function crc32cRef(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function maskRef(c: number): number {
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

/** Cursor is a minimal independent decoder for the structural check. */
class Cursor {
  constructor(
    readonly buf: Uint8Array,
    public pos = 0,
  ) {}
  varint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const x = this.buf[this.pos++]!;
      result += (x & 0x7f) * mul;
      if (x < 0x80) return result;
      mul *= 128;
    }
  }
  u32(at: number): number {
    return (
      (this.buf[at]! | (this.buf[at + 1]! << 8) | (this.buf[at + 2]! << 16) | (this.buf[at + 3]! << 24)) >>> 0
    );
  }
}

/** parseBlock decodes a block's entries and checks its restart array. */
function parseBlock(block: Uint8Array, restartInterval: number): [Uint8Array, Uint8Array][] {
  const c = new Cursor(block);
  const numRestarts = c.u32(block.length - 4);
  const restartsAt = block.length - 4 - 4 * numRestarts;
  const out: [Uint8Array, Uint8Array][] = [];
  const restarts: number[] = [];
  let last = new Uint8Array(0);
  while (c.pos < restartsAt) {
    const at = c.pos;
    const shared = c.varint();
    const nonShared = c.varint();
    const valueLen = c.varint();
    if (out.length % restartInterval === 0) {
      assert.equal(shared, 0, 'restart entries store whole keys');
      restarts.push(at);
    }
    const key = new Uint8Array(shared + nonShared);
    key.set(last.subarray(0, shared));
    key.set(block.subarray(c.pos, c.pos + nonShared), shared);
    c.pos += nonShared;
    out.push([key, block.subarray(c.pos, c.pos + valueLen)]);
    c.pos += valueLen;
    last = key;
  }
  assert.equal(c.pos, restartsAt);
  if (out.length === 0) restarts.push(0);
  assert.deepEqual(
    Array.from({ length: numRestarts }, (_, i) => c.u32(restartsAt + 4 * i)),
    restarts,
  );
  return out;
}

/** checkLayout parses a table independently of src/sstable and returns its data entries. */
function checkLayout(bytes: Uint8Array, filterName: string): [Uint8Array, Uint8Array][] {
  const n = bytes.length;
  assert.deepEqual([...bytes.subarray(n - 8)], [0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb], 'magic');
  const footer = new Cursor(bytes, n - 48);
  const meta = { offset: footer.varint(), size: footer.varint() };
  const index = { offset: footer.varint(), size: footer.varint() };
  assert.ok(footer.pos <= n - 8);
  assert.ok(
    bytes.subarray(footer.pos, n - 8).every((x) => x === 0),
    'footer padding is zero',
  );

  // A block: contents, type byte 0, masked CRC over contents + type.
  const block = (h: { offset: number; size: number }): Uint8Array => {
    const type = bytes[h.offset + h.size]!;
    assert.equal(type, 0, 'uncompressed block');
    const crc = new Cursor(bytes).u32(h.offset + h.size + 1);
    assert.equal(
      crc,
      maskRef(crc32cRef(bytes.subarray(h.offset, h.offset + h.size + 1))),
      `crc of block at ${h.offset}`,
    );
    return bytes.subarray(h.offset, h.offset + h.size);
  };

  // Layout: data blocks back to back from 0, then the filter, metaindex, index, footer.
  assert.equal(index.offset + index.size + 5, n - 48, 'index block just before the footer');
  assert.equal(meta.offset + meta.size + 5, index.offset, 'metaindex just before the index');
  const metaEntries = parseBlock(block(meta), 16);
  assert.deepEqual(
    metaEntries.map(([k]) => new TextDecoder().decode(k)),
    [`filter.${filterName}`],
  );
  const fc = new Cursor(metaEntries[0]![1]);
  const filter = { offset: fc.varint(), size: fc.varint() };
  assert.equal(filter.offset + filter.size + 5, meta.offset, 'filter just before the metaindex');
  const filterBlock = block(filter);
  assert.equal(filterBlock[filterBlock.length - 1], 11, 'base_lg');

  let expectOffset = 0;
  const entries: [Uint8Array, Uint8Array][] = [];
  let prevSep: Uint8Array | null = null;
  let lastDataOffset = 0;
  for (const [sep, handleBytes] of parseBlock(block(index), 1)) {
    const hc = new Cursor(handleBytes);
    const h = { offset: hc.varint(), size: hc.varint() };
    assert.equal(hc.pos, handleBytes.length);
    assert.equal(h.offset, expectOffset, 'data blocks are contiguous');
    const data = parseBlock(block(h), 16);
    assert.ok(data.length > 0);
    // The separator is >= the block's last key and < the next block's first key.
    assert.ok(ICMP.compare(data[data.length - 1]![0], sep) <= 0);
    if (prevSep !== null) assert.ok(ICMP.compare(prevSep, data[0]![0]) < 0);
    prevSep = sep;
    entries.push(...data);
    lastDataOffset = h.offset;
    expectOffset = h.offset + h.size + 5;
  }
  assert.equal(expectOffset, filter.offset, 'the filter follows the last data block');
  // One filter per 2 KiB of data-block offsets, up to the last data block.
  const fcur = new Cursor(filterBlock);
  const arrayStart = fcur.u32(filterBlock.length - 5);
  assert.equal((filterBlock.length - 5 - arrayStart) / 4, Math.floor(lastDataOffset / 2048) + 1);
  return entries;
}

async function shaleWritesLevelDbReads(compression: CompressionType): Promise<void> {
  const rnd = new Random(SEED + 2);
  // Several versions per user key, some deletions; sequence numbers unique as in a real database.
  const versions = new Map<string, { user: Uint8Array; seq: number; type: number; value: Uint8Array }[]>();
  let seq = 1;
  const users: Uint8Array[] = [];
  for (let i = 0; i < 4000; i++) {
    const reuse = users.length > 0 && rnd.oneIn(4);
    const user = reuse ? users[rnd.uniform(users.length)]! : randomKey(rnd);
    if (!reuse) users.push(user);
    const type = reuse && rnd.oneIn(5) ? ValueType.DELETION : ValueType.VALUE;
    const list = versions.get(toHex(user)) ?? [];
    list.push({
      user,
      seq: seq++,
      type,
      value: type === ValueType.VALUE ? randomValue(rnd) : new Uint8Array(0),
    });
    versions.set(toHex(user), list);
  }
  const entries = sortInternal(
    [...versions.values()].flat().map((v): [Uint8Array, Uint8Array] => [ik(v.user, v.seq, v.type), v.value]),
  );
  const file = new MemWritableFile('000005.ldb');
  const tb = new TableBuilder(
    {
      comparator: ICMP,
      blockSize: 4096,
      blockRestartInterval: 16,
      compression,
      filterPolicy: new TestLevelDbBloom(),
    },
    file,
  );
  for (const [k, v] of entries) tb.add(k, v);
  tb.finish();
  const bytes = file.contents();

  if (compression === CompressionType.NONE) {
    const parsed = checkLayout(bytes, 'leveldb.BuiltinBloomFilter2');
    assert.equal(parsed.length, entries.length);
    parsed.forEach(([k, v], j) => {
      assertBytes(k, entries[j]![0], `parsed key ${j}`);
      assertBytes(v, entries[j]![1], `parsed value ${j}`);
    });
  }

  // shale reads it back.
  const table = Table.open(new MemRandomAccessFile(bytes), bytes.length, {
    comparator: ICMP,
    filterPolicy: new TestLevelDbBloom(),
    fileName: '000005.ldb',
  });
  const it = table.iterator();
  let i = 0;
  for (it.seekToFirst(); it.valid(); it.next(), i++) {
    assertBytes(it.key(), entries[i]![0], `key ${i}`);
    assertBytes(it.value(), entries[i]![1], `value ${i}`);
  }
  assert.equal(i, entries.length);

  // LevelDB reads it: RepairDB scans the table and writes a MANIFEST naming it, then we open the
  // database with classic-level and compare everything (gets go through our filter block).
  await withTempDir(async (dir) => {
    writeFileSync(join(dir, '000005.ldb'), bytes);
    await ClassicLevel.repair(dir);
    assert.ok(readdirSync(dir).includes('000005.ldb'), 'repair kept the table (it could read it)');
    const db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    try {
      const want = new Map<string, Uint8Array>();
      for (const [hex, list] of versions) {
        const newest = list[list.length - 1]!;
        if (newest.type === ValueType.VALUE) want.set(hex, newest.value);
      }
      const seen = new Map<string, Uint8Array>();
      for await (const [k, v] of db.iterator()) seen.set(toHex(k), v);
      assert.equal(seen.size, want.size);
      for (const [hex, v] of want) assertBytes(seen.get(hex), v, hex);
      for (const [hex, list] of versions) {
        const got = await db.get(list[0]!.user);
        const newest = list[list.length - 1]!;
        if (newest.type === ValueType.VALUE) assertBytes(got, newest.value, hex);
        else assert.equal(got, undefined, hex);
      }
    } finally {
      await db.close();
    }
  });
}

test(`LevelDB reads a table shale wrote, and its layout checks out (seed ${SEED})`, async () => {
  await shaleWritesLevelDbReads(CompressionType.NONE);
});

test(`LevelDB reads a snappy table shale wrote (seed ${SEED})`, { skip: snappySkipReason() }, async () => {
  await shaleWritesLevelDbReads(CompressionType.SNAPPY);
});
