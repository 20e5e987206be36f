import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogWriter } from '../../src/wal/log-writer.js';
import { LogReader } from '../../src/wal/log-reader.js';
import { BLOCK_SIZE, HEADER_SIZE, RecordType, TYPE_CRC } from '../../src/wal/log-format.js';
import { crc32c, maskCrc } from '../../src/util/crc32c.js';
import { utf8 } from '../../src/util/bytes.js';
import { Random } from '../../src/util/random.js';
import { MemFile } from '../support/mem-file.js';
import { LogHarness, bigString, numberString, randomSkewedString, readAll } from '../support/log-harness.js';

/** headers parses the physical record headers of a well-formed log: [offset, length, type]. */
function headers(bytes: Uint8Array): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  let pos = 0;
  while (pos < bytes.length) {
    const left = BLOCK_SIZE - (pos % BLOCK_SIZE);
    if (left < HEADER_SIZE) {
      for (let i = 0; i < left; i++) assert.equal(bytes[pos + i], 0, 'trailer must be zeros');
      pos += left;
      continue;
    }
    const len = bytes[pos + 4]! | (bytes[pos + 5]! << 8);
    out.push([pos, len, bytes[pos + 6]!]);
    assert.ok((pos % BLOCK_SIZE) + HEADER_SIZE + len <= BLOCK_SIZE, 'a record never crosses a block');
    pos += HEADER_SIZE + len;
  }
  assert.equal(pos, bytes.length);
  return out;
}

test('format constants and type CRCs', () => {
  assert.equal(BLOCK_SIZE, 32768);
  assert.equal(HEADER_SIZE, 7);
  assert.deepEqual(RecordType, { ZERO: 0, FULL: 1, FIRST: 2, MIDDLE: 3, LAST: 4 });
  for (let t = 0; t <= 4; t++) assert.equal(TYPE_CRC[t], crc32c(Uint8Array.of(t)));
});

test('a small record is one FULL record with a masked CRC over type and payload', () => {
  const h = new LogHarness();
  h.write('foo');
  const b = h.file.contents();
  assert.equal(b.length, HEADER_SIZE + 3);
  const crc = maskCrc(crc32c(Uint8Array.of(RecordType.FULL, 0x66, 0x6f, 0x6f)));
  assert.deepEqual([...b.subarray(0, 4)], [crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24]);
  assert.deepEqual([...b.subarray(4)], [3, 0, RecordType.FULL, 0x66, 0x6f, 0x6f]);
});

test('empty log reads nothing', () => {
  const h = new LogHarness();
  assert.deepEqual(h.read(), { records: [], offsets: [], problems: [] });
});

test('read and write small records, including an empty one', () => {
  const h = new LogHarness();
  for (const r of ['foo', 'bar', '', 'xxxx']) h.write(r);
  const got = h.read();
  assert.deepEqual(got.records, ['foo', 'bar', '', 'xxxx']);
  assert.deepEqual(got.offsets, [0, 10, 20, 27]);
  assert.deepEqual(got.problems, []);
});

test('many blocks', () => {
  const h = new LogHarness();
  const want: string[] = [];
  for (let i = 0; i < 100000; i++) {
    want.push(numberString(i));
    h.write(want[i]!);
  }
  assert.ok(h.writtenBytes() > 10 * BLOCK_SIZE);
  const got = h.read();
  assert.equal(got.problems.length, 0);
  assert.deepEqual(got.records, want);
});

test('fragmentation of medium and large records, with FIRST, MIDDLE and LAST in order', () => {
  const h = new LogHarness();
  const want = [
    'small',
    bigString('medium', 50000),
    bigString('large', 100000),
    bigString('huge', 1_500_000),
  ];
  for (const r of want) h.write(r);
  const got = h.read();
  assert.deepEqual(got.problems, []);
  assert.deepEqual(got.records, want);

  // Group the physical records into logical ones: FULL, or FIRST MIDDLE* LAST.
  const groups: number[][] = [];
  for (const [offset, len, type] of headers(h.file.contents())) {
    if (type === RecordType.FULL || type === RecordType.FIRST) groups.push([]);
    groups[groups.length - 1]!.push(type);
    // Every fragment but the last of a record fills its block to the end.
    if (type === RecordType.FIRST || type === RecordType.MIDDLE) {
      assert.equal((offset % BLOCK_SIZE) + HEADER_SIZE + len, BLOCK_SIZE);
    }
  }
  assert.equal(groups.length, 4);
  assert.deepEqual(groups[0], [RecordType.FULL]);
  for (const g of groups.slice(1)) {
    assert.equal(g[0], RecordType.FIRST);
    assert.equal(g[g.length - 1], RecordType.LAST);
    assert.ok(g.slice(1, -1).every((t) => t === RecordType.MIDDLE));
  }
  assert.equal(groups[1]!.length, 2); // 50000 bytes starting near the top of block 0: two fragments
  assert.ok(groups[3]!.length >= Math.ceil(1_500_000 / (BLOCK_SIZE - HEADER_SIZE)));
});

test('marginal trailer: exactly HEADER_SIZE bytes left gives a zero-length record there', () => {
  const h = new LogHarness();
  const n = BLOCK_SIZE - 2 * HEADER_SIZE;
  h.write(bigString('foo', n));
  assert.equal(h.writtenBytes(), BLOCK_SIZE - HEADER_SIZE);
  h.write('');
  assert.equal(h.writtenBytes(), BLOCK_SIZE, 'the empty FULL record fills the block exactly');
  h.write('bar');
  const got = h.read();
  assert.deepEqual(got.records, [bigString('foo', n), '', 'bar']);
  assert.deepEqual(got.problems, []);
});

test('marginal trailer 2: a non-empty record at HEADER_SIZE bytes left starts with an empty FIRST', () => {
  const h = new LogHarness();
  const n = BLOCK_SIZE - 2 * HEADER_SIZE;
  h.write(bigString('foo', n));
  h.write('bar');
  assert.deepEqual(
    headers(h.file.contents()).map((x) => [x[1], x[2]]),
    [
      [n, RecordType.FULL],
      [0, RecordType.FIRST],
      [3, RecordType.LAST],
    ],
  );
  const got = h.read();
  assert.deepEqual(got.records, [bigString('foo', n), 'bar']);
  assert.deepEqual(got.offsets, [0, BLOCK_SIZE - HEADER_SIZE]);
  assert.deepEqual(got.problems, []);
});

test('short trailer: fewer than HEADER_SIZE bytes left are zero-padded', () => {
  const h = new LogHarness();
  const n = BLOCK_SIZE - 2 * HEADER_SIZE + 4;
  h.write(bigString('foo', n));
  assert.equal(h.writtenBytes(), BLOCK_SIZE - HEADER_SIZE + 4);
  h.write('');
  assert.equal(h.writtenBytes(), BLOCK_SIZE + HEADER_SIZE);
  h.write('bar');
  const got = h.read();
  assert.deepEqual(got.records, [bigString('foo', n), '', 'bar']);
  assert.deepEqual(got.offsets, [0, BLOCK_SIZE, BLOCK_SIZE + HEADER_SIZE]);
  assert.deepEqual(got.problems, []);
  for (let i = BLOCK_SIZE - 3; i < BLOCK_SIZE; i++) assert.equal(h.file.getByte(i), 0);
});

test('aligned EOF: a log ending in a short trailer reads cleanly', () => {
  const h = new LogHarness();
  const n = BLOCK_SIZE - 2 * HEADER_SIZE + 4;
  h.write(bigString('foo', n));
  assert.equal(h.writtenBytes(), BLOCK_SIZE - HEADER_SIZE + 4);
  assert.deepEqual(h.read(), { records: [bigString('foo', n)], offsets: [0], problems: [] });
});

test('a record filling its block exactly leaves the writer at the next block', () => {
  const h = new LogHarness();
  h.write(bigString('a', BLOCK_SIZE - HEADER_SIZE));
  assert.equal(h.writtenBytes(), BLOCK_SIZE);
  h.write('b');
  assert.equal(h.writtenBytes(), BLOCK_SIZE + HEADER_SIZE + 1);
  assert.deepEqual(h.read().records, [bigString('a', BLOCK_SIZE - HEADER_SIZE), 'b']);
});

test('open for append continues the log', () => {
  const h = new LogHarness();
  h.write('hello');
  h.reopenForAppend();
  h.write('world');
  assert.deepEqual(h.read(), { records: ['hello', 'world'], offsets: [0, 12], problems: [] });
});

test('reuse at odd offsets: appending continues the block layout of an existing log', () => {
  // Leave the first block with each of these many bytes free, then reopen and append.
  for (const free of [0, 1, 3, 6, 7, 8, 13, 100, BLOCK_SIZE - HEADER_SIZE]) {
    for (const nextSize of [0, 1, 50, BLOCK_SIZE, 3 * BLOCK_SIZE + 5]) {
      const h = new LogHarness();
      const first = bigString('x', BLOCK_SIZE - free - HEADER_SIZE);
      h.write(first);
      assert.equal(h.writtenBytes(), BLOCK_SIZE - free);
      h.reopenForAppend();
      assert.equal(h.writerSize, BLOCK_SIZE - free);
      h.write(bigString('n', nextSize));
      h.write('last');
      const got = h.read();
      assert.deepEqual(got.problems, [], `free=${free} next=${nextSize}`);
      assert.deepEqual(got.records, [first, bigString('n', nextSize), 'last']);
      headers(h.file.contents()); // well-formed layout
    }
  }
});

test('a writer given an initial offset lays out blocks as if the file were that long', () => {
  // The writer trusts initialOffset over the file's size: told it is 3 bytes short of a block end, it
  // pads 3 bytes and starts the record in a new block.
  const file = new MemFile('x.log');
  const w = new LogWriter(file.writable(), BLOCK_SIZE - 3);
  w.addRecord(utf8('abc'));
  assert.equal(w.size, BLOCK_SIZE + HEADER_SIZE + 3);
  const b = file.contents();
  assert.equal(b.length, 3 + HEADER_SIZE + 3);
  assert.deepEqual([...b.subarray(0, 3)], [0, 0, 0]);
  assert.deepEqual([...b.subarray(3 + 4, 3 + 7)], [3, 0, RecordType.FULL]);
});

test('random read of many records (seeded)', () => {
  const seed = 301;
  const rnd = new Random(seed);
  const h = new LogHarness();
  const want: string[] = [];
  for (let i = 0; i < 500; i++) {
    want.push(randomSkewedString(i, rnd));
    h.write(want[i]!);
  }
  const got = h.read();
  assert.deepEqual(got.problems, [], `seed ${seed}`);
  assert.equal(got.records.length, want.length, `seed ${seed}`);
  for (let i = 0; i < want.length; i++) assert.equal(got.records[i], want[i], `seed ${seed} record ${i}`);
});

test('one append (one write syscall) per logical record, whatever its size', () => {
  const file = new MemFile();
  const w = new LogWriter(file.writable());
  const sizes = [0, 1, 100, BLOCK_SIZE - 2 * HEADER_SIZE, 3, BLOCK_SIZE, 100_000, 2_000_000, 10, 5];
  let n = 0;
  for (const size of sizes) {
    w.addRecord(new Uint8Array(size).fill(n + 1));
    n++;
    assert.equal(file.appends, n);
    assert.equal(w.size, file.size);
  }
  const got = readAll(file);
  assert.deepEqual(got.problems, []);
  assert.deepEqual(
    got.records.map((r) => r.length),
    sizes,
  );
});

test('the writer reuses its buffer without corrupting later records after a huge one', () => {
  const file = new MemFile();
  const w = new LogWriter(file.writable());
  const rnd = new Random(5);
  const want: Uint8Array[] = [];
  for (const size of [10, 3_000_000, 20, 70_000, 30, 5000]) {
    const r = rnd.bytes(size);
    want.push(r);
    w.addRecord(r);
  }
  const reader = new LogReader(file.randomAccess());
  let i = 0;
  while (reader.next()) assert.deepEqual(reader.record, want[i++]);
  assert.equal(i, want.length);
  assert.deepEqual(reader.problems, []);
});

test('a failed append leaves the writer position unchanged', () => {
  const file = new MemFile();
  const inner = file.writable();
  let fail = false;
  const w = new LogWriter({
    path: inner.path,
    get size() {
      return inner.size;
    },
    append(data) {
      if (fail) throw new Error('ENOSPC');
      inner.append(data);
    },
    sync: () => inner.sync(),
    syncAsync: () => inner.syncAsync(),
    close: () => inner.close(),
  });
  w.addRecord(utf8('one'));
  fail = true;
  assert.throws(() => w.addRecord(utf8('two')), /ENOSPC/);
  assert.equal(w.size, HEADER_SIZE + 3);
  fail = false;
  w.addRecord(utf8('three'));
  assert.deepEqual(readAll(file).records, ['one', 'three']);
});

test('buffered records are written in one append, byte for byte as addRecord writes them one by one', () => {
  const rnd = new Random(301);
  const direct = new MemFile();
  const buffered = new MemFile();
  const wd = new LogWriter(direct.writable());
  const wb = new LogWriter(buffered.writable());
  let records = 0;
  for (let round = 0; round < 40; round++) {
    // Sizes from empty to several blocks, so buffered records cross block boundaries and trailers.
    const n = 1 + rnd.uniform(6);
    for (let i = 0; i < n; i++) {
      const len = rnd.oneIn(8) ? rnd.uniform(3 * BLOCK_SIZE) : rnd.uniform(200);
      const rec = new Uint8Array(len);
      for (let j = 0; j < len; j++) rec[j] = rnd.uniform(256);
      wd.addRecord(rec);
      records++;
      if (i === n - 1 && rnd.oneIn(2))
        wb.addRecord(rec); // writes what is buffered with it
      else wb.bufferRecord(rec);
    }
    assert.ok(wb.size <= wd.size);
    wb.flush();
    assert.equal(wb.pendingBytes, 0);
    assert.equal(wb.size, wd.size);
  }
  wb.flush(); // nothing buffered: no append
  assert.deepEqual(buffered.contents(), direct.contents());
  assert.equal(direct.appends, records);
  assert.equal(buffered.appends, 40);
  headers(buffered.contents());
});
