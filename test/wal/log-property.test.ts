import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LogWriter } from '../../src/wal/log-writer.js';
import { LogReader } from '../../src/wal/log-reader.js';
import type { LogProblem } from '../../src/wal/log-reader.js';
import { readLogRecords, WAL_RECOVERY_MODES } from '../../src/wal/recovery-mode.js';
import { BLOCK_SIZE } from '../../src/wal/log-format.js';
import { bytesEqual } from '../../src/util/bytes.js';
import { CorruptionError } from '../../src/util/errors.js';
import { Random } from '../../src/util/random.js';
import { MemFile } from '../support/mem-file.js';

// fast-check prints the seed and path of a failing run; FC_SEED reproduces it.
const SEED =
  process.env.FC_SEED === undefined ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(process.env.FC_SEED);
const params = (numRuns: number): fc.Parameters<unknown> => ({ seed: SEED, numRuns });

/** A record size: mostly small, sometimes around a block, sometimes spanning several blocks. */
const recordSize = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 200 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 20_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: BLOCK_SIZE - 24, max: BLOCK_SIZE + 8 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 110_000 }) },
);

/** A log: records (size + content seed), and the index at which the writer is reopened (log reuse). */
const logSpec = fc.record({
  records: fc.array(fc.tuple(recordSize, fc.integer()), { maxLength: 12 }),
  reopenAt: fc.nat(),
});

interface WrittenLog {
  file: MemFile;
  records: Uint8Array[];
  /** ends[i] is the file size after record i was written. */
  ends: number[];
}

function writeLog(spec: { records: Array<[number, number]>; reopenAt: number }): WrittenLog {
  const file = new MemFile('p.log');
  let w = new LogWriter(file.writable());
  const records: Uint8Array[] = [];
  const ends: number[] = [];
  spec.records.forEach(([size, seed], i) => {
    if (i === spec.reopenAt % (spec.records.length + 1)) {
      w.close();
      w = new LogWriter(file.writable(), file.size);
    }
    const r = new Random(seed).bytes(size);
    records.push(r);
    w.addRecord(r);
    ends.push(file.size);
  });
  return { file, records, ends };
}

function readBack(file: MemFile): {
  records: Uint8Array[];
  offsets: number[];
  problems: readonly LogProblem[];
} {
  const reader = new LogReader(file.randomAccess());
  const records: Uint8Array[] = [];
  const offsets: number[] = [];
  while (reader.next()) {
    records.push(reader.record.slice());
    offsets.push(reader.recordOffset);
  }
  return { records, offsets, problems: reader.problems };
}

/** isOrderedSubsequence returns true iff every record of `got` was written, in the written order. */
function isOrderedSubsequence(got: Uint8Array[], written: Uint8Array[]): boolean {
  let j = 0;
  for (const r of got) {
    while (j < written.length && !bytesEqual(written[j]!, r)) j++;
    if (j === written.length) return false;
    j++;
  }
  return true;
}

function assertFileOrder(problems: readonly LogProblem[]): void {
  for (let i = 1; i < problems.length; i++) assert.ok(problems[i - 1]!.offset <= problems[i]!.offset);
}

test('any sequence of records written (with a reopen) reads back as itself', () => {
  fc.assert(
    fc.property(logSpec, (spec) => {
      const log = writeLog(spec);
      const got = readBack(log.file);
      assert.deepEqual(got.problems, []);
      assert.equal(got.records.length, log.records.length);
      got.records.forEach((r, i) => assert.ok(bytesEqual(r, log.records[i]!), `record ${i}`));
      got.offsets.forEach((o, i) => assert.ok(o >= (i === 0 ? 0 : log.ends[i - 1]!) && o < log.ends[i]!));
    }),
    params(150),
  );
});

test('a single damaged byte never yields a record that was not written', () => {
  let silentWrongData = 0;
  fc.assert(
    fc.property(logSpec, fc.nat(), fc.integer({ min: 1, max: 255 }), (spec, at, delta) => {
      const log = writeLog(spec);
      if (log.file.size === 0) return;
      const pos = at % log.file.size;
      log.file.setByte(pos, log.file.getByte(pos) ^ delta);
      const got = readBack(log.file);
      if (!isOrderedSubsequence(got.records, log.records)) silentWrongData++;
      assert.ok(isOrderedSubsequence(got.records, log.records), `damage at ${pos}`);
      assertFileOrder(got.problems);
      // Either the damage is reported, or it hit nothing that matters (a block trailer).
      if (got.problems.length === 0) assert.equal(got.records.length, log.records.length, `damage at ${pos}`);
      for (const mode of WAL_RECOVERY_MODES) {
        for (const isNewest of [true, false]) {
          const delivered: Uint8Array[] = [];
          try {
            readLogRecords(log.file.randomAccess(), { mode, isNewest }, (r) => delivered.push(r.slice()));
          } catch (e) {
            assert.ok(e instanceof CorruptionError, String(e));
          }
          assert.ok(isOrderedSubsequence(delivered, log.records), `${mode} damage at ${pos}`);
        }
      }
    }),
    params(300),
  );
  assert.equal(silentWrongData, 0);
});

test('any truncation yields a prefix of the records and at most one torn-tail problem', () => {
  fc.assert(
    fc.property(logSpec, fc.nat(), (spec, at) => {
      const log = writeLog(spec);
      const cut = at % (log.file.size + 1);
      log.file.truncate(cut);
      const got = readBack(log.file);
      const complete = log.ends.filter((e) => e <= cut).length;
      assert.equal(got.records.length, complete, `cut at ${cut}`);
      got.records.forEach((r, i) => assert.ok(bytesEqual(r, log.records[i]!)));
      assert.ok(got.problems.length <= 1, `cut at ${cut}`);
      for (const p of got.problems) assert.equal(p.kind, 'truncated');
      if (cut === 0 || log.ends.includes(cut)) assert.deepEqual(got.problems, []);

      // The default mode accepts any torn tail of the newest log and delivers the same prefix.
      const delivered: Uint8Array[] = [];
      const res = readLogRecords(log.file.randomAccess(), { isNewest: true }, (r) =>
        delivered.push(r.slice()),
      );
      assert.equal(delivered.length, complete);
      assert.equal(res.stop, false);
    }),
    params(200),
  );
});
