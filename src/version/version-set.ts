/**
 * VersionSet: the current Version, the MANIFEST that records how it came to be, and the counters shared
 * by every file (LevelDB db/version_set.cc).
 *
 * Crash-safety order (docs/durability.md):
 * 1. tables named by an edit are written, fsynced and their directory fsynced by the caller first;
 * 2. the edit is appended to the MANIFEST and the MANIFEST fsynced;
 * 3. a new MANIFEST is fsynced, its directory fsynced, and only then named by CURRENT, which is
 *    replaced through a temp file, fsync, rename and a directory fsync;
 * 4. only after that may the caller delete files the new version no longer needs.
 */
import { dirname } from 'node:path';
import type { FileSystem, WritableFile } from '../env/file-system.js';
import { LogWriter } from '../wal/log-writer.js';
import { readLogRecords } from '../wal/recovery-mode.js';
import type { InternalKeyComparator } from '../memtable/internal-key.js';
import { CorruptionError, NotFoundError, InvalidArgumentError, IOError } from '../util/errors.js';
import { fromUtf8, utf8 } from '../util/bytes.js';
import {
  NUM_LEVELS,
  VersionEdit,
  type FileMetaData,
  type GcRunRecord,
  type SegmentMeta,
} from './version-edit.js';

/** GC_HISTORY_LENGTH: how many value-log garbage collection runs the MANIFEST remembers. */
export const GC_HISTORY_LENGTH = 20;
import { Version } from './version.js';
import { currentFileName, manifestFileName, tempFileName } from './file-names.js';

/** L0_COMPACTION_TRIGGER is the level-0 file count that makes level 0 need compaction (LevelDB: 4). */
export const L0_COMPACTION_TRIGGER = 4;

/** maxBytesForLevel returns the size budget of `level` >= 1: 10 MiB x 10^(level-1) (LevelDB). */
export function maxBytesForLevel(level: number, base = 10 * 1048576): number {
  let result = base;
  for (let l = level; l > 1; l--) result *= 10;
  return result;
}

/** VersionSetOptions configure a VersionSet. */
export interface VersionSetOptions {
  /** maxManifestFileSize: past this size the next edit starts a new MANIFEST. */
  readonly maxManifestFileSize: number;
  /** level1MaxBytes is the budget of level 1 (LevelDB: 10 MiB); deeper levels get 10x each. */
  readonly level1MaxBytes: number;
  readonly l0CompactionTrigger: number;
}

/** allocateFileNumber takes the next number from a shared file counter (any thread). */
export function allocateFileNumber(counter: BigInt64Array): number {
  return Number(Atomics.add(counter, 0, 1n));
}

/** VersionSet owns the chain of versions and the MANIFEST. Main thread only. */
export class VersionSet {
  /**
   * fileCounter holds the next file number in shared memory, so the background worker can number its
   * output tables without a round trip to the main thread (Atomics keep both sides consistent).
   */
  readonly fileCounter = new BigInt64Array(new SharedArrayBuffer(8));
  manifestFileNumber = 0;
  lastSequence = 0;
  logNumber = 0;
  prevLogNumber = 0;
  /** compactPointers[level] is the key where the next compaction of `level` starts (round robin). */
  readonly compactPointers: (Uint8Array | undefined)[] = new Array(NUM_LEVELS).fill(undefined);
  current: Version;
  /** gcHistory: the last value-log garbage collection runs, oldest first (persisted in the MANIFEST). */
  readonly gcHistory: GcRunRecord[] = [];
  /**
   * activeSegments: value-log segments written at write time that no table points into yet (tag 104):
   * WAL records and memtables may. Kept from deletion like live segments; recovery checks the WAL's
   * pointers against them. A flush's NEW_SEGMENT (or a DELETED_SEGMENT) ends a segment's entry.
   */
  readonly activeSegments = new Set<number>();
  private readonly live = new Set<Version>();
  private descriptorFile: WritableFile | null = null;
  private descriptorLog: LogWriter | null = null;

  constructor(
    private readonly fs: FileSystem,
    readonly dir: string,
    readonly icmp: InternalKeyComparator,
    private readonly options: VersionSetOptions,
  ) {
    this.nextFileNumber = 2;
    this.current = new Version(icmp, emptyLevels());
    this.ref(this.current);
  }

  /** nextFileNumber is the number the next allocation returns. */
  get nextFileNumber(): number {
    return Number(Atomics.load(this.fileCounter, 0));
  }

  set nextFileNumber(n: number) {
    Atomics.store(this.fileCounter, 0, BigInt(n));
  }

  /** newFileNumber allocates the next number from the shared counter. */
  newFileNumber(): number {
    return allocateFileNumber(this.fileCounter);
  }

  /** markFileNumberUsed makes sure `n` is never allocated again. */
  markFileNumberUsed(n: number): void {
    const want = BigInt(n + 1);
    for (;;) {
      const cur = Atomics.load(this.fileCounter, 0);
      if (cur >= want || Atomics.compareExchange(this.fileCounter, 0, cur, want) === cur) return;
    }
  }

  /** reuseFileNumber gives back `n` if it was the last number allocated (LevelDB ReuseFileNumber). */
  reuseFileNumber(n: number): void {
    Atomics.compareExchange(this.fileCounter, 0, BigInt(n + 1), BigInt(n));
  }

  ref(v: Version): void {
    v.refs++;
    this.live.add(v);
  }

  /**
   * unref drops a pin; returns true when that released a version that is no longer current (its files
   * may now be obsolete), false otherwise.
   */
  unref(v: Version): boolean {
    if (--v.refs !== 0) return false;
    this.live.delete(v);
    return v !== this.current;
  }

  /** liveFiles returns the numbers of every table in a version that is current or still pinned. */
  liveFiles(): Set<number> {
    const out = new Set<number>();
    for (const v of this.live) for (const level of v.files) for (const f of level) out.add(f.number);
    return out;
  }

  /** liveSegments returns the numbers of every value-log segment a current or pinned version names. */
  liveSegments(): Set<number> {
    const out = new Set<number>();
    for (const v of this.live) for (const n of v.segments.keys()) out.add(n);
    for (const n of this.activeSegments) out.add(n);
    return out;
  }

  /** numLevelFiles returns the number of files at `level` in the current version. */
  numLevelFiles(level: number): number {
    return this.current.numFiles(level);
  }

  /**
   * create writes the MANIFEST of a new, empty database (MANIFEST-000001) and points CURRENT at it,
   * as LevelDB's NewDB does.
   */
  static createNew(fs: FileSystem, dir: string, comparatorName: string): void {
    const edit = new VersionEdit();
    edit.comparator = comparatorName;
    edit.logNumber = 0;
    edit.nextFileNumber = 2;
    edit.lastSequence = 0;
    const path = manifestFileName(dir, 1);
    const file = fs.createWritable(path);
    try {
      const log = new LogWriter(file);
      log.addRecord(edit.encode());
      file.sync();
      file.close();
    } catch (err) {
      closeQuietly(file);
      removeQuietly(fs, path);
      throw err;
    }
    fs.syncDir(dir);
    setCurrentFile(fs, dir, 1);
  }

  /**
   * recover reads CURRENT and replays the MANIFEST it names. Returns the name of that MANIFEST.
   * A torn last record is ignored (the edit never took effect); any other damage is Corruption.
   */
  recover(): string {
    const currentPath = currentFileName(this.dir);
    let text: string;
    try {
      text = fromUtf8(this.fs.readFile(currentPath));
    } catch (err) {
      if (err instanceof IOError && err.errno === 'ENOENT')
        throw new NotFoundError(`${currentPath} does not exist`);
      throw err;
    }
    if (text.length === 0 || !text.endsWith('\n')) {
      throw new CorruptionError('CURRENT file does not end with a newline', currentPath, 0);
    }
    const name = text.slice(0, -1);
    const m = /^MANIFEST-(\d+)$/.exec(name);
    if (!m) throw new CorruptionError(`CURRENT names '${name}', not a MANIFEST`, currentPath, 0);
    const manifestPath = manifestFileName(this.dir, Number(m[1]));
    if (!this.fs.exists(manifestPath)) {
      throw new CorruptionError(`CURRENT points to a missing MANIFEST ${name}`, currentPath, 0);
    }

    const builder = new VersionBuilder(this.icmp, this.current);
    let haveLogNumber = false;
    let haveNextFile = false;
    let haveLastSequence = false;
    let logNumber = 0;
    let prevLogNumber = 0;
    let nextFile = 0;
    let lastSequence = 0;
    const file = this.fs.openRandomAccess(manifestPath);
    try {
      readLogRecords(
        file,
        { mode: 'tolerateCorruptedTailRecords', isNewest: true, fileName: manifestPath },
        (record) => {
          const edit = VersionEdit.decode(record, manifestPath);
          if (edit.comparator !== undefined && edit.comparator !== this.icmp.user.name) {
            throw new InvalidArgumentError(
              `comparator '${this.icmp.user.name}' does not match the database's comparator '${edit.comparator}'`,
            );
          }
          builder.apply(edit, this.compactPointers);
          this.rememberGcRuns(edit);
          this.rememberActiveSegments(edit);
          if (edit.logNumber !== undefined) {
            logNumber = edit.logNumber;
            haveLogNumber = true;
          }
          if (edit.prevLogNumber !== undefined) prevLogNumber = edit.prevLogNumber;
          if (edit.nextFileNumber !== undefined) {
            nextFile = edit.nextFileNumber;
            haveNextFile = true;
          }
          if (edit.lastSequence !== undefined) {
            lastSequence = edit.lastSequence;
            haveLastSequence = true;
          }
        },
      );
    } finally {
      file.close();
    }
    if (!haveNextFile) throw new CorruptionError('no next-file entry in the MANIFEST', manifestPath);
    if (!haveLogNumber) throw new CorruptionError('no log-number entry in the MANIFEST', manifestPath);
    if (!haveLastSequence) throw new CorruptionError('no last-sequence entry in the MANIFEST', manifestPath);

    const v = builder.build();
    this.finalize(v);
    this.install(v);
    this.manifestFileNumber = Number(m[1]);
    this.nextFileNumber = nextFile;
    this.markFileNumberUsed(prevLogNumber);
    this.markFileNumberUsed(logNumber);
    this.lastSequence = lastSequence;
    this.logNumber = logNumber;
    this.prevLogNumber = prevLogNumber;
    return name;
  }

  /**
   * adopt makes the state `other` recovered (its current version, log numbers, last sequence) this set's
   * own, keeping versions still pinned here alive (a secondary instance catching up with its primary).
   * Requires: this set has no MANIFEST open for writing.
   */
  adopt(other: VersionSet): void {
    const v = other.current;
    other.unref(v);
    this.install(v);
    this.manifestFileNumber = other.manifestFileNumber;
    this.logNumber = other.logNumber;
    this.prevLogNumber = other.prevLogNumber;
    this.activeSegments.clear();
    for (const n of other.activeSegments) this.activeSegments.add(n);
    if (other.lastSequence > this.lastSequence) this.lastSequence = other.lastSequence;
    this.markFileNumberUsed(other.nextFileNumber - 1);
    for (let level = 0; level < NUM_LEVELS; level++)
      this.compactPointers[level] = other.compactPointers[level];
  }

  /**
   * logAndApply records `edit` in the MANIFEST (starting a new MANIFEST when there is none open or the
   * current one is too large) and makes the resulting version current.
   * Requires: the tables the edit adds are durable. On error the current version is unchanged and the
   * caller must treat the database as failed (the MANIFEST may or may not hold the edit).
   */
  logAndApply(edit: VersionEdit): void {
    if (edit.logNumber === undefined) edit.logNumber = this.logNumber;
    if (edit.prevLogNumber === undefined) edit.prevLogNumber = this.prevLogNumber;
    const builder = new VersionBuilder(this.icmp, this.current);
    builder.apply(edit, this.compactPointers);
    const v = builder.build();
    this.finalize(v);

    let createdPath: string | null = null;
    let newFile: WritableFile | null = null;
    let newLog: LogWriter | null = null;
    // Once CURRENT may name the new MANIFEST (the rename was attempted), that MANIFEST must outlive any
    // failure: deleting it would leave CURRENT naming a missing file and the database unopenable.
    let currentMayNameNew = false;
    try {
      if (this.descriptorLog === null || this.descriptorLog.size >= this.options.maxManifestFileSize) {
        const number = this.newFileNumber();
        createdPath = manifestFileName(this.dir, number);
        newFile = this.fs.createWritable(createdPath);
        newLog = new LogWriter(newFile);
        edit.nextFileNumber = this.nextFileNumber;
        edit.lastSequence = this.lastSequence;
        newLog.addRecord(this.snapshotEdit().encode());
        newLog.addRecord(edit.encode());
        newFile.sync();
        this.fs.syncDir(this.dir);
        const tmp = writeCurrentTemp(this.fs, this.dir, number);
        currentMayNameNew = true;
        installCurrent(this.fs, this.dir, tmp);
        this.descriptorFile?.close();
        this.descriptorFile = newFile;
        this.descriptorLog = newLog;
        this.manifestFileNumber = number;
      } else {
        edit.nextFileNumber = this.nextFileNumber;
        edit.lastSequence = this.lastSequence;
        this.descriptorLog.addRecord(edit.encode());
        this.descriptorLog.sync();
      }
    } catch (err) {
      if (newFile !== null) {
        closeQuietly(newFile);
        if (createdPath !== null && !currentMayNameNew) removeQuietly(this.fs, createdPath);
      } else {
        // The old MANIFEST may now end in a partial record: never append to it again.
        closeQuietly(this.descriptorFile);
        this.descriptorFile = null;
        this.descriptorLog = null;
      }
      throw err;
    }
    this.install(v);
    this.rememberGcRuns(edit);
    this.rememberActiveSegments(edit);
    this.logNumber = edit.logNumber;
    this.prevLogNumber = edit.prevLogNumber;
  }

  private rememberActiveSegments(edit: VersionEdit): void {
    for (const n of edit.activeSegments) this.activeSegments.add(n);
    for (const s of edit.newSegments) this.activeSegments.delete(s.number);
    for (const n of edit.deletedSegments) this.activeSegments.delete(n);
  }

  private rememberGcRuns(edit: VersionEdit): void {
    if (edit.gcRuns.length === 0) return;
    this.gcHistory.push(...edit.gcRuns);
    if (this.gcHistory.length > GC_HISTORY_LENGTH)
      this.gcHistory.splice(0, this.gcHistory.length - GC_HISTORY_LENGTH);
  }

  /**
   * startNewManifest makes the next logAndApply write a new MANIFEST (a snapshot of the current state)
   * instead of appending to this one, and forgets the GC history: a database migrated back from the
   * value log then has no record LevelDB cannot read.
   */
  startNewManifest(): void {
    this.gcHistory.length = 0;
    closeQuietly(this.descriptorFile);
    this.descriptorFile = null;
    this.descriptorLog = null;
  }

  /** close closes the MANIFEST. */
  close(): void {
    closeQuietly(this.descriptorFile);
    this.descriptorFile = null;
    this.descriptorLog = null;
  }

  /** manifestSize is the size of the open MANIFEST (0 when none is open yet). */
  get manifestSize(): number {
    return this.descriptorLog?.size ?? 0;
  }

  private install(v: Version): void {
    const old = this.current;
    this.current = v;
    this.ref(v);
    this.unref(old);
  }

  /** snapshotEdit describes the whole current state, the first record of a new MANIFEST. */
  private snapshotEdit(): VersionEdit {
    const edit = new VersionEdit();
    edit.comparator = this.icmp.user.name;
    for (let level = 0; level < NUM_LEVELS; level++) {
      const p = this.compactPointers[level];
      if (p !== undefined) edit.compactPointers.push([level, p]);
      for (const f of this.current.files[level]!) edit.addFile(level, f);
    }
    for (const seg of this.current.segments.values()) edit.addSegment(seg);
    edit.activeSegments.push(...this.activeSegments);
    edit.gcRuns.push(...this.gcHistory);
    return edit;
  }

  /** finalize computes which level most needs compaction (LevelDB VersionSet::Finalize). */
  private finalize(v: Version): void {
    let bestLevel = -1;
    let bestScore = -1;
    for (let level = 0; level < NUM_LEVELS - 1; level++) {
      const score =
        level === 0
          ? v.numFiles(0) / this.options.l0CompactionTrigger
          : v.levelBytes(level) / maxBytesForLevel(level, this.options.level1MaxBytes);
      if (score > bestScore) {
        bestLevel = level;
        bestScore = score;
      }
    }
    v.compactionLevel = bestLevel;
    v.compactionScore = bestScore;
  }
}

/** VersionBuilder applies a sequence of edits to a base version (LevelDB VersionSet::Builder). */
class VersionBuilder {
  private readonly deleted: Set<number>[] = [];
  private readonly added: FileMetaData[][] = [];
  private readonly segments: Map<number, SegmentMeta>;

  constructor(
    private readonly icmp: InternalKeyComparator,
    private readonly base: Version,
  ) {
    this.segments = new Map(base.segments);
    for (let level = 0; level < NUM_LEVELS; level++) {
      this.deleted.push(new Set());
      this.added.push([]);
    }
  }

  apply(edit: VersionEdit, compactPointers: (Uint8Array | undefined)[]): void {
    for (const [level, key] of edit.compactPointers) compactPointers[level] = key;
    for (const [level, number] of edit.deletedFileList()) {
      this.deleted[level]!.add(number);
      this.added[level] = this.added[level]!.filter((f) => f.number !== number);
    }
    for (const [level, f] of edit.newFiles) {
      this.deleted[level]!.delete(f.number);
      this.added[level]!.push(f);
    }
    for (const n of edit.deletedSegments) this.segments.delete(n);
    for (const seg of edit.newSegments) this.segments.set(seg.number, seg);
    for (const g of edit.segmentGarbage) {
      // A segment already dropped may still be named by a compaction that read an old version.
      const seg = this.segments.get(g.number);
      if (seg === undefined) continue;
      this.segments.set(g.number, {
        ...seg,
        garbageRecords: Math.min(seg.records, seg.garbageRecords + g.records),
        garbageBytes: Math.min(seg.valueBytes, seg.garbageBytes + g.bytes),
      });
    }
  }

  build(): Version {
    const levels: FileMetaData[][] = [];
    for (let level = 0; level < NUM_LEVELS; level++) {
      const del = this.deleted[level]!;
      const files = this.base.files[level]!.filter((f) => !del.has(f.number));
      const seen = new Set(files.map((f) => f.number));
      for (const f of this.added[level]!) if (!seen.has(f.number)) files.push(f);
      files.sort((a, b) => this.icmp.compare(a.smallest, b.smallest) || a.number - b.number);
      if (level > 0) {
        for (let i = 1; i < files.length; i++) {
          if (this.icmp.compare(files[i - 1]!.largest, files[i]!.smallest) >= 0) {
            throw new CorruptionError(
              `overlapping tables ${files[i - 1]!.number} and ${files[i]!.number} at level ${level}`,
            );
          }
        }
      }
      levels.push(files);
    }
    return new Version(this.icmp, levels, this.segments);
  }
}

function emptyLevels(): FileMetaData[][] {
  return Array.from({ length: NUM_LEVELS }, () => []);
}

/**
 * setCurrentFile points CURRENT at MANIFEST-`number` through a temp file: write, fsync, rename, then
 * fsync the directory so the rename itself is durable.
 */
export function setCurrentFile(fs: FileSystem, dir: string, number: number): void {
  installCurrent(fs, dir, writeCurrentTemp(fs, dir, number));
}

/**
 * writeCurrentTemp writes and fsyncs the temp file that will become CURRENT; returns its path. On error
 * the temp file is removed and CURRENT is untouched.
 */
function writeCurrentTemp(fs: FileSystem, dir: string, number: number): string {
  const tmp = tempFileName(dir, number);
  const name = manifestFileName(dir, number);
  const contents = utf8(name.slice(dirname(name).length + 1) + '\n');
  const file = fs.createWritable(tmp);
  try {
    file.append(contents);
    file.sync();
    file.close();
  } catch (err) {
    closeQuietly(file);
    removeQuietly(fs, tmp);
    throw err;
  }
  return tmp;
}

/**
 * installCurrent renames `tmp` over CURRENT and fsyncs the directory. If it throws, CURRENT may name
 * either MANIFEST (a rename that failed may still have happened; an unsynced one may or may not survive
 * a crash), so the caller must keep both.
 */
function installCurrent(fs: FileSystem, dir: string, tmp: string): void {
  try {
    fs.rename(tmp, currentFileName(dir));
  } catch (err) {
    removeQuietly(fs, tmp);
    throw err;
  }
  fs.syncDir(dir);
}

function closeQuietly(file: WritableFile | null): void {
  try {
    file?.close();
  } catch {
    // already failing; the first error is the one that matters
  }
}

function removeQuietly(fs: FileSystem, path: string): void {
  try {
    fs.remove(path);
  } catch {
    // best effort cleanup
  }
}
