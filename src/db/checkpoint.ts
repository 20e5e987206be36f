/**
 * Checkpoints (RocksDB's Checkpoint): a consistent, openable copy of a live database in a new directory,
 * holding at least every write acknowledged before the call. The memtable is flushed first; then, with
 * nothing awaited (so no flush, compaction or write can change the files meanwhile), the current
 * version's tables are hard-linked (copied where links are impossible: tables never change), the
 * MANIFEST is copied up to its current length, the logs written since the flush are copied, CURRENT is
 * written, and everything is fsynced. The copy is a LevelDB database like any other.
 */
import { join } from 'node:path';
import type { FileSystem } from '../env/file-system.js';
import type { VersionSet } from '../version/version-set.js';
import { NUM_LEVELS } from '../version/version-edit.js';
import {
  logFileName,
  manifestFileName,
  parseFileName,
  sstTableFileName,
  tableFileName,
} from '../version/file-names.js';
import { setCurrentFile } from '../version/version-set.js';
import { InvalidArgumentError } from '../util/errors.js';
import { segmentFileName } from '../vlog/vlog-format.js';

/** CheckpointReport says what the checkpoint holds. */
export interface CheckpointReport {
  readonly tables: number;
  readonly linked: number;
  readonly copiedBytes: number;
  readonly logs: number;
}

/**
 * writeCheckpoint copies the database's files as they are now into `dest` (which must not exist).
 * Requires: called synchronously after a flush, with the current version pinned by the caller.
 */
export function writeCheckpoint(
  fs: FileSystem,
  dir: string,
  walDir: string,
  versions: VersionSet,
  dest: string,
  onProgress?: (done: number, total: number) => void,
): CheckpointReport {
  if (fs.exists(dest)) throw new InvalidArgumentError(`checkpoint destination ${dest} already exists`);
  fs.mkdir(dest);
  let linked = 0;
  let copiedBytes = 0;
  const copy = (from: string, to: string, length?: number): void => {
    const all = fs.readFile(from);
    const bytes = length === undefined ? all : all.subarray(0, length);
    const f = fs.createWritable(to);
    try {
      f.append(bytes);
      f.sync();
    } finally {
      f.close();
    }
    copiedBytes += bytes.length;
  };
  // Progress in files: the tables, the MANIFEST, the logs.
  const logNames = fs.list(walDir).filter((name) => {
    const p = parseFileName(name);
    return p?.type === 'log' && (p.number >= versions.logNumber || p.number === versions.prevLogNumber);
  });
  let total = 1 + logNames.length;
  for (const files of versions.current.files) total += files.length;
  let done = 0;
  const progress = (): void => onProgress?.(done++, total);
  let tables = 0;
  const share = (from: string, to: string): void => {
    if (fs.link !== undefined) {
      try {
        fs.link(from, to);
        linked++;
        return;
      } catch {
        // another device, or no links here: copy instead
      }
    }
    copy(from, to);
  };
  for (let level = 0; level < NUM_LEVELS; level++) {
    for (const f of versions.current.files[level]!) {
      progress();
      tables++;
      let from = tableFileName(dir, f.number);
      if (!fs.exists(from)) from = sstTableFileName(dir, f.number);
      share(from, join(dest, from.slice(dir.length + 1)));
    }
  }
  // Value-log segments are immutable once recorded, like tables.
  for (const n of versions.current.segments.keys()) share(segmentFileName(dir, n), segmentFileName(dest, n));
  const manifest = manifestFileName(dir, versions.manifestFileNumber);
  progress();
  copy(manifest, manifestFileName(dest, versions.manifestFileNumber), fs.fileSize(manifest));
  let logs = 0;
  for (const name of logNames) {
    const n = parseFileName(name)!.number;
    progress();
    copy(logFileName(walDir, n), logFileName(dest, n));
    logs++;
  }
  // Open segments of write-time separation still grow: copied (after the logs pointing into them).
  for (const n of versions.activeSegments) {
    const from = segmentFileName(dir, n);
    if (fs.exists(from)) copy(from, segmentFileName(dest, n));
  }
  progress();
  fs.syncDir(dest);
  setCurrentFile(fs, dest, versions.manifestFileNumber);
  return { tables, linked, copiedBytes, logs };
}
