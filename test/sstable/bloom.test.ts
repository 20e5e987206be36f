import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { BloomFilterPolicy, BLOOM_FILTER_NAME } from '../../src/sstable/bloom.js';
import { uncompressBlock } from '../../src/sstable/compression.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** LevelDB bloom_test's Key(i): i as 4 little-endian bytes. */
function key(i: number): Uint8Array {
  return new Uint8Array([i & 0xff, (i >>> 8) & 0xff, (i >>> 16) & 0xff, i >>> 24]);
}

function nextLength(n: number): number {
  if (n < 10) return n + 1;
  if (n < 100) return n + 10;
  if (n < 1000) return n + 100;
  return n + 1000;
}

test('name and defaults', () => {
  const p = new BloomFilterPolicy();
  assert.equal(p.name, 'leveldb.BuiltinBloomFilter2');
  assert.equal(BLOOM_FILTER_NAME, p.name);
  const f = p.createFilter([enc('a')]);
  assert.equal(f.length, 64 / 8 + 1); // minimum 64 bits, plus the k byte
  assert.equal(f[f.length - 1], 6); // floor(10 * 0.69)
  assert.equal(new BloomFilterPolicy(1).createFilter([])[8], 1); // k clamped up to 1
  assert.equal(new BloomFilterPolicy(100).createFilter([])[8], 30); // and down to 30
  assert.throws(() => new BloomFilterPolicy(0), InvalidArgumentError);
  assert.throws(() => new BloomFilterPolicy(2.5), InvalidArgumentError);
});

test('empty filter matches nothing', () => {
  const p = new BloomFilterPolicy();
  const f = p.createFilter([]);
  assert.equal(p.keyMayMatch(enc('hello'), f), false);
  assert.equal(p.keyMayMatch(enc('world'), f), false);
});

test('small filter', () => {
  const p = new BloomFilterPolicy();
  const f = p.createFilter([enc('hello'), enc('world')]);
  assert.ok(p.keyMayMatch(enc('hello'), f));
  assert.ok(p.keyMayMatch(enc('world'), f));
  assert.equal(p.keyMayMatch(enc('x'), f), false);
  assert.equal(p.keyMayMatch(enc('foo'), f), false);
});

test('malformed filters: shorter than 2 bytes never match, k > 30 always matches', () => {
  const p = new BloomFilterPolicy();
  assert.equal(p.keyMayMatch(enc('a'), new Uint8Array(0)), false);
  assert.equal(p.keyMayMatch(enc('a'), new Uint8Array([6])), false);
  assert.equal(p.keyMayMatch(enc('a'), new Uint8Array([0, 0, 0, 31])), true);
  assert.equal(p.keyMayMatch(enc('a'), new Uint8Array([0, 0, 0, 0xff])), true);
  // k = 0: no probe can fail
  assert.equal(p.keyMayMatch(enc('a'), new Uint8Array([0, 0])), true);
});

test('varying lengths: no false negatives, false-positive rate under 2% (LevelDB bloom_test)', () => {
  const p = new BloomFilterPolicy(10);
  let mediocre = 0;
  let good = 0;
  for (let length = 1; length <= 10000; length = nextLength(length)) {
    const keys: Uint8Array[] = [];
    for (let i = 0; i < length; i++) keys.push(key(i));
    const f = p.createFilter(keys);
    assert.ok(f.length <= Math.floor((length * 10) / 8) + 40, `length ${length}: ${f.length} bytes`);
    for (let i = 0; i < length; i++) assert.ok(p.keyMayMatch(key(i), f), `length ${length}: key ${i}`);
    let hits = 0;
    for (let i = 0; i < 10000; i++) if (p.keyMayMatch(key(i + 1000000000), f)) hits++;
    const rate = hits / 10000;
    assert.ok(rate <= 0.02, `length ${length}: false-positive rate ${rate}`);
    if (rate > 0.0125) mediocre++;
    else good++;
  }
  assert.ok(mediocre <= good / 5, `${mediocre} mediocre vs ${good} good filters`);
});

// ---- byte-exact check against tables written by LevelDB 1.20 (classic-level) ----

interface Handle {
  offset: number;
  size: number;
}

function varint(buf: Uint8Array, pos: { p: number }): number {
  let result = 0;
  for (let shift = 0; ; shift += 7) {
    const b = buf[pos.p++]!;
    result += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return result;
  }
}

function fixed32(buf: Uint8Array, p: number): number {
  return (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0;
}

function readHandle(buf: Uint8Array, pos: { p: number }): Handle {
  return { offset: varint(buf, pos), size: varint(buf, pos) };
}

/** blockAt returns the uncompressed contents of the block at `h`, as a reader would. */
function blockAt(file: Uint8Array, h: Handle): Uint8Array {
  return uncompressBlock(file[h.offset + h.size]!, file.subarray(h.offset, h.offset + h.size));
}

/** entries lists the (key, value) pairs of a block (prefix-compressed keys, restart array at the end). */
function entries(block: Uint8Array): [Uint8Array, Uint8Array][] {
  const numRestarts = fixed32(block, block.length - 4);
  const limit = block.length - 4 - 4 * numRestarts;
  const out: [Uint8Array, Uint8Array][] = [];
  let prev = new Uint8Array(0);
  const pos = { p: 0 };
  while (pos.p < limit) {
    const shared = varint(block, pos);
    const nonShared = varint(block, pos);
    const valueLen = varint(block, pos);
    const k = new Uint8Array(shared + nonShared);
    k.set(prev.subarray(0, shared));
    k.set(block.subarray(pos.p, pos.p + nonShared), shared);
    pos.p += nonShared;
    out.push([k, block.subarray(pos.p, pos.p + valueLen)]);
    pos.p += valueLen;
    prev = k;
  }
  return out;
}

test('reproduces, byte for byte, the bloom filters LevelDB 1.20 wrote (classic-level)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'shale-bloom-'));
  try {
    const db = new ClassicLevel<string, string>(dir);
    await db.open();
    const batch = db.batch();
    for (let i = 0; i < 600; i++) {
      // varied key lengths; values large enough to spread keys over many 4 KiB data blocks
      batch.put(`key-${i * 7919}-${'x'.repeat(i % 13)}`, `value-${i}-${'v'.repeat(40 + (i % 90))}`);
    }
    await batch.write();
    await db.compactRange('\x00', '\xff');
    await db.close();

    const tables = (await readdir(dir)).filter((n) => n.endsWith('.ldb') || n.endsWith('.sst'));
    assert.ok(tables.length > 0, 'classic-level wrote no table');
    const policy = new BloomFilterPolicy(10);
    let filtersChecked = 0;
    let keysChecked = 0;
    for (const name of tables) {
      const file = new Uint8Array(await readFile(join(dir, name)));
      const footer = file.subarray(file.length - 48);
      assert.deepEqual([...footer.subarray(40)], [0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb]);
      const fpos = { p: 0 };
      const metaindex = readHandle(footer, fpos);
      const index = readHandle(footer, fpos);

      const meta = entries(blockAt(file, metaindex));
      const filterEntry = meta.find(([k]) => new TextDecoder().decode(k) === `filter.${BLOOM_FILTER_NAME}`);
      assert.ok(filterEntry, `${name}: no bloom filter in the metaindex`);
      const filterHandle = readHandle(filterEntry[1], { p: 0 });
      assert.equal(file[filterHandle.offset + filterHandle.size], 0, 'filter blocks are stored uncompressed');
      const fb = file.subarray(filterHandle.offset, filterHandle.offset + filterHandle.size);
      const baseLg = fb[fb.length - 1]!;
      assert.equal(baseLg, 11);
      const arrayStart = fixed32(fb, fb.length - 5);
      const numFilters = (fb.length - 5 - arrayStart) / 4;

      // Group the data blocks' user keys by the filter that covers their block's file offset.
      const keysByFilter = new Map<number, Uint8Array[]>();
      for (const [, handleBytes] of entries(blockAt(file, index))) {
        const h = readHandle(handleBytes, { p: 0 });
        const group = keysByFilter.get(h.offset >>> baseLg) ?? [];
        for (const [ikey] of entries(blockAt(file, h))) group.push(ikey.subarray(0, ikey.length - 8));
        keysByFilter.set(h.offset >>> baseLg, group);
      }
      for (let i = 0; i < numFilters; i++) {
        const start = fixed32(fb, arrayStart + 4 * i);
        const limit = i + 1 < numFilters ? fixed32(fb, arrayStart + 4 * i + 4) : arrayStart;
        const stored = fb.subarray(start, limit);
        const keys = keysByFilter.get(i) ?? [];
        if (keys.length === 0) {
          assert.equal(stored.length, 0, `${name}: filter ${i} covers no block but is not empty`);
          continue;
        }
        assert.deepEqual(policy.createFilter(keys), stored, `${name}: filter ${i} differs`);
        for (const k of keys) assert.ok(policy.keyMayMatch(k, stored));
        filtersChecked++;
        keysChecked += keys.length;
      }
    }
    assert.ok(filtersChecked >= 5, `only ${filtersChecked} filters checked`);
    assert.equal(keysChecked, 600);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('hashed probes in place agree with keyMayMatch, on a filter inside a larger array', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 24 }), { minLength: 1, maxLength: 200 }),
      fc.array(fc.uint8Array({ maxLength: 24 }), { maxLength: 50 }),
      fc.integer({ min: 0, max: 16 }),
      (keys, probes, pad) => {
        const policy = new BloomFilterPolicy(10);
        const filter = policy.createFilter(keys);
        const host = new Uint8Array(pad + filter.length + 3).fill(0xff);
        host.set(filter, pad);
        for (const k of [...keys, ...probes]) {
          // The user key sits at the front of a longer array, as in an internal key.
          const ikey = new Uint8Array(k.length + 8).fill(7);
          ikey.set(k);
          const hashed = policy.hashMayMatch(
            policy.hashKey(ikey, 0, k.length),
            host,
            pad,
            pad + filter.length,
          );
          assert.equal(hashed, policy.keyMayMatch(k, filter));
        }
        for (const k of keys) assert.equal(policy.keyMayMatch(k, filter), true);
      },
    ),
    { numRuns: 200 },
  );
});

test('filters equal the reference built with % (LevelDB: hash % bits), for any keys and bits per key', async () => {
  const { hash32 } = await import('../../src/util/hash.js');
  const reference = (keys: Uint8Array[], bitsPerKey: number): Uint8Array => {
    const k = Math.min(30, Math.max(1, Math.floor(bitsPerKey * 0.69)));
    const bytes = (Math.max(64, keys.length * bitsPerKey) + 7) >>> 3;
    const bits = bytes * 8;
    const f = new Uint8Array(bytes + 1);
    f[bytes] = k;
    for (const key of keys) {
      let h = hash32(key, 0xbc9f1d34);
      const delta = ((h >>> 17) | (h << 15)) >>> 0;
      for (let j = 0; j < k; j++) {
        const pos = h % bits;
        f[pos >>> 3]! |= 1 << (pos & 7);
        h = (h + delta) >>> 0;
      }
    }
    return f;
  };
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 300 }),
      fc.integer({ min: 1, max: 40 }),
      (keys, bitsPerKey) => {
        assert.deepEqual(new BloomFilterPolicy(bitsPerKey).createFilter(keys), reference(keys, bitsPerKey));
      },
    ),
    { numRuns: 300 },
  );
});

test('createPackedFilter equals createFilter over the same keys', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 200 }),
      fc.integer({ min: 1, max: 30 }),
      (keys, bitsPerKey) => {
        const policy = new BloomFilterPolicy(bitsPerKey);
        const starts: number[] = [];
        const packed = new Uint8Array(keys.reduce((n, k) => n + k.length, 0) + 3).fill(9);
        let at = 0;
        for (const k of keys) {
          starts.push(at);
          packed.set(k, at);
          at += k.length;
        }
        assert.deepEqual(policy.createPackedFilter(packed, starts, at), policy.createFilter(keys));
      },
    ),
    { numRuns: 300 },
  );
});
