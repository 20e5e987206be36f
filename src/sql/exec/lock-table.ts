/**
 * LOCK TABLE: the statement is its table locks (plan/table-locks.ts), taken before it runs like any data
 * statement's and held until the transaction ends. A view locks the tables its query reads, views within
 * it included, as PostgreSQL does. Only in a transaction block (25P01 otherwise); NOWAIT makes a lock
 * another transaction holds an error (55P03) instead of a wait.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import type { Statement } from '../ast.js';
import type { Planner } from '../plan/planner.js';
import { TableLockMode } from '../plan/table-locks.js';
import { doneCursor, type Executable } from './executable.js';

type LockStatement = Extract<Statement, { kind: 'lock' }>;

export function planLockTable(planner: Planner, s: LockStatement): Executable {
  const catalog = planner.catalog;
  for (const ref of s.tables) {
    const name = ref.name;
    const user = catalog.entry(name) !== undefined;
    if (
      ref.schema === 'pg_catalog' ||
      ref.schema === 'information_schema' ||
      (!user && ref.schema === undefined && planner.isSystemRelation(undefined, name))
    )
      throw notSupported('LOCK TABLE on a system catalog');
    if (ref.schema !== undefined && ref.schema !== 'public')
      throw new SqlError(SqlState.UNDEFINED_TABLE, `relation "${ref.schema}.${name}" does not exist`, {
        position: ref.loc + 1,
      });
    const view = catalog.view(name);
    if (view !== undefined) {
      planner.planView(view.query); // asks for the locks of the tables it reads
      continue;
    }
    if (catalog.sequence(name) !== undefined)
      throw new SqlError(SqlState.WRONG_OBJECT_TYPE, `cannot lock relation "${name}"`, {
        detail: 'This operation is not supported for sequences.',
      });
    // No position: PostgreSQL reports none for a missing relation here.
    planner.tableLocks.add(catalog.table(name), s.mode as TableLockMode);
  }
  // Planning a view asked for its tables' read locks: every table is locked in the statement's mode only.
  for (const r of planner.tableLocks.requests) r.modes = 1 << s.mode;
  return {
    columns: undefined,
    // Any mode is allowed in a read-only transaction, as in PostgreSQL (a lock changes no data).
    writes: false,
    paramTypes: [],
    lockNoWait: s.nowait,
    blockOnly: 'LOCK TABLE',
    run: () => doneCursor('LOCK TABLE'),
    explain: () => [],
  };
}
