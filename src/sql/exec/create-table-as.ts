/**
 * CREATE TABLE ... AS query and SELECT ... INTO: a table whose columns are the query's (names and types),
 * without keys (hidden row ids), filled with the query's rows in the same transaction.
 */
import { SqlError, SqlState } from '../errors.js';
import { TableLockMode } from '../plan/table-locks.js';
import type { Statement } from '../ast.js';
import type { TableDef } from '../catalog/table-def.js';
import type { ExecContext } from '../expr/context.js';
import type { Planner } from '../plan/planner.js';
import { sqlType } from '../types/sql-type.js';
import { doneCursor, type Cursor, type Executable } from './executable.js';
import { checkColumnType, rowIdWriter, skipExisting } from './table-ops.js';

type CreateTableAs = Extract<Statement, { kind: 'createTableAs' }>;

export function planCreateTableAs(
  planner: Planner,
  s: CreateTableAs,
): Omit<Executable, 'paramTypes' | 'explain'> {
  const name = s.table.name;
  if (s.table.schema !== undefined && s.table.schema !== 'public')
    throw new SqlError('3F000', `schema "${s.table.schema}" does not exist`);
  const plan = planner.planQuery(s.query, undefined);
  if (s.columns.length > plan.columns.length)
    throw new SqlError(SqlState.SYNTAX_ERROR, 'too many column names were specified');
  const columns = plan.columns.map((c, i) => ({
    name: s.columns[i] ?? c.name,
    type: c.type.id === 'unknown' ? sqlType('text') : c.type,
    notNull: false,
    default: undefined,
    sequence: undefined,
  }));
  for (const c of columns) checkColumnType(c.name, c.type);
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.name))
      throw new SqlError(SqlState.DUPLICATE_COLUMN, `column "${c.name}" specified more than once`);
    seen.add(c.name);
  }
  return {
    columns: undefined,
    writes: true,
    run(ex: ExecContext): Cursor {
      const catalog = ex.runtime.catalog;
      if (skipExisting(ex, name, s.ifNotExists)) return doneCursor('CREATE TABLE AS');
      const def: TableDef = {
        id: catalog.allocateId(),
        name,
        columns,
        primaryKey: [],
        primaryKeyName: undefined,
        rowIdSequence: catalog.allocateId(),
        indexes: [],
        checks: [],
      };
      catalog.put(def);
      ex.txn.tryLockTable(def.id, TableLockMode.ACCESS_EXCLUSIVE);
      if (!s.withData) return doneCursor('CREATE TABLE AS');
      const writer = rowIdWriter(planner, ex, def);
      let n = 0;
      for (const r of plan.rows(ex)) {
        writer.insert([...r]);
        n++;
      }
      return doneCursor(`SELECT ${n}`);
    },
  };
}
