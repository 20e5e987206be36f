/**
 * Transaction: reads at one snapshot plus the transaction's own writes, buffered until commit, then
 * committed atomically as one WAL record through the database's commit pipeline (see
 * docs/transactions.md).
 *
 * Isolation:
 * - 'snapshot' (default): reads see the snapshot taken at transaction(); commit fails with
 *   TxnConflictError if any key the transaction wrote (or locked with getForUpdate) was written by anyone
 *   after that snapshot (first committer wins). Write skew is possible.
 * - 'serializable': also fails if any key it read (found or not) or any key in a range it iterated was
 *   written after the snapshot, so committed transactions are equivalent to running one at a time, each
 *   at its commit point.
 * - 'readCommitted' (pessimistic only): every read sees the latest committed data; writes lock their keys
 *   and commit never conflicts (PostgreSQL's READ COMMITTED for row updates).
 * Validation runs inside the commit pipeline, where the commit's sequence numbers are assigned, so no
 * write can slip in between the check and the commit.
 *
 * Pessimistic mode: put/delete lock the key (failing at once if another transaction holds it) and
 * getForUpdate waits for the lock (up to lockTimeout, with deadlock detection); locks are held until the
 * transaction ends.
 *
 * After commit() (whether it succeeded or not) or abort(), every method throws ClosedError and the
 * transaction's open iterators are closed.
 */
import { copyBytes, toBytes, escapeBytes, keyId, toLatin1Key } from '../util/bytes.js';
import { Buffer } from 'node:buffer';
import {
  ClosedError,
  ErrorCode,
  InvalidArgumentError,
  LockTimeoutError,
  TxnConflictError,
} from '../util/errors.js';
import type { Comparator } from '../util/comparator.js';
import { Iterator } from '../db/iterator.js';
import type { Snapshot } from '../db/snapshot.js';
import {
  checkIteratorOptions,
  syncOption,
  type IteratorOptions,
  type WriteOptions,
} from '../db/call-options.js';
import type { DB } from '../db/db.js';
import { WriteBuffer } from './write-buffer.js';
import type { Validate } from '../db/commit-pipeline.js';
import { TxnCursor, type KeySpan } from './txn-cursor.js';
import { inSpan, rangeWrittenAfter, writtenAfter, type ConflictSource } from './conflict-check.js';
import type { LockOwner, LockEntry, LockMark } from './lock-manager.js';
import type { TableLock, TableLockMode } from './table-lock.js';

/** Isolation names a transaction's isolation level. */
export type Isolation = 'snapshot' | 'serializable' | 'readCommitted';

/** Savepoint is an opaque mark of a transaction's writes and locks (Transaction.savepoint). */
export interface Savepoint {
  readonly writes: number;
  readonly locks: LockMark;
}

/** TransactionOptions configure db.transaction(). */
export interface TransactionOptions {
  /** isolation: 'snapshot' (default), 'serializable', or 'readCommitted' (pessimistic only). */
  isolation?: Isolation;
  /** pessimistic: lock keys on write and in getForUpdate instead of only validating at commit. */
  pessimistic?: boolean;
  /** lockTimeout: how long getForUpdate waits for a lock, in ms (default 1000). */
  lockTimeout?: number;
  /** maxBytes: the most the buffered writes (and serializable read keys) may take (default 64 MiB). */
  maxBytes?: number;
}

/** TransactOptions configure db.transact(). */
export interface TransactOptions extends TransactionOptions, WriteOptions {
  /** retries: re-runs after the first attempt on a conflict or deadlock (default 8). */
  retries?: number;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const DEFAULT_LOCK_TIMEOUT = 1000;
const READ_KEY_OVERHEAD = 64;

type State = 'open' | 'committing' | 'committed' | 'aborted';

/** Transaction is one unit of reads and writes; create it with db.transaction(). */
export class Transaction implements LockOwner {
  readonly isolation: Isolation;
  readonly pessimistic: boolean;
  private state: State = 'open';
  private readonly snapshot: Snapshot | null;
  /** readOptions: the options every read passes to the database (made once, not per read). */
  private readOptions: { snapshot?: Snapshot };
  /** statementSnapshot: under 'readCommitted', the snapshot reads use until the next refreshReadSnapshot(). */
  private statementSnapshot: Snapshot | null = null;
  private readonly writes: WriteBuffer;
  private readonly lockTimeout: number;
  private readonly ucmp: Comparator;
  // Made on first use (most transactions need none of them; fewer allocations per transaction).
  /** readKeys: keys read from the database (serializable), by id. */
  private readKeys: Map<string, Uint8Array> | null = null;
  /** readSpans: spans iterated by closed cursors (serializable). */
  private readSpans: KeySpan[] | null = null;
  /** lockedKeys: keys locked by optimistic getForUpdate, validated at commit like writes. */
  private lockedKeys: Map<string, Uint8Array> | null = null;
  private cursors: Set<TxnCursor> | null = null;
  /** held, waitingOn: this transaction as a lock owner (pessimistic only; optimistic ones never lock). @internal */
  readonly held: LockEntry[];
  waitingOn: LockEntry | TableLock | null = null;
  /** tables: the table locks it holds (any isolation level; null until the first). @internal */
  tables: TableLock[] | null = null;

  /** @internal */
  constructor(
    private readonly db: DB,
    options: TransactionOptions,
  ) {
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError('transaction options must be an object');
    const isolation = options.isolation ?? 'snapshot';
    if (isolation !== 'snapshot' && isolation !== 'serializable' && isolation !== 'readCommitted')
      throw new InvalidArgumentError(`isolation must be 'snapshot', 'serializable' or 'readCommitted'`);
    const pessimistic = options.pessimistic ?? false;
    if (typeof pessimistic !== 'boolean') throw new InvalidArgumentError('pessimistic must be a boolean');
    if (isolation === 'readCommitted' && !pessimistic)
      throw new InvalidArgumentError(`isolation 'readCommitted' needs pessimistic: true (writes must lock)`);
    this.lockTimeout = checkTimeout(options.lockTimeout, DEFAULT_LOCK_TIMEOUT, 'lockTimeout');
    this.writes = new WriteBuffer(checkNonNegative(options.maxBytes, DEFAULT_MAX_BYTES, 'maxBytes'));
    this.isolation = isolation;
    this.pessimistic = pessimistic;
    this.held = pessimistic ? [] : NO_LOCKS;
    this.ucmp = db.opts.comparator;
    // Only open: reading works on a read-only (or failed) database; a commit with writes is refused there.
    db.status.checkOpen();
    this.snapshot = isolation === 'readCommitted' ? null : db.snapshot();
    this.readOptions = this.snapshot === null ? {} : { snapshot: this.snapshot };
  }

  /** sequence: the sequence number of the transaction's snapshot (undefined under readCommitted). */
  get sequence(): number | undefined {
    return this.snapshot?.sequence;
  }

  /** isOpen is true until commit() is called or abort(). */
  get isOpen(): boolean {
    return this.state === 'open' && !this.db.isClosed;
  }

  /** get returns a copy of `key`'s value as this transaction sees it, or undefined when absent. */
  get(key: Uint8Array | string): Uint8Array | undefined {
    const k = toBytes(key, 'key');
    this.checkOpen();
    if (this.writes.size > 0) {
      const own = this.writes.get(k, keyId(key, k));
      if (own !== undefined) return own.value === null ? undefined : copyBytes(own.value);
    }
    if (this.isolation === 'serializable') this.recordRead(k, keyId(key, k));
    return this.db.get(k, this.readOptions);
  }

  /** has returns true iff `key` is present as this transaction sees it. */
  has(key: Uint8Array | string): boolean {
    return this.get(key) !== undefined;
  }

  /** put sets `key` to `value` within the transaction (pessimistic: locks the key, or throws). */
  put(key: Uint8Array | string, value: Uint8Array | string): void {
    const k = toBytes(key, 'key');
    const v = toBytes(value, 'value');
    this.checkOpen();
    const id = keyId(key, k);
    this.lockNow(k, id);
    this.writes.set(k, v, typeof key === 'string' && typeof value === 'string', id);
  }

  /**
   * putOwned is put() of bytes the caller hands over (made for this write, never changed afterwards): the
   * transaction keeps them without copying (the SQL layer's encoded keys and rows). @internal
   */
  putOwned(key: Uint8Array, value: Uint8Array): void {
    this.checkOpen();
    const id = toLatin1Key(key);
    this.lockNow(key, id);
    this.writes.set(key, value, true, id);
  }

  /**
   * putUnlocked is putOwned() without the row lock, and deleteUnlocked is delete() without it (both keep
   * the bytes handed over, uncopied). Requires: the transaction holds the key's table in ACCESS EXCLUSIVE
   * mode (lockTable), or the key is one nobody else can see yet (a new index's), so no other transaction
   * can lock or write it until this one ends. @internal
   */
  putUnlocked(key: Uint8Array, value: Uint8Array): void {
    this.checkOpen();
    this.writes.set(key, value, true, toLatin1Key(key));
  }

  /** deleteUnlocked: see putUnlocked. @internal */
  deleteUnlocked(key: Uint8Array): void {
    this.checkOpen();
    this.writes.set(key, null, true, toLatin1Key(key));
  }

  /**
   * tryLockTable takes table `id`'s lock in `mode` (table-lock.ts) if it can without waiting; returns
   * whether it did. Table locks are held until the transaction ends, in every isolation level.
   */
  tryLockTable(id: number, mode: TableLockMode): boolean {
    this.checkOpen();
    return this.db.locks.tryLockTable(this, id, mode);
  }

  /**
   * interruptWait fails the lock wait this transaction is in (getForUpdate, a pessimistic write, lockTable),
   * if any, with `err`; the locks it holds stay held. Returns whether it was waiting. For a caller that
   * cancels a statement (a server's CancelRequest or statement timeout).
   */
  interruptWait(err: Error): boolean {
    return this.db.locks.interruptWait(this, err);
  }

  /**
   * lockTable resolves once the transaction holds table `id`'s lock in `mode`, waiting (up to its lock
   * timeout; not at all with `nowait`) for transactions that hold a conflicting mode: LockTimeoutError,
   * DeadlockError. `describe` names the table in errors.
   */
  async lockTable(id: number, mode: TableLockMode, describe: () => string, nowait = false): Promise<void> {
    this.checkOpen();
    await this.db.locks.lockTable(this, id, mode, nowait ? 0 : this.lockTimeout, describe);
    if (this.state !== 'open') {
      this.db.locks.releaseAll(this, () => new ClosedError(`the transaction was ${this.state}`));
      throw new ClosedError(`the transaction was ${this.state} while waiting for a lock`);
    }
  }

  /** holdsTable returns true iff the transaction holds table `id`'s lock in `mode`. */
  holdsTable(id: number, mode: TableLockMode): boolean {
    return this.tables !== null && this.db.locks.holdsTable(this, id, mode);
  }

  /** delete removes `key` within the transaction (pessimistic: locks the key, or throws). */
  delete(key: Uint8Array | string): void {
    const k = toBytes(key, 'key');
    this.checkOpen();
    const id = keyId(key, k);
    this.lockNow(k, id);
    this.writes.set(k, null, typeof key === 'string', id);
  }

  /**
   * getForUpdate reads `key` like get() and claims it as if written: pessimistic transactions wait for
   * its lock (LockTimeoutError, DeadlockError) and then, under 'snapshot' or 'serializable', fail with
   * TxnConflictError if it was written after the snapshot (under 'readCommitted' they read the latest
   * committed value); optimistic transactions validate it at commit like a written key. With
   * `nowait`, a pessimistic transaction does not wait: a key another transaction holds is a
   * LockTimeoutError at once (SQL's NOWAIT).
   */
  getForUpdate(
    key: Uint8Array | string,
    options: { nowait?: boolean } = {},
  ): Promise<Uint8Array | undefined> {
    return this.readLocked(key, true, options.nowait === true);
  }

  /**
   * getForShare is getForUpdate with a shared lock (SQL's FOR SHARE): other transactions may share it, none
   * may write the key or lock it for update until this one ends.
   */
  getForShare(key: Uint8Array | string, options: { nowait?: boolean } = {}): Promise<Uint8Array | undefined> {
    return this.readLocked(key, false, options.nowait === true);
  }

  private async readLocked(
    key: Uint8Array | string,
    exclusive: boolean,
    nowait: boolean,
  ): Promise<Uint8Array | undefined> {
    const k = toBytes(key, 'key');
    this.checkOpen();
    const id = keyId(key, k);
    // Validated at commit like a written key (a plain write after the lock was taken takes no lock).
    if (this.snapshot !== null) {
      this.lockedKeys ??= new Map();
      if (!this.lockedKeys.has(id)) this.lockedKeys.set(id, copyBytes(k));
    }
    if (!this.pessimistic) return this.get(k);
    await this.db.locks.acquire(this, id, nowait ? 0 : this.lockTimeout, () => describeKey(k), exclusive);
    if (this.state !== 'open') {
      // Ended while waiting (abort): the lock may have been handed over just now; give it back.
      this.db.locks.releaseAll(this, () => new ClosedError(`the transaction was ${this.state}`));
      throw new ClosedError(`the transaction was ${this.state} while waiting for a lock`);
    }
    if (
      this.snapshot !== null &&
      this.writes.get(k, id) === undefined &&
      writtenAfter(this.conflictSource(), k, this.snapshot.sequence)
    ) {
      throw new TxnConflictError(`${describeKey(k)} was written after the transaction's snapshot`);
    }
    // Under 'readCommitted' the row just locked is read as last committed, not as of the statement.
    return this.snapshot === null ? this.getLatest(k) : this.get(k);
  }

  /**
   * refreshReadSnapshot (under 'readCommitted' only) makes reads see everything committed so far, and keep
   * seeing exactly that until the next call: a SQL statement under READ COMMITTED calls it before it runs.
   */
  refreshReadSnapshot(): void {
    this.checkOpen();
    if (this.isolation !== 'readCommitted') return;
    this.statementSnapshot?.release();
    this.statementSnapshot = this.db.snapshot();
    this.readOptions = { snapshot: this.statementSnapshot };
  }

  /**
   * iterator walks a range as this transaction sees it (db.iterator's options, except `snapshot`): the
   * snapshot merged with the transaction's own writes as of this call. It stays on that snapshot while
   * kept open across awaits, and closes when the transaction ends.
   */
  iterator(options: IteratorOptions = {}): Iterator {
    const { bounds, limit } = checkIteratorOptions(options);
    if (options.snapshot !== undefined)
      throw new InvalidArgumentError(
        'a transaction iterator reads the transaction snapshot; snapshot is not allowed',
      );
    this.checkOpen();
    const seq = (this.snapshot ?? this.statementSnapshot)?.sequence ?? this.db.versions.lastSequence;
    const base = this.db.dbIterator(seq, bounds, options);
    const cursor = new TxnCursor(
      base,
      this.writes.within(this.ucmp, bounds),
      this.ucmp,
      bounds.lower,
      bounds.upper,
      this.isolation === 'serializable',
      (c) => {
        this.cursors?.delete(c);
        if (c.span !== null) (this.readSpans ??= []).push(c.span);
      },
    );
    (this.cursors ??= new Set()).add(cursor);
    return new Iterator(cursor, options.reverse === true, limit);
  }

  /**
   * commit applies every write of the transaction atomically (one WAL record), or nothing: it rejects
   * with TxnConflictError when validation fails (see the isolation levels above). With `sync`, it
   * resolves once the record is on disk; concurrent synced commits share fsyncs. A transaction without
   * writes commits without touching the database.
   */
  commit(options?: WriteOptions): Promise<void> {
    // Not an async function: a commit applied at once returns the pipeline's promise itself (one
    // promise and one await less per transaction). It never throws; errors reject.
    let sync: boolean;
    try {
      sync = syncOption(options);
      this.checkOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    this.state = 'committing';
    try {
      this.closeCursors();
      if (this.writes.size > 0) {
        const db = this.db;
        db.status.checkWritable();
        const validate = (groupKeys: ReadonlySet<string>): void => this.validate(groupKeys);
        if (!db.pipeline.canWriteNow()) return this.commitQueued(sync, validate);
        // Validated and applied now (a conflict throws before anything is written). Locks and the
        // snapshot go before the write and the fsync complete: a later commit that read these writes
        // lands after them in the log, so it is never durable without them.
        const durable = db.pipeline.commitNow(this.writes, sync, validate);
        this.finish('committed');
        return durable;
      }
    } catch (err) {
      this.finish('aborted');
      return Promise.reject(err);
    }
    this.finish('committed');
    return Promise.resolve();
  }

  /** hasWrites: the transaction buffered a write (its commit has something to apply). */
  get hasWrites(): boolean {
    return this.writes.size > 0;
  }

  /**
   * commitUnchanged commits, at once, an open transaction that wrote nothing: what commit() does for it,
   * without a promise. Throws (and ends nothing) when the transaction wrote or is not open.
   */
  commitUnchanged(): void {
    this.checkOpen();
    if (this.writes.size > 0) throw new InvalidArgumentError('commitUnchanged: the transaction has writes');
    this.state = 'committing';
    try {
      this.closeCursors();
    } catch (err) {
      this.finish('aborted');
      throw err;
    }
    this.finish('committed');
  }

  /** commitQueued commits through the pipeline's queue (group commit), behind the writes queued ahead. */
  private async commitQueued(sync: boolean, validate: Validate): Promise<void> {
    try {
      await this.db.pipeline.enqueue(this.writes.toBatch(), sync, validate);
    } catch (err) {
      this.finish('aborted');
      throw err;
    }
    this.finish('committed');
  }

  /**
   * getLatest reads `key` as the newest committed state plus this transaction's own writes, ignoring its
   * snapshot (uniqueness checks: a key another transaction committed after the snapshot still exists).
   * Not recorded as a read.
   */
  getLatest(key: Uint8Array | string): Uint8Array | undefined {
    const k = toBytes(key, 'key');
    this.checkOpen();
    const own = this.writes.get(k);
    if (own !== undefined) return own.value === null ? undefined : copyBytes(own.value);
    return this.db.get(k);
  }

  /**
   * checkUnchangedSinceSnapshot throws TxnConflictError when `key` was written (by anyone else) after the
   * snapshot: an UPDATE or DELETE of a row that changed under a snapshot transaction fails at once, as in
   * PostgreSQL's REPEATABLE READ, instead of at commit. No-op under 'readCommitted'.
   */
  checkUnchangedSinceSnapshot(key: Uint8Array | string): void {
    const k = toBytes(key, 'key');
    this.checkOpen();
    if (this.snapshot === null || this.db.versions.lastSequence === this.snapshot.sequence) return;
    if (writtenAfter(this.conflictSource(), k, this.snapshot.sequence))
      throw new TxnConflictError(`${describeKey(k)} was written after the transaction's snapshot`);
  }

  /**
   * savepoint marks the transaction's writes and locks so far; rollbackToSavepoint(mark) undoes every write
   * made after it and gives up the locks taken after it (reads already recorded for 'serializable' stay:
   * that can only add conflicts).
   */
  savepoint(): Savepoint {
    this.checkOpen();
    return { writes: this.writes.mark(), locks: this.db.locks.lockMark(this) };
  }

  /** rollbackToSavepoint undoes the writes made, and releases the locks taken, since savepoint() gave `mark`. */
  rollbackToSavepoint(mark: Savepoint): void {
    this.checkOpen();
    this.writes.rollbackTo(mark.writes);
    this.db.locks.releaseSince(this, mark.locks);
  }

  /** releaseSavepoints stops keeping undo information (when no savepoint remains). */
  releaseSavepoints(): void {
    this.checkOpen();
    this.writes.release();
  }

  /** abort discards the transaction's writes and releases its snapshot and locks. */
  abort(): void {
    this.checkOpen();
    this.finish('aborted');
  }

  /** abortIfOpen aborts unless the transaction already ended (for cleanup paths). @internal */
  abortIfOpen(): void {
    if (this.state === 'open') this.finish('aborted');
  }

  private finish(state: 'committed' | 'aborted'): void {
    this.state = state;
    this.closeCursors();
    this.snapshot?.release();
    this.statementSnapshot?.release();
    if (this.pessimistic || this.tables !== null || this.waitingOn !== null)
      this.db.locks.releaseAll(this, () => new ClosedError(`the transaction was ${state}`));
  }

  private closeCursors(): void {
    if (this.cursors !== null) for (const c of [...this.cursors]) c.close();
  }

  private checkOpen(): void {
    if (this.state !== 'open') {
      throw new ClosedError(`the transaction is ${this.state === 'committing' ? 'committing' : this.state}`);
    }
    this.db.status.checkOpen();
  }

  /** lockNow takes `k`'s lock for a pessimistic write without waiting. */
  private lockNow(k: Uint8Array, id: string): void {
    if (!this.pessimistic) return;
    if (this.db.locks.tryAcquire(this, id)) return;
    throw new LockTimeoutError(
      `${describeKey(k)} is locked by another transaction (put and delete do not wait: await getForUpdate() first)`,
    );
  }

  private recordRead(k: Uint8Array, id: string): void {
    this.readKeys ??= new Map();
    if (this.readKeys.has(id)) return;
    this.writes.charge(k.length + READ_KEY_OVERHEAD);
    this.readKeys.set(id, copyBytes(k));
  }

  /** validate throws TxnConflictError if the transaction may not commit now (see the class comment). */
  private validate(groupKeys: ReadonlySet<string>): void {
    if (this.snapshot === null) return; // readCommitted: its written keys are locked
    const seq = this.snapshot.sequence;
    if (groupKeys.size === 0 && this.db.versions.lastSequence === seq) return; // nothing written since
    const src = this.conflictSource();
    const check = (id: string, k: Uint8Array, what: string): void => {
      if (groupKeys.has(id) || writtenAfter(src, k, seq))
        throw new TxnConflictError(
          `${describeKey(k)}, ${what}, was written after the transaction's snapshot`,
        );
    };
    for (const [id, w] of this.writes.entries()) check(id, w.key, 'which it wrote');
    if (this.lockedKeys !== null)
      for (const [id, k] of this.lockedKeys) check(id, k, 'which it read for update');
    if (this.isolation !== 'serializable') return;
    if (this.readKeys !== null) for (const [id, k] of this.readKeys) check(id, k, 'which it read');
    for (const span of this.readSpans ?? []) {
      let hit = rangeWrittenAfter(src, span, seq);
      if (!hit)
        for (const id of groupKeys) if (inSpan(this.ucmp, span, Buffer.from(id, 'latin1'))) hit = true;
      if (hit)
        throw new TxnConflictError(
          `a key in a range it iterated was written after the transaction's snapshot`,
        );
    }
  }

  private conflictSource(): ConflictSource {
    return {
      memtables: this.db.memtables,
      ucmp: this.ucmp,
      internalIterator: () => this.db.internalIterator(),
    };
  }
}

/** NO_LOCKS: the lock list of every optimistic transaction (frozen: they never lock). */
const NO_LOCKS = Object.freeze([]) as unknown as LockEntry[];

function describeKey(k: Uint8Array): string {
  const s = escapeBytes(k.subarray(0, 64));
  return `key '${s}${k.length > 64 ? '...' : ''}'`;
}

function checkNonNegative(v: unknown, fallback: number, what: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0)
    throw new InvalidArgumentError(`${what} must be a non-negative number`);
  return v;
}

/** checkTimeout: milliseconds a timer can wait (Node clamps more than 2^31 - 1 to 1 ms), or Infinity. */
function checkTimeout(v: unknown, fallback: number, what: string): number {
  const ms = checkNonNegative(v, fallback, what);
  if (ms > 2 ** 31 - 1 && ms !== Infinity)
    throw new InvalidArgumentError(`${what} must be at most 2^31 - 1 ms, or Infinity`);
  return ms;
}

/** isRetryable: a conflict or a deadlock, after which running the transaction again may succeed. */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === ErrorCode.TXN_CONFLICT || code === ErrorCode.DEADLOCK;
}
