/**
 * UPDATE and DELETE: the rows the WHERE clause selects (through the best access path) are collected first,
 * then changed, so a row moved by an UPDATE of its key is never met twice.
 */
import { SqlError, SqlState } from '../errors.js';
import { holdsExclusively } from '../plan/table-locks.js';
import type { FromItem, Statement } from '../ast.js';
import { columnIndex, type TableDef } from '../catalog/table-def.js';
import { coerce, isUntyped } from '../expr/coerce.js';
import type { Compiled, ExecContext } from '../expr/context.js';
import { chooseAccessPath, conjuncts } from '../plan/access-path.js';
import type { Plan } from '../plan/plan.js';
import type { Planner } from '../plan/planner.js';
import { Scope, type Row } from '../plan/scope.js';
import { TableScan, decodeTableRow, tableTypes, type TableEntry } from '../plan/table-scan.js';
import { sqlType } from '../types/sql-type.js';
import { compileReturning } from './returning.js';
import { rowsCursor, type Cursor, type Executable } from './executable.js';
import { RowWriter } from './row-writer.js';
import { compileDefault } from './defaults.js';
import { compileWriteHooks } from './checks.js';

type Update = Extract<Statement, { kind: 'update' }>;
type Delete = Extract<Statement, { kind: 'delete' }>;

/** Target is the rows an UPDATE or DELETE selects, with the FROM / USING rows they are joined to. */
export interface Target {
  readonly scan: TableScan;
  readonly filter: Compiled | undefined;
  /** scope: the target table's columns, then those of FROM / USING. */
  readonly scope: Scope;
  readonly others: Plan | undefined;
}

export function matching(
  planner: Planner,
  table: TableDef,
  alias: string,
  where: Update['where'],
  from: readonly FromItem[],
): Target {
  let scan: TableScan;
  let others: Plan | undefined;
  let scope: Scope;
  if (from.length === 0) {
    scan = new TableScan(table, alias, chooseAccessPath(planner, table, alias, conjuncts(where), undefined));
    scope = new Scope(scan.columns);
  } else {
    // The WHERE conjuncts that name only the target's columns (or only the other items') narrow its scan
    // (theirs); the whole WHERE is still checked on each joined row.
    const cs = conjuncts(where);
    scan = new TableScan(table, alias, chooseAccessPath(planner, table, alias, cs, undefined));
    const f = planner.planFrom(from, undefined, cs);
    others = f.plan;
    scope = new Scope([...scan.columns, ...f.columns]);
  }
  let filter: Compiled | undefined;
  if (where !== undefined) {
    filter = planner.compile(where, scope, 'WHERE');
    if (isUntyped(filter)) filter = coerce(planner, filter, sqlType('bool'), 'implicit', where.loc);
    if (filter.type.id !== 'bool')
      throw new SqlError(SqlState.DATATYPE_MISMATCH, 'argument of WHERE must be type boolean', {
        position: where.loc + 1,
      });
  }
  return { scan, filter, scope, others };
}

/** Match is one target row and the row its expressions see (the target row joined to a FROM row). */
export interface Match {
  readonly entry: TableEntry;
  readonly joined: Row;
}

/**
 * collect gathers the target rows first (so an UPDATE that moves a row never meets it twice). With FROM /
 * USING, a target row is taken once, joined to the first FROM row that satisfies the WHERE clause (which
 * one is unspecified in PostgreSQL too).
 */
export function collect(t: Target, ex: ExecContext): Match[] {
  const out: Match[] = [];
  const ok = (r: Row): boolean => t.filter === undefined || t.filter.eval(r, ex) === true;
  if (t.others === undefined) {
    for (const e of t.scan.entries(ex)) if (ok(e.row)) out.push({ entry: e, joined: e.row });
    return out;
  }
  const others = [...t.others.rows(ex)];
  for (const e of t.scan.entries(ex))
    for (const o of others) {
      const joined = [...e.row, ...o];
      if (ok(joined)) {
        out.push({ entry: e, joined });
        break;
      }
    }
  return out;
}

/**
 * relock (READ COMMITTED): waits for the target row's lock (shared with `share`; with `nowait`, fails at
 * once when another transaction holds it), then takes the row as last committed; undefined when it was
 * deleted meanwhile or, joined as before, no longer satisfies the WHERE clause (PostgreSQL's EvalPlanQual
 * recheck).
 */
export async function relock(
  ex: ExecContext,
  table: TableDef,
  t: Target,
  m: Match,
  { nowait = false, share = false } = {},
): Promise<Match | undefined> {
  // Held exclusively (created, truncated or altered in this transaction): nobody else can have locked or
  // changed the row, so it is current as scanned and needs no lock.
  if (holdsExclusively(ex.txn, table)) return m;
  const latest = share
    ? await ex.txn.getForShare(m.entry.key, { nowait })
    : await ex.txn.getForUpdate(m.entry.key, { nowait });
  if (latest === undefined) return undefined;
  const width = table.columns.length;
  const row = decodeTableRow(tableTypes(table), latest);
  const joined = m.joined.length > width ? [...row, ...m.joined.slice(width)] : row;
  if (t.filter !== undefined && t.filter.eval(joined, ex) !== true) return undefined;
  return { entry: { key: m.entry.key, row }, joined };
}

export function planUpdate(
  planner: Planner,
  s: Update,
  table: TableDef,
): Omit<Executable, 'paramTypes'> & { explainScan(): string[] } {
  const alias = s.table.alias ?? table.name;
  const target = matching(planner, table, alias, s.where, s.from);
  const { scan, scope } = target;
  const width = table.columns.length;
  const sets = s.set.map((a) => {
    const ci = columnIndex(table, a.column);
    if (ci < 0)
      throw new SqlError(
        SqlState.UNDEFINED_COLUMN,
        `column "${a.column}" of relation "${table.name}" does not exist`,
        { position: a.loc + 1 },
      );
    const col = table.columns[ci]!;
    if ((col.identity === 'always' || col.generated !== undefined) && a.value.kind !== 'default')
      throw new SqlError('428C9', `column "${col.name}" can only be updated to DEFAULT`, {
        detail:
          col.generated !== undefined
            ? `Column "${col.name}" is a generated column.`
            : `Column "${col.name}" is an identity column defined as GENERATED ALWAYS.`,
      });
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
  const hooks = compileWriteHooks(planner, table);
  return {
    columns: returning?.columns,
    writes: true,
    explainScan: () => scan.explain(),
    async run(ex: ExecContext): Promise<Cursor> {
      ex.runtime.catalog.written.add(table.name);
      const writer = new RowWriter(ex.txn, table, () => 0n, hooks(ex));
      const out: Row[] = [];
      let count = 0;
      for (const candidate of collect(target, ex)) {
        const m = ex.lockRows === true ? await relock(ex, table, target, candidate) : candidate;
        if (m === undefined) continue;
        const { entry: e, joined } = m;
        const row = [...e.row];
        for (const a of sets) row[a.column] = a.value.eval(joined, ex);
        if (ex.lockRows === true)
          await writer.lockKeys(row, table.primaryKey.length === 0 ? undefined : writer.rowKey(row));
        writer.update(e.key, e.row, row);
        count++;
        if (returning !== undefined) {
          const r = joined.length > width ? [...row, ...joined.slice(width)] : row;
          out.push(returning.exprs.map((x) => x.eval(r, ex)));
        }
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
  const target = matching(planner, table, alias, s.where, s.using);
  const { scan, scope } = target;
  const returning = compileReturning(planner, s.returning, scope);
  const hooks = compileWriteHooks(planner, table);
  return {
    columns: returning?.columns,
    writes: true,
    explainScan: () => scan.explain(),
    async run(ex: ExecContext): Promise<Cursor> {
      ex.runtime.catalog.written.add(table.name);
      const writer = new RowWriter(ex.txn, table, () => 0n, hooks(ex));
      const out: Row[] = [];
      let count = 0;
      for (const candidate of collect(target, ex)) {
        const m = ex.lockRows === true ? await relock(ex, table, target, candidate) : candidate;
        if (m === undefined) continue;
        writer.remove(m.entry.key, m.entry.row);
        count++;
        if (returning !== undefined) out.push(returning.exprs.map((x) => x.eval(m.joined, ex)));
      }
      return rowsCursor(returning?.columns, out, () => `DELETE ${count}`);
    },
  };
}
