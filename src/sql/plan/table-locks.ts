/**
 * TableLocks is the set of table locks a statement takes before it runs (docs/sql.md, "Locking"): ACCESS
 * SHARE on every table it reads, ROW SHARE on the tables SELECT ... FOR UPDATE/SHARE locks rows of, ROW
 * EXCLUSIVE on the table it writes, ACCESS EXCLUSIVE on the table TRUNCATE, ALTER TABLE or DROP TABLE
 * changes, SHARE for CREATE INDEX, the mode LOCK TABLE names. The planner collects them; the session takes them, waiting for
 * transactions that hold a conflicting mode, before the statement reads its snapshot.
 */
import type { Transaction } from '../../txn/transaction.js';
import { TableLockMode } from '../../txn/table-lock.js';
import type { TableDef } from '../catalog/table-def.js';
import { SqlError, SqlState } from '../errors.js';

export { TableLockMode };

/** TableLockRequest is one table's locks: its id and name, and the modes wanted (bits 1 << mode). */
export interface TableLockRequest {
  readonly id: number;
  readonly name: string;
  modes: number;
}

export class TableLocks {
  readonly requests: TableLockRequest[] = [];

  /** add asks for table `t`'s lock in `mode` (a table asked for in several modes gets each). */
  add(t: TableDef, mode: TableLockMode): void {
    for (const r of this.requests)
      if (r.id === t.id) {
        r.modes |= 1 << mode;
        return;
      }
    this.requests.push({ id: t.id, name: t.name, modes: 1 << mode });
  }
}

/** tryTakeTableLocks takes every lock of `requests` that it can without waiting; returns whether it got all. */
export function tryTakeTableLocks(tx: Transaction, requests: readonly TableLockRequest[]): boolean {
  for (const r of requests)
    for (let m = 1; m <= 8; m++)
      if ((r.modes & (1 << m)) !== 0 && !tx.tryLockTable(r.id, m as TableLockMode)) return false;
  return true;
}

/** tryTakeTableLocksNoWait takes every lock of `requests` at once, or throws 55P03 naming a table it could not lock. */
export function tryTakeTableLocksNoWait(tx: Transaction, requests: readonly TableLockRequest[]): void {
  for (const r of requests)
    for (let m = 1; m <= 8; m++)
      if ((r.modes & (1 << m)) !== 0 && !tx.tryLockTable(r.id, m as TableLockMode))
        throw new SqlError(SqlState.LOCK_NOT_AVAILABLE, `could not obtain lock on relation "${r.name}"`);
}

/** takeTableLocks takes every lock of `requests`, waiting for each in turn (LockTimeoutError, DeadlockError). */
export async function takeTableLocks(
  tx: Transaction,
  requests: readonly TableLockRequest[],
  nowait = false,
): Promise<void> {
  for (const r of requests)
    for (let m = 1; m <= 8; m++)
      if ((r.modes & (1 << m)) !== 0)
        await tx.lockTable(r.id, m as TableLockMode, () => `relation "${r.name}"`, nowait);
}

/** holdsExclusively returns true iff `tx` holds table `t` in ACCESS EXCLUSIVE mode (its writes need no row locks). */
export function holdsExclusively(tx: Transaction, t: TableDef): boolean {
  return tx.holdsTable(t.id, TableLockMode.ACCESS_EXCLUSIVE);
}
