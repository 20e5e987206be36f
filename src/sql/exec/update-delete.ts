/**
 * UPDATE and DELETE: the rows the WHERE clause selects (through the best access path) are collected first,
 * then changed, so a row moved by an UPDATE of its key is never met twice.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import type { Statement } from '../ast.js';
import { columnIndex, type TableDef } from '../catalog/table-def.js';
import { coerce, isUntyped } from '../expr/coerce.js';
import type { Compiled, ExecContext } from '../expr/context.js';
import { chooseAccessPath, conjuncts } from '../plan/access-path.js';
import type { Planner } from '../plan/planner.js';
import { Scope, type Row } from '../plan/scope.js';
import { TableScan, decodeTableRow, type TableEntry } from '../plan/table-scan.js';
import { sqlType } from '../types/sql-type.js';
import { compileReturning } from './returning.js';
import { rowsCursor, type Cursor, type Executable } from './executable.js';
import { RowWriter } from './row-writer.js';
import { compileDefault } from './defaults.js';

type Update = Extract<Statement, { kind: 'update' }>;
type Delete = Extract<Statement, { kind: 'delete' }>;

export function matching(
  planner: Planner,
  table: TableDef,
  alias: string,
  where: Update['where'],
): { scan: TableScan; filter: Compiled | undefined; scope: Scope } {
  const path = chooseAccessPath(planner, table, alias, conjuncts(where), undefined);
  const scan = new TableScan(table, alias, path);
  const scope = new Scope(scan.columns);
  let filter: Compiled | undefined;
  if (where !== undefined) {
    filter = planner.compile(where, scope, 'WHERE');
    if (isUntyped(filter)) filter = coerce(planner, filter, sqlType('bool'), 'implicit', where.loc);
    if (filter.type.id !== 'bool')
      throw new SqlError(SqlState.DATATYPE_MISMATCH, 'argument of WHERE must be type boolean', {
        position: where.loc + 1,
      });
  }
  return { scan, filter, scope };
}

/**
 * relock (READ COMMITTED): waits for the row's lock, then takes the row as last committed; undefined when
 * it was deleted meanwhile or no longer matches the WHERE clause (PostgreSQL's EvalPlanQual recheck).
 */
export async function relock(
  ex: ExecContext,
  table: TableDef,
  e: TableEntry,
  filter: Compiled | undefined,
): Promise<TableEntry | undefined> {
  const latest = await ex.txn.getForUpdate(e.key);
  if (latest === undefined) return undefined;
  const row = decodeTableRow(
    table.columns.map((c) => c.type),
    latest,
  );
  if (filter !== undefined && filter.eval(row, ex) !== true) return undefined;
  return { key: e.key, row };
}

export function collect(scan: TableScan, filter: Compiled | undefined, ex: ExecContext): TableEntry[] {
  const out: TableEntry[] = [];
  for (const e of scan.entries(ex)) if (filter === undefined || filter.eval(e.row, ex) === true) out.push(e);
  return out;
}

export function planUpdate(
  planner: Planner,
  s: Update,
  table: TableDef,
): Omit<Executable, 'paramTypes'> & { explainScan(): string[] } {
  if (s.from.length > 0) throw notSupported('UPDATE ... FROM');
  const alias = s.table.alias ?? table.name;
  const { scan, filter, scope } = matching(planner, table, alias, s.where);
  const sets = s.set.map((a) => {
    const ci = columnIndex(table, a.column);
    if (ci < 0)
      throw new SqlError(
        SqlState.UNDEFINED_COLUMN,
        `column "${a.column}" of relation "${table.name}" does not exist`,
        { position: a.loc + 1 },
      );
    const col = table.columns[ci]!;
    if (a.value.kind === 'default') {
      const d = compileDefault(planner, table, col);
      return {
        column: ci,
        value: d ?? ({ type: col.type, eval: () => null, correlated: false } as Compiled),
      };
    }
    return {
      column: ci,
      value: coerce(planner, planner.compile(a.value, scope, 'UPDATE'), col.type, 'assignment', a.value.loc),
    };
  });
  const returning = compileReturning(planner, s.returning, scope);
  return {
    columns: returning?.columns,
    writes: true,
    explainScan: () => scan.explain(),
    async run(ex: ExecContext): Promise<Cursor> {
      const writer = new RowWriter(ex.txn, table, () => 0n);
      const out: Row[] = [];
      let count = 0;
      for (const candidate of collect(scan, filter, ex)) {
        const e = ex.lockRows === true ? await relock(ex, table, candidate, filter) : candidate;
        if (e === undefined) continue;
        const row = [...e.row];
        for (const a of sets) row[a.column] = a.value.eval(e.row, ex);
        if (ex.lockRows === true)
          await writer.lockKeys(row, table.primaryKey.length === 0 ? undefined : writer.rowKey(row));
        writer.update(e.key, e.row, row);
        count++;
        if (returning !== undefined) out.push(returning.exprs.map((x) => x.eval(row, ex)));
      }
      return rowsCursor(returning?.columns, out, () => `UPDATE ${count}`);
    },
  };
}

export function planDelete(
  planner: Planner,
  s: Delete,
  table: TableDef,
): Omit<Executable, 'paramTypes'> & { explainScan(): string[] } {
  const alias = s.table.alias ?? table.name;
  const { scan, filter, scope } = matching(planner, table, alias, s.where);
  const returning = compileReturning(planner, s.returning, scope);
  return {
    columns: returning?.columns,
    writes: true,
    explainScan: () => scan.explain(),
    async run(ex: ExecContext): Promise<Cursor> {
      const writer = new RowWriter(ex.txn, table, () => 0n);
      const out: Row[] = [];
      let count = 0;
      for (const candidate of collect(scan, filter, ex)) {
        const e = ex.lockRows === true ? await relock(ex, table, candidate, filter) : candidate;
        if (e === undefined) continue;
        writer.remove(e.key, e.row);
        count++;
        if (returning !== undefined) out.push(returning.exprs.map((x) => x.eval(e.row, ex)));
      }
      return rowsCursor(returning?.columns, out, () => `DELETE ${count}`);
    },
  };
}
