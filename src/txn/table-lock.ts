/**
 * TableLock: one table's lock in PostgreSQL's eight modes (docs/sql.md, "Locking"), held until the
 * transaction ends. A request conflicts with another transaction's lock in a mode its mode conflicts with
 * (PostgreSQL's table of conflicts: ACCESS SHARE, taken by reads, only with ACCESS EXCLUSIVE; ROW EXCLUSIVE,
 * taken by writes, with SHARE and stronger; ACCESS EXCLUSIVE, taken by TRUNCATE, ALTER TABLE and DROP
 * TABLE, with every mode). Waiters queue in order; LockManager grants, queues and detects deadlocks.
 */
import type { LockOwner } from './lock-manager.js';

/** TableLockMode names PostgreSQL's table lock modes, weakest first (the numbers are PostgreSQL's). */
export const TableLockMode = {
  ACCESS_SHARE: 1,
  ROW_SHARE: 2,
  ROW_EXCLUSIVE: 3,
  SHARE_UPDATE_EXCLUSIVE: 4,
  SHARE: 5,
  SHARE_ROW_EXCLUSIVE: 6,
  EXCLUSIVE: 7,
  ACCESS_EXCLUSIVE: 8,
} as const;
export type TableLockMode = (typeof TableLockMode)[keyof typeof TableLockMode];

/** MODE_NAMES: each mode as PostgreSQL's messages and pg_locks name it, by mode number. */
export const MODE_NAMES: readonly string[] = [
  '',
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
];

const bit = (m: number): number => 1 << m;

/** CONFLICTS[m]: the modes (as bits 1 << mode) that mode m conflicts with (PostgreSQL's lock.c table). */
export const CONFLICTS: readonly number[] = [
  0,
  bit(8),
  bit(7) | bit(8),
  bit(5) | bit(6) | bit(7) | bit(8),
  bit(4) | bit(5) | bit(6) | bit(7) | bit(8),
  bit(3) | bit(4) | bit(6) | bit(7) | bit(8),
  bit(3) | bit(4) | bit(5) | bit(6) | bit(7) | bit(8),
  bit(2) | bit(3) | bit(4) | bit(5) | bit(6) | bit(7) | bit(8),
  bit(1) | bit(2) | bit(3) | bit(4) | bit(5) | bit(6) | bit(7) | bit(8),
];

/** modesConflict returns true iff a lock in mode `a` and one in mode `b` cannot be held by two transactions. */
export function modesConflict(a: TableLockMode, b: TableLockMode): boolean {
  return (CONFLICTS[a]! & bit(b)) !== 0;
}

/** TableWaiter is a queued request for a table lock. @internal */
export interface TableWaiter {
  readonly owner: LockOwner;
  readonly mode: TableLockMode;
  readonly grant: () => void;
  readonly fail: (err: Error) => void;
}

/**
 * TableLock is one table's holders (each with the modes it holds, as bits) and its queue. Invariants:
 * 1. counts[m] is the number of holders holding mode m; bit m of granted is set iff counts[m] > 0.
 * 2. No two holders hold conflicting modes.
 * @internal
 */
export class TableLock {
  /** holders: each holder with the modes it holds (bits 1 << mode). */
  readonly holders = new Map<LockOwner, number>();
  /** counts: holders per mode, by mode number (conflict checks without visiting the holders). */
  private readonly counts = new Int32Array(9);
  /** granted: the modes someone holds (bit m set iff counts[m] > 0), for the common no-conflict case. */
  private granted = 0;
  queue: TableWaiter[] = [];

  constructor(readonly id: number) {}

  /** held returns the modes `owner` holds, as bits. */
  held(owner: LockOwner): number {
    return this.holders.get(owner) ?? 0;
  }

  /** conflictsWithHolders returns true iff another holder holds a mode that conflicts with `mode`. */
  conflictsWithHolders(owner: LockOwner, mode: TableLockMode): boolean {
    const c = CONFLICTS[mode]!;
    if ((c & this.granted) === 0) return false;
    const own = this.held(owner);
    for (let m = 1; m <= 8; m++)
      if ((c & bit(m)) !== 0 && this.counts[m]! - ((own >> m) & 1) > 0) return true;
    return false;
  }

  /** conflictsWithQueue returns true iff one of the first `ahead` waiters asks for a mode that conflicts with `mode`. */
  conflictsWithQueue(mode: TableLockMode, ahead: number): boolean {
    const c = CONFLICTS[mode]!;
    for (let i = 0; i < ahead; i++) if ((c & bit(this.queue[i]!.mode)) !== 0) return true;
    return false;
  }

  /** add records that `owner` holds `mode`; returns true iff it held no mode of this lock before. */
  add(owner: LockOwner, mode: TableLockMode): boolean {
    const own = this.held(owner);
    if ((own & bit(mode)) !== 0) return false;
    this.holders.set(owner, own | bit(mode));
    this.counts[mode]!++;
    this.granted |= bit(mode);
    return own === 0;
  }

  /** remove gives up every mode `owner` holds; returns whether it held any. */
  remove(owner: LockOwner): boolean {
    const own = this.held(owner);
    if (own === 0) return false;
    this.removeModes(owner, own);
    return true;
  }

  /** removeModes gives up the modes of `modes` (bits) that `owner` holds. */
  removeModes(owner: LockOwner, modes: number): void {
    const own = this.held(owner);
    const gone = own & modes;
    if (gone === own) this.holders.delete(owner);
    else this.holders.set(owner, own & ~gone);
    for (let bits = gone; bits !== 0; bits &= bits - 1) {
      const m = 31 - Math.clz32(bits & -bits);
      if (--this.counts[m]! === 0) this.granted &= ~bit(m);
    }
  }

  /**
   * blockers lists whom `owner`, asking for `mode`, waits for: the other holders of a conflicting mode and
   * the first `ahead` waiters (other than itself) asking for one.
   */
  blockers(owner: LockOwner, mode: TableLockMode, ahead: number): LockOwner[] {
    const c = CONFLICTS[mode]!;
    const out: LockOwner[] = [];
    for (const [o, held] of this.holders) if (o !== owner && (held & c) !== 0) out.push(o);
    for (let i = 0; i < ahead && i < this.queue.length; i++) {
      const w = this.queue[i]!;
      if (w.owner !== owner && (c & bit(w.mode)) !== 0) out.push(w.owner);
    }
    return out;
  }

  /**
   * grantWaiting grants, in queue order, every waiter whose mode conflicts neither with the holders nor
   * with a waiter still queued ahead of it (PostgreSQL's ProcLockWakeup).
   */
  grantWaiting(): void {
    let ahead = 0;
    for (let i = 0; i < this.queue.length;) {
      const w = this.queue[i]!;
      if ((CONFLICTS[w.mode]! & ahead) === 0 && !this.conflictsWithHolders(w.owner, w.mode)) {
        this.queue.splice(i, 1);
        if (this.add(w.owner, w.mode)) (w.owner.tables ??= []).push(this);
        w.grant();
      } else {
        ahead |= bit(w.mode);
        i++;
      }
    }
  }
}
