/**
 * INSERT: rows from VALUES (with DEFAULT) or a query, assignment casts to the column types, defaults and
 * serial values for columns left out, ON CONFLICT DO NOTHING / DO UPDATE, RETURNING.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import type { Expr, Select, Statement } from '../ast.js';
import { columnIndex, type TableDef } from '../catalog/table-def.js';
import { indexesOf } from '../catalog/pg-objects.js';
import { coerce } from '../expr/coerce.js';
import type { Compiled, ExecContext } from '../expr/context.js';
import { hasSetReturning, Planner } from '../plan/planner.js';
import { Scope, type Row } from '../plan/scope.js';
import { tableColumns } from '../plan/table-scan.js';
import type { Value } from '../types/sql-type.js';
import { compileReturning } from './returning.js';
import { rowsCursor, type Cursor, type Executable } from './executable.js';
import { RowWriter } from './row-writer.js';
import { compileDefault } from './defaults.js';
import { compileWriteHooks } from './checks.js';

type Insert = Extract<Statement, { kind: 'insert' }>;

export function planInsert(planner: Planner, s: Insert, table: TableDef): Omit<Executable, 'paramTypes'> {
  const n = table.columns.length;
  const targets =
    s.columns.length === 0
      ? table.columns.map((_, i) => i)
      : s.columns.map((name, i) => {
          const ci = columnIndex(table, name);
          const at = s.columnLocs[i] ?? -1;
          const position = at >= 0 ? { position: at + 1 } : {};
          if (ci < 0)
            throw new SqlError(
              SqlState.UNDEFINED_COLUMN,
              `column "${name}" of relation "${table.name}" does not exist`,
              position,
            );
          if (s.columns.indexOf(name) !== i)
            throw new SqlError(
              SqlState.DUPLICATE_COLUMN,
              `column "${name}" specified more than once`,
              position,
            );
          return ci;
        });
  // Identity columns: GENERATED ALWAYS takes a value only with OVERRIDING SYSTEM VALUE; OVERRIDING USER
  // VALUE replaces the given values of identity columns with the sequence's.
  const identityTarget = (i: number): boolean => {
    const c = table.columns[targets[i]!]!;
    // A generated column takes only DEFAULT (its value is computed when the row is written).
    if (c.generated !== undefined)
      throw new SqlError('428C9', `cannot insert a non-DEFAULT value into column "${c.name}"`, {
        detail: `Column "${c.name}" is a generated column.`,
      });
    if (c.identity === undefined) return false;
    if (s.overriding === 'user') return true;
    if (c.identity === 'always' && s.overriding !== 'system')
      throw new SqlError('428C9', `cannot insert a non-DEFAULT value into column "${c.name}"`, {
        detail: `Column "${c.name}" is an identity column defined as GENERATED ALWAYS.`,
        hint: 'Use OVERRIDING SYSTEM VALUE to override.',
      });
    return false;
  };
  const empty = new Scope([]);
  const defaults: (Compiled | undefined)[] = table.columns.map((c) => compileDefault(planner, table, c));
  // Each source row becomes a list of evaluators, one per table column.
  let sourceRows: (() => Iterable<Row>) | undefined;
  let rowExprs: Compiled[][] | undefined;
  const src = s.source === undefined ? undefined : valuesAsSelect(s.source);
  if (src === undefined) rowExprs = [table.columns.map(() => undefined as unknown as Compiled)];
  else if (
    src.kind === 'values' &&
    src.orderBy.length === 0 &&
    src.limit === undefined &&
    src.with.length === 0
  ) {
    rowExprs = src.rows.map((r) => {
      if (r.length > targets.length)
        throw new SqlError(SqlState.SYNTAX_ERROR, 'INSERT has more expressions than target columns', {
          position: r[targets.length]!.loc + 1,
        });
      // With an explicit column list every column needs a value (without one, the rest take defaults).
      if (s.columns.length > 0 && r.length < targets.length) throw tooFewExpressions(s, r.length);
      return r.map((e: Expr, i) => {
        if (e.kind === 'default' || (i < targets.length && identityTarget(i)))
          return undefined as unknown as Compiled;
        const col = table.columns[targets[i]!]!;
        return coerce(planner, planner.compile(e, empty, 'VALUES'), col.type, 'assignment', e.loc);
      });
    });
  } else {
    const q = planner.planQuery(src, undefined);
    if (q.columns.length > targets.length)
      throw new SqlError(SqlState.SYNTAX_ERROR, 'INSERT has more expressions than target columns');
    if (s.columns.length > 0 && q.columns.length < targets.length)
      throw tooFewExpressions(s, q.columns.length);
    const skip = q.columns.map((_, i) => i < targets.length && identityTarget(i));
    const conv = q.columns.map((c, i) =>
      coerce(
        planner,
        { type: c.type, eval: (r: Row) => r[i]!, correlated: false },
        table.columns[targets[i]!]!.type,
        'assignment',
        -1,
      ),
    );
    rowExprs = undefined;
    sourceRows = undefined;
    void sourceRows;
    const mk = (ex: ExecContext): Iterable<Row> => q.rows(ex);
    return finish(planner, s, table, targets, defaults, undefined, { rows: mk, conv, skip });
  }
  return finish(planner, s, table, targets, defaults, rowExprs, undefined);
  void n;
}

/**
 * valuesAsSelect: a single VALUES row that calls set-returning functions is a select list to PostgreSQL (it
 * inserts a row per set row), so it is planned as SELECT; any other source is returned as it is.
 */
function valuesAsSelect(src: Select): Select {
  if (src.kind !== 'values' || src.rows.length !== 1) return src;
  const row = src.rows[0]!;
  if (!row.some(hasSetReturning) || row.some((e) => e.kind === 'default')) return src;
  return {
    kind: 'select',
    with: src.with,
    orderBy: src.orderBy,
    limit: src.limit,
    offset: src.offset,
    locking: src.locking,
    loc: src.loc,
    distinct: false,
    items: row.map((e) => ({ expr: e, alias: undefined, loc: e.loc })),
    from: [],
    where: undefined,
    groupBy: [],
    having: undefined,
  };
}

function finish(
  planner: Planner,
  s: Insert,
  table: TableDef,
  targets: number[],
  defaults: (Compiled | undefined)[],
  rowExprs: Compiled[][] | undefined,
  query: { rows: (ex: ExecContext) => Iterable<Row>; conv: Compiled[]; skip: readonly boolean[] } | undefined,
): Omit<Executable, 'paramTypes'> {
  const tableScope = new Scope(tableColumns(table, s.table.alias ?? table.name));
  const returning = compileReturning(planner, s.returning, tableScope);
  // ON CONFLICT DO UPDATE: SET and WHERE see the existing row and EXCLUDED (the row proposed).
  let conflictSet: { column: number; value: Compiled }[] | undefined;
  let conflictWhere: Compiled | undefined;
  const oc = s.onConflict;
  let arbiter: number[] | undefined;
  if (oc !== undefined) {
    if (oc.constraint !== undefined) arbiter = constraintColumns(table, oc.constraint);
    else if (oc.target.length > 0) {
      arbiter = oc.target.map((name) => {
        const ci = columnIndex(table, name);
        if (ci < 0) throw new SqlError(SqlState.UNDEFINED_COLUMN, `column "${name}" does not exist`);
        return ci;
      });
      const same = (cols: readonly number[]): boolean =>
        cols.length === arbiter!.length && cols.every((c) => arbiter!.includes(c));
      if (
        !same(table.primaryKey) &&
        !table.indexes.some((ix) => ix.unique && same(ix.columns.map((c) => c.column)))
      )
        throw new SqlError(
          SqlState.INVALID_COLUMN_REFERENCE,
          'there is no unique or exclusion constraint matching the ON CONFLICT specification',
        );
    } else if (oc.action === 'update')
      throw new SqlError(
        SqlState.SYNTAX_ERROR,
        'ON CONFLICT DO UPDATE requires inference specification or constraint name',
        {
          hint: 'For example, ON CONFLICT (column_name).',
        },
      );
    if (oc.action === 'update') {
      const cols = [...tableColumns(table, s.table.alias ?? table.name), ...tableColumns(table, 'excluded')];
      const scope = new Scope(cols);
      conflictSet = oc.set.map((a) => {
        const ci = columnIndex(table, a.column);
        if (ci < 0)
          throw new SqlError(
            SqlState.UNDEFINED_COLUMN,
            `column "${a.column}" of relation "${table.name}" does not exist`,
            { position: a.loc + 1 },
          );
        if (a.value.kind === 'default') {
          const d = defaults[ci];
          return {
            column: ci,
            value: d ?? { type: table.columns[ci]!.type, eval: () => null, correlated: false },
          };
        }
        return {
          column: ci,
          value: coerce(
            planner,
            planner.compile(a.value, scope, 'UPDATE'),
            table.columns[ci]!.type,
            'assignment',
            a.value.loc,
          ),
        };
      });
      if (oc.where !== undefined) conflictWhere = planner.compile(oc.where, scope, 'WHERE');
    }
  }
  const n = table.columns.length;
  const hooks = compileWriteHooks(planner, table);
  return {
    columns: returning?.columns,
    writes: true,
    async run(ex: ExecContext): Promise<Cursor> {
      ex.runtime.catalog.written.add(table.name);
      const writer = new RowWriter(
        ex.txn,
        table,
        () => (table.rowIdSequence === undefined ? 0n : ex.runtime.nextSequenceValue(table.rowIdSequence)),
        hooks(ex),
      );
      const out: Row[] = [];
      let count = 0;
      /** touched: rows this statement inserted or updated (ON CONFLICT may not update one twice). */
      const touched = new Set<string>();
      const build = (values: (Value | undefined)[]): Row => {
        const row: Row = new Array(n);
        for (let i = 0; i < n; i++) {
          const v = values[i];
          row[i] = v === undefined ? (defaults[i] === undefined ? null : defaults[i]!.eval([], ex)) : v;
        }
        return row;
      };
      const insertOne = async (row: Row): Promise<void> => {
        if (ex.lockRows === true) {
          writer.checkNotNull(row);
          if (table.primaryKey.length > 0 || table.indexes.some((ix) => ix.unique))
            await writer.lockKeys(row, table.primaryKey.length > 0 ? writer.rowKey(row) : undefined);
        }
        if (oc !== undefined) {
          writer.checkRow(row);
          const key = table.primaryKey.length > 0 ? writer.rowKey(row) : new Uint8Array(0);
          const c =
            table.primaryKey.length > 0 || table.indexes.length > 0
              ? writer.conflicting(row, key)
              : undefined;
          if (
            c !== undefined &&
            (arbiter === undefined ||
              (c.columns.length === arbiter.length && c.columns.every((x) => arbiter!.includes(x))))
          ) {
            if (oc.action === 'nothing') return;
            const id = Buffer.from(c.existing).toString('latin1');
            if (touched.has(id))
              throw new SqlError(
                SqlState.CARDINALITY_VIOLATION,
                'ON CONFLICT DO UPDATE command cannot affect row a second time',
                {
                  hint: 'Ensure that no rows proposed for insertion within the same command have duplicate constrained values.',
                },
              );
            const existingValue = ex.txn.getLatest(c.existing);
            if (existingValue === undefined)
              throw new SqlError(SqlState.INTERNAL_ERROR, 'conflicting row vanished');
            const existing = decodeExisting(table, existingValue);
            const both = [...existing, ...row];
            if (conflictWhere !== undefined && conflictWhere.eval(both, ex) !== true) return;
            const updated = [...existing];
            for (const a of conflictSet!) updated[a.column] = a.value.eval(both, ex);
            touched.add(Buffer.from(writer.update(c.existing, existing, updated)).toString('latin1'));
            count++;
            if (returning !== undefined) out.push(returning.exprs.map((e) => e.eval(updated, ex)));
            return;
          }
        }
        const key = writer.insert(row);
        if (oc !== undefined) touched.add(Buffer.from(key).toString('latin1'));
        count++;
        if (returning !== undefined) out.push(returning.exprs.map((e) => e.eval(row, ex)));
      };
      if (rowExprs !== undefined) {
        for (const r of rowExprs) {
          const values: (Value | undefined)[] = new Array(n).fill(undefined);
          for (let i = 0; i < r.length; i++) if (r[i] !== undefined) values[targets[i]!] = r[i]!.eval([], ex);
          await insertOne(build(values));
        }
      } else {
        const rows = [...query!.rows(ex)];
        for (const r of rows) {
          const values: (Value | undefined)[] = new Array(n).fill(undefined);
          for (let i = 0; i < query!.conv.length; i++)
            if (query!.skip[i] !== true) values[targets[i]!] = query!.conv[i]!.eval(r, ex);
          // A column given explicitly as NULL by the query stays NULL (no default).
          for (let i = 0; i < query!.conv.length; i++)
            if (values[targets[i]!] === undefined && query!.skip[i] !== true) values[targets[i]!] = null;
          await insertOne(build(values));
        }
      }
      return rowsCursor(returning?.columns, out, () => `INSERT 0 ${count}`);
    },
  };
}

import { decodeTableRow, tableTypes } from '../plan/table-scan.js';
function decodeExisting(table: TableDef, v: Uint8Array): Row {
  return decodeTableRow(tableTypes(table), v);
}

/** tooFewExpressions: a column list names more columns than the source gives (pointing at the first extra). */
function tooFewExpressions(s: Extract<Statement, { kind: 'insert' }>, given: number): SqlError {
  const loc = s.columnLocs[given];
  return new SqlError(SqlState.SYNTAX_ERROR, 'INSERT has more target columns than expressions', {
    ...(loc !== undefined && loc >= 0 ? { position: loc + 1 } : {}),
  });
}

/** constraintColumns: the columns of a PRIMARY KEY or UNIQUE constraint named in ON CONFLICT ON CONSTRAINT. */
function constraintColumns(table: TableDef, name: string): number[] {
  const ix = indexesOf(table).find((i) => i.constraint && i.name === name);
  if (ix === undefined)
    throw new SqlError(
      SqlState.UNDEFINED_OBJECT,
      `constraint "${name}" for table "${table.name}" does not exist`,
    );
  if (ix.columns.some((c) => c.column < 0)) throw notSupported('ON CONFLICT ON an expression constraint');
  return ix.columns.map((c) => c.column);
}
