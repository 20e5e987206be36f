/**
 * LiveLog: the write-ahead log that new writes go to (one at a time), and its rotation when the
 * memtable it covers becomes immutable.
 *
 * Records are appended in the order they were given. append() writes at once; buffer() holds a record
 * (a transaction commit) until the next write of the log (append, rotate, an fsync's start, close) or
 * the next turn of the event loop, so the commits made in one turn share one write(2). Every fsync
 * starts on a later turn than the durable() call that needs it, after the writes of that turn, and
 * covers every record added before it started.
 */
import type { FileSystem, WritableFile } from '../env/file-system.js';
import { LogWriter } from '../wal/log-writer.js';
import { logFileName } from '../version/file-names.js';
import { ClosedError } from '../util/errors.js';

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

/** LiveLog owns the live WAL file. @internal */
export class LiveLog {
  /** companion: fsynced along with the log (null: none). */
  companion: SyncCompanion | null = null;
  private file: WritableFile | null = null;
  private writer: LogWriter | null = null;
  /** number: the file number of the live log (0 before recovery opened one). */
  number = 0;
  /** appended: records added since open (buffered ones included); synced: how many are on disk. */
  private appended = 0;
  private synced = 0;
  /** buffered: the waiters of the records buffered now (null when none is). */
  private buffered: Waiters | null = null;
  /** failure: the error of a failed write; the log takes no more records after it. */
  private failure: unknown = null;
  /** inflight: the running background fsync. */
  private inflight: Promise<void> | null = null;
  private readonly waiting = new Set<Promise<void>>();
  private readonly flushSoon = (): void => {
    try {
      this.flush();
    } catch {
      // flush() rejected the waiters with the error; they make the database read-only.
    }
  };

  /** @param onWriteError is told of a failed write of buffered records (the database turns read-only). */
  constructor(
    private readonly fs: FileSystem,
    private readonly walDir: string,
    private readonly onWriteError: (err: unknown) => void = ignore,
  ) {}

  /** attach makes `file` (already durable in its directory) the live log. */
  attach(file: WritableFile, number: number): void {
    this.file = file;
    this.writer = new LogWriter(file);
    this.number = number;
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
    w?.resolve();
    if (sync) {
      this.companion?.sync();
      this.writer!.sync();
      this.synced = this.appended;
    }
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
    const p = this.waitSynced(count);
    this.waiting.add(p);
    const done = (): void => void this.waiting.delete(p);
    p.then(done, done);
    return p;
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
   * commits released by the last fsync (and any others made in this turn) are added first, and this
   * fsync covers them too.
   */
  private async runSync(): Promise<void> {
    try {
      await new Promise<void>((r) => setImmediate(r));
      if (this.writer === null) throw new ClosedError('the database closed before the write was synced');
      this.flush();
      const covers = this.appended;
      // The two fsyncs run side by side; recovery checks pointers, so their order does not matter.
      if (this.companion === null) await this.writer.syncAsync();
      else await Promise.all([this.writer.syncAsync(), this.companion.syncAsync()]);
      if (this.synced < covers) this.synced = covers;
    } finally {
      this.inflight = null;
    }
  }

  /** syncAsync fsyncs what was appended (buffered records are written first), off the main thread. */
  syncAsync(): Promise<void> {
    this.flush();
    if (this.companion === null) return this.writer!.syncAsync();
    return Promise.all([this.writer!.syncAsync(), this.companion.syncAsync()]).then(() => undefined);
  }

  /**
   * rotate writes what is buffered, syncs the live log in full, then creates log `number` and makes it
   * live. The older log is complete on disk before the newer one exists, so a power cut never keeps a
   * later write while losing an earlier one, and only the newest log can end in a torn record. On
   * error the old log stays live.
   */
  rotate(number: number): void {
    let file: WritableFile | null = null;
    try {
      this.flush();
      this.writer!.sync();
      this.synced = this.appended;
      file = this.fs.createWritable(logFileName(this.walDir, number));
      this.fs.syncDir(this.walDir);
      this.file!.close();
    } catch (err) {
      try {
        file?.close();
      } catch {
        // first error wins
      }
      throw err;
    }
    this.attach(file, number);
  }

  /** close writes what is buffered and closes the live log, ignoring errors (closing after a failure). */
  close(): void {
    try {
      this.flush();
    } catch {
      // the buffered records' commits reject with the error
    }
    try {
      this.file?.close();
    } catch {
      // closing after a failure
    }
    this.file = null;
    this.writer = null;
  }
}
