/**
 * Write-ahead log replay at open (LevelDB DBImpl::RecoverLogFile): every log at or after the MANIFEST's
 * log number is read, in file-number order, and its batches are applied to a memtable.
 */
import type { FileSystem } from '../env/file-system.js';
import { readLogRecords, type WalRecoveryMode } from '../wal/recovery-mode.js';
import { MemTable } from '../memtable/memtable.js';
import { TYPE_VALUE_POINTER, ValueType, type InternalKeyComparator } from '../memtable/internal-key.js';
import { CorruptionError } from '../util/errors.js';
import { BATCH_HEADER_SIZE, batchCount, batchSequence, iterateBatch } from './write-batch.js';

/**
 * PointerCheck tells whether a value pointer found in a WAL record (write-time separation) locates a
 * value that is durably in its segment. A record with a pointer that fails it is where the log's valid
 * prefix ends (docs/vlog.md); null: accept every pointer (secondary instances, repair).
 */
export type PointerCheck = ((pointer: Uint8Array) => boolean) | null;

/** STOP is thrown out of a record callback to end the replay of a log there. */
const STOP = Symbol('stop');

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
  /** endOffset is where the log's last record ends (a preallocated log's zero-filled space follows). */
  endOffset: number;
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
  checkPointer: PointerCheck = null,
): ReplayResult {
  const result: ReplayResult = { maxSequence: 0, stop: false, clean: true, records: 0, endOffset: 0 };
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
          if (checkPointer !== null) {
            // Every pointer first: a record is applied whole or, past the segment's tail, not at all.
            let bad = false;
            iterateBatch(
              record,
              { put: () => {}, delete: () => {}, pointer: (_k, p) => void (bad ||= !checkPointer(p)) },
              count,
              path,
            );
            if (bad) {
              if (opts.mode === 'skipAnyCorruptedRecords') return;
              throw STOP;
            }
          }
          iterateBatch(
            record,
            {
              put: (k, v) => mem.add(seq++, ValueType.VALUE, k, v),
              delete: (k) => mem.add(seq++, ValueType.DELETION, k, new Uint8Array(0)),
              pointer: (k, p) => mem.add(seq++, TYPE_VALUE_POINTER, k, p),
            },
            count,
            path,
          );
        } catch (err) {
          if (err === STOP) throw err;
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
    result.endOffset = outcome.endOffset;
  } catch (err) {
    if (err !== STOP) throw err;
    // A pointer past its segment's valid prefix: the log's valid prefix ends at this record.
    result.stop = true;
    result.clean = false;
  } finally {
    file.close();
  }
  return result;
}
