/**
 * Job runners execute flush and compaction jobs. InlineJobRunner runs them on the calling thread (tests,
 * custom comparators and filters, non-Node file systems); WorkerJobRunner runs them on a background
 * worker thread, one lane for flushes and one for compactions, so that a long compaction never delays a
 * flush (nor the main thread). Either way a job's completion callback runs on the main thread, which
 * alone applies version edits.
 *
 * The synchronous write API may have to wait for a job (a full memtable whose predecessor is still being
 * flushed): waitSync blocks on an Atomics word the worker bumps after posting each result, then takes the
 * result with receiveMessageOnPort, so the wait needs no turn of the event loop.
 */
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import type { FileSystem } from '../env/file-system.js';
import type { InternalKeyComparator } from '../memtable/internal-key.js';
import { MemTable, type SharedMemTable } from '../memtable/memtable.js';
import { BackgroundError, CorruptionError, IOError, ShaleError } from '../util/errors.js';
import { newFileMetaData, type FileMetaData } from '../version/version-edit.js';
import { buildTable } from './build-table.js';
import type { CompactionFilter } from './compaction-filter.js';
import { allocateFileNumber } from '../version/version-set.js';
import { runCompactionJob, type CompactionJobResult, type CompactionJobSpec } from './job.js';
import { tableBuilderOptions, type TableSettings } from './table-settings.js';
import { ValueSeparator } from '../vlog/value-separator.js';
import type { SegmentInfo, ValueLogSettings } from '../vlog/vlog-format.js';

/** FlushJobSpec describes the flush of one immutable memtable to table `number`. */
export interface FlushJobSpec {
  readonly dir: string;
  readonly number: number;
  readonly memtable: SharedMemTable;
  readonly table: TableSettings;
  /** vlog: separate large values into value-log segments (null: the value log is off). */
  readonly vlog: ValueLogSettings | null;
}

/** FlushJobResult is the table written (null: the memtable was empty), the segments, and the time. */
export interface FlushJobResult {
  readonly file: FileMetaData | null;
  /** segments: value-log segments the table points into (written, fsynced, not yet recorded). */
  readonly segments: SegmentInfo[];
  readonly micros: number;
}

/** CompactionRequest is a compaction job plus the table settings of its outputs. */
export interface CompactionRequest {
  readonly spec: CompactionJobSpec;
  readonly table: TableSettings;
}

/** JobCallback receives a job's outcome, always on the main thread, exactly once. */
export type JobCallback<T> = (err: ShaleError | null, result: T | undefined) => void;

/** Lane names the two queues of background work. */
export type Lane = 'flush' | 'compaction';

/** JobRunner runs one job per lane at a time. */
export interface JobRunner {
  readonly kind: 'inline' | 'worker';
  flush(spec: FlushJobSpec, done: JobCallback<FlushJobResult>): void;
  compact(
    req: CompactionRequest,
    filter: CompactionFilter | null,
    done: JobCallback<CompactionJobResult>,
  ): void;
  /**
   * prepare starts what `lane` runs its jobs on, if that takes time (a worker thread boots in about
   * 0.2 s), without waiting for it: the database calls it at its first write, so the flush worker is
   * ready by the time the first memtable fills.
   */
  prepare(lane: Lane): void;
  /** busy is true while `lane` runs a job. */
  busy(lane: Lane): boolean;
  /** waitSync blocks until the job running on `lane` (if any) has finished and its callback has run. */
  waitSync(lane: Lane): void;
  /**
   * poll delivers the results of jobs that have finished, without waiting: the synchronous write path
   * calls it, because a loop of synchronous writes never lets the event loop deliver them.
   */
  poll(): void;
  /** close stops the workers; call when no job is running. */
  close(): Promise<void>;
}

/** runFlushJob writes a memtable to a table (shared by both runners). */
export function runFlushJob(
  fs: FileSystem,
  icmp: InternalKeyComparator,
  spec: FlushJobSpec,
  newFileNumber: () => number,
  mem?: MemTable,
): FlushJobResult {
  const start = performance.now();
  const table = mem ?? MemTable.fromShared(spec.memtable, icmp);
  const iter = table.iterator();
  const sep = spec.vlog === null ? null : new ValueSeparator(fs, spec.dir, spec.vlog, newFileNumber);
  try {
    const file = buildTable(fs, spec.dir, spec.number, iter, tableBuilderOptions(spec.table, icmp), sep);
    const segments = sep?.finish() ?? [];
    if (file !== null || segments.length > 0) fs.syncDir(spec.dir);
    return { file, segments, micros: (performance.now() - start) * 1000 };
  } catch (err) {
    sep?.abandon();
    throw err;
  } finally {
    iter.close();
  }
}

/** InlineJobRunner runs each job at once, on the caller's thread (a flush later if FileSystem.delayFlushes). */
export class InlineJobRunner implements JobRunner {
  readonly kind = 'inline';
  private readonly running = { flush: false, compaction: false };
  /** delayedFlush: a flush held back by FileSystem.delayFlushes (busy('flush') while it waits). */
  private delayedFlush: (() => void) | null = null;

  constructor(
    private readonly fs: FileSystem,
    private readonly icmp: InternalKeyComparator,
    private readonly fileCounter: BigInt64Array,
  ) {}

  flush(spec: FlushJobSpec, done: JobCallback<FlushJobResult>): void {
    const run = (): void =>
      this.run(
        'flush',
        () => runFlushJob(this.fs, this.icmp, spec, () => allocateFileNumber(this.fileCounter)),
        done,
      );
    if (this.fs.delayFlushes !== true) return run();
    this.running.flush = true;
    this.delayedFlush = run;
    setImmediate(() => this.runDelayedFlush());
  }

  /** runDelayedFlush runs the flush FileSystem.delayFlushes held back, if any. */
  private runDelayedFlush(): void {
    const run = this.delayedFlush;
    if (run === null) return;
    this.delayedFlush = null;
    run();
  }

  compact(
    req: CompactionRequest,
    filter: CompactionFilter | null,
    done: JobCallback<CompactionJobResult>,
  ): void {
    this.run(
      'compaction',
      () =>
        runCompactionJob(req.spec, {
          fs: this.fs,
          icmp: this.icmp,
          table: tableBuilderOptions(req.table, this.icmp),
          newFileNumber: () => allocateFileNumber(this.fileCounter),
          filter,
        }),
      done,
    );
  }

  private run<T>(lane: Lane, job: () => T, done: JobCallback<T>): void {
    let result: T;
    this.running[lane] = true;
    try {
      result = job();
    } catch (err) {
      this.running[lane] = false;
      done(toShaleError(err), undefined);
      return;
    }
    this.running[lane] = false;
    done(null, result);
  }

  prepare(): void {}

  busy(lane: Lane): boolean {
    return this.running[lane];
  }

  waitSync(lane: Lane): void {
    // Inline jobs finish before flush()/compact() return, except a delayed flush.
    if (lane === 'flush') this.runDelayedFlush();
  }

  poll(): void {}

  async close(): Promise<void> {
    this.runDelayedFlush();
  }
}

/** WorkerMessage is what the worker posts back for each job. */
export interface WorkerReply {
  readonly result?: unknown;
  readonly error?: SerializedError;
}

/** SerializedError carries a job's error across the thread boundary. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly file?: string;
  readonly offset?: number;
  readonly errno?: string;
  readonly syscall?: string;
  readonly path?: string;
}

/** serializeError flattens an error for postMessage. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const e = err as Error & {
      file?: string;
      offset?: number;
      errno?: string;
      syscall?: string;
      path?: string;
    };
    return {
      name: e.name,
      message: e.message,
      file: e.file,
      offset: e.offset,
      errno: e.errno,
      syscall: e.syscall,
      path: e.path,
    };
  }
  return { name: 'Error', message: String(err) };
}

function reviveError(e: SerializedError): ShaleError {
  if (e.name === 'CorruptionError') return new CorruptionError(e.message, e.file, e.offset);
  if (e.name === 'IOError') return new IOError(e.message, e.errno, e.syscall, e.path);
  return new BackgroundError(`background job failed: ${e.message}`);
}

function toShaleError(err: unknown): ShaleError {
  return err instanceof ShaleError
    ? err
    : new BackgroundError(`background job failed: ${String(err)}`, { cause: err });
}

const WORKER_URL = new URL('./job-worker.js', import.meta.url);

/**
 * WORKER_LIMITS: each worker's young generation is kept at 4 MiB. V8's default lets it grow to tens of MiB
 * in a busy worker: at 1M fillrandom the two workers held ~50 MB more resident memory that way (peak RSS
 * 220-226 MB vs 170-171), with the same fill throughput and CPU time (fill + compact 29.2/30.7 s vs
 * 31.1/29.6 s, paired runs at load 5-8). Tables and blocks live in ArrayBuffers, off the V8 heap.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4 };

/**
 * SIGNAL_REPLIES and SIGNAL_READY index a lane's shared words: the count of replies posted (the wake-up
 * word), and 1 once the worker has loaded its modules and takes jobs.
 */
const SIGNAL_REPLIES = 0;
const SIGNAL_READY = 1;

/** WorkerLane is one worker thread with its reply port and shared words (SIGNAL_REPLIES, SIGNAL_READY). */
class WorkerLane {
  private worker: Worker | null = null;
  private port: MessagePort | null = null;
  private readonly signal = new Int32Array(new SharedArrayBuffer(8));
  private pending: ((reply: WorkerReply) => void) | null = null;
  private lastSignal = 0;

  constructor(
    private readonly fileCounter: BigInt64Array,
    private readonly niceness: number,
  ) {}

  get busy(): boolean {
    return this.pending !== null;
  }

  /** ready is true once the worker has booted (a job posted now starts at once). */
  get ready(): boolean {
    return this.worker !== null && Atomics.load(this.signal, SIGNAL_READY) === 1;
  }

  /** prepare starts the worker now (it boots in the background; jobs posted meanwhile wait for it). */
  prepare(): void {
    this.ensureWorker();
  }

  post(message: unknown, onReply: (reply: WorkerReply) => void): void {
    const worker = this.ensureWorker();
    this.pending = onReply;
    worker.ref();
    worker.postMessage(message);
  }

  poll(): void {
    if (this.pending === null) return;
    const s = Atomics.load(this.signal, SIGNAL_REPLIES);
    if (s === this.lastSignal) return;
    this.lastSignal = s;
    const m = receiveMessageOnPort(this.port!);
    if (m !== undefined) this.deliver(m.message as WorkerReply);
  }

  waitSync(): void {
    while (this.pending !== null) {
      const seen = Atomics.load(this.signal, SIGNAL_REPLIES);
      const m = receiveMessageOnPort(this.port!);
      if (m !== undefined) {
        this.deliver(m.message as WorkerReply);
        return;
      }
      // The worker bumps the word after posting, so a reply posted after the check above wakes us.
      Atomics.wait(this.signal, SIGNAL_REPLIES, seen, 1000);
    }
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.port?.close();
    this.port = null;
    if (w !== null) await w.terminate();
  }

  private deliver(reply: WorkerReply): void {
    const cb = this.pending;
    if (cb === null) return;
    this.pending = null;
    this.worker?.unref();
    cb(reply);
  }

  private ensureWorker(): Worker {
    if (this.worker !== null) return this.worker;
    Atomics.store(this.signal, SIGNAL_READY, 0);
    const channel = new MessageChannel();
    const worker = new Worker(WORKER_URL, {
      workerData: {
        port: channel.port2,
        signal: this.signal,
        fileCounter: this.fileCounter,
        niceness: this.niceness,
      },
      transferList: [channel.port2],
      resourceLimits: WORKER_LIMITS,
    });
    channel.port1.on('message', (m: WorkerReply) => this.deliver(m));
    channel.port1.unref();
    const fail = (err: unknown): void => {
      if (this.worker === worker) {
        this.worker = null;
        this.port = null;
      }
      this.deliver({ error: serializeError(err) });
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (this.pending !== null) fail(new Error(`the background worker exited (code ${code})`));
    });
    worker.unref();
    this.worker = worker;
    this.port = channel.port1;
    return worker;
  }
}

/**
 * COMPACTION_NICENESS: how much lower than the main thread's the compaction worker's CPU priority is (Linux
 * nice steps; RocksDB's LowerThreadPoolCPUPriority). When the cores are busy, the main thread (every read,
 * every commit) and the flush worker (which writes wait for) go first. A few steps only: writers also wait
 * for compactions (l0StopWritesTrigger), and a thread at the bottom of the scale (nice 19, CFS weight 15
 * against 1024) on a machine kept busy by others would all but stop, and stop the writers with it.
 */
export const COMPACTION_NICENESS = 4;

/**
 * WorkerJobRunner runs jobs on two background worker threads (started on first use). While the flush
 * worker boots (a thread, 57 modules: 100-300 ms here), flushes run on the calling thread instead, as
 * with InlineJobRunner: fill100K's writer filled every memtable slot in a few tens of milliseconds and
 * then waited for the boot.
 */
export class WorkerJobRunner implements JobRunner {
  readonly kind = 'worker';
  private readonly lanes: Record<Lane, WorkerLane>;
  private readonly inline: InlineJobRunner;

  constructor(fs: FileSystem, icmp: InternalKeyComparator, fileCounter: BigInt64Array) {
    this.lanes = {
      flush: new WorkerLane(fileCounter, 0),
      compaction: new WorkerLane(fileCounter, COMPACTION_NICENESS),
    };
    this.inline = new InlineJobRunner(fs, icmp, fileCounter);
  }

  /**
   * flush posts the job to the flush worker, or runs it now on this thread (its callback too, before
   * flush returns) while the worker is still booting and has no job.
   */
  flush(spec: FlushJobSpec, done: JobCallback<FlushJobResult>): void {
    const lane = this.lanes.flush;
    if (!lane.ready && !lane.busy) {
      lane.prepare();
      this.inline.flush(spec, done);
      return;
    }
    lane.post({ kind: 'flush', spec }, (reply) => {
      if (reply.error !== undefined) return done(reviveError(reply.error), undefined);
      const r = reply.result as {
        file: { number: number; fileSize: number; smallest: Uint8Array; largest: Uint8Array } | null;
        segments: SegmentInfo[];
        micros: number;
      };
      const f = r.file;
      done(null, {
        file: f === null ? null : newFileMetaData(f.number, f.fileSize, f.smallest, f.largest),
        segments: r.segments,
        micros: r.micros,
      });
    });
  }

  compact(
    req: CompactionRequest,
    _filter: CompactionFilter | null,
    done: JobCallback<CompactionJobResult>,
  ): void {
    this.lanes.compaction.post({ kind: 'compaction', req }, (reply) => {
      if (reply.error !== undefined) return done(reviveError(reply.error), undefined);
      done(null, reply.result as CompactionJobResult);
    });
  }

  prepare(lane: Lane): void {
    this.lanes[lane].prepare();
  }

  busy(lane: Lane): boolean {
    // A flush on this thread is busy only when FileSystem.delayFlushes holds it back.
    return this.lanes[lane].busy || (lane === 'flush' && this.inline.busy('flush'));
  }

  waitSync(lane: Lane): void {
    if (lane === 'flush') this.inline.waitSync('flush');
    this.lanes[lane].waitSync();
  }

  poll(): void {
    this.lanes.flush.poll();
    this.lanes.compaction.poll();
  }

  async close(): Promise<void> {
    await this.inline.close();
    await Promise.all([this.lanes.flush.close(), this.lanes.compaction.close()]);
  }
}
