/**
 * CHECK constraints: compiled over a table's columns, enforced on every row written (a row passes when the
 * expression is true or NULL, as in PostgreSQL), and the stored expressions kept in step with column renames.
 */
import { SqlError, SqlState } from '../errors.js';
import type { Expr } from '../ast.js';
import { constraintNames, type CheckDef, type IndexDef, type TableDef } from '../catalog/table-def.js';
import { coerce, isUntyped, settle } from '../expr/coerce.js';
import type { Compiled, ExecContext } from '../expr/context.js';
import type { Planner } from '../plan/planner.js';
import { Scope, type Row } from '../plan/scope.js';
import { tableColumns } from '../plan/table-scan.js';
import { formatValue } from '../types/text-io.js';
import { sqlType } from '../types/sql-type.js';
import type { WriteHooks } from './row-writer.js';
import type { IoSettings } from '../types/io-settings.js';

/** compileCheck compiles one CHECK expression to a boolean over the table's row. */
export function compileCheck(planner: Planner, table: TableDef, expr: Expr): Compiled {
  let c = planner.compile(expr, new Scope(tableColumns(table, table.name)), 'CHECK');
  if (isUntyped(c)) c = coerce(planner, c, sqlType('bool'), 'implicit', expr.loc);
  if (c.type.id !== 'bool')
    throw new SqlError(SqlState.DATATYPE_MISMATCH, 'argument of CHECK constraint must be type boolean', {
      position: expr.loc + 1,
    });
  return c;
}

/** describeRow formats a row as PostgreSQL's "Failing row contains (...)" detail does. */
export function describeRow(table: TableDef, row: Row, io: IoSettings): string {
  return row.map((v, i) => (v === null ? 'null' : formatValue(table.columns[i]!.type, v, io))).join(', ');
}

/** compileChecks returns a function enforcing every CHECK of the table (undefined when it has none). */
export function compileChecks(
  planner: Planner,
  table: TableDef,
): ((row: Row, ex: ExecContext) => void) | undefined {
  const checks = table.checks ?? [];
  if (checks.length === 0) return undefined;
  const compiled = checks.map((c) => ({ name: c.name, eval: compileCheck(planner, table, c.expr) }));
  return (row, ex) => {
    for (const c of compiled)
      if (c.eval.eval(row, ex) === false)
        throw new SqlError(
          SqlState.CHECK_VIOLATION,
          `new row for relation "${table.name}" violates check constraint "${c.name}"`,
          { detail: `Failing row contains (${describeRow(table, row, ex.runtime.io)}).` },
        );
  };
}

/**
 * compileGenerated compiles a table's generated columns (GENERATED ALWAYS AS (expr) STORED) into a function
 * that fills them in a row from its other columns (undefined when it has none). As PostgreSQL requires, an
 * expression is immutable (42P17) and reads no generated column (42P17).
 */
export function compileGenerated(
  planner: Planner,
  table: TableDef,
): ((row: Row, ex: ExecContext) => void) | undefined {
  const generated = table.columns.flatMap((c, i) => (c.generated === undefined ? [] : [{ c, i }]));
  if (generated.length === 0) return undefined;
  const compiled = generated.map(({ c, i }) => {
    for (const name of columnRefs(c.generated))
      if (table.columns.find((x) => x.name === name)?.generated !== undefined)
        throw new SqlError('42P17', `cannot use generated column "${name}" in column generation expression`, {
          detail: 'A generated column cannot reference another generated column.',
        });
    const e = planner.compile(
      c.generated!,
      new Scope(tableColumns(table, table.name)),
      'column generation expression',
    );
    if (e.volatile === true) throw new SqlError('42P17', 'generation expression is not immutable');
    return { i, eval: coerce(planner, e, c.type, 'assignment', c.generated!.loc).eval };
  });
  return (row, ex) => {
    for (const g of compiled) row[g.i] = g.eval(row, ex);
  };
}

/** compileIndexExpr compiles an index's expression column over the table's row. */
export function compileIndexExpr(planner: Planner, table: TableDef, expr: Expr): Compiled {
  const c = settle(
    planner,
    planner.compile(expr, new Scope(tableColumns(table, table.name)), 'index expression'),
    expr.loc,
  );
  if (c.volatile === true)
    throw new SqlError('42P17', 'functions in index expression must be marked IMMUTABLE');
  return c;
}

/** writeHooks compiles and binds what a RowWriter of the table evaluates (see compileWriteHooks). */
export function writeHooks(planner: Planner, table: TableDef, ex: ExecContext): WriteHooks {
  return compileWriteHooks(planner, table)(ex);
}

/**
 * compileWriteHooks compiles what a RowWriter of the table evaluates, CHECK constraints and index
 * expressions, at plan time; the result binds them to an execution.
 */
export function compileWriteHooks(planner: Planner, table: TableDef): (ex: ExecContext) => WriteHooks {
  const generate = compileGenerated(planner, table);
  const checks = compileChecks(planner, table);
  const exprs = new Map<IndexDef, Compiled[]>();
  for (const ix of table.indexes)
    if (ix.columns.some((c) => c.expr !== undefined))
      exprs.set(
        ix,
        ix.columns.map((c) =>
          c.expr === undefined ? ({} as Compiled) : compileIndexExpr(planner, table, c.expr),
        ),
      );
  return (ex) => ({
    io: ex.runtime.io,
    ...(generate === undefined ? {} : { generate: (r: Row) => generate(r, ex) }),
    ...(checks === undefined ? {} : { check: (r: Row) => checks(r, ex) }),
    ...(exprs.size === 0
      ? {}
      : {
          indexExpr: (ix: IndexDef, i: number) => {
            const c = exprs.get(ix)![i]!;
            return { type: c.type, eval: (r: Row) => c.eval(r, ex) };
          },
        }),
  });
}

/** columnRefs lists the column names an expression refers to, in order of appearance. */
export function columnRefs(e: unknown): string[] {
  const out: string[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) {
      for (const y of x) walk(y);
      return;
    }
    if (x === null || typeof x !== 'object') return;
    const o = x as Record<string, unknown>;
    if (o.kind === 'column' && typeof o.name === 'string') {
      if (!out.includes(o.name)) out.push(o.name);
      return;
    }
    for (const v of Object.values(o)) walk(v);
  };
  walk(e);
  return out;
}

/** renameColumnRefs returns a copy of an expression with references to column `from` renamed. */
export function renameColumnRefs<T>(e: T, from: string, to: string): T {
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(walk);
    if (x === null || typeof x !== 'object') return x;
    const o = x as Record<string, unknown>;
    if (o.kind === 'column' && o.name === from) return { ...o, name: to };
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) copy[k] = walk(v);
    return copy;
  };
  return walk(e) as T;
}

/** chooseName picks PostgreSQL's name for a new constraint: base, then base1, base2, ... if taken. */
export function chooseName(base: string, taken: (name: string) => boolean): string {
  if (!taken(base)) return base;
  for (let i = 1; ; i++) if (!taken(`${base}${i}`)) return `${base}${i}`;
}

/** newCheck names a CHECK constraint as PostgreSQL does (<table>_<first column>_check). */
export function newCheck(table: TableDef, name: string | undefined, expr: Expr, column?: string): CheckDef {
  if (name !== undefined) {
    if (constraintNames(table).includes(name))
      throw new SqlError(
        SqlState.DUPLICATE_OBJECT,
        `constraint "${name}" for relation "${table.name}" already exists`,
      );
    return { name, expr };
  }
  const col = column ?? columnRefs(expr)[0];
  const base = col === undefined ? `${table.name}_check` : `${table.name}_${col}_check`;
  return { name: chooseName(base, (n) => constraintNames(table).includes(n)), expr };
}
