/**
 * The reader on logs written into zero-filled (preallocated) space: valid records then zeros end the
 * log cleanly; a torn record then zeros is a torn tail ('truncated'); zeros followed by data are a hole
 * (damage), whichever recovery mode then decides.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LogWriter } from '../../src/wal/log-writer.js';
import { BLOCK_SIZE, HEADER_SIZE } from '../../src/wal/log-format.js';
import { readLogRecords, WAL_RECOVERY_MODES } from '../../src/wal/recovery-mode.js';
import type { WalRecoveryMode } from '../../src/wal/recovery-mode.js';
import { concatBytes, fromUtf8, utf8 } from '../../src/util/bytes.js';
import { CorruptionError } from '../../src/util/errors.js';
import { Random } from '../../src/util/random.js';
import { MemFile } from '../support/mem-file.js';
import { bigString, readAll } from '../support/log-harness.js';

const SEED =
  process.env.FC_SEED === undefined ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(process.env.FC_SEED);

/** encode returns the bytes a LogWriter writes for `records`, from offset 0. */
function encode(records: Array<string | Uint8Array>): Uint8Array {
  const f = new MemFile('enc.log');
  const w = new LogWriter(f.writable());
  for (const r of records) w.addRecord(typeof r === 'string' ? utf8(r) : r);
  return f.contents();
}

/** zeroFilled returns `bytes` at the start of a file of `size` zeros (a preallocated log). */
function zeroFilled(bytes: Uint8Array, size: number): MemFile {
  const out = new Uint8Array(Math.max(size, bytes.length));
  out.set(bytes);
  return new MemFile('z.log', out);
}

function replay(
  file: MemFile,
  mode: WalRecoveryMode,
  isNewest = true,
): { records: string[]; stop?: boolean; error?: unknown } {
  const records: string[] = [];
  try {
    const r = readLogRecords(file.randomAccess(), { mode, isNewest }, (rec) => records.push(fromUtf8(rec)));
    return { records, stop: r.stop };
  } catch (error) {
    return { records, error };
  }
}

test('records followed only by zeros end the log cleanly, in every mode and across blocks', () => {
  for (const size of [100, BLOCK_SIZE, 3 * BLOCK_SIZE, 32 * BLOCK_SIZE]) {
    const recs = ['a', bigString('b', 40_000), 'c'];
    const file = zeroFilled(encode(recs), 40_100 + size);
    assert.deepEqual(readAll(file).problems, [], `size ${size}`);
    assert.deepEqual(readAll(file).records, recs);
    for (const mode of WAL_RECOVERY_MODES) {
      const r = replay(file, mode, false);
      assert.equal(r.error, undefined, `${mode}: ${String(r.error)}`);
      assert.deepEqual(r.records, recs);
      assert.equal(r.stop, false);
    }
  }
});

test('a record ending exactly at a block boundary, then zero blocks; an all-zero log', () => {
  const rec = bigString('x', BLOCK_SIZE - HEADER_SIZE);
  const file = zeroFilled(encode([rec]), 4 * BLOCK_SIZE);
  assert.deepEqual(readAll(file), { records: [rec], offsets: [0], problems: [] });
  assert.deepEqual(readAll(zeroFilled(new Uint8Array(0), 2 * BLOCK_SIZE)), {
    records: [],
    offsets: [],
    problems: [],
  });
});

test('fewer than a header of zeros at the end of the file is zero-filled space cut short', () => {
  const bytes = encode(['a', 'b']);
  for (let extra = 1; extra < HEADER_SIZE; extra++) {
    const file = zeroFilled(bytes, bytes.length + extra);
    assert.deepEqual(readAll(file).problems, [], `extra ${extra}`);
  }
  // A partial header that is not all zeros is still a torn header.
  const torn = concatBytes(bytes, new Uint8Array([1, 2, 3]));
  assert.deepEqual(readAll(new MemFile('t.log', torn)).problems, [
    { kind: 'truncated', offset: bytes.length, bytes: 3, reason: 'truncated record header' },
  ]);
});

test('a torn record followed by zeros is a torn tail, at every cut of its bytes', () => {
  const before = encode(['first', 'second']);
  const all = encode(['first', 'second', bigString('torn', 300)]);
  const start = before.length;
  for (let keep = 1; keep < all.length - start; keep++) {
    const file = zeroFilled(all.subarray(0, start + keep), 2 * BLOCK_SIZE);
    const got = readAll(file);
    assert.deepEqual(got.records, ['first', 'second'], `keep ${keep}`);
    assert.ok(got.problems.length > 0, `keep ${keep}: the torn record is reported`);
    for (const p of got.problems) assert.equal(p.kind, 'truncated', `keep ${keep}: ${p.reason}`);
    assert.equal(got.problems[0]!.offset, start);
    // Same outcome as a torn record at the end of the file today, in every mode.
    assert.deepEqual(replay(file, 'tolerateCorruptedTailRecords').records, ['first', 'second']);
    assert.ok(replay(file, 'tolerateCorruptedTailRecords', false).error instanceof CorruptionError);
    assert.ok(replay(file, 'absoluteConsistency').error instanceof CorruptionError);
    assert.deepEqual(replay(file, 'pointInTime'), { records: ['first', 'second'], stop: true });
    assert.deepEqual(replay(file, 'skipAnyCorruptedRecords').records, ['first', 'second']);
  }
});

test('a fragmented record torn at a block boundary, the next block still zeros, is a torn tail', () => {
  const big = bigString('big', 2 * BLOCK_SIZE);
  const all = encode(['a', big]);
  // Keep the first block (the start of `big`), the rest reverts to zeros.
  const file = zeroFilled(all.subarray(0, BLOCK_SIZE), 4 * BLOCK_SIZE);
  const got = readAll(file);
  assert.deepEqual(got.records, ['a']);
  assert.deepEqual(got.problems, [
    {
      kind: 'truncated',
      offset: 8,
      bytes: BLOCK_SIZE - 8 - HEADER_SIZE,
      reason: 'error in middle of record',
    },
  ]);
});

test('a lost first sector before surviving bytes of the last records, then zeros, is a torn tail', () => {
  const base = encode(['keep']);
  const all = encode(['keep', bigString('lost', 600), 'later']);
  const img = all.slice();
  img.fill(0, base.length, 512); // the write's first sector never reached the disk
  const got = readAll(zeroFilled(img, BLOCK_SIZE));
  assert.deepEqual(got.records, ['keep']);
  assert.deepEqual(got.problems, [
    {
      kind: 'truncated',
      offset: base.length,
      bytes: BLOCK_SIZE - base.length,
      reason: 'zero-type record before data',
    },
  ]);
});

test('zeros inside a block, then a valid record, then more valid blocks: damage in the middle', () => {
  // Decision (docs/wal.md): zeros followed by data are never preallocated space; the record after them
  // in the same block is dropped with the rest of the block, and valid records after that make it damage
  // in the middle (as any other damage).
  const base = encode(['keep']);
  const all = encode(['keep', 'lost', 'in-block', bigString('next', BLOCK_SIZE), 'after']);
  const img = all.slice();
  const lost = encode(['keep', 'lost']).length;
  img.fill(0, base.length, lost);
  const file = zeroFilled(img, 4 * BLOCK_SIZE);
  const got = readAll(file);
  assert.equal(got.problems[0]!.kind, 'corrupt');
  assert.equal(got.problems[0]!.reason, 'zero-type record before data');
  assert.ok(!got.records.includes('in-block'));
  // The newest log ends in preallocated space: what follows the damage is its torn tail (the pages of
  // writes no fsync covered reached the disk out of order). An older log is still refused.
  assert.deepEqual(replay(file, 'tolerateCorruptedTailRecords'), { records: ['keep'], stop: false });
  assert.ok(replay(file, 'tolerateCorruptedTailRecords', false).error instanceof CorruptionError);
  assert.deepEqual(replay(file, 'pointInTime'), { records: ['keep'], stop: true });
  // Without a whole block of zeros at its end the log was not preallocated: damage in the middle.
  const plain = new MemFile('p.log', img.subarray(0, img.length));
  assert.ok(replay(plain, 'tolerateCorruptedTailRecords').error instanceof CorruptionError);
});

test('a whole zero block before valid records is a hole: never replayed past', () => {
  const first = encode(['a']);
  const later = encode(['b']);
  const img = concatBytes(zeroFilled(first, BLOCK_SIZE).contents(), later);
  const file = zeroFilled(img, 3 * BLOCK_SIZE);
  assert.deepEqual(readAll(file).problems, [
    {
      kind: 'corrupt',
      offset: first.length,
      bytes: BLOCK_SIZE - first.length,
      reason: 'zero-filled space before data',
    },
  ]);
  assert.deepEqual(replay(file, 'tolerateCorruptedTailRecords'), { records: ['a'], stop: false });
  assert.ok(replay(file, 'tolerateCorruptedTailRecords', false).error instanceof CorruptionError);
  assert.ok(replay(file, 'absoluteConsistency').error instanceof CorruptionError);
  assert.deepEqual(replay(file, 'pointInTime'), { records: ['a'], stop: true });
  assert.deepEqual(replay(file, 'skipAnyCorruptedRecords').records, ['a', 'b']);
});

test('real corruption followed by valid records stays corruption, but ends a preallocated newest log', () => {
  const all = encode(['a', bigString('b', BLOCK_SIZE), 'c']);
  const img = all.slice();
  img[HEADER_SIZE + 9 + 20] ^= 0x40; // inside b's first fragment
  const file = zeroFilled(img, 4 * BLOCK_SIZE);
  const got = readAll(file);
  assert.equal(got.problems[0]!.kind, 'corrupt');
  assert.deepEqual(got.records, ['a', 'c']);
  // In the newest log ending in preallocated space nothing after the damage is replayed ('c' neither):
  // a torn write there cannot be told from a flipped bit. Elsewhere it is refused.
  assert.deepEqual(replay(file, 'tolerateCorruptedTailRecords'), { records: ['a'], stop: false });
  assert.ok(replay(file, 'tolerateCorruptedTailRecords', false).error instanceof CorruptionError);
  assert.ok(
    replay(new MemFile('c.log', img), 'tolerateCorruptedTailRecords').error instanceof CorruptionError,
  );
  // Corruption in the last record with nothing but data to the end of the file stays 'corrupt' too.
  const last = encode(['a', 'b']);
  last[last.length - 1] ^= 1;
  assert.equal(readAll(new MemFile('c.log', last)).problems[0]!.kind, 'corrupt');
});

test('property: any prefix of the writes, then zeros, reads back as a prefix of the records', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 40_000 }), { minLength: 1, maxLength: 8 }),
      fc.nat(),
      fc.integer({ min: 0, max: 3 }),
      (sizes, cutSeed, extraBlocks) => {
        const rnd = new Random(cutSeed);
        const records = sizes.map((n) => rnd.bytes(n));
        const f = new MemFile('p.log');
        const w = new LogWriter(f.writable());
        const ends: number[] = [];
        for (const r of records) {
          w.addRecord(r);
          ends.push(f.size);
        }
        const bytes = f.contents();
        const cut = cutSeed % (bytes.length + 1);
        const size = Math.ceil((bytes.length + 1) / BLOCK_SIZE + extraBlocks) * BLOCK_SIZE;
        const got = readAll(zeroFilled(bytes.subarray(0, cut), size));
        const complete = ends.filter((e) => e <= cut).length;
        // Every record that reached the file whole is read back, in order; nothing else is.
        assert.equal(got.records.length, complete);
        got.records.forEach((r, i) => assert.equal(r, fromUtf8(records[i]!)));
        for (const p of got.problems) assert.equal(p.kind, 'truncated', p.reason);
        if (cut === ends[complete - 1] || cut === 0) assert.deepEqual(got.problems, []);
      },
    ),
    { seed: SEED, numRuns: 300 },
  );
});
