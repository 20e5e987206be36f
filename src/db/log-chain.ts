/**
 * The chain marker: the first record of a log started while the log before it still held records not
 * yet fsynced (a memtable switch does not wait for that fsync). It names the last sequence number
 * written before it, so recovery can tell whether the older log reached its end on disk: if it did
 * not (a power cut kept part of the newer log but not all of the older one), the newer logs are
 * ignored and what survives is still a prefix of the writes (docs/reliability.md).
 *
 * On disk it is a write batch with no entries and sequence `last + 1`, which LevelDB replays as a
 * no-op. shale never logs an empty batch otherwise (db.write of an empty batch writes nothing).
 */
import type { FileSystem } from '../env/file-system.js';
import { LogReader } from '../wal/log-reader.js';
import { encodeFixed32, encodeFixed64 } from '../util/coding.js';
import { BATCH_HEADER_SIZE, batchCount, batchSequence } from './write-batch.js';

/** encodeChainMarker returns the marker saying the previous log holds every write up to `lastSequence`. */
export function encodeChainMarker(lastSequence: number): Uint8Array {
  const rec = new Uint8Array(BATCH_HEADER_SIZE);
  encodeFixed64(rec, 0, lastSequence + 1);
  encodeFixed32(rec, 8, 0);
  return rec;
}

/**
 * LogStart is what the beginning of a log says about the log before it:
 * - `{ kind: 'marker', lastSequence }`: the previous log must hold every write up to lastSequence;
 * - `{ kind: 'empty' }`: no record survives in this log (nothing in it can outrun the previous one);
 * - `{ kind: 'records' }`: the log starts with a write (the previous log was complete when it began).
 */
export type LogStart =
  | { readonly kind: 'marker'; readonly lastSequence: number }
  | { readonly kind: 'empty' }
  | { readonly kind: 'records' };

/** readLogStart reads the first record of the log at `path`. */
export function readLogStart(fs: FileSystem, path: string): LogStart {
  const file = fs.openRandomAccess(path);
  try {
    const reader = new LogReader(file);
    if (!reader.next()) return { kind: 'empty' };
    const rec = reader.record;
    if (rec.length === BATCH_HEADER_SIZE && batchCount(rec) === 0)
      return { kind: 'marker', lastSequence: batchSequence(rec) - 1 };
    return { kind: 'records' };
  } finally {
    file.close();
  }
}
