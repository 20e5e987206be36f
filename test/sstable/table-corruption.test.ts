// Damaged tables: every check must end in a CorruptionError naming the file, never in wrong data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TableBuilder } from '../../src/sstable/table-builder.js';
import { Table } from '../../src/sstable/table.js';
import { CompressionType } from '../../src/sstable/compression.js';
import { FOOTER_LENGTH, Footer, blockTrailerCrc } from '../../src/sstable/format.js';
import { encodeFixed32 } from '../../src/util/coding.js';
import type { FilterPolicy } from '../../src/sstable/filter-policy.js';
import { toHex } from '../../src/util/bytes.js';
import { CorruptionError, ShaleError } from '../../src/util/errors.js';
import { Random } from '../../src/util/random.js';
import { lookupKey, userKeyOf } from '../../src/memtable/internal-key.js';
import {
  ICMP,
  MemRandomAccessFile,
  MemWritableFile,
  TestHashFilter,
  ik,
  sortInternal,
} from './table-test-util.js';

type Entry = [Uint8Array, Uint8Array];
const FILE = '000042.ldb';

function makeTable(policy: FilterPolicy | null): { bytes: Uint8Array; entries: Entry[] } {
  const rnd = new Random(99);
  const entries = sortInternal(
    Array.from({ length: 40 }, (_, i): Entry => [
      ik(`key${String(i * 7).padStart(4, '0')}`, 100 - i),
      rnd.bytes(1 + rnd.uniform(12)),
    ]),
  );
  const file = new MemWritableFile(FILE);
  const tb = new TableBuilder(
    {
      comparator: ICMP,
      blockSize: 128,
      blockRestartInterval: 4,
      compression: CompressionType.NONE,
      filterPolicy: policy,
    },
    file,
  );
  for (const [k, v] of entries) tb.add(k, v);
  tb.finish();
  return { bytes: file.contents(), entries };
}

function openTable(
  bytes: Uint8Array,
  policy: FilterPolicy | null,
  verifyChecksums = true,
  paranoidChecks = false,
): Table {
  return Table.open(new MemRandomAccessFile(bytes, FILE), bytes.length, {
    comparator: ICMP,
    filterPolicy: policy,
    fileName: FILE,
    verifyChecksums,
    paranoidChecks,
  });
}

/** readAll opens and reads the whole table: a scan both ways and a get of every key. */
function readAll(bytes: Uint8Array, policy: FilterPolicy | null, entries: Entry[], verify = true): string[] {
  const table = openTable(bytes, policy, verify);
  const out: string[] = [];
  const it = table.iterator();
  for (it.seekToFirst(); it.valid(); it.next()) out.push(toHex(it.key()) + '=' + toHex(it.value()));
  let back = 0;
  for (it.seekToLast(); it.valid(); it.prev()) back++;
  out.push(`back ${back}`);
  for (const [k] of entries) {
    const got = table.get(lookupKey(userKeyOf(k), 1000));
    out.push(got === undefined ? 'missing' : toHex(got.key) + '=' + toHex(got.value));
  }
  return out;
}

function expected(entries: Entry[]): string[] {
  const all = entries.map(([k, v]) => toHex(k) + '=' + toHex(v));
  return [...all, `back ${entries.length}`, ...all];
}

for (const policy of [null, new TestHashFilter()]) {
  test(`every single-byte flip is detected or harmless (filter: ${policy?.name ?? 'none'})`, () => {
    const { bytes, entries } = makeTable(policy);
    const want = expected(entries);
    assert.deepEqual(readAll(bytes, policy, entries), want);
    let detected = 0;
    for (let pos = 0; pos < bytes.length; pos++) {
      for (const mask of [0x01, 0x80]) {
        const damaged = bytes.slice();
        damaged[pos]! ^= mask;
        let got: string[];
        try {
          got = readAll(damaged, policy, entries);
        } catch (err) {
          assert.ok(err instanceof CorruptionError, `byte ${pos}: ${String(err)}`);
          assert.equal(err.file, FILE, `byte ${pos}`);
          assert.ok(err.message.includes(FILE));
          detected++;
          continue;
        }
        // Undetected damage must not change what is read (footer padding, the filter and metaindex
        // blocks, which are optional).
        assert.deepEqual(got, want, `byte ${pos} mask ${mask}`);
      }
    }
    assert.ok(detected > bytes.length, `${detected} flips detected of ${bytes.length * 2}`);
  });
}

test('damage without checksum verification never hangs or throws a non-shale error', () => {
  const { bytes, entries } = makeTable(null);
  const rnd = new Random(1);
  for (let i = 0; i < 3000; i++) {
    const damaged = bytes.slice();
    const dataEnd = bytes.length - FOOTER_LENGTH;
    for (let j = 0; j < 1 + rnd.uniform(3); j++) damaged[rnd.uniform(dataEnd)] = rnd.uniform(256);
    try {
      readAll(damaged, null, entries, false);
    } catch (err) {
      assert.ok(err instanceof ShaleError, `iteration ${i}: ${String(err)}`);
    }
  }
});

test('a bad footer, a short file or a truncated table is a CorruptionError naming the file', () => {
  const { bytes } = makeTable(null);
  const check = (b: Uint8Array, what: string) =>
    assert.throws(
      () => openTable(b, null),
      (err: unknown) => err instanceof CorruptionError && err.file === FILE && err.message.includes(FILE),
      what,
    );
  check(new Uint8Array(0), 'empty file');
  check(new Uint8Array(47), '47 bytes');
  check(bytes.subarray(0, bytes.length - 1), 'truncated by one byte');
  check(bytes.subarray(1), 'missing first byte');
  const badMagic = bytes.slice();
  badMagic[bytes.length - 1] ^= 0xff;
  check(badMagic, 'bad magic');
  // An index handle pointing past the footer.
  const footer = Footer.decode(bytes.subarray(bytes.length - FOOTER_LENGTH));
  const farIndex = bytes.slice();
  farIndex.set(
    new Footer(footer.metaindexHandle, {
      ...footer.indexHandle,
      size: 1e9,
    } as typeof footer.indexHandle).encode(),
    bytes.length - FOOTER_LENGTH,
  );
  check(farIndex, 'index handle past the end');
  // A huge size in a handle must not allocate: the file-size check comes first.
  const hugeIndex = bytes.slice();
  hugeIndex.set(
    new Footer(footer.metaindexHandle, { offset: 0, size: 2 ** 52 } as typeof footer.indexHandle).encode(),
    bytes.length - FOOTER_LENGTH,
  );
  check(hugeIndex, 'huge index handle');
});

test('paranoid checks verify the index at open', () => {
  const { bytes } = makeTable(null);
  // With checksums off, a damaged index slips through a normal open, but not a paranoid one.
  const footer = Footer.decode(bytes.subarray(bytes.length - FOOTER_LENGTH));
  const damaged = bytes.slice();
  damaged[footer.indexHandle.offset + 3] = 0xff; // the first index key now sorts last
  assert.ok(openTable(damaged, null, false, false));
  assert.throws(() => openTable(damaged, null, false, true), CorruptionError);
  assert.ok(openTable(bytes, null, false, true));
});

test('paranoid checks catch an unsorted index even when its checksum is right', () => {
  const { bytes } = makeTable(null);
  const footer = Footer.decode(bytes.subarray(bytes.length - FOOTER_LENGTH));
  const { offset, size } = footer.indexHandle;
  const damaged = bytes.slice();
  damaged[offset + 3] = 0xff; // the first index key now sorts after the others
  encodeFixed32(damaged, offset + size + 1, blockTrailerCrc(damaged.subarray(offset, offset + size), 0));
  assert.ok(openTable(damaged, null, true, false), 'the CRC matches, so a normal open accepts it');
  assert.throws(
    () => openTable(damaged, null, true, true),
    (err: unknown) => err instanceof CorruptionError && /out of order/.test(err.message) && err.file === FILE,
  );
});

test('a corrupt filter block is ignored: reads still succeed, without the filter', () => {
  const policy = new TestHashFilter();
  const { bytes, entries } = makeTable(policy);
  assert.ok(openTable(bytes, policy).hasFilter);
  // The filter block sits just before the metaindex; damage its last byte (base_lg).
  const footer = Footer.decode(bytes.subarray(bytes.length - FOOTER_LENGTH));
  const damaged = bytes.slice();
  damaged[footer.metaindexHandle.offset - 6]! ^= 0x55;
  const table = openTable(damaged, policy);
  assert.equal(table.hasFilter, false);
  assert.deepEqual(readAll(damaged, policy, entries), expected(entries));
});
