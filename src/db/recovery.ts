/**
 * Write-ahead log replay at open (LevelDB DBImpl::RecoverLogFile): every log at or after the MANIFEST's
 * log number is read, in file-number order, and its batches are applied to a memtable.
 */
import type { FileSystem } from '../env/file-system.js';
import { readLogRecords, type WalRecoveryMode } from '../wal/recovery-mode.js';
import { MemTable } from '../memtable/memtable.js';
import { ValueType, type InternalKeyComparator } from '../memtable/internal-key.js';
import { CorruptionError } from '../util/errors.js';
import { BATCH_HEADER_SIZE, batchCount, batchSequence, iterateBatch } from './write-batch.js';

/** ReplayResult reports what one log contributed. */
export interface ReplayResult {
  /** maxSequence is the last sequence number applied (0 when nothing was). */
  maxSequence: number;
  /** stop: point-in-time recovery hit damage; later logs must be ignored. */
  stop: boolean;
  /** clean: the log was read to its end without any problem (it may be reused). */
  clean: boolean;
  /** records is the number of batches applied. */
  records: number;
}

/**
 * replayLog applies the batches of one log to `getMem()` (which the caller may replace whenever
 * `onFull` flushes it). Batches are validated whole before any of their entries is applied.
 */
export function replayLog(
  fs: FileSystem,
  path: string,
  opts: { mode: WalRecoveryMode; isNewest: boolean; icmp: InternalKeyComparator },
  getMem: () => MemTable,
  onFull: () => void,
  writeBufferSize: number,
): ReplayResult {
  const result: ReplayResult = { maxSequence: 0, stop: false, clean: true, records: 0 };
  const file = fs.openRandomAccess(path);
  try {
    const outcome = readLogRecords(
      file,
      { mode: opts.mode, isNewest: opts.isNewest, fileName: path },
      (record, offset) => {
        if (record.length < BATCH_HEADER_SIZE) {
          if (opts.mode === 'skipAnyCorruptedRecords') return;
          throw new CorruptionError('log record too small to be a write batch', path, offset);
        }
        let seq = batchSequence(record);
        const count = batchCount(record);
        const mem = getMem();
        try {
          iterateBatch(
            record,
            {
              put: (k, v) => mem.add(seq++, ValueType.VALUE, k, v),
              delete: (k) => mem.add(seq++, ValueType.DELETION, k, new Uint8Array(0)),
            },
            count,
            path,
          );
        } catch (err) {
          if (opts.mode === 'skipAnyCorruptedRecords' && err instanceof CorruptionError) return;
          if (err instanceof CorruptionError)
            throw new CorruptionError(err.message, path, offset, { cause: err });
          throw err;
        }
        result.records++;
        const last = seq - 1;
        if (last > result.maxSequence) result.maxSequence = last;
        if (mem.approximateMemoryUsage() > writeBufferSize) onFull();
      },
    );
    result.stop = outcome.stop;
    result.clean = outcome.problems.length === 0;
  } finally {
    file.close();
  }
  return result;
}
