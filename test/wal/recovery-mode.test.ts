import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  readLogRecords,
  WAL_RECOVERY_MODES,
  DEFAULT_WAL_RECOVERY_MODE,
} from '../../src/wal/recovery-mode.js';
import type { ReadLogResult, WalRecoveryMode } from '../../src/wal/recovery-mode.js';
import { BLOCK_SIZE } from '../../src/wal/log-format.js';
import { CorruptionError, ErrorCode, InvalidArgumentError } from '../../src/util/errors.js';
import { fromUtf8 } from '../../src/util/bytes.js';
import { LogHarness, bigString } from '../support/log-harness.js';
import type { MemFile } from '../support/mem-file.js';

const FILLER = bigString('filler', BLOCK_SIZE + BLOCK_SIZE / 2);

interface Replay {
  delivered: string[];
  result?: ReadLogResult;
  error?: unknown;
}

function replay(file: MemFile, mode: WalRecoveryMode, isNewest: boolean): Replay {
  const delivered: string[] = [];
  try {
    const result = readLogRecords(file.randomAccess(), { mode, isNewest, fileName: file.path }, (r) => {
      delivered.push(fromUtf8(r));
    });
    return { delivered, result };
  } catch (error) {
    return { delivered, error };
  }
}

function assertCorruption(r: Replay, file: string, offset: number): void {
  assert.ok(r.error instanceof CorruptionError, `expected CorruptionError, got ${String(r.error)}`);
  assert.equal(r.error.code, ErrorCode.CORRUPTION);
  assert.equal(r.error.file, file);
  assert.equal(r.error.offset, offset);
  assert.match(r.error.message, new RegExp(`${file} at offset ${offset}`));
}

/** A log "a", "b", FILLER, "c" with c's offset. */
function fourRecords(path: string): { h: LogHarness; bOffset: number; cOffset: number } {
  const h = new LogHarness(path);
  h.write('a');
  const bOffset = h.writtenBytes();
  h.write('b');
  h.write(FILLER);
  const cOffset = h.writtenBytes();
  h.write('c');
  return { h, bOffset, cOffset };
}

test('the default mode is tolerateCorruptedTailRecords', () => {
  assert.equal(DEFAULT_WAL_RECOVERY_MODE, 'tolerateCorruptedTailRecords');
  const { h } = fourRecords('1.log');
  h.file.shrink(1);
  const delivered: string[] = [];
  const result = readLogRecords(h.file.randomAccess(), { isNewest: true }, (r) =>
    delivered.push(fromUtf8(r)),
  );
  assert.deepEqual(delivered, ['a', 'b', FILLER]);
  assert.equal(result.stop, false);
});

test('an intact log is replayed whole in every mode', () => {
  for (const mode of WAL_RECOVERY_MODES) {
    for (const isNewest of [true, false]) {
      const { h } = fourRecords('1.log');
      const r = replay(h.file, mode, isNewest);
      assert.equal(r.error, undefined);
      assert.deepEqual(r.delivered, ['a', 'b', FILLER, 'c']);
      assert.deepEqual(r.result, {
        stop: false,
        droppedBytes: 0,
        problems: [],
        records: 4,
        endOffset: h.writtenBytes(),
      });
    }
  }
});

test('torn tail of the newest log', () => {
  const make = (): { h: LogHarness; cOffset: number } => {
    const { h, cOffset } = fourRecords('9.log');
    h.file.shrink(1); // c's payload is cut
    return { h, cOffset };
  };
  {
    const { h, cOffset } = make();
    const r = replay(h.file, 'absoluteConsistency', true);
    assertCorruption(r, '9.log', cOffset);
    assert.ok(!r.delivered.includes('c'));
  }
  {
    const { h, cOffset } = make();
    const r = replay(h.file, 'tolerateCorruptedTailRecords', true);
    assert.deepEqual(r.delivered, ['a', 'b', FILLER]);
    assert.equal(r.result!.stop, false);
    assert.equal(r.result!.droppedBytes, h.file.size - cOffset);
    assert.equal(r.result!.endOffset, cOffset);
    assert.equal(r.result!.problems[0]!.kind, 'truncated');
  }
  {
    const { h, cOffset } = make();
    const r = replay(h.file, 'pointInTime', true);
    assert.deepEqual(r.delivered, ['a', 'b', FILLER]);
    assert.equal(r.result!.stop, true);
    assert.equal(r.result!.droppedBytes, h.file.size - cOffset);
  }
  {
    const { h } = make();
    const r = replay(h.file, 'skipAnyCorruptedRecords', true);
    assert.deepEqual(r.delivered, ['a', 'b', FILLER]);
    assert.equal(r.result!.stop, false);
    assert.equal(r.result!.problems.length, 1);
  }
});

test('corrupt (checksum) tail of the newest log is tolerated like a torn one', () => {
  const { h, cOffset } = fourRecords('9.log');
  h.file.incrementByte(h.file.size - 1, 1);
  const r = replay(h.file, 'tolerateCorruptedTailRecords', true);
  assert.deepEqual(r.delivered, ['a', 'b', FILLER]);
  assert.equal(r.result!.problems[0]!.kind, 'corrupt');
  assert.equal(r.result!.droppedBytes, h.file.size - cOffset);
  assertCorruption(replay(h.file, 'absoluteConsistency', true), '9.log', cOffset);
});

test('corruption in the middle of the newest log', () => {
  // b's checksum fails: the rest of block 0 (b and FILLER's first fragment) is dropped, then FILLER's
  // later fragments are orphans, then c is valid: damage in the middle.
  const make = (): { h: LogHarness; bOffset: number } => {
    const { h, bOffset } = fourRecords('7.log');
    h.file.incrementByte(bOffset + 7, 1);
    return { h, bOffset };
  };
  {
    const { h, bOffset } = make();
    const r = replay(h.file, 'absoluteConsistency', true);
    assertCorruption(r, '7.log', bOffset);
    assert.deepEqual(r.delivered, ['a']);
  }
  {
    const { h, bOffset } = make();
    const r = replay(h.file, 'tolerateCorruptedTailRecords', true);
    assertCorruption(r, '7.log', bOffset);
    assert.deepEqual(r.delivered, ['a'], 'nothing after the damage may be delivered before throwing');
    assert.match((r.error as Error).message, /middle/);
  }
  {
    const { h, bOffset } = make();
    const r = replay(h.file, 'pointInTime', true);
    assert.deepEqual(r.delivered, ['a']);
    assert.equal(r.result!.stop, true);
    assert.equal(r.result!.droppedBytes, h.file.size - bOffset);
  }
  {
    const { h, bOffset } = make();
    const r = replay(h.file, 'skipAnyCorruptedRecords', true);
    assert.deepEqual(r.delivered, ['a', 'c']);
    assert.equal(r.result!.stop, false);
    assert.equal(r.result!.problems[0]!.offset, bOffset);
    assert.ok(r.result!.droppedBytes >= BLOCK_SIZE - bOffset);
  }
});

test('a problem in a log that is not the newest', () => {
  for (const damage of ['torn', 'corrupt'] as const) {
    const make = (): { h: LogHarness; cOffset: number } => {
      const { h, cOffset } = fourRecords('3.log');
      if (damage === 'torn') h.file.shrink(2);
      else h.file.incrementByte(cOffset + 7, 1);
      return { h, cOffset };
    };
    {
      const { h, cOffset } = make();
      assertCorruption(replay(h.file, 'absoluteConsistency', false), '3.log', cOffset);
    }
    {
      const { h, cOffset } = make();
      const r = replay(h.file, 'tolerateCorruptedTailRecords', false);
      assertCorruption(r, '3.log', cOffset);
      assert.match((r.error as Error).message, /not the newest/);
    }
    {
      const { h } = make();
      const r = replay(h.file, 'pointInTime', false);
      assert.deepEqual(r.delivered, ['a', 'b', FILLER]);
      assert.equal(r.result!.stop, true);
    }
    {
      const { h } = make();
      const r = replay(h.file, 'skipAnyCorruptedRecords', false);
      assert.deepEqual(r.delivered, ['a', 'b', FILLER]);
      assert.equal(r.result!.stop, false);
    }
  }
});

test('pointInTime stops the replay of later logs; skipAny goes on', () => {
  const logs = ['1.log', '2.log', '3.log'].map((p) => {
    const h = new LogHarness(p);
    h.write(`${p}:x`);
    h.write(`${p}:y`);
    return h;
  });
  logs[1]!.file.incrementByte(logs[1]!.file.size - 1, 1); // 2.log's y is damaged

  const run = (mode: WalRecoveryMode): string[] => {
    const delivered: string[] = [];
    for (let i = 0; i < logs.length; i++) {
      const res = readLogRecords(
        logs[i]!.file.randomAccess(),
        { mode, isNewest: i === logs.length - 1, fileName: logs[i]!.file.path },
        (r) => delivered.push(fromUtf8(r)),
      );
      if (res.stop) break;
    }
    return delivered;
  };
  assert.deepEqual(run('pointInTime'), ['1.log:x', '1.log:y', '2.log:x']);
  assert.deepEqual(run('skipAnyCorruptedRecords'), ['1.log:x', '1.log:y', '2.log:x', '3.log:x', '3.log:y']);
  assert.throws(() => run('tolerateCorruptedTailRecords'), CorruptionError);
  assert.throws(() => run('absoluteConsistency'), CorruptionError);
});

test('an unknown mode is an invalid argument', () => {
  const h = new LogHarness();
  assert.throws(
    () =>
      readLogRecords(
        h.file.randomAccess(),
        { mode: 'paranoid' as WalRecoveryMode, isNewest: true },
        () => {},
      ),
    InvalidArgumentError,
  );
});
