import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogReader } from '../../src/wal/log-reader.js';
import { LogWriter } from '../../src/wal/log-writer.js';
import { BLOCK_SIZE, HEADER_SIZE, RecordType } from '../../src/wal/log-format.js';
import { concatBytes, utf8 } from '../../src/util/bytes.js';
import { MemFile } from '../support/mem-file.js';
import { LogHarness, bigString, droppedBytes, physicalRecord, readAll } from '../support/log-harness.js';

test('the reader reads the file in 32 KiB blocks at block boundaries', () => {
  const h = new LogHarness();
  for (let i = 0; i < 10; i++) h.write(bigString(`r${i}`, 10_000));
  const size = h.writtenBytes();
  h.file.reads.length = 0;
  assert.equal(h.read().records.length, 10);
  const reads = h.file.reads;
  assert.equal(reads.length, Math.ceil(size / BLOCK_SIZE));
  reads.forEach(([offset, length], i) => {
    assert.equal(offset, i * BLOCK_SIZE);
    assert.equal(length, BLOCK_SIZE);
  });
});

test('record offsets and ends', () => {
  const h = new LogHarness();
  h.write('a');
  h.write(bigString('b', 2 * BLOCK_SIZE));
  h.write('c');
  const reader = new LogReader(h.file.randomAccess());
  const seen: Array<[number, number]> = [];
  while (reader.next()) seen.push([reader.recordOffset, reader.recordEnd]);
  const bEnd = 8 + 2 * BLOCK_SIZE + 3 * HEADER_SIZE;
  assert.deepEqual(seen, [
    [0, 8],
    [8, bEnd],
    [bEnd, bEnd + 8],
  ]);
});

test('bad record type', () => {
  const h = new LogHarness();
  h.write('foo');
  h.file.incrementByte(6, 100);
  h.fixChecksum(0, 3);
  assert.deepEqual(h.read(), {
    records: [],
    offsets: [],
    problems: [{ kind: 'corrupt', offset: 0, bytes: 3, reason: 'unknown record type 101' }],
  });
});

test('a record of unknown type is skipped alone: the next record in its block is read', () => {
  const file = new MemFile(
    'x.log',
    concatBytes(physicalRecord(9, 'future'), physicalRecord(RecordType.FULL, 'ok')),
  );
  const got = readAll(file);
  assert.deepEqual(got.records, ['ok']);
  assert.deepEqual(got.problems, [{ kind: 'corrupt', offset: 0, bytes: 6, reason: 'unknown record type 9' }]);
});

test('truncated trailing header is a torn tail', () => {
  const h = new LogHarness();
  h.write('foo');
  h.file.shrink(4);
  assert.deepEqual(h.read().problems, [
    { kind: 'truncated', offset: 0, bytes: 6, reason: 'truncated record header' },
  ]);
  assert.deepEqual(h.read().records, []);
});

test('bad length in a full block is corruption, and reading resumes at the next block', () => {
  const h = new LogHarness();
  h.write(bigString('bar', BLOCK_SIZE - HEADER_SIZE));
  h.write('foo');
  h.file.incrementByte(4, 1); // length now reaches past the block
  const got = h.read();
  assert.deepEqual(got.records, ['foo']);
  assert.deepEqual(got.problems, [
    { kind: 'corrupt', offset: 0, bytes: BLOCK_SIZE, reason: 'bad record length' },
  ]);
});

test('bad length at end of file is a torn tail', () => {
  const h = new LogHarness();
  h.write('foo');
  h.file.shrink(1);
  const got = h.read();
  assert.deepEqual(got.records, []);
  assert.deepEqual(got.problems, [
    { kind: 'truncated', offset: 0, bytes: 9, reason: 'truncated record payload' },
  ]);
});

test('a length past the block end in the last (short) block is corruption, not a torn tail', () => {
  const h = new LogHarness();
  h.write('foo');
  h.write('bar');
  h.file.setByte(5, 0xff); // length 0xff03: no writer could have written it
  const got = h.read();
  assert.deepEqual(got.records, []);
  assert.deepEqual(got.problems, [{ kind: 'corrupt', offset: 0, bytes: 20, reason: 'bad record length' }]);
});

test('checksum mismatch drops the rest of the block', () => {
  const h = new LogHarness();
  h.write('foo');
  h.file.incrementByte(0, 10);
  assert.deepEqual(h.read().problems, [
    { kind: 'corrupt', offset: 0, bytes: 10, reason: 'checksum mismatch' },
  ]);

  const h2 = new LogHarness();
  h2.write('foo');
  h2.write('bar'); // same block: dropped with it
  h2.write(bigString('x', BLOCK_SIZE)); // FIRST in block 0, LAST in block 1
  h2.write('baz');
  h2.file.incrementByte(HEADER_SIZE, 1); // payload of foo
  const got = h2.read();
  assert.deepEqual(got.records, ['baz']);
  assert.deepEqual(got.problems, [
    { kind: 'corrupt', offset: 0, bytes: BLOCK_SIZE, reason: 'checksum mismatch' },
    { kind: 'corrupt', offset: BLOCK_SIZE, bytes: 27, reason: 'missing start of fragmented record' },
  ]);
});

test('unexpected MIDDLE and LAST types', () => {
  for (const type of [RecordType.MIDDLE, RecordType.LAST]) {
    const h = new LogHarness();
    h.write('foo');
    h.file.setByte(6, type);
    h.fixChecksum(0, 3);
    assert.deepEqual(h.read(), {
      records: [],
      offsets: [],
      problems: [{ kind: 'corrupt', offset: 0, bytes: 3, reason: 'missing start of fragmented record' }],
    });
  }
});

test('unexpected FULL after FIRST: the partial record is dropped, the FULL record is read', () => {
  const h = new LogHarness();
  h.write('foo');
  h.write('bar');
  h.file.setByte(6, RecordType.FIRST);
  h.fixChecksum(0, 3);
  const got = h.read();
  assert.deepEqual(got.records, ['bar']);
  assert.deepEqual(got.offsets, [10]);
  assert.deepEqual(got.problems, [
    { kind: 'corrupt', offset: 0, bytes: 3, reason: 'partial record without end' },
  ]);
});

test('unexpected FIRST after FIRST: the new fragmented record is read', () => {
  const h = new LogHarness();
  h.write('foo');
  h.write(bigString('bar', 100000));
  h.file.setByte(6, RecordType.FIRST);
  h.fixChecksum(0, 3);
  const got = h.read();
  assert.deepEqual(got.records, [bigString('bar', 100000)]);
  assert.deepEqual(got.problems, [
    { kind: 'corrupt', offset: 0, bytes: 3, reason: 'partial record without end' },
  ]);
});

test('an empty FIRST followed by FULL is accepted silently (old LevelDB writers)', () => {
  const file = new MemFile(
    'x.log',
    concatBytes(physicalRecord(RecordType.FIRST, ''), physicalRecord(RecordType.FULL, 'foo')),
  );
  assert.deepEqual(readAll(file), { records: ['foo'], offsets: [HEADER_SIZE], problems: [] });
});

test('missing last fragment (file ends at a block boundary) is a torn tail', () => {
  const h = new LogHarness();
  h.write(bigString('bar', BLOCK_SIZE));
  h.file.shrink(14);
  assert.equal(h.writtenBytes(), BLOCK_SIZE);
  const got = h.read();
  assert.deepEqual(got.records, []);
  assert.deepEqual(got.problems, [
    { kind: 'truncated', offset: 0, bytes: BLOCK_SIZE, reason: 'partial record at end of file' },
  ]);
});

test('partial last fragment is a torn tail covering the whole record', () => {
  const h = new LogHarness();
  h.write('a');
  h.write(bigString('bar', BLOCK_SIZE));
  h.file.shrink(1);
  const got = h.read();
  assert.deepEqual(got.records, ['a']);
  assert.deepEqual(got.problems, [
    { kind: 'truncated', offset: 8, bytes: h.writtenBytes() - 8, reason: 'partial record at end of file' },
  ]);
});

test('an error never joins fragments of different records', () => {
  const h = new LogHarness();
  h.write(bigString('foo', BLOCK_SIZE));
  h.write(bigString('bar', BLOCK_SIZE));
  h.write('correct');
  for (let i = BLOCK_SIZE; i < 2 * BLOCK_SIZE; i++) h.file.setByte(i, 0x78); // wipe the middle block
  const got = h.read();
  assert.deepEqual(got.records, ['correct']);
  assert.deepEqual(got.problems, [
    { kind: 'corrupt', offset: 0, bytes: BLOCK_SIZE - HEADER_SIZE, reason: 'error in middle of record' },
    { kind: 'corrupt', offset: BLOCK_SIZE, bytes: BLOCK_SIZE, reason: 'checksum mismatch' },
    { kind: 'corrupt', offset: 2 * BLOCK_SIZE, bytes: 21, reason: 'missing start of fragmented record' },
  ]);
  const dropped = droppedBytes(got.problems);
  assert.ok(dropped >= 2 * BLOCK_SIZE && dropped <= 2 * BLOCK_SIZE + 100);
});

test('damage inside a fragmented record drops the record whatever fragment it hits', () => {
  for (const at of [10, BLOCK_SIZE + 10, 2 * BLOCK_SIZE + 10, 3 * BLOCK_SIZE + 3]) {
    const h = new LogHarness();
    h.write(bigString('big', 3 * BLOCK_SIZE));
    h.write('after');
    h.file.incrementByte(at, 1);
    const got = h.read();
    assert.ok(!got.records.includes(bigString('big', 3 * BLOCK_SIZE)), `at ${at}`);
    assert.ok(got.problems.length > 0 && got.problems[0]!.offset === 0, `at ${at}`);
    for (const r of got.records) assert.equal(r, 'after');
  }
});

test('preallocated zero space is skipped without a report, to the next block', () => {
  const file = new MemFile('x.log');
  const w = new LogWriter(file.writable());
  w.addRecord(utf8('foo'));
  file.writable().append(new Uint8Array(BLOCK_SIZE - file.size + 100)); // zeros past a block boundary
  assert.deepEqual(readAll(file), { records: ['foo'], offsets: [0], problems: [] });

  // Zero space then more records from the next block on: a hole, reported (log-zero-tail.test.ts).
  const f2 = new MemFile('y.log');
  new LogWriter(f2.writable()).addRecord(utf8('foo'));
  f2.writable().append(new Uint8Array(BLOCK_SIZE - f2.size));
  new LogWriter(f2.writable()).addRecord(utf8('bar'));
  assert.deepEqual(readAll(f2), {
    records: ['foo', 'bar'],
    offsets: [0, BLOCK_SIZE],
    problems: [
      { kind: 'corrupt', offset: 10, bytes: BLOCK_SIZE - 10, reason: 'zero-filled space before data' },
    ],
  });
});

test('a zero-type empty header followed by data is corruption (not preallocated space)', () => {
  const h = new LogHarness();
  h.write('');
  h.write('foo');
  h.file.setByte(6, RecordType.ZERO); // the empty FULL record becomes a zero-type header
  const got = h.read();
  assert.deepEqual(got.records, []);
  assert.deepEqual(got.problems, [
    { kind: 'corrupt', offset: 0, bytes: 17, reason: 'zero-type record before data' },
  ]);
});

test('zero space inside a fragmented record drops the partial record (a torn tail)', () => {
  const file = new MemFile(
    'x.log',
    concatBytes(
      physicalRecord(RecordType.FIRST, bigString('f', BLOCK_SIZE - HEADER_SIZE)),
      new Uint8Array(100),
    ),
  );
  const got = readAll(file);
  assert.deepEqual(got.records, []);
  assert.deepEqual(got.problems, [
    { kind: 'truncated', offset: 0, bytes: BLOCK_SIZE - HEADER_SIZE, reason: 'error in middle of record' },
  ]);
});

test('a maximal 16-bit length never reads past the block', () => {
  const rec = physicalRecord(RecordType.FULL, 'x');
  rec[4] = 0xff;
  rec[5] = 0xff;
  const file = new MemFile('x.log', concatBytes(rec, new Uint8Array(4 * BLOCK_SIZE - rec.length).fill(1)));
  const got = readAll(file);
  assert.deepEqual(got.records, []);
  assert.equal(got.problems.length, 4);
  assert.deepEqual(got.problems[0], {
    kind: 'corrupt',
    offset: 0,
    bytes: BLOCK_SIZE,
    reason: 'bad record length',
  });
  for (const p of got.problems) assert.equal(p.kind, 'corrupt');
});
