/**
 * EngineMetrics: the live counters and latency histograms of one open database, updated in place on the
 * hot paths (plain number fields, fixed-size histograms; src/util/histogram.ts). `db.metrics()` turns
 * them into a plain `Metrics` object (metrics.ts) and `prometheusText` into exposition text.
 *
 * Cost: every counted event is one increment. Latencies are timed with performance.now() (about 60 ns a
 * call here, as much as process.hrtime.bigint()), so the sub-microsecond paths are sampled: one call in
 * GET_SAMPLE (get, put/delete/write, seeks, WAL appends) and one in STEP_SAMPLE (iterator next/prev) is
 * timed, chosen by the call counter (deterministic, unbiased for steady workloads); the counters still
 * count every call. Slow events (WAL syncs, flushes, compactions, write stalls) are timed every time.
 * Histograms hold nanoseconds.
 */
import { Histogram } from '../util/histogram.js';
import { ReadCounters } from '../sstable/read-counters.js';

/** GET_SAMPLE: one in this many gets, writes, seeks and WAL appends is timed (a power of two). */
export const GET_SAMPLE = 16;
/** STEP_SAMPLE: one in this many iterator next/prev calls is timed (a power of two). */
export const STEP_SAMPLE = 256;
const GET_MASK = GET_SAMPLE - 1;

/** NOT_TIMED: what the begin* methods return for a call that is not sampled. */
const NOT_TIMED = -1;

/** LevelCompactionCounters: compactions whose output went into one level. */
export interface LevelCompactionCounters {
  count: number;
  bytesRead: number;
  bytesWritten: number;
  micros: number;
}

/** EngineMetrics holds a database's counters; fields only grow while it is open. @internal */
export class EngineMetrics {
  /** startedAt: Date.now() when the database was opened. */
  readonly startedAt = Date.now();
  /** read: table reads (block and table cache, bloom filter, bytes read); counted by the tables. */
  readonly read = new ReadCounters();

  gets = 0;
  getsFound = 0;
  readonly getNanos = new Histogram();

  /** writes: put, delete and write calls; asyncWrites: writeAsync, putAsync, deleteAsync calls. */
  writes = 0;
  asyncWrites = 0;
  readonly writeNanos = new Histogram();

  iterators = 0;
  seeks = 0;
  nexts = 0;
  prevs = 0;
  readonly seekNanos = new Histogram();
  readonly stepNanos = new Histogram();

  walAppends = 0;
  walBytes = 0;
  walSyncs = 0;
  readonly walAppendNanos = new Histogram();
  readonly walSyncNanos = new Histogram();

  flushes = 0;
  flushBytes = 0;
  readonly flushNanos = new Histogram();

  compactions = 0;
  trivialMoves = 0;
  compactionBytesRead = 0;
  compactionBytesWritten = 0;
  readonly compactionNanos = new Histogram();
  /** compactionLevels[level]: compactions (not flushes, not trivial moves) whose output is `level`. */
  readonly compactionLevels: LevelCompactionCounters[];

  stalls = 0;
  readonly stallNanos = new Histogram();

  constructor(numLevels: number) {
    this.compactionLevels = Array.from({ length: numLevels }, () => ({
      count: 0,
      bytesRead: 0,
      bytesWritten: 0,
      micros: 0,
    }));
  }

  /**
   * beginSeek counts a seek (seek, seekForPrev, seekToFirst, seekToLast); returns a start time when
   * this one is sampled, else NOT_TIMED. Pass it to endSeek. (The faster calls, get, writes, WAL
   * appends and iterator steps, test the sample inline in their callers instead: a call's worth of
   * overhead showed in a scan.)
   */
  beginSeek(): number {
    return (++this.seeks & GET_MASK) === 0 ? performance.now() : NOT_TIMED;
  }

  endSeek(start: number): void {
    if (start !== NOT_TIMED) this.seekNanos.record((performance.now() - start) * 1e6);
  }

  /** walSynced records one WAL fsync that started at `start` (performance.now()). */
  walSynced(start: number): void {
    this.walSyncs++;
    this.walSyncNanos.record((performance.now() - start) * 1e6);
  }

  /** flushed records one flush that wrote `bytes` in `micros`. */
  flushed(bytes: number, micros: number): void {
    this.flushes++;
    this.flushBytes += bytes;
    this.flushNanos.record(micros * 1000);
  }

  /** compacted records one compaction into `outputLevel`. */
  compacted(outputLevel: number, bytesRead: number, bytesWritten: number, micros: number): void {
    this.compactions++;
    this.compactionBytesRead += bytesRead;
    this.compactionBytesWritten += bytesWritten;
    this.compactionNanos.record(micros * 1000);
    const l = this.compactionLevels[outputLevel]!;
    l.count++;
    l.bytesRead += bytesRead;
    l.bytesWritten += bytesWritten;
    l.micros += micros;
  }

  /** stalled records one write stall (a delay or a wait for background work) of `micros`. */
  stalled(micros: number): void {
    this.stalls++;
    this.stallNanos.record(micros * 1000);
  }
}
