/**
 * MeteredLiveLog: the live WAL with its appends and fsyncs counted and timed (engine-metrics.ts). Every
 * log file becomes live through LiveLog.attach (at open and at each rotation), so wrapping the file
 * there (LiveLog.wrap, outside any preallocation) meters every write of records: one append is one write(2) of the log, which may carry several records (commits
 * made in one turn share a write).
 */
import type { FileSystem, WritableFile } from '../env/file-system.js';
import { LiveLog } from './live-log.js';
import { GET_SAMPLE, type EngineMetrics } from './engine-metrics.js';

const SAMPLE_MASK = GET_SAMPLE - 1;

/** MeteredLogFile forwards to a log file, counting and timing appends and syncs. @internal */
export class MeteredLogFile implements WritableFile {
  constructor(
    private readonly inner: WritableFile,
    private readonly metrics: EngineMetrics,
  ) {}

  get path(): string {
    return this.inner.path;
  }

  get size(): number {
    return this.inner.size;
  }

  append(data: Uint8Array): void {
    const m = this.metrics;
    m.walBytes += data.length;
    // Counted always, timed once in GET_SAMPLE.
    if ((++m.walAppends & SAMPLE_MASK) !== 0) return this.inner.append(data);
    const t = performance.now();
    this.inner.append(data);
    m.walAppendNanos.record((performance.now() - t) * 1e6);
  }

  sync(): void {
    const t = performance.now();
    this.inner.sync();
    this.metrics.walSynced(t);
  }

  async syncAsync(): Promise<void> {
    const t = performance.now();
    await this.inner.syncAsync();
    this.metrics.walSynced(t);
  }

  close(): void {
    this.inner.close();
  }
}

/** MeteredLiveLog is a LiveLog whose files are MeteredLogFiles. @internal */
export class MeteredLiveLog extends LiveLog {
  constructor(
    fs: FileSystem,
    walDir: string,
    private readonly metrics: EngineMetrics,
    onWriteError?: (err: unknown) => void,
    syncOnCaller?: boolean,
    preallocate?: number,
  ) {
    super(fs, walDir, onWriteError, syncOnCaller, preallocate);
  }

  /** wrap meters the log as the writer sees it: logical appends (zero-filling is not counted). */
  protected override wrap(file: WritableFile): WritableFile {
    return file instanceof MeteredLogFile ? file : new MeteredLogFile(file, this.metrics);
  }
}
