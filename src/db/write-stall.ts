/**
 * WriteStall: making room in the memtable for the next write, with LevelDB's back-pressure
 * (MakeRoomForWrite): one 1 ms delay per write at l0SlowdownWritesTrigger level-0 files; a wait while
 * maxImmutableMemTables full memtables wait for their flush or level 0 holds l0StopWritesTrigger files;
 * otherwise a full memtable is frozen and a new one started on a new log.
 *
 * More than one immutable memtable (LevelDB keeps one): the writer goes on into a fresh memtable while
 * the flush worker runs, and the worker starts the next flush as soon as it finishes one, instead of
 * idling while the main thread records the flush and switches memtables. A flush is not faster than
 * the writes that fill a memtable (fill100K: one 4 MiB flush takes longer than the puts of the next
 * 4 MiB), so with one slot the writer spent about a third of its time waiting for the flush.
 */
import type { VersionSet } from '../version/version-set.js';
import type { JobRunner } from '../compaction/job-runner.js';
import type { ResolvedOptions } from './options.js';
import type { DBStatus } from './db-status.js';
import type { MemTables } from './memtables.js';
import type { LiveLog } from './live-log.js';
import type { BackgroundWork } from './background-work.js';
import type { EngineMetrics } from './engine-metrics.js';
import type { WriteTimeValues } from './write-time-values.js';
import type { SegmentInfo } from '../vlog/vlog-format.js';

type RoomAction = 'ok' | 'delay' | 'wait-flush' | 'wait-compaction' | 'switch';

/** SLEEP_WORD: Atomics.wait on it (never notified) is a synchronous sleep. */
const SLEEP_WORD = new Int32Array(new SharedArrayBuffer(4));

/** WriteStall decides whether a write may go ahead and waits (or switches memtables) when not. @internal */
export class WriteStall {
  /** stallMicros counts the time synchronous writers spent delayed or waiting on background work. */
  stallMicros = 0;
  /**
   * flushLanePrepared: the first write started the flush worker. Started on the first flush instead, it
   * booted (about 0.2 s: a thread, the modules, the codecs) while the writer waited for that flush;
   * fill100K's first flushes came a fifth of the run late.
   */
  private flushLanePrepared = false;

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly versions: VersionSet,
    private readonly memtables: MemTables,
    private readonly log: LiveLog,
    private readonly runner: JobRunner,
    private readonly work: BackgroundWork,
    private readonly status: DBStatus,
    private readonly metrics: EngineMetrics,
    private readonly values: WriteTimeValues | null = null,
  ) {}

  /** hasRoom is true iff a write may go ahead now without waiting or switching memtables. */
  hasRoom(): boolean {
    return this.roomAction(false, true) === 'ok';
  }

  /**
   * makeRoomForWrite (synchronous writers) makes sure the memtable has room, blocking the thread when it
   * must wait. `force` switches to a new memtable even if this one is not full.
   */
  makeRoomForWrite(force: boolean): void {
    let allowDelay = !force;
    this.runner.poll();
    for (;;) {
      const action = this.roomAction(force, allowDelay);
      if (action === 'ok') return;
      if (action === 'delay') {
        allowDelay = false;
        const t = performance.now();
        Atomics.wait(SLEEP_WORD, 0, 0, 1);
        this.stallMicros += 1000;
        this.metrics.stalled((performance.now() - t) * 1000);
        this.runner.poll();
      } else if (action === 'wait-flush' || action === 'wait-compaction') {
        const lane = action === 'wait-flush' ? 'flush' : 'compaction';
        this.work.maybeScheduleWork();
        if (!this.runner.busy(lane)) {
          if (action === 'wait-compaction') return; // nothing can run: let the write through
          continue;
        }
        const t = performance.now();
        this.runner.waitSync(lane);
        const micros = (performance.now() - t) * 1000;
        this.stallMicros += micros;
        this.metrics.stalled(micros);
      } else {
        this.switchMemTable();
        force = false;
        this.work.maybeScheduleWork();
      }
    }
  }

  /** makeRoomForWriteAsync is makeRoomForWrite for the async writers: it awaits instead of blocking. */
  async makeRoomForWriteAsync(): Promise<void> {
    let allowDelay = true;
    for (;;) {
      const action = this.roomAction(false, allowDelay);
      if (action === 'ok') return;
      if (action === 'delay') {
        allowDelay = false;
        const t = performance.now();
        await new Promise((r) => setTimeout(r, 1));
        this.metrics.stalled((performance.now() - t) * 1000);
      } else if (action === 'wait-flush' || action === 'wait-compaction') {
        const lane = action === 'wait-flush' ? 'flush' : 'compaction';
        this.work.maybeScheduleWork();
        if (!this.runner.busy(lane)) {
          if (action === 'wait-compaction') return;
          continue;
        }
        const t = performance.now();
        await this.work.progress();
        this.metrics.stalled((performance.now() - t) * 1000);
      } else {
        this.switchMemTable();
        this.work.maybeScheduleWork();
      }
    }
  }

  /**
   * switchMemTable makes the memtable immutable and starts a new one with a new log (and, with
   * write-time separation, finishes its segment: fsynced before the new log exists). The old log is
   * not fsynced here (LiveLog.rotate: a chain marker keeps recovery to a prefix).
   */
  switchMemTable(): void {
    let segments: SegmentInfo[] = [];
    try {
      const segment = this.values?.switchSegment() ?? null;
      if (segment !== null) segments = [segment];
      this.log.rotate(this.versions.newFileNumber(), this.versions.lastSequence);
    } catch (err) {
      this.status.setBackgroundError(err);
      throw err;
    }
    this.memtables.freeze(this.versions.lastSequence, this.log.number, segments);
  }

  private roomAction(force: boolean, allowDelay: boolean): RoomAction {
    if (this.status.bgError !== null) this.status.checkWritable();
    if (!this.flushLanePrepared) {
      this.flushLanePrepared = true;
      this.runner.prepare('flush');
    }
    const l0 = this.versions.current.numFiles(0);
    if (allowDelay && l0 >= this.opts.l0SlowdownWritesTrigger) return 'delay';
    if (
      !force &&
      this.memtables.mem.approximateMemoryUsage() < this.opts.writeBufferSize &&
      !(this.values?.full ?? false)
    )
      return 'ok';
    const waiting = this.memtables.imms.length;
    if (waiting >= this.opts.maxImmutableMemTables) return 'wait-flush';
    // Every waiting memtable becomes a level-0 table: counted now, level 0 stays within the stop
    // trigger, as with one immutable memtable.
    if (l0 + waiting >= this.opts.l0StopWritesTrigger) return waiting > 0 ? 'wait-flush' : 'wait-compaction';
    return 'switch';
  }
}
