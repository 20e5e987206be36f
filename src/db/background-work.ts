/**
 * BackgroundWork: scheduling flushes and compactions on the job runner's two lanes, and applying their
 * results (LevelDB MaybeScheduleCompaction / BackgroundCompaction; Pebble's flush and compaction
 * scheduling). Jobs run on worker threads (or inline); only this main-thread code picks compactions,
 * logs the resulting edits to the MANIFEST and lets go of flushed memtables.
 */
import type { VersionSet } from '../version/version-set.js';
import { VersionEdit, newFileMetaData, type FileMetaData } from '../version/version-edit.js';
import { userKeyOf } from '../memtable/internal-key.js';
import type { Compaction } from '../compaction/compaction.js';
import { deeperLevels } from '../compaction/compaction.js';
import {
  compactRange as pickCompactRange,
  pickBottomCompaction,
  pickCompaction,
  pickLevelForMemTableOutput,
  type PickerOptions,
} from '../compaction/picker.js';
import type { CompactionJobResult, CompactionJobSpec, JobFile } from '../compaction/job.js';
import type { JobRunner } from '../compaction/job-runner.js';
import type { TableSettings } from '../compaction/table-settings.js';
import { BackgroundError, ShaleError } from '../util/errors.js';
import { valueLogSettings, type ResolvedOptions } from './options.js';
import type { SegmentInfo } from '../vlog/vlog-format.js';
import type { DBStatus } from './db-status.js';
import type { ImmutableMemTable, MemTables } from './memtables.js';
import type { LiveLog } from './live-log.js';
import type { SnapshotList } from './snapshot.js';
import type { LevelStats } from './level-stats.js';
import type { EngineMetrics } from './engine-metrics.js';
import type { ObsoleteFiles } from './obsolete-files.js';

/** ManualCompaction is one level's step of compactRange(), waiting for or running on the compaction lane. */
interface ManualCompaction {
  readonly level: number;
  /** bottom: rewrite `level` in place (the last step of compactRange) instead of merging it down. */
  readonly bottom: boolean;
  begin: Uint8Array | undefined;
  readonly end: Uint8Array | undefined;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** BackgroundWorkDeps: what the scheduler reads and changes. @internal */
export interface BackgroundWorkDeps {
  readonly location: string;
  readonly opts: ResolvedOptions;
  readonly versions: VersionSet;
  readonly memtables: MemTables;
  readonly log: LiveLog;
  readonly runner: JobRunner;
  readonly snapshots: SnapshotList;
  readonly stats: LevelStats;
  readonly metrics: EngineMetrics;
  readonly status: DBStatus;
  readonly tableSettings: TableSettings;
  readonly pickerOptions: PickerOptions;
}

/** BackgroundWork starts and finishes flushes and compactions. @internal */
export class BackgroundWork {
  private scheduling = false;
  private flushJob: { readonly number: number } | null = null;
  /** compactionJob.floor: every table numbered from here on may be an output of the running job. */
  private compactionJob: { readonly floor: number } | null = null;
  private readonly manualQueue: ManualCompaction[] = [];
  private progressWaiters: (() => void)[] = [];
  /** obsolete: set once, right after construction (it needs outputFloor from here). */
  obsolete!: ObsoleteFiles;
  /** onGarbage: called after a compaction that dropped value-log pointers (starts background GC). */
  onGarbage: (() => void) | undefined;

  constructor(private readonly d: BackgroundWorkDeps) {}

  /** outputFloor: tables numbered from here on may belong to the running compaction (Infinity: none). */
  outputFloor(): number {
    // A flush numbers its value-log segments after its table: protect them too while it runs.
    return Math.min(this.compactionJob?.floor ?? Infinity, this.flushJob?.number ?? Infinity);
  }

  /** busy is true while a job runs on either lane. */
  get busy(): boolean {
    return this.d.runner.busy('flush') || this.d.runner.busy('compaction');
  }

  /** progress resolves the next time a background job finishes (or fails), or close() begins. */
  progress(): Promise<void> {
    return new Promise((resolve) => this.progressWaiters.push(resolve));
  }

  /** notifyProgress wakes everyone waiting in progress(). */
  notifyProgress(): void {
    const waiters = this.progressWaiters;
    if (waiters.length === 0) return;
    this.progressWaiters = [];
    for (const w of waiters) w();
  }

  /** manual queues one level's step of compactRange() and resolves when it is done. */
  manual(
    level: number,
    bottom: boolean,
    begin: Uint8Array | undefined,
    end: Uint8Array | undefined,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.manualQueue.push({ level, bottom, begin, end, resolve, reject });
      this.maybeScheduleWork();
    });
  }

  /** rejectManual fails every queued manual compaction with `err` (close, failure). */
  rejectManual(err: Error): void {
    for (const m of this.manualQueue.splice(0)) m.reject(err);
  }

  /**
   * maybeScheduleWork starts what background work is due: the flush of the immutable memtable on the
   * flush lane; a manual compaction, else the most needed automatic one, on the compaction lane (trivial
   * moves are applied here at once). Inline jobs run to completion before this returns.
   */
  maybeScheduleWork(): void {
    if (this.scheduling || this.d.status.readOnly) return;
    this.scheduling = true;
    try {
      for (let progress = true; progress;) {
        progress = false;
        if (this.d.status.closing) return;
        if (this.d.status.bgError !== null) {
          this.rejectManual(this.d.status.bgError);
          return;
        }
        if (this.d.memtables.oldest !== null && this.flushJob === null) {
          this.startFlush(this.d.memtables.oldest);
          progress = true;
          continue;
        }
        if (this.compactionJob === null) progress = this.startCompaction();
      }
    } finally {
      this.scheduling = false;
    }
  }

  /**
   * startFlush starts the flush of `imm`. One flush runs at a time, oldest memtable first, and flushes
   * are recorded in that order: each edit says every log before its memtable's successor is obsolete.
   */
  private startFlush(imm: ImmutableMemTable): void {
    const d = this.d;
    const number = d.versions.newFileNumber();
    this.obsolete.pendingOutputs.add(number);
    this.flushJob = { number };
    const spec = {
      dir: d.location,
      number,
      memtable: imm.mem.share(),
      table: d.tableSettings,
      vlog: valueLogSettings(d.opts),
    };
    let returned = false;
    d.runner.flush(spec, (err, r) => {
      this.flushJob = null;
      const next = d.memtables.imms[1];
      // A flush that finished before runner.flush returned (run on this thread) starts nothing early:
      // the next one would run here too, and be recorded before this one.
      if (err === null && next !== undefined && returned && d.runner.kind === 'worker' && this.canStart()) {
        // The next memtable's flush starts before this one is recorded (the MANIFEST append and fsync
        // on this thread, and whatever the writer does next): the flush worker idled meanwhile, about
        // a tenth of fill100K. Its edit is still recorded after this one. (Inline jobs would run it
        // here, before this one is recorded.)
        this.startFlush(next);
      }
      // After a failure nothing more is recorded: a later flush's memtable is not the oldest then.
      if (err === null && d.status.bgError === null) {
        try {
          this.finishFlush(r!.file, r!.segments, r!.micros, imm.logNumber, imm.segments);
        } catch (e) {
          err = e instanceof ShaleError ? e : new BackgroundError(String(e), { cause: e });
        }
      }
      this.obsolete.pendingOutputs.delete(number);
      if (err !== null) d.status.setBackgroundError(err);
      this.notifyProgress();
      this.maybeScheduleWork();
    });
    returned = true;
  }

  /** canStart is true when new background work may start (open, writable, no failure). */
  private canStart(): boolean {
    const s = this.d.status;
    return !s.readOnly && !s.closing && s.bgError === null;
  }

  private finishFlush(
    meta: FileMetaData | null,
    segments: readonly SegmentInfo[],
    micros: number,
    logNumber: number,
    writeSegments: readonly SegmentInfo[],
  ): void {
    const d = this.d;
    const edit = new VersionEdit();
    let segmentBytes = 0;
    for (const sg of segments) {
      edit.addSegment(sg);
      segmentBytes += sg.size;
    }
    // Written by the writes themselves (counted as the user's bytes, like the WAL), not by the flush.
    for (const sg of writeSegments) edit.addSegment(sg);
    if (meta !== null) {
      // While a compaction runs, its inputs must not gain an overlapping neighbour below level 0.
      const level =
        this.compactionJob === null
          ? pickLevelForMemTableOutput(
              d.versions.current,
              userKeyOf(meta.smallest),
              userKeyOf(meta.largest),
              d.pickerOptions,
            )
          : 0;
      edit.addFile(level, meta);
      d.stats.add(level, { micros, bytesRead: 0, bytesWritten: meta.fileSize + segmentBytes });
    }
    d.metrics.flushed(meta?.fileSize ?? 0, micros);
    edit.logNumber = logNumber;
    edit.prevLogNumber = 0;
    d.versions.logAndApply(edit);
    // The flushed memtable's log is obsolete now: closed without the fsync it never needed.
    d.log.obsoleteBefore(logNumber);
    d.memtables.dropOldest();
    this.obsolete.deleteObsoleteFiles();
  }

  /** startCompaction starts the next compaction, if any; returns true if it applied or started one. */
  private startCompaction(): boolean {
    const d = this.d;
    const manual = this.manualQueue[0];
    let c: Compaction | null;
    if (manual !== undefined) {
      c = manual.bottom
        ? pickBottomCompaction(d.versions, manual.level, manual.begin, manual.end, d.pickerOptions)
        : pickCompactRange(d.versions, manual.level, manual.begin, manual.end, d.pickerOptions);
      if (c === null) {
        this.manualQueue.shift();
        manual.resolve();
        return true;
      }
    } else {
      c = pickCompaction(d.versions, d.pickerOptions);
      if (c === null) return false;
      if (c.isTrivialMove()) {
        const f = c.inputs[0][0]!;
        c.edit.deleteFile(c.level, f.number);
        c.edit.addFile(c.level + 1, f);
        d.versions.logAndApply(c.edit);
        d.stats.levels[c.level + 1]!.count++;
        d.metrics.trivialMoves++;
        return true;
      }
    }
    const floor = d.versions.nextFileNumber;
    const job: CompactionJobSpec = {
      dir: d.location,
      level: c.level,
      inputs: [c.inputs[0].map(jobFile), c.inputs[1].map(jobFile)],
      grandparents: c.grandparents.map(jobFile),
      deeperLevels: deeperLevels(c).map((l) => l.map(jobFile)),
      snapshots: d.snapshots.sequences(),
      maxOutputFileSize: d.opts.maxFileSize,
      maxGrandparentOverlapBytes: c.maxGrandparentOverlapBytes,
      isManual: manual !== undefined,
      vlog: valueLogSettings(d.opts),
      inlineValues: d.opts.valueLog?.mode === 'inline',
    };
    const filter =
      d.opts.compactionFilterFactory?.({ level: c.level, isManual: manual !== undefined }) ?? null;
    d.versions.ref(c.inputVersion);
    this.compactionJob = { floor };
    const compaction = c;
    d.runner.compact({ spec: job, table: d.tableSettings }, filter, (err, r) => {
      this.compactionJob = null;
      d.versions.unref(compaction.inputVersion);
      if (err === null) {
        try {
          this.finishCompaction(compaction, r!, manual);
        } catch (e) {
          err = e instanceof ShaleError ? e : new BackgroundError(String(e), { cause: e });
        }
      }
      if (err !== null) {
        d.status.setBackgroundError(err);
        this.rejectManual(err);
      }
      this.notifyProgress();
      this.maybeScheduleWork();
    });
    return true;
  }

  private finishCompaction(
    c: Compaction,
    r: CompactionJobResult,
    manual: ManualCompaction | undefined,
  ): void {
    const d = this.d;
    const edit = c.edit;
    c.addInputDeletions(edit);
    for (const o of r.outputs)
      edit.addFile(c.level + 1, newFileMetaData(o.number, o.fileSize, o.smallest, o.largest));
    for (const sg of r.segments) edit.addSegment(sg);
    edit.segmentGarbage.push(...r.garbage);
    d.versions.logAndApply(edit);
    if (r.garbage.length > 0) this.onGarbage?.();
    d.stats.add(c.level + 1, { micros: r.micros, bytesRead: r.bytesRead, bytesWritten: r.bytesWritten });
    d.metrics.compacted(c.level + 1, r.bytesRead, r.bytesWritten, r.micros);
    if (manual !== undefined && !manual.bottom && c.level > 0) {
      // Above level 0 a manual step takes about one file's worth; continue after what it took.
      const last = c.inputs[0][c.inputs[0].length - 1]!;
      const next = userKeyOf(last.largest);
      if (manual.end !== undefined && d.opts.comparator.compare(next, manual.end) >= 0) {
        this.manualQueue.shift();
        manual.resolve();
      } else {
        manual.begin = next;
      }
    } else if (manual !== undefined) {
      this.manualQueue.shift();
      manual.resolve();
    }
    this.obsolete.deleteObsoleteFiles();
  }
}

function jobFile(f: FileMetaData): JobFile {
  return { number: f.number, fileSize: f.fileSize, smallest: f.smallest, largest: f.largest };
}
