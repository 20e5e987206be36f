/**
 * LiveLog: the write-ahead log that new writes go to (one at a time), and its rotation when the
 * memtable it covers becomes immutable.
 *
 * A rotation does not wait for the old log's fsync: the old log stays open among the `previous` logs
 * until its memtable's flush is recorded (then it is obsolete and closed unsynced, as LevelDB does) or
 * until a sync of the live log, which fsyncs every previous log too before the sync is acknowledged.
 * While any earlier log may hold records not yet fsynced, a new log starts with a chain marker
 * (log-chain.ts) naming the last sequence number before it; recovery ignores the newer logs when an
 * older one ends short of it, so after a power cut what survives is still a prefix of the writes.
 * Several logs may be behind the disk at once (one per immutable memtable waiting for its flush).
 *
 * Records are appended in the order they were given. append() writes at once; buffer() holds a record
 * (a transaction commit) until the next write of the log (append, rotate, an fsync's start, close) or
 * the next turn of the event loop, so the commits made in one turn share one write(2). Every fsync
 * starts on a later turn than the durable() call that needs it, after the writes of that turn, and
 * covers every record added before it started.
 *
 * With `preallocate` > 0 each log, while it is being synced, is written into zero-filled space kept
 * ahead of its end (preallocated-writable-file.ts), so a synced commit's fdatasync has no size change to
 * commit; the live log is cut back to its records when the database closes.
 */
import type { FileSystem, WritableFile } from '../env/file-system.js';
import { LogWriter } from '../wal/log-writer.js';
import { isPositional, PreallocatedWritableFile } from '../env/preallocated-writable-file.js';
import { logFileName } from '../version/file-names.js';
import { ClosedError } from '../util/errors.js';
import { encodeChainMarker } from './log-chain.js';
import { SyncOnCaller } from './sync-on-caller.js';

/** MAX_BUFFERED: buffered records are written at once when they would take more than this (512 KiB). */
const MAX_BUFFERED = 512 * 1024;

const ignore = (): void => undefined;

/** Waiters: the promise of one write of buffered records, with its settle functions. */
interface Waiters {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * SyncCompanion: a file whose unsynced bytes WAL records depend on (write-time separation's open
 * segment): every fsync of the log fsyncs it too, before the records it covers are acknowledged.
 */
export interface SyncCompanion {
  sync(): void;
  syncAsync(): Promise<void>;
}

/** PreviousLog: the log before the live one, while its memtable is being flushed. */
interface PreviousLog {
  readonly writer: LogWriter;
  readonly number: number;
}

const closeQuietly = (w: LogWriter): void => {
  try {
    w.close();
  } catch {
    // nothing more is written to it; its data is in the OS
  }
};

/** LiveLog owns the live WAL file. @internal */
export class LiveLog {
  /** companion: fsynced along with the log (null: none). */
  companion: SyncCompanion | null = null;
  private file: WritableFile | null = null;
  private writer: LogWriter | null = null;
  /** preallocated: the live log's zero-filled file (null: preallocation off or not offered). */
  private preallocated: PreallocatedWritableFile | null = null;
  /** number: the file number of the live log (0 before recovery opened one). */
  number = 0;
  /** appended: records added since open (buffered ones included); synced: how many are on disk. */
  private appended = 0;
  private synced = 0;
  /** buffered: the waiters of the records buffered now (null when none is). */
  private buffered: Waiters | null = null;
  /** failure: the error of a failed write; the log takes no more records after it. */
  private failure: unknown = null;
  /**
   * previous: the logs before the live one that may hold records not on disk yet (their memtables are
   * not flushed yet), oldest first; fsynced with any fsync of the live log, closed once obsolete.
   */
  private previous: PreviousLog[] = [];
  /**
   * entryUnsynced: a log was created by rotate() since the WAL directory's last fsync. Its directory
   * entry needs to be durable only once something in it must be (RocksDB defers it the same way): the
   * next fsync of the log syncs the directory first. Until then a power cut may take the new log with
   * its unsynced records, which leaves a prefix (recovery: a missing log ends the chain).
   */
  private entryUnsynced = false;
  /** dirty: the live log holds records written (or buffered) since its last fsync. */
  private dirty = false;
  /** inflight: the running background fsync. */
  private inflight: Promise<void> | null = null;
  private readonly waiting = new Set<Promise<void>>();
  /** wanted: the most records a durable() call has asked to have on disk. */
  private wanted = 0;
  /** durableCalls: durable() calls since open; startedAt: their count when the last group fsync began. */
  private durableCalls = 0;
  private startedAt = 0;
  private readonly flushSoon = (): void => {
    try {
      this.flush();
    } catch {
      // flush() rejected the waiters with the error; they make the database read-only.
    }
  };

  private readonly syncOnCaller: SyncOnCaller;

  /**
   * @param onWriteError is told of a failed write of buffered records (the database turns read-only).
   * @param syncOnCaller whether a lone synced commit may fsync on the calling thread (sync-on-caller.ts).
   * @param preallocate bytes of zeros added ahead of a log's end at a time (0: logs grow by appends).
   */
  constructor(
    private readonly fs: FileSystem,
    private readonly walDir: string,
    private readonly onWriteError: (err: unknown) => void = ignore,
    syncOnCaller = true,
    private readonly preallocate = 0,
  ) {
    this.syncOnCaller = new SyncOnCaller(syncOnCaller);
  }

  /**
   * attach makes `file` (already durable in its directory, or to be synced into it before the first
   * commit is acknowledged) the live log. `logicalSize` is where its records end (a reused log may end
   * in zero-filled space): new records go there. Requires: a file longer than `logicalSize` offers
   * writeAt and truncate.
   */
  attach(file: WritableFile, number: number, logicalSize: number = file.size): void {
    let f = file;
    this.preallocated = null;
    if (this.preallocate > 0 && isPositional(file))
      f = this.preallocated = new PreallocatedWritableFile(file, this.preallocate, logicalSize);
    else if (file.size > logicalSize) file.truncate!(logicalSize); // zeros left by a preallocating run
    f = this.wrap(f);
    this.file = f;
    this.writer = new LogWriter(f);
    this.number = number;
  }

  /** wrap lets a subclass wrap each log file once it is ready for appends (metering). */
  protected wrap(file: WritableFile): WritableFile {
    return file;
  }

  /** append writes one record, after any buffered ones (and fsyncs them when `sync`). */
  append(record: Uint8Array, sync: boolean): void {
    if (this.failure !== null) throw this.failure;
    const w = this.buffered;
    this.buffered = null;
    try {
      this.writer!.addRecord(record);
    } catch (err) {
      this.failure = err;
      w?.reject(err);
      throw err;
    }
    this.appended++;
    this.dirty = true;
    w?.resolve();
    if (sync) this.syncHere();
  }

  /** syncHere fsyncs, on this thread, the companion, the previous log and the live log (all it holds). */
  private syncHere(): void {
    this.syncDirectory();
    this.companion?.sync();
    this.syncPrevious();
    this.writer!.sync();
    this.synced = this.appended;
    this.dirty = false;
  }

  /**
   * buffer adds one record to be written with the next write of the log, at the latest on the next
   * turn of the event loop; the promise resolves once it is written (in the OS), or rejects with the
   * write's error. Throws if an earlier write failed, or if writing what is buffered (past
   * MAX_BUFFERED) fails now; the record is not added then.
   */
  buffer(record: Uint8Array): Promise<void> {
    if (this.failure !== null) throw this.failure;
    if (this.buffered !== null && this.writer!.pendingBytes + record.length > MAX_BUFFERED) this.flush();
    this.writer!.bufferRecord(record);
    this.appended++;
    this.dirty = true;
    if (this.buffered === null) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Handled here (once, not per commit); a synced commit awaits its fsync instead, which fails too.
      promise.catch(this.onWriteError);
      this.buffered = { promise, resolve, reject };
      queueMicrotask(this.flushSoon);
    }
    return this.buffered.promise;
  }

  /**
   * flush writes the buffered records now (one write), if there are any. Throws the error of a failed
   * write, this one's or an earlier one's (so no fsync after it can acknowledge a record it lost).
   */
  flush(): void {
    const w = this.buffered;
    if (w === null) {
      if (this.failure !== null) throw this.failure;
      return;
    }
    this.buffered = null;
    try {
      // Whatever happens, the waiters settle (close() waits for them).
      if (this.failure !== null) throw this.failure;
      if (this.writer === null) throw new ClosedError('the database closed before the write was logged');
      this.writer.flush();
    } catch (err) {
      this.failure = err;
      w.reject(err);
      throw err;
    }
    w.resolve();
  }

  /** appendedCount: how many records were added since open (a position to pass to durable()). */
  get appendedCount(): number {
    return this.appended;
  }

  /**
   * durable resolves once the first `count` records are on disk, sharing fsyncs: one runs at a time
   * (off the main thread), starting on the next turn of the event loop and covering every record added
   * before it started. Rejects if a write or an fsync fails.
   */
  durable(count: number): Promise<void> {
    this.durableCalls++;
    if (count > this.wanted) this.wanted = count;
    let p: Promise<void>;
    if (this.synced < count && this.callerSync !== null) p = this.callerSync;
    else if (this.synced < count && this.syncOnCaller.commit(this.inflight !== null))
      p = this.callerSync = this.syncOnThisThread();
    else p = this.waitSynced(count);
    this.waiting.add(p);
    const done = (): void => void this.waiting.delete(p);
    p.then(done, done);
    return p;
  }

  /** callerSync: the fsync on this thread queued for the commits of this run of code (null: none). */
  private callerSync: Promise<void> | null = null;

  /**
   * syncOnThisThread writes what is buffered and fsyncs the log on this thread, in a microtask: the
   * commits made in the same run of code share that write and fsync, as they share a write otherwise.
   */
  private syncOnThisThread(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      queueMicrotask(() => {
        this.callerSync = null;
        try {
          if (this.writer === null) throw new ClosedError('the database closed before the write was synced');
          this.flush();
          this.syncHere();
          resolve();
        } catch (err) {
          reject(err);
        }
      });
    });
  }

  /**
   * settled resolves once no durable() call is pending and nothing is buffered (close() waits for it
   * before closing the log).
   */
  async settled(): Promise<void> {
    while (this.waiting.size > 0 || this.buffered !== null) {
      const all: Promise<void>[] = [...this.waiting];
      if (this.buffered !== null) all.push(this.buffered.promise);
      await Promise.allSettled(all);
    }
  }

  private async waitSynced(count: number): Promise<void> {
    while (this.synced < count) {
      if (this.writer === null) throw new ClosedError('the database closed before the write was synced');
      this.inflight ??= this.runSync();
      await this.inflight;
    }
  }

  /**
   * runSync writes what is buffered and fsyncs the log, on the next turn of the event loop: the
   * commits made in this turn are added first, and this fsync covers them too. When records that a
   * durable() call waits for were added while it ran (other clients' commits), the next fsync starts
   * as soon as it ends, before its own commits are acknowledged: those acknowledgements cannot bring
   * new commits within the turn (the clients answer later), and waiting for them left the disk idle
   * about as long as an fsync under eight SQL connections.
   */
  private async runSync(now = false): Promise<void> {
    let covers = 0;
    try {
      if (!now) await new Promise<void>((r) => setImmediate(r));
      if (this.writer === null) throw new ClosedError('the database closed before the write was synced');
      this.flush();
      covers = this.appended;
      const calls = this.durableCalls;
      const covered = calls - this.startedAt;
      this.startedAt = calls;
      await this.syncAll();
      if (this.synced < covers) this.synced = covers;
      this.syncOnCaller.groupSynced(covered, this.durableCalls > calls);
    } finally {
      this.inflight = null;
    }
    if (this.wanted > covers && this.writer !== null) {
      // Its waiters await it once they resume (before it can fail); the catch only keeps a failure
      // from being reported as unhandled meanwhile.
      this.inflight = this.runSync(true);
      this.inflight.catch(ignore);
    }
  }

  /** syncAsync fsyncs what was appended (buffered records are written first), off the main thread. */
  syncAsync(): Promise<void> {
    this.flush();
    return this.syncAll();
  }

  /**
   * syncAll fsyncs the previous log, the live log and the companion side by side (all started before
   * the first await, so no file is closed under them). Their order does not matter: a newer log durable
   * without the older one's tail is ignored at recovery (chain marker), and nothing is acknowledged
   * before all three are done.
   */
  private async syncAll(): Promise<void> {
    this.syncDirectory();
    const w = this.writer!;
    const covers = this.appended;
    const previous = [...this.previous];
    const syncs = previous.map((p) => p.writer.syncAsync());
    syncs.push(w.syncAsync());
    if (this.companion !== null) syncs.push(this.companion.syncAsync());
    await Promise.all(syncs);
    for (const p of previous) this.retire(p);
    if (this.writer === w && this.appended === covers) this.dirty = false;
  }

  /**
   * syncDirectory fsyncs the WAL directory when a log created since its last fsync needs its entry on
   * disk. A failure is the log's failure: it takes no more records (a failed fsync cannot be retried
   * with trust), and the sync that needed it fails.
   */
  private syncDirectory(): void {
    if (!this.entryUnsynced) return;
    try {
      this.fs.syncDir(this.walDir);
    } catch (err) {
      this.failure ??= err;
      throw err;
    }
    this.entryUnsynced = false;
  }

  /** syncPrevious fsyncs the previous logs, oldest first, and lets them go. */
  private syncPrevious(): void {
    while (this.previous.length > 0) {
      const p = this.previous[0]!;
      p.writer.sync();
      this.retire(p);
    }
  }

  /** retire closes the previous log `p` (synced, or obsolete) unless it was let go already. */
  private retire(p: PreviousLog): void {
    const i = this.previous.indexOf(p);
    if (i < 0) return;
    this.previous.splice(i, 1);
    closeQuietly(p.writer);
  }

  /**
   * obsoleteBefore tells the log that logs numbered below `logNumber` are no longer needed (the
   * MANIFEST records their memtables as flushed): those previous logs are closed without an fsync.
   */
  obsoleteBefore(logNumber: number): void {
    while (this.previous.length > 0 && this.previous[0]!.number < logNumber) this.retire(this.previous[0]!);
  }

  /**
   * rotate writes what is buffered, creates log `number` and makes it live; `lastSequence` is the last
   * sequence number written so far. Neither a log nor the directory is fsynced here (see
   * entryUnsynced): the old one joins the previous logs if it
   * holds records not yet on disk, and the new log starts with a chain marker if any previous log is
   * left (a log without one is only started when every earlier log recovery would replay is on disk).
   * On error the old log stays live.
   */
  rotate(number: number, lastSequence: number): void {
    let file: WritableFile | null = null;
    try {
      this.flush();
      file = this.fs.createWritable(logFileName(this.walDir, number));
    } catch (err) {
      try {
        file?.close();
      } catch {
        // first error wins
      }
      throw err;
    }
    const old = this.writer!;
    if (this.dirty) this.previous.push({ writer: old, number: this.number });
    else closeQuietly(old);
    const chained = this.previous.length > 0;
    this.attach(file, number);
    this.dirty = false;
    this.entryUnsynced = true;
    if (!chained) return;
    try {
      this.writer!.addRecord(encodeChainMarker(lastSequence));
    } catch (err) {
      // The new log's tail is unknown: it takes no more records (the database turns read-only).
      this.failure = err;
      throw err;
    }
    // The marker is not on disk yet either, and a later log's marker depends on it: a log holding only
    // a marker still joins the previous logs at the next rotation (and is fsynced with the next sync).
    this.dirty = true;
  }

  /** close writes what is buffered and closes the live log, ignoring errors (closing after a failure). */
  close(): void {
    try {
      this.flush();
    } catch {
      // the buffered records' commits reject with the error
    }
    while (this.previous.length > 0) this.retire(this.previous[0]!);
    try {
      this.preallocated?.trim();
    } catch {
      // the zeros stay: readers take them as the end of the log
    }
    try {
      this.file?.close();
    } catch {
      // closing after a failure
    }
    this.preallocated = null;
    this.file = null;
    this.writer = null;
  }
}
