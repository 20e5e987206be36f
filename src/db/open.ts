/**
 * Opening a database: what LevelDB's DBImpl::Recover does. CURRENT names the MANIFEST to replay; every
 * table the resulting version names must exist; the logs at or after its log number are replayed into
 * the memtable (flushed to level-0 tables when it fills); then a new log is started (or, with reuseLogs,
 * the last one is appended to) and the edit recording all that is logged to the MANIFEST. A read-only
 * open stops after the replay: it writes and deletes nothing.
 */
import { join } from 'node:path';
import type { FileSystem } from '../env/file-system.js';
import type { MemTable } from '../memtable/memtable.js';
import type { InternalKeyComparator } from '../memtable/internal-key.js';
import type { TableBuilderOptions } from '../sstable/table-builder.js';
import { VersionSet } from '../version/version-set.js';
import { VersionEdit, type FileMetaData } from '../version/version-edit.js';
import { currentFileName, logFileName, parseFileName, tableFileName } from '../version/file-names.js';
import { buildTable } from '../compaction/build-table.js';
import { CorruptionError, InvalidArgumentError, NotFoundError, NotSupportedError } from '../util/errors.js';
import { valueLogSettings, type ResolvedOptions } from './options.js';
import { ValueSeparator } from '../vlog/value-separator.js';
import { segmentFileName } from '../vlog/vlog-format.js';
import { scanSegment, type SegmentSummary } from '../vlog/segment-scanner.js';
import { decodePointer, type ValuePointer } from '../vlog/value-pointer.js';
import type { MemTables } from './memtables.js';
import type { LiveLog } from './live-log.js';
import type { ObsoleteFiles } from './obsolete-files.js';
import { replayLog } from './recovery.js';
import { readLogStart } from './log-chain.js';

/** RecoveryContext: the parts of a database that recovery fills in. @internal */
export interface RecoveryContext {
  readonly fs: FileSystem;
  readonly location: string;
  readonly walDir: string;
  readonly opts: ResolvedOptions;
  readonly icmp: InternalKeyComparator;
  readonly versions: VersionSet;
  readonly memtables: MemTables;
  readonly log: LiveLog;
  readonly obsolete: ObsoleteFiles;
  readonly tableBuilderOptions: TableBuilderOptions;
}

/** recoverDatabase brings the database to its last consistent state (LevelDB DBImpl::Recover). */
export function recoverDatabase(r: RecoveryContext): void {
  const fs = r.fs;
  const dir = r.location;
  const readOnly = r.opts.readOnly;
  if (readOnly && !fs.exists(currentFileName(dir)))
    throw new NotFoundError(
      `${dir} does not exist (a read-only open creates nothing): it holds no CURRENT file`,
    );
  if (!fs.exists(currentFileName(dir))) {
    const leftovers = fs.list(dir).filter((n) => {
      const p = parseFileName(n);
      return p !== undefined && (p.type === 'manifest' || p.type === 'table' || p.type === 'log');
    });
    // Only MANIFESTs and no log or table: a creation cut short before CURRENT was written. Nothing
    // was ever written to such a database, so it is created afresh.
    const walLogs =
      r.walDir !== dir && fs.exists(r.walDir)
        ? fs.list(r.walDir).filter((n) => parseFileName(n)?.type === 'log')
        : [];
    if (
      leftovers.length > 0 &&
      walLogs.length === 0 &&
      leftovers.every((n) => parseFileName(n)!.type === 'manifest')
    ) {
      for (const n of leftovers) fs.remove(join(dir, n));
      leftovers.length = 0;
    }
    if (leftovers.length > 0) {
      throw new CorruptionError(
        `CURRENT is missing but database files remain (${leftovers.slice(0, 3).join(', ')}); run DB.repair`,
        currentFileName(dir),
      );
    }
    if (!r.opts.createIfMissing)
      throw new NotFoundError(`${dir} does not exist (createIfMissing is false): it holds no CURRENT file`);
    VersionSet.createNew(fs, dir, r.opts.comparator.name);
  } else if (r.opts.errorIfExists) {
    throw new InvalidArgumentError(`${dir} already exists and holds a database (errorIfExists is true)`);
  }
  const versions = r.versions;
  versions.recover();
  const segments = versions.current.segments;
  if (segments.size > 0 && r.opts.valueLog === null) throw needsValueLog(dir, segments.size);

  // Every table the version names must exist; collect the logs to replay.
  const expected = versions.liveFiles();
  const expectedSegments = new Set(segments.keys());
  const logs: number[] = [];
  for (const name of fs.list(dir)) {
    const p = parseFileName(name);
    if (p === undefined) continue;
    versions.markFileNumberUsed(p.number);
    if (p.type === 'table') expected.delete(p.number);
    else if (p.type === 'segment') expectedSegments.delete(p.number);
    else if (p.type === 'log' && r.walDir === dir) collectLog(p.number);
  }
  if (r.walDir !== dir) {
    for (const name of fs.list(r.walDir)) {
      const p = parseFileName(name);
      if (p === undefined || p.type !== 'log') continue;
      versions.markFileNumberUsed(p.number);
      collectLog(p.number);
    }
  }
  function collectLog(n: number): void {
    if (n >= versions.logNumber || n === versions.prevLogNumber) logs.push(n);
  }
  if (expected.size > 0) {
    const first = [...expected][0]!;
    throw new CorruptionError(
      `${expected.size} table file(s) missing, e.g. ${tableFileName(dir, first)}`,
      tableFileName(dir, first),
    );
  }
  if (expectedSegments.size > 0) {
    const path = segmentFileName(dir, [...expectedSegments][0]!);
    throw new CorruptionError(`${expectedSegments.size} value-log segment(s) missing, e.g. ${path}`, path);
  }
  logs.sort((a, b) => a - b);

  const edit = new VersionEdit();
  const active = new ActiveSegmentCheck(fs, dir, versions.activeSegments);
  let maxSequence = versions.lastSequence;
  let flushedDuringReplay = false;
  let lastLogClean = false;
  let lastLogEnd = 0;
  const flushMem = (): void => {
    // A read-only open writes no table: the replayed logs stay in one memtable.
    if (readOnly || r.memtables.mem.count === 0) return;
    const meta = writeLevel0Table(r, r.memtables.mem, edit);
    if (meta !== null) edit.addFile(0, meta);
    r.memtables.mem = r.memtables.newMemTable();
    flushedDuringReplay = true;
  };
  // A memtable switch does not fsync the old log; what each log's start says about the one before it
  // (log-chain.ts) tells whether that log may end short.
  const mode = r.opts.walRecoveryMode;
  const starts = logs.map((n, i) =>
    i === 0 || mode === 'skipAnyCorruptedRecords' ? null : readLogStart(fs, logFileName(r.walDir, n)),
  );
  for (let i = 0; i < logs.length; i++) {
    flushedDuringReplay = false;
    const path = logFileName(r.walDir, logs[i]!);
    const next = starts[i + 1] ?? null;
    // Only a log that nothing later depends on may end in a torn record: the newest, one followed by a
    // chain marker (its fsync was not awaited), or one followed by a log that holds nothing (its marker
    // was lost with the tail of this one; a later log either starts with a marker that the empty log
    // falls short of, or was started when every earlier log was on disk).
    const mayEndShort = i === logs.length - 1 || next?.kind === 'marker' || next?.kind === 'empty';
    const replayed = replayLog(
      fs,
      path,
      { mode, isNewest: mayEndShort, icmp: r.icmp },
      () => r.memtables.mem,
      flushMem,
      r.opts.writeBufferSize,
      active.check,
    );
    if (replayed.maxSequence > maxSequence) maxSequence = replayed.maxSequence;
    lastLogClean = replayed.clean && i === logs.length - 1;
    lastLogEnd = replayed.endOffset;
    if (replayed.stop) break;
    if (next?.kind === 'marker' && replayed.maxSequence < next.lastSequence) {
      // This log lost writes that the next one follows: the later logs are not part of a prefix.
      if (mode === 'absoluteConsistency')
        throw new CorruptionError(
          `log ends at sequence ${replayed.maxSequence}, before ${next.lastSequence} where the next log starts`,
          path,
        );
      break;
    }
  }
  // Segments written at write time that the replayed log points into hold values found nowhere else.
  if (active.referencedCount > 0 && r.opts.valueLog === null)
    throw needsValueLog(dir, active.referencedCount);
  versions.lastSequence = maxSequence;
  if (readOnly) {
    // No new log, no MANIFEST edit, no deletion: the files stay exactly as the writer left them.
    r.memtables.opened(versions.lastSequence);
    return;
  }

  // Reuse the last log only if it was read cleanly, nothing of it was flushed already, and it is the
  // only log: the memtable then holds exactly its writes (older logs replayed into it would be deleted
  // as obsolete while their writes are only in memory).
  const lastLog = logs.length > 0 ? logs[logs.length - 1]! : -1;
  // Write-time separation's open segments are finished here, so a log pointing into one is not reused.
  let reused = false;
  if (
    r.opts.reuseLogs &&
    logs.length === 1 &&
    lastLogClean &&
    !flushedDuringReplay &&
    versions.activeSegments.size === 0
  ) {
    const file = fs.openAppendable(logFileName(r.walDir, lastLog));
    // Records go where the last one ends: past it there may be zero-filled space, which only a file
    // with positioned writes can reuse.
    if (file.size === lastLogEnd || (file.writeAt !== undefined && file.truncate !== undefined)) {
      r.log.attach(file, lastLog, lastLogEnd);
      edit.logNumber = lastLog;
      edit.prevLogNumber = 0;
      versions.logAndApply(edit);
      reused = true;
    } else file.close();
  }
  if (!reused) {
    flushMem();
    // The replayed pointers are in tables now: their segments join the version (up to the valid prefix
    // found, the rest counted as garbage); the segments no record pointed into are dropped.
    active.finish(edit);
    if (edit.newFiles.length > 0 || edit.newSegments.length > 0) fs.syncDir(dir);
    // Record the new log's number before the log exists: from that edit on, the replayed logs are
    // obsolete, so a crash in between never leaves an older log with a torn tail next to a newer one.
    const number = versions.newFileNumber();
    edit.logNumber = number;
    edit.prevLogNumber = 0;
    versions.logAndApply(edit);
    const file = fs.createWritable(logFileName(r.walDir, number));
    r.log.attach(file, number);
    fs.syncDir(r.walDir);
  }
  r.memtables.opened(versions.lastSequence);
  r.obsolete.deleteObsoleteFiles();
}

function needsValueLog(dir: string, n: number): NotSupportedError {
  return new NotSupportedError(
    `${dir} holds ${n} value-log segment(s) (values stored apart from the tables); ` +
      'open it with the valueLog option',
  );
}

/** writeLevel0Table writes a memtable to a new level-0 table during recovery. */
function writeLevel0Table(r: RecoveryContext, mem: MemTable, edit: VersionEdit): FileMetaData | null {
  const number = r.versions.newFileNumber();
  r.obsolete.pendingOutputs.add(number);
  try {
    const iter = mem.iterator();
    const vlog = valueLogSettings(r.opts);
    const sep =
      vlog === null ? null : new ValueSeparator(r.fs, r.location, vlog, () => r.versions.newFileNumber());
    try {
      const meta = buildTable(r.fs, r.location, number, iter, r.tableBuilderOptions, sep);
      for (const sg of sep?.finish() ?? []) edit.addSegment(sg);
      return meta;
    } catch (err) {
      sep?.abandon();
      throw err;
    } finally {
      iter.close();
    }
  } finally {
    r.obsolete.pendingOutputs.delete(number);
  }
}

/**
 * ActiveSegmentCheck validates the value pointers of replayed WAL records against the segments
 * write-time separation was appending to (MANIFEST tag 104). A segment's valid prefix is the longest
 * run of records from its start whose checksums hold; a pointer is valid iff it locates the value of a
 * record in that prefix, with the same CRC. A missing segment has an empty prefix.
 */
class ActiveSegmentCheck {
  private readonly scanned = new Map<number, { summary: SegmentSummary; values: Map<number, number> }>();
  /** referenced: per segment, the distinct values replayed records point to (offset -> stored length). */
  private readonly referenced = new Map<number, Map<number, number>>();

  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private readonly active: ReadonlySet<number>,
  ) {}

  readonly check = (ptr: Uint8Array): boolean => {
    let p: ValuePointer;
    try {
      p = decodePointer(ptr);
    } catch {
      return false;
    }
    if (!this.active.has(p.segment)) return false;
    const seg = this.scan(p.segment);
    if (seg.values.get(p.offset) !== p.crc) return false;
    let refs = this.referenced.get(p.segment);
    if (refs === undefined) this.referenced.set(p.segment, (refs = new Map()));
    refs.set(p.offset, p.length);
    return true;
  };

  /** referencedCount: how many segments replayed records point into. */
  get referencedCount(): number {
    return this.referenced.size;
  }

  /** finish adds the referenced segments to `edit` and drops the others. */
  finish(edit: VersionEdit): void {
    for (const n of this.active) {
      const refs = this.referenced.get(n);
      if (refs === undefined) {
        edit.deletedSegments.add(n);
        continue;
      }
      const { summary } = this.scan(n);
      let liveBytes = 0;
      for (const len of refs.values()) liveBytes += len;
      edit.addSegment({
        number: n,
        size: summary.size,
        records: summary.records,
        valueBytes: summary.valueBytes,
        // Records whose WAL record was lost (a torn log tail) are never pointed to: garbage now.
        garbageRecords: summary.records - refs.size,
        garbageBytes: summary.valueBytes - liveBytes,
      });
    }
  }

  private scan(n: number): { summary: SegmentSummary; values: Map<number, number> } {
    let s = this.scanned.get(n);
    if (s !== undefined) return s;
    const values = new Map<number, number>();
    const path = segmentFileName(this.dir, n);
    const summary = this.fs.exists(path)
      ? scanSegment(this.fs, path, (rec) => void values.set(rec.valueOffset, rec.valueCrc), {
          tolerateTail: true,
        })
      : { size: 0, records: 0, valueBytes: 0 };
    s = { summary, values };
    this.scanned.set(n, s);
    return s;
  }
}
