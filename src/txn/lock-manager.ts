/**
 * LockManager: exclusive row locks for pessimistic transactions (RocksDB's TransactionDB lock manager,
 * PostgreSQL's row locks), held until the transaction ends (two-phase locking). A transaction waits for
 * at most one lock at a time, in FIFO order behind earlier waiters, for at most its lock timeout. Before
 * waiting, the wait-for graph (a waiter waits for the holder and for everyone queued ahead of it) is
 * searched from the lock's holder: reaching the requester means the wait would never end, and the
 * request fails at once with DeadlockError instead.
 */
import { DeadlockError, InvalidArgumentError, LockTimeoutError } from '../util/errors.js';

/** LockOwner is a transaction as the lock manager sees it. @internal */
export interface LockOwner {
  /** held: the ids of the locks it holds. */
  readonly held: Set<string>;
  /** waitingOn: the lock it is queued for, if any. */
  waitingOn: LockEntry | null;
}

interface Waiter {
  readonly owner: LockOwner;
  readonly grant: () => void;
  readonly fail: (err: Error) => void;
}

/** LockEntry is one locked key: its holder and its queue. @internal */
export interface LockEntry {
  holder: LockOwner;
  readonly queue: Waiter[];
}

/** LockManager grants and queues row locks by key id (see toLatin1Key). @internal */
export class LockManager {
  private readonly locks = new Map<string, LockEntry>();

  /** tryAcquire takes the lock on `id` if it is free or already `owner`'s; returns whether it did. */
  tryAcquire(owner: LockOwner, id: string): boolean {
    const e = this.locks.get(id);
    if (e === undefined) {
      this.locks.set(id, { holder: owner, queue: [] });
      owner.held.add(id);
      return true;
    }
    return e.holder === owner;
  }

  /**
   * acquire resolves once `owner` holds the lock on `id`. Rejects with DeadlockError (at once) when the
   * wait would close a cycle, or LockTimeoutError after `timeoutMs`; on rejection nothing is held.
   */
  acquire(owner: LockOwner, id: string, timeoutMs: number, describe: () => string): Promise<void> {
    if (this.tryAcquire(owner, id)) return Promise.resolve();
    if (owner.waitingOn !== null) {
      // One wait at a time: the wait-for graph (and abort's cancellation) follow a single edge.
      return Promise.reject(
        new InvalidArgumentError('a transaction can wait for one lock at a time: await each getForUpdate'),
      );
    }
    const e = this.locks.get(id)!;
    if (this.waitsFor(e, e.queue.length, owner)) {
      return Promise.reject(new DeadlockError(`deadlock detected waiting for the lock on ${describe()}`));
    }
    if (timeoutMs <= 0) {
      return Promise.reject(new LockTimeoutError(`${describe()} is locked by another transaction`));
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        owner,
        grant: () => {
          clearTimeout(timer);
          owner.waitingOn = null;
          resolve();
        },
        fail: (err) => {
          clearTimeout(timer);
          const i = e.queue.indexOf(waiter);
          if (i >= 0) e.queue.splice(i, 1);
          owner.waitingOn = null;
          reject(err);
        },
      };
      // No timer for an unbounded wait (setTimeout turns values past 2^31 - 1 ms into 1 ms).
      const timer =
        timeoutMs === Infinity
          ? undefined
          : setTimeout(
              () =>
                waiter.fail(
                  new LockTimeoutError(
                    `timed out after ${timeoutMs} ms waiting for the lock on ${describe()}`,
                  ),
                ),
              timeoutMs,
            );
      owner.waitingOn = e;
      e.queue.push(waiter);
    });
  }

  /**
   * releaseAll gives up every lock `owner` holds (and its wait, failing it with `reason()`: made only then,
   * since an error captures a stack and every commit releases its locks here).
   */
  releaseAll(owner: LockOwner, reason: () => Error): void {
    const w = owner.waitingOn;
    if (w !== null) w.queue.find((q) => q.owner === owner)?.fail(reason());
    for (const id of owner.held) {
      const e = this.locks.get(id);
      if (e === undefined || e.holder !== owner) continue;
      const next = e.queue.shift();
      if (next === undefined) {
        this.locks.delete(id);
        continue;
      }
      e.holder = next.owner;
      next.owner.held.add(id);
      next.grant();
    }
    owner.held.clear();
  }

  /** size is the number of keys locked (for tests and metrics). */
  get size(): number {
    return this.locks.size;
  }

  /**
   * waitsFor returns true iff someone in the wait-for graph from lock `e` (its holder, and its first
   * `ahead` waiters) is `target` or transitively waits for `target`.
   */
  private waitsFor(e: LockEntry, ahead: number, target: LockOwner): boolean {
    const seen = new Set<LockOwner>();
    const stack: LockOwner[] = [e.holder, ...e.queue.slice(0, ahead).map((w) => w.owner)];
    while (stack.length > 0) {
      const o = stack.pop()!;
      if (o === target) return true;
      if (seen.has(o)) continue;
      seen.add(o);
      const w = o.waitingOn;
      if (w === null) continue;
      stack.push(w.holder);
      for (const q of w.queue) {
        if (q.owner === o) break;
        stack.push(q.owner);
      }
    }
    return false;
  }
}
