/**
 * LockManager: row locks for pessimistic transactions (RocksDB's TransactionDB lock manager, PostgreSQL's
 * row locks), held until the transaction ends (two-phase locking). A lock is exclusive (writes,
 * getForUpdate) or shared (getForShare, SQL's FOR SHARE): any number of transactions share it, none while
 * one holds it exclusively. A transaction waits for at most one lock at a time, in FIFO order behind
 * earlier waiters (a shared request waits behind a queued exclusive one, so writers are not starved), for
 * at most its lock timeout. A holder that asks for more (shared to exclusive) gets it at once when it is
 * the only holder, else waits for the others to go. Before waiting, the wait-for graph (a waiter waits for
 * the holders and for everyone queued ahead of it) is searched from the lock's holders: reaching the
 * requester means the wait would never end, and the request fails at once with DeadlockError instead.
 * It also holds table locks (table-lock.ts: PostgreSQL's eight modes), taken by SQL statements in every
 * isolation level; their waits join the same wait-for graph, so a deadlock through a table lock and a row
 * lock is found too. A savepoint marks what a transaction holds (lockMark); rolling back to it gives up the
 * locks taken since (releaseSince), as PostgreSQL releases an aborted subtransaction's locks.
 */
import { DeadlockError, InvalidArgumentError, LockTimeoutError } from '../util/errors.js';
import { TableLock, type TableLockMode, type TableWaiter } from './table-lock.js';

/** LockOwner is a transaction as the lock manager sees it. @internal */
export interface LockOwner {
  /**
   * held: the locks it holds, each once (an array, not a Set of ids: a transaction writing a million rows
   * takes a million locks, and releasing them needs no lookup).
   */
  readonly held: LockEntry[];
  /** tables: the table locks it holds, each once (null until the first). */
  tables: TableLock[] | null;
  /** waitingOn: the lock it is queued for, if any. */
  waitingOn: LockEntry | TableLock | null;
}

/** LockMark is what an owner held at a savepoint: how many row locks, and each table's modes (bits). @internal */
export interface LockMark {
  readonly rows: number;
  readonly tables: ReadonlyMap<TableLock, number> | null;
}

interface Waiter {
  readonly owner: LockOwner;
  readonly exclusive: boolean;
  readonly grant: () => void;
  readonly fail: (err: Error) => void;
}

/**
 * Holders is the set of a lock's holders: one field while there is one (nearly always: a big transaction
 * takes a lock per row, and a Set per lock was most of their cost), a Set only while it is shared. @internal
 */
export class Holders {
  private one: LockOwner | null = null;
  private many: Set<LockOwner> | null = null;

  constructor(first: LockOwner) {
    this.one = first;
  }

  get size(): number {
    return this.many !== null ? this.many.size : this.one === null ? 0 : 1;
  }

  has(o: LockOwner): boolean {
    return this.many !== null ? this.many.has(o) : this.one === o;
  }

  add(o: LockOwner): void {
    if (this.many !== null) this.many.add(o);
    else if (this.one === null) this.one = o;
    else if (this.one !== o) {
      this.many = new Set([this.one, o]);
      this.one = null;
    }
  }

  /** delete removes `o`; returns whether it was a holder. */
  delete(o: LockOwner): boolean {
    if (this.many !== null) return this.many.delete(o);
    if (this.one !== o) return false;
    this.one = null;
    return true;
  }

  *[Symbol.iterator](): IterableIterator<LockOwner> {
    if (this.many !== null) yield* this.many;
    else if (this.one !== null) yield this.one;
  }
}

/** LockEntry is one locked key: its holders (one if exclusive) and its queue. @internal */
export interface LockEntry {
  readonly id: string;
  readonly holders: Holders;
  exclusive: boolean;
  /** queue: the waiters in order (NO_WAITERS, shared and never changed, until the first one comes). */
  queue: Waiter[];
}

/** NO_WAITERS: the queue of every lock nobody has waited for (most locks: one array less per key). */
const NO_WAITERS: Waiter[] = [];

/** LockManager grants and queues row locks by key id (see toLatin1Key). @internal */
export class LockManager {
  private readonly locks = new Map<string, LockEntry>();
  /**
   * tables: table locks by table id, kept when nobody holds them (a few per table: making one per statement
   * would cost more than keeping them).
   */
  private readonly tables = new Map<number, TableLock>();

  /**
   * tryAcquire takes the lock on `id` (exclusive unless `exclusive` is false) if it can without waiting:
   * it is free, already `owner`'s in that mode or a stronger one, shared with nobody queued for it (for
   * a shared request), or `owner`'s alone (to make shared exclusive). Returns whether it did.
   */
  tryAcquire(owner: LockOwner, id: string, exclusive = true): boolean {
    const e = this.locks.get(id);
    if (e === undefined) {
      const entry: LockEntry = { id, holders: new Holders(owner), exclusive, queue: NO_WAITERS };
      this.locks.set(id, entry);
      owner.held.push(entry);
      return true;
    }
    if (e.holders.has(owner)) {
      if (!exclusive || e.exclusive) return true;
      if (e.holders.size > 1) return false;
      e.exclusive = true;
      return true;
    }
    if (exclusive || e.exclusive || e.queue.length > 0) return false;
    e.holders.add(owner);
    owner.held.push(e);
    return true;
  }

  /**
   * acquire resolves once `owner` holds the lock on `id` (exclusive unless `exclusive` is false). Rejects
   * with DeadlockError (at once) when the wait would close a cycle, or LockTimeoutError after
   * `timeoutMs`; on rejection it holds nothing more than before.
   */
  acquire(
    owner: LockOwner,
    id: string,
    timeoutMs: number,
    describe: () => string,
    exclusive = true,
  ): Promise<void> {
    if (this.tryAcquire(owner, id, exclusive)) return Promise.resolve();
    if (owner.waitingOn !== null) {
      // One wait at a time: the wait-for graph (and abort's cancellation) follow a single edge.
      return Promise.reject(
        new InvalidArgumentError('a transaction can wait for one lock at a time: await each getForUpdate'),
      );
    }
    const e = this.locks.get(id)!;
    const blockers = [...e.holders].filter((h) => h !== owner).concat(e.queue.map((w) => w.owner));
    if (this.waitsFor(blockers, owner)) {
      return Promise.reject(new DeadlockError(`deadlock detected waiting for the lock on ${describe()}`));
    }
    if (timeoutMs <= 0) {
      return Promise.reject(new LockTimeoutError(`${describe()} is locked by another transaction`));
    }
    return this.queueUp(
      owner,
      e,
      timeoutMs,
      describe,
      (grant, fail): Waiter => ({ owner, exclusive, grant, fail }),
      (w) => {
        if (e.queue === NO_WAITERS) e.queue = [];
        e.queue.push(w);
      },
      (w) => {
        const i = e.queue.indexOf(w);
        if (i >= 0) e.queue.splice(i, 1);
        // Those queued behind it may go now (shared requests behind a failed exclusive one).
        if (i === 0) this.grantWaiting(e);
      },
    );
  }

  /**
   * queueUp makes `owner`'s wait on `on`: a waiter (`make`) put in the queue (`enqueue`), which resolves
   * when granted and rejects when failed (LockTimeoutError after `timeoutMs`, or the reason releaseAll
   * gives), taken out of the queue then (`dequeue`).
   */
  private queueUp<W extends { readonly fail: (err: Error) => void }>(
    owner: LockOwner,
    on: LockEntry | TableLock,
    timeoutMs: number,
    describe: () => string,
    make: (grant: () => void, fail: (err: Error) => void) => W,
    enqueue: (w: W) => void,
    dequeue: (w: W) => void,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter = make(
        () => {
          clearTimeout(timer);
          owner.waitingOn = null;
          resolve();
        },
        (err) => {
          clearTimeout(timer);
          owner.waitingOn = null;
          reject(err);
          dequeue(waiter);
        },
      );
      // No timer for an unbounded wait (setTimeout turns values past 2^31 - 1 ms into 1 ms).
      if (timeoutMs !== Infinity)
        timer = setTimeout(() => {
          const err = new LockTimeoutError(
            `timed out after ${timeoutMs} ms waiting for the lock on ${describe()}`,
          );
          waiter.fail(err);
        }, timeoutMs);
      owner.waitingOn = on;
      enqueue(waiter);
    });
  }

  /**
   * interruptWait fails `owner`'s wait with `err`, if it is waiting (a cancelled or timed-out statement);
   * the locks it holds stay held. Returns whether there was a wait to fail.
   */
  interruptWait(owner: LockOwner, err: Error): boolean {
    const w = owner.waitingOn;
    if (w === null) return false;
    const waiter = (w.queue as { owner: LockOwner; fail(e: Error): void }[]).find((q) => q.owner === owner);
    if (waiter === undefined) return false;
    waiter.fail(err);
    return true;
  }

  /**
   * releaseAll gives up every lock `owner` holds (and its wait, failing it with `reason()`: made only then,
   * since an error captures a stack and every commit releases its locks here).
   */
  releaseAll(owner: LockOwner, reason: () => Error): void {
    if (owner.waitingOn !== null) this.interruptWait(owner, reason());
    const held = owner.held;
    for (let i = 0; i < held.length; i++) {
      const e = held[i]!;
      if (e.holders.delete(owner)) this.grantWaiting(e);
    }
    if (held.length > 0) held.length = 0;
    const tables = owner.tables;
    if (tables !== null) {
      owner.tables = null;
      for (const t of tables) if (t.remove(owner) && t.queue.length > 0) t.grantWaiting();
    }
  }

  /** lockMark records what `owner` holds now, for releaseSince. */
  lockMark(owner: LockOwner): LockMark {
    const tables = owner.tables;
    return {
      rows: owner.held.length,
      tables: tables === null ? null : new Map(tables.map((t) => [t, t.held(owner)])),
    };
  }

  /**
   * releaseSince gives up the locks `owner` took after `mark` (lockMark): row locks it did not hold then, and
   * table lock modes it did not hold then. A row lock held shared at the mark and made exclusive since stays
   * exclusive (stronger than PostgreSQL, which returns it to shared: more waiting, never less).
   */
  releaseSince(owner: LockOwner, mark: LockMark): void {
    const held = owner.held;
    for (let i = mark.rows; i < held.length; i++) {
      const e = held[i]!;
      if (e.holders.delete(owner)) this.grantWaiting(e);
    }
    if (held.length > mark.rows) held.length = mark.rows;
    const tables = owner.tables;
    if (tables === null) return;
    const kept = tables.filter((t) => {
      const since = t.held(owner) & ~(mark.tables?.get(t) ?? 0);
      if (since !== 0) {
        t.removeModes(owner, since);
        if (t.queue.length > 0) t.grantWaiting();
      }
      return t.held(owner) !== 0;
    });
    owner.tables = kept.length > 0 ? kept : null;
  }

  /**
   * tryLockTable takes table `id`'s lock in `mode` if it can without waiting: `owner` already holds that
   * mode, or no other holder holds a conflicting one and (unless `owner` holds some mode of it already) no
   * waiter asks for one. Returns whether it did.
   */
  tryLockTable(owner: LockOwner, id: number, mode: TableLockMode): boolean {
    let t = this.tables.get(id);
    if (t === undefined) {
      t = new TableLock(id);
      this.tables.set(id, t);
    }
    const own = t.held(owner);
    if ((own & (1 << mode)) !== 0) return true;
    // A holder asking for more ignores the queue: waiting behind a waiter that waits for it never ends.
    if (t.conflictsWithHolders(owner, mode) || (own === 0 && t.conflictsWithQueue(mode, t.queue.length)))
      return false;
    if (t.add(owner, mode)) (owner.tables ??= []).push(t);
    return true;
  }

  /**
   * lockTable resolves once `owner` holds table `id`'s lock in `mode`. Rejects with DeadlockError (at once)
   * when the wait would close a cycle, or LockTimeoutError after `timeoutMs` (at once when it is 0); on
   * rejection it holds nothing more than before.
   */
  lockTable(
    owner: LockOwner,
    id: number,
    mode: TableLockMode,
    timeoutMs: number,
    describe: () => string,
  ): Promise<void> {
    if (this.tryLockTable(owner, id, mode)) return Promise.resolve();
    if (owner.waitingOn !== null)
      return Promise.reject(new InvalidArgumentError('a transaction can wait for one lock at a time'));
    const t = this.tables.get(id)!;
    if (this.waitsFor(t.blockers(owner, mode, t.queue.length), owner))
      return Promise.reject(new DeadlockError(`deadlock detected waiting for the lock on ${describe()}`));
    if (timeoutMs <= 0)
      return Promise.reject(new LockTimeoutError(`${describe()} is locked by another transaction`));
    return this.queueUp(
      owner,
      t,
      timeoutMs,
      describe,
      (grant, fail): TableWaiter => ({ owner, mode, grant, fail }),
      (w) => t.queue.push(w),
      (w) => {
        const i = t.queue.indexOf(w);
        if (i >= 0) t.queue.splice(i, 1);
        // Those queued behind it may go now.
        t.grantWaiting();
      },
    );
  }

  /** holdsTable returns true iff `owner` holds table `id`'s lock in `mode`. */
  holdsTable(owner: LockOwner, id: number, mode: TableLockMode): boolean {
    const t = this.tables.get(id);
    return t !== undefined && (t.held(owner) & (1 << mode)) !== 0;
  }

  /** tableHolders lists who holds table `id`'s lock and in which modes (bits 1 << mode), for tests. */
  tableHolders(id: number): ReadonlyMap<LockOwner, number> {
    return this.tables.get(id)?.holders ?? new Map();
  }

  /** size is the number of keys locked (for tests and metrics). */
  get size(): number {
    return this.locks.size;
  }

  /** grantWaiting hands the lock to the waiters at the head of its queue that can have it now. */
  private grantWaiting(e: LockEntry): void {
    while (e.queue.length > 0) {
      const w = e.queue[0]!;
      const alone = e.holders.size === 0 || (e.holders.size === 1 && e.holders.has(w.owner));
      if (w.exclusive ? !alone : e.exclusive && e.holders.size > 0) break;
      e.queue.shift();
      const already = e.holders.has(w.owner); // a holder upgrading shared to exclusive
      e.exclusive = w.exclusive || (e.exclusive && already);
      if (!already) {
        e.holders.add(w.owner);
        w.owner.held.push(e);
      }
      w.grant();
      if (w.exclusive) break;
    }
    if (e.holders.size === 0 && e.queue.length === 0) this.locks.delete(e.id);
  }

  /**
   * waitsFor returns true iff one of `start` (whom a request would wait for) is `target` or transitively
   * waits for `target`, through row locks and table locks alike.
   */
  private waitsFor(start: LockOwner[], target: LockOwner): boolean {
    const seen = new Set<LockOwner>();
    const stack = start;
    while (stack.length > 0) {
      const o = stack.pop()!;
      if (o === target) return true;
      if (seen.has(o)) continue;
      seen.add(o);
      const w = o.waitingOn;
      if (w === null) continue;
      if (w instanceof TableLock) {
        const i = w.queue.findIndex((q) => q.owner === o);
        if (i >= 0) stack.push(...w.blockers(o, w.queue[i]!.mode, i));
        continue;
      }
      for (const h of w.holders) if (h !== o) stack.push(h);
      for (const q of w.queue) {
        if (q.owner === o) break;
        stack.push(q.owner);
      }
    }
    return false;
  }
}
