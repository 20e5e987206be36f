/**
 * CommitPipeline: every write's way into the database (Pebble commit.go; LevelDB DBImpl::Write). A
 * write gets the next sequence numbers, is appended to the live WAL as one record (fsynced when asked),
 * then inserted into the memtable. Synchronous writes (put, delete, write) do this at once; async writes
 * queue for a group commit, where the writes queued while the previous group was written share one WAL
 * record and at most one fsync, run off the main thread. Transactions commit through the same queue,
 * with a validation step that runs at the moment their sequence numbers are assigned.
 *
 * Invariants:
 * 1. A write is in the WAL (in the OS; fsynced too when `sync`) before it is in the memtable, except a
 *    transaction committed at once (commitNow): it is applied first and acknowledged once its record,
 *    written with the other commits of the same turn, is in the WAL. Records reach the WAL in sequence
 *    order either way. A write that failed to reach the WAL makes the database read-only
 *    (DBStatus.bgError).
 * 2. Sequence numbers are assigned in commit order; a batch's (or group's) entries are consecutive.
 * 3. Between a queued write's validation and its insertion into the memtable nothing else is written.
 */
import type { VersionSet } from '../version/version-set.js';
import { ValueType } from '../memtable/internal-key.js';
import { Encoder, encodeFixed32, encodeFixed64 } from '../util/coding.js';
import { toLatin1Key } from '../util/bytes.js';
import {
  BATCH_HEADER_SIZE,
  WriteBatch,
  batchCount,
  insertEncodedBatch,
  iterateBatch,
} from './write-batch.js';
import type { DBStatus } from './db-status.js';
import type { MemTables } from './memtables.js';
import type { LiveLog } from './live-log.js';
import type { WriteStall } from './write-stall.js';
import type { LevelStats } from './level-stats.js';
import type { WriteTimeValues } from './write-time-values.js';

/**
 * Validate is run for a queued write right before it gets its sequence numbers; throwing rejects that
 * write alone. `groupKeys` holds the keys (see toLatin1Key) written by the writes ahead of it in the
 * same group, which are not in the memtable yet.
 */
export type Validate = (groupKeys: ReadonlySet<string>) => void;

/** QueuedWrite is one async write (or transaction commit) waiting for its group. */
interface QueuedWrite {
  readonly body: Uint8Array;
  readonly count: number;
  readonly sync: boolean;
  readonly validate: Validate | null;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/**
 * BatchSource: operations to commit that encode themselves straight into the pipeline's record (a
 * transaction's write buffer), with no WriteBatch in between.
 */
export interface BatchSource {
  /** encodeOps appends the operations in write batch format (no header) to `e`; returns how many. */
  encodeOps(e: Encoder): number;
}

/** SCRATCH_SIZE: the initial size of the reused record buffer; MAX_RETAINED_SCRATCH: the most it keeps. */
const SCRATCH_SIZE = 256;
const MAX_RETAINED_SCRATCH = 1 << 20;

const EMPTY = new Uint8Array(0);
const NO_KEYS: ReadonlySet<string> = new Set();

/** CommitPipeline orders, logs and applies writes. @internal */
export class CommitPipeline {
  private scratch = new Encoder(SCRATCH_SIZE);
  private readonly queue: QueuedWrite[] = [];
  private groupWriterActive = false;

  constructor(
    private readonly versions: VersionSet,
    private readonly memtables: MemTables,
    private readonly log: LiveLog,
    private readonly stall: WriteStall,
    private readonly stats: LevelStats,
    private readonly status: DBStatus,
    private readonly values: WriteTimeValues | null = null,
  ) {}

  /** idle is true when no group is being written and none is queued. */
  get idle(): boolean {
    return !this.groupWriterActive && this.queue.length === 0;
  }

  /** put writes one VALUE at once. Requires: the database is writable, `k` and `v` are bytes. */
  put(k: Uint8Array, v: Uint8Array, sync: boolean): void {
    const e = this.startRecord();
    e.byte(ValueType.VALUE).lengthPrefixed(k).lengthPrefixed(v);
    this.writeRecord(e, sync, (seq) => this.memtables.mem.add(seq, ValueType.VALUE, k, v));
  }

  /** delete writes one DELETION at once. Requires as put. */
  delete(k: Uint8Array, sync: boolean): void {
    const e = this.startRecord();
    e.byte(ValueType.DELETION).lengthPrefixed(k);
    this.writeRecord(e, sync, (seq) => this.memtables.mem.add(seq, ValueType.DELETION, k, EMPTY));
  }

  /** write applies a non-empty batch at once. Requires: the database is writable. */
  write(batch: WriteBatch, sync: boolean): void {
    this.stall.makeRoomForWrite(false);
    const seq = this.versions.lastSequence + 1;
    const rep = batch.encodeWithSequence(seq);
    const logged = this.separate(rep);
    this.appendToLog(logged, sync, rep.length);
    insertEncodedBatch(logged, seq, this.memtables.mem);
    this.versions.lastSequence = seq + batch.count - 1;
  }

  /**
   * commitNow validates and applies a non-empty set of operations at once; the promise settles once its record is
   * written (in the OS), with `sync` once a (shared) fsync has made it durable. The record is applied to
   * the memtable now and written with the other commits of this turn of the event loop (LiveLog.buffer:
   * one write(2) for all of them). Unlike enqueue(), a synced commit does not wait for the fsync in
   * flight before it is applied: the next transaction can read it (visible before durable, as every
   * synced write here) and commit behind it into the same or the next fsync. Requires: canWriteNow().
   */
  commitNow(ops: BatchSource, sync: boolean, validate: Validate): Promise<void> {
    validate(NO_KEYS);
    this.stall.makeRoomForWrite(false);
    const seq = this.versions.lastSequence + 1;
    const e = this.startRecord();
    const count = ops.encodeOps(e);
    encodeFixed64(e.buf, 0, seq);
    encodeFixed32(e.buf, 8, count);
    const rep = e.finish();
    let written: Promise<void>;
    let logged: Uint8Array;
    try {
      logged = this.separate(rep);
      written = this.log.buffer(logged); // copies the record
    } catch (err) {
      this.status.setBackgroundError(err);
      throw err;
    }
    this.stats.userBytesWritten += rep.length;
    insertEncodedBatch(logged, seq, this.memtables.mem);
    this.versions.lastSequence = seq + count - 1;
    if (e.buf.length > MAX_RETAINED_SCRATCH) this.scratch = new Encoder(SCRATCH_SIZE);
    // A failed write makes the database read-only through LiveLog's onWriteError, before any commit
    // waiting for it hears of it.
    if (!sync) return written;
    return this.log.durable(this.log.appendedCount).catch((err: unknown) => {
      this.status.setBackgroundError(err);
      throw err;
    });
  }

  /**
   * canWriteNow: an unsynced async write with nothing queued ahead of it and room in the memtable has
   * nothing to wait for or share, so it is applied at once (a group of one costs a queue trip and a few
   * promises more). Writes behind a queue still go through it, so they keep their order.
   */
  canWriteNow(): boolean {
    return this.queue.length === 0 && !this.groupWriterActive && !this.status.closing && this.stall.hasRoom();
  }

  /**
   * enqueue queues a non-empty batch for the group commit; the promise settles once it is in the OS
   * (with `sync`: on disk), or rejects with what `validate` threw (nothing of it written).
   */
  enqueue(batch: WriteBatch, sync: boolean, validate: Validate | null = null): Promise<void> {
    // Copy the operations: the caller may reuse the batch before the group is written.
    const body = batch.encodeWithSequence(0).slice(BATCH_HEADER_SIZE);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ body, count: batch.count, sync, validate, resolve, reject });
      if (!this.groupWriterActive) void this.runGroupCommits();
    });
  }

  /** rejectQueued fails every queued write with `err` (close). */
  rejectQueued(err: Error): void {
    for (const w of this.queue.splice(0)) w.reject(err);
  }

  private startRecord(): Encoder {
    const e = this.scratch;
    e.reset();
    e.ensure(BATCH_HEADER_SIZE);
    e.pos = BATCH_HEADER_SIZE;
    return e;
  }

  /** writeRecord fills in the header of a one-operation record in `e`, logs it, then applies it. */
  private writeRecord(e: Encoder, sync: boolean, apply: (seq: number) => void): void {
    this.stall.makeRoomForWrite(false);
    const seq = this.versions.lastSequence + 1;
    const buf = e.buf;
    // Header: fixed64 sequence, fixed32 count = 1 (little-endian).
    let lo = seq % 0x1_0000_0000;
    let hi = Math.floor(seq / 0x1_0000_0000);
    for (let i = 0; i < 4; i++, lo >>>= 8) buf[i] = lo & 0xff;
    for (let i = 4; i < 8; i++, hi >>>= 8) buf[i] = hi & 0xff;
    buf[8] = 1;
    buf[9] = buf[10] = buf[11] = 0;
    const record = e.finish();
    const logged = this.separate(record);
    this.appendToLog(logged, sync, record.length);
    if (logged === record) apply(seq);
    else insertEncodedBatch(logged, seq, this.memtables.mem);
    this.versions.lastSequence = seq;
  }

  /**
   * separate moves the record's large values to the open segment when write-time separation is on
   * (WriteTimeValues.separate); a failure makes the database read-only, as a failed WAL write does.
   */
  private separate(record: Uint8Array): Uint8Array {
    const values = this.values;
    if (values === null) return record;
    try {
      const before = values.bytesWritten;
      const out = values.separate(record);
      this.stats.writeTimeSegmentBytes += values.bytesWritten - before;
      return out;
    } catch (err) {
      this.status.setBackgroundError(err);
      throw err;
    }
  }

  /**
   * appendToLog writes a record to the WAL. `userBytes`: the record's length before separation, the
   * user's bytes (write amplification's denominator counts them, wherever the values went).
   */
  private appendToLog(record: Uint8Array, sync: boolean, userBytes = record.length): void {
    try {
      this.log.append(record, sync);
      this.stats.userBytesWritten += userBytes;
    } catch (err) {
      this.status.setBackgroundError(err);
      throw err;
    }
  }

  /** runGroupCommits drains the write queue, one group (one WAL record, at most one fsync) at a time. */
  private async runGroupCommits(): Promise<void> {
    this.groupWriterActive = true;
    try {
      while (this.queue.length > 0) {
        let group: QueuedWrite[] = [];
        try {
          this.status.checkGroupWritable();
          if (!this.stall.hasRoom()) await this.stall.makeRoomForWriteAsync();
          this.status.checkGroupWritable();
          // From here to the memtable insert nothing awaits: validation holds until the write is applied.
          group = this.admit(this.takeGroup());
          if (group.length === 0) continue;
          const seq = this.versions.lastSequence + 1;
          const rep = encodeGroup(group, seq);
          const logged = this.separate(rep);
          this.appendToLog(logged, false, rep.length);
          insertEncodedBatch(logged, seq, this.memtables.mem);
          this.versions.lastSequence = seq + batchCount(rep) - 1;
          // Any member may have asked for sync: admit() can drop the synced first member of a group.
          if (group.some((w) => w.sync)) {
            try {
              await this.log.syncAsync();
            } catch (err) {
              this.status.setBackgroundError(err);
              throw err;
            }
          }
        } catch (err) {
          if (group.length === 0) group = this.queue.splice(0, this.queue.length);
          for (const w of group) w.reject(err as Error);
          continue;
        }
        for (const w of group) w.resolve();
      }
    } finally {
      this.groupWriterActive = false;
    }
  }

  /**
   * takeGroup removes the next group from the queue: as many writes as fit LevelDB's limits (1 MiB, or
   * 128 KiB more than a small first write), never letting a sync write ride in a group that is not synced.
   */
  private takeGroup(): QueuedWrite[] {
    const q = this.queue;
    const first = q[0]!;
    let size = first.body.length;
    const limit = size <= 128 * 1024 ? size + 128 * 1024 : 1024 * 1024;
    let n = 1;
    while (n < q.length) {
      const w = q[n]!;
      if (w.sync && !first.sync) break;
      if (size + w.body.length > limit) break;
      size += w.body.length;
      n++;
    }
    return q.splice(0, n);
  }

  /** admit runs the validations of a group in order; writes that fail them are rejected and dropped. */
  private admit(group: QueuedWrite[]): QueuedWrite[] {
    if (!group.some((w) => w.validate !== null)) return group;
    const keys = new Set<string>();
    const admitted: QueuedWrite[] = [];
    for (const w of group) {
      if (w.validate !== null) {
        try {
          w.validate(keys.size === 0 ? NO_KEYS : keys);
        } catch (err) {
          w.reject(err as Error);
          continue;
        }
      }
      admitted.push(w);
      addKeys(w.body, w.count, keys);
    }
    return admitted;
  }
}

/** addKeys adds the keys of an encoded batch body (no header) to `keys`. */
function addKeys(body: Uint8Array, count: number, keys: Set<string>): void {
  const rep = new Uint8Array(BATCH_HEADER_SIZE + body.length);
  rep.set(body, BATCH_HEADER_SIZE);
  const add = (k: Uint8Array): void => void keys.add(toLatin1Key(k));
  iterateBatch(rep, { put: add, delete: add }, count);
}

/** encodeGroup joins the writes of a group into one batch record starting at `seq`. */
function encodeGroup(group: readonly QueuedWrite[], seq: number): Uint8Array {
  let size = BATCH_HEADER_SIZE;
  let count = 0;
  for (const w of group) {
    size += w.body.length;
    count += w.count;
  }
  const rep = new Uint8Array(size);
  encodeFixed64(rep, 0, seq);
  encodeFixed32(rep, 8, count);
  let pos = BATCH_HEADER_SIZE;
  for (const w of group) {
    rep.set(w.body, pos);
    pos += w.body.length;
  }
  return rep;
}
