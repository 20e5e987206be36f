/**
 * ALTER TABLE: columns added, dropped, renamed, retyped, their defaults and NOT NULL; constraints added and
 * dropped; the table renamed. Every change is written through the transaction's CatalogView and, where the
 * stored rows change (types, dropped columns, a changed primary key), the rows are rewritten in the same
 * transaction, so ALTER TABLE commits and rolls back like any other write.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import type { AlterAction } from '../ast.js';
import { columnIndex, type ColumnDef, type TableDef } from '../catalog/table-def.js';
import type { CatalogView } from '../catalog/catalog.js';
import { coerce } from '../expr/coerce.js';
import type { Compiled, ExecContext } from '../expr/context.js';
import { resolveTypeName } from '../expr/type-name.js';
import { mentionsTable, type Planner } from '../plan/planner.js';
import { Scope } from '../plan/scope.js';
import { TableScan, tableColumns } from '../plan/table-scan.js';
import { indexPrefix } from '../storage/keyspace.js';
import { columnRefs, compileCheck, newCheck, renameColumnRefs } from './checks.js';
import { compileDefault } from './defaults.js';
import {
  addIndex,
  checkColumnType,
  checkName,
  columnFrom,
  deleteRange,
  keyName,
  rewriteTable,
  rowIdWriter,
} from './table-ops.js';

function noColumn(table: string, column: string): SqlError {
  return new SqlError(SqlState.UNDEFINED_COLUMN, `column "${column}" of relation "${table}" does not exist`);
}

function findColumn(t: TableDef, column: string): number {
  const ci = columnIndex(t, column);
  if (ci < 0) throw noColumn(t.name, column);
  return ci;
}

function withColumn(t: TableDef, ci: number, c: ColumnDef): TableDef {
  return { ...t, columns: t.columns.map((x, i) => (i === ci ? c : x)) };
}

/** alterTable applies one action of ALTER TABLE to the table `name`. */
export function alterTable(
  planner: Planner,
  ex: ExecContext,
  catalog: CatalogView,
  name: string,
  a: AlterAction,
): void {
  const t = catalog.table(name);
  if (
    (a.kind === 'renameTable' ||
      a.kind === 'renameColumn' ||
      a.kind === 'dropColumn' ||
      a.kind === 'alterType') &&
    catalog.views().some((v) => mentionsTable(v.query, name))
  )
    // Views keep their queries by name: renaming, dropping or retyping what they read would change them.
    throw new SqlError(
      SqlState.FEATURE_NOT_SUPPORTED,
      `ALTER TABLE ${a.kind === 'renameTable' ? 'RENAME' : a.kind === 'renameColumn' ? 'RENAME COLUMN' : a.kind === 'dropColumn' ? 'DROP COLUMN' : 'ALTER COLUMN TYPE'} of a table a view reads is not supported`,
    );
  if (
    (a.kind === 'renameColumn' || a.kind === 'dropColumn' || a.kind === 'alterType') &&
    t.columns.some((c) => c.generated !== undefined)
  )
    // Generation expressions name columns: changing those would need them rewritten or checked first.
    throw notSupported(
      'ALTER TABLE RENAME COLUMN, DROP COLUMN or ALTER COLUMN TYPE of a table with generated columns',
    );
  if (a.kind === 'addColumn' && a.column.generated !== undefined)
    throw notSupported('ALTER TABLE ADD COLUMN ... GENERATED ALWAYS AS');
  switch (a.kind) {
    case 'addColumn': {
      if (columnIndex(t, a.column.name) >= 0) {
        if (a.ifNotExists) {
          ex.runtime.notice(
            'NOTICE',
            SqlState.DUPLICATE_COLUMN,
            `column "${a.column.name}" of relation "${name}" already exists, skipping`,
          );
          return;
        }
        throw new SqlError(
          SqlState.DUPLICATE_COLUMN,
          `column "${a.column.name}" of relation "${name}" already exists`,
        );
      }
      if (a.column.primaryKey)
        throw new SqlError(
          SqlState.FEATURE_NOT_SUPPORTED,
          'ALTER TABLE ADD COLUMN ... PRIMARY KEY is not supported',
        );
      const col = columnFrom(catalog, a.column, name);
      let next: TableDef = { ...t, columns: [...t.columns, col] };
      for (const k of a.column.checks ?? [])
        next = { ...next, checks: [...(next.checks ?? []), newCheck(next, k.name, k.expr, col.name)] };
      // Existing rows get the default now (PostgreSQL fills them in too); NOT NULL and CHECKs are checked.
      const d = compileDefault(planner, next, col);
      const checks = (next.checks ?? []).map((k) => ({
        name: k.name,
        c: compileCheck(planner, next, k.expr),
      }));
      const writer = rowIdWriter(planner, ex, next);
      const rows = [...new TableScan(t, t.name, undefined).entries(ex)];
      for (const e of rows) {
        const row = [...e.row, d === undefined ? null : d.eval([], ex)];
        if (row[row.length - 1] === null && col.notNull)
          throw new SqlError(
            SqlState.NOT_NULL_VIOLATION,
            `column "${col.name}" of relation "${name}" contains null values`,
          );
        for (const k of checks)
          if (k.c.eval(row, ex) === false)
            throw new SqlError(
              SqlState.CHECK_VIOLATION,
              `check constraint "${k.name}" of relation "${name}" is violated by some row`,
            );
        writer.update(e.key, e.row, row);
      }
      catalog.put(next);
      if (a.column.unique)
        addIndex(planner, ex, catalog, next, {
          id: catalog.allocateId(),
          name: keyName(catalog, next, a.column.uniqueName, `${name}_${col.name}_key`),
          columns: [{ column: next.columns.length - 1, desc: false }],
          unique: true,
          constraint: true,
        });
      return;
    }
    case 'addPrimaryKey': {
      if (t.primaryKey.length > 0)
        throw new SqlError(
          SqlState.INVALID_TABLE_DEFINITION,
          `multiple primary keys for table "${name}" are not allowed`,
        );
      const pk = a.columns.map((n) => findColumn(t, n));
      const pkName = keyName(catalog, t, a.name, `${name}_pkey`);
      const next: TableDef = {
        ...t,
        columns: t.columns.map((c, i) => (pk.includes(i) ? { ...c, notNull: true } : c)),
        primaryKey: pk,
        primaryKeyName: pkName,
        rowIdSequence: undefined,
      };
      // Re-key every row: rows move from hidden row ids to their primary key values.
      const rows = [...new TableScan(t, t.name, undefined).entries(ex)];
      const oldWriter = rowIdWriter(planner, ex, t);
      for (const e of rows) oldWriter.remove(e.key, e.row);
      const writer = rowIdWriter(planner, ex, next);
      for (const e of rows) {
        for (const ci of pk)
          if (e.row[ci] === null)
            throw new SqlError(
              SqlState.NOT_NULL_VIOLATION,
              `column "${t.columns[ci]!.name}" of relation "${name}" contains null values`,
            );
        try {
          writer.insert(e.row);
        } catch (err) {
          if (err instanceof SqlError && err.code === SqlState.UNIQUE_VIOLATION)
            throw new SqlError(SqlState.UNIQUE_VIOLATION, `could not create unique index "${pkName}"`, {
              detail: err.detail?.replace('already exists', 'is duplicated'),
            });
          throw err;
        }
      }
      catalog.put(next);
      return;
    }
    case 'addUnique': {
      const cols = a.columns.map((n) => {
        const ci = columnIndex(t, n);
        if (ci < 0)
          throw new SqlError(SqlState.UNDEFINED_COLUMN, `column "${n}" named in key does not exist`);
        return { column: ci, desc: false };
      });
      addIndex(planner, ex, catalog, t, {
        id: catalog.allocateId(),
        name: keyName(catalog, t, a.name, `${name}_${a.columns.join('_')}_key`),
        columns: cols,
        unique: true,
        constraint: true,
      });
      return;
    }
    case 'addCheck': {
      const check = newCheck(t, a.check.name, a.check.expr);
      const next: TableDef = { ...t, checks: [...(t.checks ?? []), check] };
      const c = compileCheck(planner, next, check.expr);
      for (const e of new TableScan(t, t.name, undefined).entries(ex))
        if (c.eval(e.row, ex) === false)
          throw new SqlError(
            SqlState.CHECK_VIOLATION,
            `check constraint "${check.name}" of relation "${name}" is violated by some row`,
          );
      catalog.put(next);
      return;
    }
    case 'setDefault': {
      const ci = findColumn(t, a.column);
      const col = t.columns[ci]!;
      if (col.identity !== undefined)
        throw new SqlError(
          SqlState.SYNTAX_ERROR,
          `column "${col.name}" of relation "${name}" is an identity column`,
          a.default === undefined
            ? { hint: 'Use ALTER TABLE ... ALTER COLUMN ... DROP IDENTITY instead.' }
            : {},
        );
      // A serial column's default is its sequence; SET or DROP DEFAULT replaces it.
      const c: ColumnDef = { ...col, default: a.default, sequence: undefined };
      const next = withColumn(t, ci, c);
      compileDefault(planner, next, c);
      catalog.put(next);
      return;
    }
    case 'setNotNull': {
      const ci = findColumn(t, a.column);
      const col = t.columns[ci]!;
      if (!a.notNull) {
        if (t.primaryKey.includes(ci))
          throw new SqlError(SqlState.INVALID_TABLE_DEFINITION, `column "${col.name}" is in a primary key`);
        if (col.identity !== undefined)
          throw new SqlError(
            SqlState.INVALID_TABLE_DEFINITION,
            `column "${col.name}" of relation "${name}" is an identity column`,
          );
      } else {
        for (const e of new TableScan(t, t.name, undefined).entries(ex))
          if (e.row[ci] === null)
            throw new SqlError(
              SqlState.NOT_NULL_VIOLATION,
              `column "${col.name}" of relation "${name}" contains null values`,
            );
      }
      catalog.put(withColumn(t, ci, { ...col, notNull: a.notNull }));
      return;
    }
    case 'alterType': {
      const ci = findColumn(t, a.column);
      const col = t.columns[ci]!;
      const type = resolveTypeName(a.type);
      checkColumnType(col.name, type);
      const scope = new Scope(tableColumns(t, t.name));
      let conv: Compiled;
      if (a.using !== undefined) {
        conv = coerce(planner, planner.compile(a.using, scope, 'USING'), type, 'assignment', a.using.loc);
      } else {
        const ref: Compiled = { type: col.type, eval: (r) => r[ci]!, correlated: false };
        try {
          conv = coerce(planner, ref, type, 'assignment', -1);
        } catch (err) {
          if (err instanceof SqlError && err.code === SqlState.DATATYPE_MISMATCH)
            throw new SqlError(
              SqlState.DATATYPE_MISMATCH,
              `column "${col.name}" cannot be cast automatically to type ${a.type.name}`,
              { hint: `You might need to specify "USING ${col.name}::${a.type.name}".` },
            );
          throw err;
        }
      }
      const c: ColumnDef = { ...col, type };
      const next = withColumn(t, ci, c);
      compileDefault(planner, next, c);
      rewriteTable(planner, ex, catalog, t, next, (row) => {
        const out = [...row];
        out[ci] = conv.eval(row, ex);
        return out;
      });
      return;
    }
    case 'dropColumn': {
      const ci = columnIndex(t, a.column);
      if (ci < 0) {
        if (a.ifExists) {
          ex.runtime.notice(
            'NOTICE',
            SqlState.UNDEFINED_COLUMN,
            `column "${a.column}" of relation "${name}" does not exist, skipping`,
          );
          return;
        }
        throw noColumn(name, a.column);
      }
      // Indexes and constraints on the column go with it (PostgreSQL drops them too); the rows are rewritten
      // without the column, so the positional row format stays dense.
      const shift = (i: number): number => (i > ci ? i - 1 : i);
      const dropsKey = t.primaryKey.includes(ci);
      const next: TableDef = {
        ...t,
        columns: t.columns.filter((_, i) => i !== ci),
        primaryKey: dropsKey ? [] : t.primaryKey.map(shift),
        primaryKeyName: dropsKey ? undefined : t.primaryKeyName,
        rowIdSequence: dropsKey ? catalog.allocateId() : t.rowIdSequence,
        indexes: t.indexes
          .filter(
            (ix) =>
              ix.columns.every((c) => c.column !== ci) &&
              !ix.columns.some((c) => c.expr !== undefined && columnRefs(c.expr).includes(a.column)),
          )
          .map((ix) => ({ ...ix, columns: ix.columns.map((c) => ({ ...c, column: shift(c.column) })) })),
        checks: (t.checks ?? []).filter((k) => !columnRefs(k.expr).includes(a.column)),
      };
      rewriteTable(planner, ex, catalog, t, next, (row) => row.filter((_, i) => i !== ci));
      return;
    }
    case 'dropConstraint': {
      if (t.primaryKeyName === a.name) {
        const next: TableDef = {
          ...t,
          primaryKey: [],
          primaryKeyName: undefined,
          rowIdSequence: catalog.allocateId(),
        };
        rewriteTable(planner, ex, catalog, t, next, (row) => row);
        return;
      }
      const ix = t.indexes.find((i) => i.constraint && i.name === a.name);
      if (ix !== undefined) {
        deleteRange(ex, indexPrefix(ix.id));
        catalog.put({ ...t, indexes: t.indexes.filter((i) => i !== ix) });
        return;
      }
      if ((t.checks ?? []).some((k) => k.name === a.name)) {
        catalog.put({ ...t, checks: t.checks!.filter((k) => k.name !== a.name) });
        return;
      }
      const msg = `constraint "${a.name}" of relation "${name}" does not exist`;
      if (a.ifExists) {
        ex.runtime.notice('NOTICE', SqlState.UNDEFINED_OBJECT, `${msg}, skipping`);
        return;
      }
      throw new SqlError(SqlState.UNDEFINED_OBJECT, msg);
    }
    case 'renameColumn': {
      const ci = columnIndex(t, a.column);
      if (ci < 0) throw new SqlError(SqlState.UNDEFINED_COLUMN, `column "${a.column}" does not exist`);
      if (columnIndex(t, a.to) >= 0)
        throw new SqlError(
          SqlState.DUPLICATE_COLUMN,
          `column "${a.to}" of relation "${name}" already exists`,
        );
      const next = withColumn(t, ci, { ...t.columns[ci]!, name: a.to });
      catalog.put({
        ...next,
        indexes: t.indexes.map((ix) => ({
          ...ix,
          columns: ix.columns.map((c) =>
            c.expr === undefined ? c : { ...c, expr: renameColumnRefs(c.expr, a.column, a.to) },
          ),
        })),
        checks: (t.checks ?? []).map((k) => ({ ...k, expr: renameColumnRefs(k.expr, a.column, a.to) })),
      });
      return;
    }
    case 'renameTable': {
      checkName(catalog, a.to);
      catalog.drop(name);
      catalog.put({ ...t, name: a.to });
      return;
    }
  }
}
