/**
 * WAL recovery modes (named as RocksDB names them): what replaying a log does with the problems
 * LogReader finds. The outcome table is in readLogRecords' comment and in docs/wal.md.
 */
import type { RandomAccessFile } from '../env/file-system.js';
import { CorruptionError, InvalidArgumentError } from '../util/errors.js';
import { LogReader } from './log-reader.js';
import { BLOCK_SIZE } from './log-format.js';
import type { LogProblem } from './log-reader.js';

/**
 * WalRecoveryMode chooses how much damage replaying the write-ahead log accepts:
 * - 'tolerateCorruptedTailRecords' (default): only damage at the very end of the newest log (a crash
 *   during an append) is dropped; anything else fails the open.
 * - 'absoluteConsistency': any damage, even a torn tail, fails the open.
 * - 'pointInTime': replay stops at the first damage; later records and later logs are ignored.
 * - 'skipAnyCorruptedRecords': every intact record is replayed, damaged ones are skipped (LevelDB's
 *   non-paranoid behaviour; may lose writes in the middle of history).
 */
export type WalRecoveryMode =
  'tolerateCorruptedTailRecords' | 'absoluteConsistency' | 'pointInTime' | 'skipAnyCorruptedRecords';

/** WAL_RECOVERY_MODES lists every WalRecoveryMode, for option validation. */
export const WAL_RECOVERY_MODES: readonly WalRecoveryMode[] = [
  'tolerateCorruptedTailRecords',
  'absoluteConsistency',
  'pointInTime',
  'skipAnyCorruptedRecords',
];

/** DEFAULT_WAL_RECOVERY_MODE is the mode used when none is given. */
export const DEFAULT_WAL_RECOVERY_MODE: WalRecoveryMode = 'tolerateCorruptedTailRecords';

/** ReadLogOptions configures readLogRecords. */
export interface ReadLogOptions {
  /** mode is the recovery mode (default DEFAULT_WAL_RECOVERY_MODE). */
  readonly mode?: WalRecoveryMode;
  /** isNewest is true iff this is the last log to replay (only its tail may be tolerated). */
  readonly isNewest: boolean;
  /** fileName names the log in errors (default: the file's path). */
  readonly fileName?: string;
}

/** ReadLogResult is what readLogRecords found in one log. */
export interface ReadLogResult {
  /** stop is true iff replay must not go on to later logs (pointInTime stopped at a problem). */
  readonly stop: boolean;
  /**
   * droppedBytes counts the bytes not replayed: from the first problem to the end of the file when
   * replay stopped there (tolerate, pointInTime), the sum of the problems' bytes for
   * skipAnyCorruptedRecords, 0 when there was no problem.
   */
  readonly droppedBytes: number;
  /** problems lists what the reader skipped, in file order (possibly only up to where replay stopped). */
  readonly problems: readonly LogProblem[];
  /** records is the number of records delivered. */
  readonly records: number;
  /**
   * endOffset is the file offset just past the last delivered record (0 if none). A log may be reused
   * (appended to) only when `problems` is empty: appending after dropped bytes would turn a tolerated
   * torn tail into damage in the middle.
   */
  readonly endOffset: number;
}

/**
 * readLogRecords replays one log, calling `onRecord(record, offset)` for each record in file order
 * (`record` is valid only during the call), and applies the recovery mode to the problems found:
 *
 * | case                                         | absolute | tolerateTail (default) | pointInTime          | skipAny             |
 * | -------------------------------------------- | -------- | ---------------------- | -------------------- | ------------------- |
 * | no problem                                   | all      | all                    | all                  | all                 |
 * | torn or corrupt tail of the newest log       | throw    | records before; drop   | records before; stop | records before      |
 * | damage followed by a valid record (any log)  | throw    | throw (1)              | records before; stop | all intact records  |
 * | torn or corrupt tail of an older log         | throw    | throw                  | records before; stop | records before      |
 *
 * (1) except in the newest log when it ends in a whole block of zeros (a preallocated log cut short by a
 * crash): there it is that log's torn tail, "records before; drop" (see endsInPreallocatedSpace).
 *
 * "throw" is a CorruptionError naming the file and the offset of the first problem; no record after
 * that problem has been delivered when it is thrown (the records before it may have been). "stop"
 * means `stop: true`: the caller must ignore all later logs. A tail is "torn or corrupt" when no valid
 * record follows the first problem in the file.
 */
export function readLogRecords(
  file: RandomAccessFile,
  opts: ReadLogOptions,
  onRecord: (record: Uint8Array, offset: number) => void,
): ReadLogResult {
  const mode = opts.mode ?? DEFAULT_WAL_RECOVERY_MODE;
  if (!WAL_RECOVERY_MODES.includes(mode))
    throw new InvalidArgumentError(`unknown WAL recovery mode: ${mode}`);
  const fileName = opts.fileName ?? file.path;
  const reader = new LogReader(file);
  const problems = reader.problems;
  let records = 0;
  let endOffset = 0;

  while (reader.next()) {
    if (problems.length > 0 && mode !== 'skipAnyCorruptedRecords') {
      // A problem lies before this valid record: damage in the middle of the log.
      const first = problems[0]!;
      if (mode === 'pointInTime') {
        return { stop: true, droppedBytes: file.size - first.offset, problems, records, endOffset };
      }
      if (mode === 'tolerateCorruptedTailRecords' && opts.isNewest && endsInPreallocatedSpace(file)) {
        // A preallocated log is overwritten in place, and a power cut can keep a later page of writes
        // no fsync covered yet while losing an earlier one. Every fsync covers all earlier pages, so
        // nothing from the first damage on was acknowledged as synced: it is this log's torn tail.
        return { stop: false, droppedBytes: file.size - first.offset, problems, records, endOffset };
      }
      const where =
        mode === 'absoluteConsistency' || !opts.isNewest
          ? 'log record'
          : 'log record in the middle of the newest log';
      throw corruption(first, where, mode, fileName);
    }
    onRecord(reader.record, reader.recordOffset);
    records++;
    endOffset = reader.recordEnd;
  }

  if (problems.length === 0) return { stop: false, droppedBytes: 0, problems, records, endOffset };
  const first = problems[0]!;
  switch (mode) {
    case 'absoluteConsistency':
      throw corruption(first, 'log record', mode, fileName);
    case 'tolerateCorruptedTailRecords':
      if (!opts.isNewest) throw corruption(first, 'tail of a log that is not the newest', mode, fileName);
      return { stop: false, droppedBytes: file.size - first.offset, problems, records, endOffset };
    case 'pointInTime':
      return { stop: true, droppedBytes: file.size - first.offset, problems, records, endOffset };
    case 'skipAnyCorruptedRecords': {
      let droppedBytes = 0;
      for (const p of problems) droppedBytes += p.bytes;
      return { stop: false, droppedBytes, problems, records, endOffset };
    }
  }
}

function corruption(p: LogProblem, what: string, mode: WalRecoveryMode, fileName: string): CorruptionError {
  const kind = p.kind === 'truncated' ? 'truncated' : 'corrupt';
  return new CorruptionError(
    `${kind} ${what}: ${p.reason} (${p.bytes} bytes dropped; WAL recovery mode ${mode})`,
    fileName,
    p.offset,
  );
}

/**
 * endsInPreallocatedSpace tells whether the file's last BLOCK_SIZE bytes are all zeros: the unused,
 * zero-filled space ahead of a preallocated log that was not trimmed (a crash). No writer leaves a whole
 * block of zeros otherwise: every block of records starts with a header of a non-empty fragment.
 */
function endsInPreallocatedSpace(file: RandomAccessFile): boolean {
  if (file.size < BLOCK_SIZE) return false;
  const tail = file.read(file.size - BLOCK_SIZE, BLOCK_SIZE);
  if (tail.length < BLOCK_SIZE) return false;
  for (let i = 0; i < tail.length; i++) if (tail[i] !== 0) return false;
  return true;
}
