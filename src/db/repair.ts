/**
 * repairDB rebuilds a database whose MANIFEST or CURRENT is lost or damaged, from the tables and logs
 * that survive (LevelDB's RepairDB, done differently where that is safer):
 *  1. every WAL is replayed (skipping damaged records) into a table;
 *  2. every table is read in full with checksums verified; one that cannot be read is moved to `lost/`;
 *  3. the surviving tables are merged by one compaction into a fresh, non-overlapping run at level 1 —
 *     LevelDB instead lists them all at level 0, where a point lookup that trusts file numbers for
 *     recency can return an older version (a compaction output numbered after a newer level-0 file);
 *     merging by sequence number cannot;
 *  4. a new MANIFEST is written and CURRENT pointed at it (temp file, fsync, rename, directory fsync);
 *     old MANIFESTs and the replayed logs are moved to `lost/`. The merged inputs are left for the
 *     next open's obsolete-file collection.
 */
import { join } from 'node:path';
import type { FileSystem } from '../env/file-system.js';
import { NodeFileSystem } from '../env/node-fs.js';
import { InternalKeyComparator, sequenceOf } from '../memtable/internal-key.js';
import { MemTable } from '../memtable/memtable.js';
import { LogWriter } from '../wal/log-writer.js';
import { buildTable } from '../compaction/build-table.js';
import { runCompactionJob, type JobFile } from '../compaction/job.js';
import { TableInputIterator } from '../compaction/table-input-iterator.js';
import { tableBuilderOptions } from '../compaction/table-settings.js';
import { VersionEdit, newFileMetaData } from '../version/version-edit.js';
import { setCurrentFile } from '../version/version-set.js';
import { lockFileName, logFileName, manifestFileName, parseFileName } from '../version/file-names.js';
import { NotFoundError } from '../util/errors.js';
import { ensureZstd } from '../sstable/zstd.js';
import { resolveOptions, type Options } from './options.js';
import type { ProgressOptions } from './call-options.js';
import { replayLog } from './recovery.js';

/** RepairReport says what a repair kept, rebuilt and set aside. */
export interface RepairReport {
  /** tablesKept: tables read in full and merged into the repaired database. */
  readonly tablesKept: number;
  /** tablesLost: tables that could not be read, moved to lost/. */
  readonly tablesLost: number;
  /** logsConverted: write-ahead logs replayed into tables. */
  readonly logsConverted: number;
  /** entriesRecovered: entries (all versions) read from the surviving tables and logs. */
  readonly entriesRecovered: number;
  /** filesMovedToLost: names of the files moved to lost/. */
  readonly filesMovedToLost: string[];
}

/** repairDB repairs the database in `location`; see the module comment. Takes the LOCK while it works. */
export async function repairDB(
  location: string,
  options: Options & ProgressOptions = {},
): Promise<RepairReport> {
  const opts = resolveOptions(options);
  const fs: FileSystem = options.fs ?? new NodeFileSystem();
  if (!fs.exists(location)) throw new NotFoundError(`${location} does not exist`);
  await ensureZstd();
  const lock = await fs.lock(lockFileName(location));
  try {
    return repairLocked(fs, location, opts, options);
  } finally {
    lock.release();
  }
}

function repairLocked(
  fs: FileSystem,
  dir: string,
  opts: ReturnType<typeof resolveOptions>,
  options: Options & ProgressOptions,
): RepairReport {
  const icmp = new InternalKeyComparator(opts.comparator);
  const walDir = opts.walDir ?? dir;
  const lostDir = join(dir, 'lost');
  const moved: string[] = [];
  const moveToLost = (from: string, name: string): void => {
    fs.mkdir(lostDir);
    fs.rename(from, join(lostDir, name));
    moved.push(name);
  };

  let maxNumber = 1;
  const logs: number[] = [];
  const tables: number[] = [];
  const manifests: string[] = [];
  for (const name of fs.list(dir)) {
    const p = parseFileName(name);
    if (p === undefined) continue;
    if (p.number > maxNumber) maxNumber = p.number;
    if (p.type === 'log' && walDir === dir) logs.push(p.number);
    else if (p.type === 'table') tables.push(p.number);
    else if (p.type === 'manifest') manifests.push(name);
  }
  if (walDir !== dir && fs.exists(walDir)) {
    for (const name of fs.list(walDir)) {
      const p = parseFileName(name);
      if (p?.type !== 'log') continue;
      if (p.number > maxNumber) maxNumber = p.number;
      logs.push(p.number);
    }
  }
  let next = maxNumber + 1;
  const table = tableBuilderOptions(
    {
      blockSize: opts.blockSize,
      blockRestartInterval: opts.blockRestartInterval,
      compression: opts.compression,
      bloomBitsPerKey: opts.bloomBitsPerKey,
    },
    icmp,
  );

  // Progress in steps: each log, each table scanned, and the final merge (total grows as logs become tables).
  let done = 0;
  const progress = (): void => options.onProgress?.(done, logs.length + tables.length + 1);
  progress();
  // 1. Logs to tables. A log's damaged records are skipped; what replays is kept.
  logs.sort((a, b) => a - b);
  let maxSequence = 0;
  for (const n of logs) {
    const path = logFileName(walDir, n);
    let mem = new MemTable(icmp);
    const flush = (): void => {
      if (mem.count === 0) return;
      const number = next++;
      const iter = mem.iterator();
      try {
        if (buildTable(fs, dir, number, iter, table) !== null) tables.push(number);
      } finally {
        iter.close();
      }
      mem = new MemTable(icmp);
    };
    try {
      const r = replayLog(
        fs,
        path,
        { mode: 'skipAnyCorruptedRecords', isNewest: true, icmp },
        () => mem,
        flush,
        opts.writeBufferSize,
      );
      if (r.maxSequence > maxSequence) maxSequence = r.maxSequence;
    } catch {
      // An unreadable log keeps what was replayed before the failure.
    }
    flush();
    moveToLost(path, `${String(n).padStart(6, '0')}.log`);
    done++;
    progress();
  }
  if (tables.length > 0 || logs.length > 0) fs.syncDir(dir);

  // 2. Scan every table in full; set the unreadable ones aside.
  const good: JobFile[] = [];
  let entries = 0;
  for (const n of tables.sort((a, b) => a - b)) {
    const name = findTableName(fs, dir, n);
    const fileSize = fs.fileSize(join(dir, name));
    const it = new TableInputIterator(fs, dir, [{ number: n, fileSize }], icmp, true);
    let smallest: Uint8Array | null = null;
    let largest: Uint8Array | null = null;
    let count = 0;
    try {
      for (it.seekToFirst(); it.valid(); it.next()) {
        const k = it.key();
        if (smallest === null) smallest = k.slice();
        largest = k;
        const s = sequenceOf(k);
        if (s > maxSequence) maxSequence = s;
        count++;
      }
      if (largest !== null) largest = largest.slice();
      it.close();
    } catch {
      it.close();
      moveToLost(join(dir, name), name);
      done++;
      progress();
      continue;
    }
    entries += count;
    if (smallest !== null && largest !== null) good.push({ number: n, fileSize, smallest, largest });
    done++;
    progress();
  }

  // 3. Merge the survivors into one sorted run.
  const edit = new VersionEdit();
  edit.comparator = opts.comparator.name;
  edit.logNumber = 0;
  edit.prevLogNumber = 0;
  if (good.length > 0) {
    const result = runCompactionJob(
      {
        dir,
        level: 0,
        inputs: [good, []],
        grandparents: [],
        deeperLevels: [],
        snapshots: [],
        maxOutputFileSize: opts.maxFileSize,
        maxGrandparentOverlapBytes: 10 * opts.maxFileSize,
        isManual: true,
      },
      {
        fs,
        icmp,
        table,
        newFileNumber: () => next++,
        filter: options.compactionFilterFactory?.({ level: 0, isManual: true }) ?? null,
      },
    );
    for (const o of result.outputs)
      edit.addFile(1, newFileMetaData(o.number, o.fileSize, o.smallest, o.largest));
  }

  done++;
  progress();

  // 4. A fresh MANIFEST, then CURRENT.
  const manifestNumber = next++;
  edit.nextFileNumber = next;
  edit.lastSequence = maxSequence;
  const manifestPath = manifestFileName(dir, manifestNumber);
  const file = fs.createWritable(manifestPath);
  try {
    new LogWriter(file).addRecord(edit.encode());
    file.sync();
  } finally {
    file.close();
  }
  fs.syncDir(dir);
  setCurrentFile(fs, dir, manifestNumber);
  for (const name of manifests) moveToLost(join(dir, name), name);
  if (moved.length > 0) fs.syncDir(lostDir);
  return {
    tablesKept: good.length,
    tablesLost: tables.length - good.length,
    logsConverted: logs.length,
    entriesRecovered: entries,
    filesMovedToLost: moved,
  };
}

function findTableName(fs: FileSystem, dir: string, n: number): string {
  const ldb = `${String(n).padStart(6, '0')}.ldb`;
  return fs.exists(join(dir, ldb)) ? ldb : `${String(n).padStart(6, '0')}.sst`;
}
