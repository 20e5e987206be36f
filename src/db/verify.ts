/**
 * verifyDatabase: reads every byte that matters of a closed database and checks it, changing nothing
 * (LevelDB's `leveldbutil` checks, RocksDB's `ldb checkconsistency` and `VerifyChecksum`): the MANIFEST
 * CURRENT names (every record's checksum, then every edit), every live table (every block's checksum,
 * the index, the keys in order), and every log recovery would replay (every record's checksum and every
 * batch's encoding). Each problem names its file and, where known, the offset.
 */
import { join } from 'node:path';
import type { FileSystem } from '../env/file-system.js';
import { NodeFileSystem } from '../env/node-fs.js';
import { InternalKeyComparator } from '../memtable/internal-key.js';
import { BloomFilterPolicy } from '../sstable/bloom.js';
import { readLogRecords } from '../wal/recovery-mode.js';
import { TableCache } from '../version/table-cache.js';
import { VersionSet } from '../version/version-set.js';
import { NUM_LEVELS } from '../version/version-edit.js';
import { currentFileName, lockFileName, logFileName, parseFileName } from '../version/file-names.js';
import { segmentFileName } from '../vlog/vlog-format.js';
import { scanSegment } from '../vlog/segment-scanner.js';
import { CorruptionError, ShaleError } from '../util/errors.js';
import { fromUtf8 } from '../util/bytes.js';
import { resolveOptions, type Options } from './options.js';
import { iterateBatch } from './write-batch.js';
import type { ProgressOptions } from './call-options.js';

/** VerifyProblem is one piece of damage (or, when `tolerated`, a torn log tail recovery accepts). */
export interface VerifyProblem {
  readonly file: string;
  readonly offset?: number;
  readonly message: string;
  /** tolerated: a torn last record of the newest log, which the default recovery mode drops silently. */
  readonly tolerated?: boolean;
}

/** VerifyReport says what was checked and what was found. `ok` is false iff damage was found. */
export interface VerifyReport {
  readonly ok: boolean;
  readonly manifest: string;
  readonly tables: number;
  readonly tableEntries: number;
  readonly logs: number;
  readonly logRecords: number;
  /** segments and segmentRecords: the value-log segments checked (every record's checksums). */
  readonly segments: number;
  readonly segmentRecords: number;
  readonly problems: readonly VerifyProblem[];
}

/** verifyDatabase checks the database in `dir`; it must not be open elsewhere (the lock is taken). */
export async function verifyDatabase(
  dir: string,
  options: Options & ProgressOptions = {},
): Promise<VerifyReport> {
  const opts = resolveOptions(options);
  const fs: FileSystem = options.fs ?? new NodeFileSystem();
  const lock = await fs.lock(lockFileName(dir));
  try {
    return check(
      fs,
      dir,
      opts.walDir ?? dir,
      new InternalKeyComparator(opts.comparator),
      opts.bloomBitsPerKey,
      options.onProgress,
    );
  } finally {
    lock.release();
  }
}

function check(
  fs: FileSystem,
  dir: string,
  walDir: string,
  icmp: InternalKeyComparator,
  bloomBits: number,
  onProgress: ProgressOptions['onProgress'],
): VerifyReport {
  const problems: VerifyProblem[] = [];
  const damage = (file: string, err: unknown, offset?: number): void => {
    const c = err instanceof CorruptionError ? err : undefined;
    problems.push({
      file,
      offset: c?.offset ?? offset,
      message: err instanceof Error ? err.message : String(err),
    });
  };
  let manifest = '';
  // 1. The MANIFEST: every record, then the edits (VersionSet.recover checks them and names the tables).
  const versions = new VersionSet(fs, dir, icmp, {
    maxManifestFileSize: 0,
    level1MaxBytes: 1,
    l0CompactionTrigger: 1,
  });
  try {
    manifest = fromUtf8(fs.readFile(currentFileName(dir))).trim();
    const path = join(dir, manifest);
    const file = fs.openRandomAccess(path);
    try {
      const r = readLogRecords(
        file,
        { mode: 'skipAnyCorruptedRecords', isNewest: true, fileName: path },
        () => {},
      );
      for (const p of r.problems)
        problems.push({ file: path, offset: p.offset, message: `${p.kind}: ${p.reason}` });
    } finally {
      file.close();
    }
    versions.recover();
  } catch (err) {
    damage(manifest === '' ? currentFileName(dir) : join(dir, manifest), err);
    return {
      ok: false,
      manifest,
      tables: 0,
      tableEntries: 0,
      logs: 0,
      logRecords: 0,
      segments: 0,
      segmentRecords: 0,
      problems,
    };
  }
  // Progress in bytes: every live table, then every log to replay.
  const logs = fs
    .list(walDir)
    .map((n) => parseFileName(n))
    .filter(
      (p) => p?.type === 'log' && (p.number >= versions.logNumber || p.number === versions.prevLogNumber),
    )
    .map((p) => p!.number)
    .sort((a, b) => a - b);
  let total = 0;
  let done = 0;
  if (onProgress !== undefined) {
    for (const files of versions.current.files) for (const f of files) total += f.fileSize;
    for (const n of logs) total += fileSizeOrZero(fs, logFileName(walDir, n));
    onProgress(0, total);
  }
  // 2. Every live table, block by block, keys in order.
  const cache = new TableCache(
    fs,
    dir,
    {
      comparator: icmp,
      filterPolicy: bloomBits > 0 ? new BloomFilterPolicy(bloomBits) : null,
      blockCache: null,
      verifyChecksums: true,
      paranoidChecks: true,
    },
    16,
  );
  let tables = 0;
  let tableEntries = 0;
  try {
    for (let level = 0; level < NUM_LEVELS; level++) {
      for (const f of versions.current.files[level]!) {
        tables++;
        const name = `${String(f.number).padStart(6, '0')}.ldb`;
        try {
          const it = cache.iterator(f.number, f.fileSize, { verifyChecksums: true, fillCache: false });
          try {
            let prev: Uint8Array | null = null;
            for (it.seekToFirst(); it.valid(); it.next()) {
              const k = it.key();
              if (prev !== null && icmp.compare(prev, k) >= 0)
                throw new CorruptionError('keys out of order', join(dir, name));
              prev = k.slice();
              tableEntries++;
            }
          } finally {
            it.close();
          }
        } catch (err) {
          damage(join(dir, name), err);
        }
        if (onProgress !== undefined) onProgress((done += f.fileSize), total);
      }
    }
  } finally {
    cache.close();
  }
  // 2b. Every value-log segment the version names: the magic and both checksums of every record.
  let segments = 0;
  let segmentRecords = 0;
  for (const n of [...versions.current.segments.keys()].sort((a, b) => a - b)) {
    segments++;
    const path = segmentFileName(dir, n);
    try {
      segmentRecords += scanSegment(fs, path, undefined, {
        size: versions.current.segments.get(n)!.size,
      }).records;
    } catch (err) {
      if (!(err instanceof ShaleError)) throw err;
      damage(path, err);
    }
  }
  // 3. The logs recovery would replay, oldest first; only the newest may end in a torn record.
  let logRecords = 0;
  for (const [i, n] of logs.entries()) {
    const path = logFileName(walDir, n);
    try {
      const file = fs.openRandomAccess(path);
      try {
        const isNewest = i === logs.length - 1;
        const r = readLogRecords(
          file,
          { mode: 'skipAnyCorruptedRecords', isNewest, fileName: path },
          (rec, off) => {
            logRecords++;
            try {
              iterateBatch(rec, { put: () => {}, delete: () => {}, pointer: () => {} }, undefined, path);
            } catch (err) {
              damage(path, err, off);
            }
          },
        );
        for (const [j, p] of r.problems.entries()) {
          const tolerated = isNewest && j === r.problems.length - 1 && p.kind === 'truncated';
          problems.push({ file: path, offset: p.offset, message: `${p.kind}: ${p.reason}`, tolerated });
        }
      } finally {
        file.close();
      }
    } catch (err) {
      if (!(err instanceof ShaleError)) throw err;
      damage(path, err);
    }
    if (onProgress !== undefined) onProgress((done += fileSizeOrZero(fs, path)), total);
  }
  return {
    ok: problems.every((p) => p.tolerated === true),
    manifest,
    tables,
    tableEntries,
    logs: logs.length,
    logRecords,
    segments,
    segmentRecords,
    problems,
  };
}

function fileSizeOrZero(fs: FileSystem, path: string): number {
  try {
    return fs.fileSize(path);
  } catch {
    return 0;
  }
}
