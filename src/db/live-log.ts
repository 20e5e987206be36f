/**
 * LiveLog: the write-ahead log that new writes go to (one at a time), and its rotation when the
 * memtable it covers becomes immutable.
 */
import type { FileSystem, WritableFile } from '../env/file-system.js';
import { LogWriter } from '../wal/log-writer.js';
import { logFileName } from '../version/file-names.js';
import { ClosedError } from '../util/errors.js';

/** LiveLog owns the live WAL file. @internal */
export class LiveLog {
  private file: WritableFile | null = null;
  private writer: LogWriter | null = null;
  /** number: the file number of the live log (0 before recovery opened one). */
  number = 0;
  /** appended: records appended since open; synced: how many of them are known to be on disk. */
  private appended = 0;
  private synced = 0;
  /** inflight: the running background fsync, which covers the first `inflightCovers` records. */
  private inflight: Promise<void> | null = null;
  private readonly waiting = new Set<Promise<void>>();

  constructor(
    private readonly fs: FileSystem,
    private readonly walDir: string,
  ) {}

  /** attach makes `file` (already durable in its directory) the live log. */
  attach(file: WritableFile, number: number): void {
    this.file = file;
    this.writer = new LogWriter(file);
    this.number = number;
  }

  /** append writes one record (and fsyncs it when `sync`). */
  append(record: Uint8Array, sync: boolean): void {
    this.writer!.addRecord(record);
    this.appended++;
    if (sync) {
      this.writer!.sync();
      this.synced = this.appended;
    }
  }

  /** appendedCount: how many records were appended since open (a position to pass to durable()). */
  get appendedCount(): number {
    return this.appended;
  }

  /**
   * durable resolves once the first `count` records are on disk, sharing fsyncs: one runs at a time
   * (off the main thread), covering every record appended before it started. Rejects if an fsync fails.
   */
  durable(count: number): Promise<void> {
    const p = this.waitSynced(count);
    this.waiting.add(p);
    const done = (): void => void this.waiting.delete(p);
    p.then(done, done);
    return p;
  }

  /** settled resolves once no durable() call is pending (close() waits for it before closing the log). */
  async settled(): Promise<void> {
    while (this.waiting.size > 0) await Promise.allSettled([...this.waiting]);
  }

  private async waitSynced(count: number): Promise<void> {
    while (this.synced < count) {
      if (this.writer === null) throw new ClosedError('the database closed before the write was synced');
      if (this.inflight === null) {
        const covers = this.appended;
        this.inflight = this.writer!.syncAsync().then(
          () => {
            if (this.synced < covers) this.synced = covers;
            this.inflight = null;
          },
          (err: unknown) => {
            this.inflight = null;
            throw err;
          },
        );
      }
      await this.inflight;
    }
  }

  /** syncAsync fsyncs what was appended, off the main thread. */
  syncAsync(): Promise<void> {
    return this.writer!.syncAsync();
  }

  /**
   * rotate syncs the live log in full, then creates log `number` and makes it live. The older log is
   * complete on disk before the newer one exists, so a power cut never keeps a later write while losing
   * an earlier one, and only the newest log can end in a torn record. On error the old log stays live.
   */
  rotate(number: number): void {
    let file: WritableFile | null = null;
    try {
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

  /** close closes the live log, ignoring errors (closing after a failure). */
  close(): void {
    try {
      this.file?.close();
    } catch {
      // closing after a failure
    }
    this.file = null;
    this.writer = null;
  }
}
