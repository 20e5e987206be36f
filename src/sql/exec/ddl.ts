/**
 * DDL: CREATE/DROP TABLE, TRUNCATE, CREATE/DROP INDEX, ALTER TABLE ADD COLUMN / ADD PRIMARY KEY / ADD
 * UNIQUE. Every change goes through the transaction (catalog entries, rows, index entries), so DDL commits
 * and rolls back like any other write.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import type { ColumnDef as AstColumn, Statement } from '../ast.js';
import { columnIndex, type ColumnDef, type IndexDef, type TableDef } from '../catalog/table-def.js';
import type { CatalogView } from '../catalog/catalog.js';
import type { ExecContext } from '../expr/context.js';
import { resolveTypeName } from '../expr/type-name.js';
import type { Planner } from '../plan/planner.js';
import { TableScan } from '../plan/table-scan.js';
import { indexPrefix, rowPrefix } from '../storage/keyspace.js';
import { prefixEnd } from '../storage/key-codec.js';
import { sqlType, type SqlType } from '../types/sql-type.js';
import { compileDefault } from './defaults.js';
import { doneCursor, type Cursor } from './executable.js';
import { RowWriter } from './row-writer.js';

const SERIALS: Record<string, SqlType> = {
  serial: sqlType('int4'),
  serial4: sqlType('int4'),
  bigserial: sqlType('int8'),
  serial8: sqlType('int8'),
  smallserial: sqlType('int2'),
  serial2: sqlType('int2'),
};

function checkName(catalog: CatalogView, name: string): void {
  if (catalog.get(name) !== undefined || catalog.indexOwner(name) !== undefined)
    throw new SqlError(SqlState.DUPLICATE_TABLE, `relation "${name}" already exists`);
}

function columnFrom(catalog: CatalogView, c: AstColumn): ColumnDef {
  const serial = SERIALS[c.type.name];
  if (serial !== undefined) {
    if (c.default !== undefined)
      throw new SqlError(SqlState.SYNTAX_ERROR, `multiple default values specified for column "${c.name}"`);
    return { name: c.name, type: serial, notNull: true, default: undefined, sequence: catalog.allocateId() };
  }
  if (c.type.array) throw notSupported('array columns', c.type.loc + 1);
  if (c.type.name === 'char') throw notSupported('"char" columns', c.type.loc + 1);
  return {
    name: c.name,
    type: resolveTypeName(c.type),
    notNull: c.notNull || c.primaryKey,
    default: c.default,
    sequence: undefined,
  };
}

function deleteRange(ex: ExecContext, prefix: Uint8Array): void {
  const it = ex.txn.iterator({ gte: prefix, lt: prefixEnd(prefix)! });
  const keys: Uint8Array[] = [];
  try {
    for (const [k] of it) keys.push(k);
  } finally {
    it.close();
  }
  for (const k of keys) ex.txn.delete(k);
}

function clearTable(ex: ExecContext, t: TableDef): void {
  deleteRange(ex, rowPrefix(t.id));
  for (const ix of t.indexes) deleteRange(ex, indexPrefix(ix.id));
}

function rowIdWriter(ex: ExecContext, t: TableDef): RowWriter {
  return new RowWriter(ex.txn, t, () =>
    t.rowIdSequence === undefined ? 0n : ex.runtime.nextSequenceValue(t.rowIdSequence),
  );
}

/** runDdl executes a DDL statement. */
export function runDdl(planner: Planner, s: Statement, ex: ExecContext): Cursor {
  const catalog = ex.runtime.catalog;
  switch (s.kind) {
    case 'createTable': {
      const name = s.table.name;
      if (s.table.schema !== undefined && s.table.schema !== 'public')
        throw new SqlError('3F000', `schema "${s.table.schema}" does not exist`);
      if (catalog.get(name) !== undefined || catalog.indexOwner(name) !== undefined) {
        if (s.ifNotExists) {
          ex.runtime.notice(
            'NOTICE',
            SqlState.DUPLICATE_TABLE,
            `relation "${name}" already exists, skipping`,
          );
          return doneCursor('CREATE TABLE');
        }
        throw new SqlError(SqlState.DUPLICATE_TABLE, `relation "${name}" already exists`);
      }
      const seen = new Set<string>();
      for (const c of s.columns) {
        if (seen.has(c.name))
          throw new SqlError(SqlState.DUPLICATE_COLUMN, `column "${c.name}" specified more than once`);
        seen.add(c.name);
      }
      const id = catalog.allocateId();
      let columns = s.columns.map((c) => columnFrom(catalog, c));
      const inline = s.columns.filter((c) => c.primaryKey).map((c) => c.name);
      if (inline.length > 1 || (inline.length === 1 && s.primaryKey !== undefined))
        throw new SqlError(
          SqlState.INVALID_TABLE_DEFINITION,
          `multiple primary keys for table "${name}" are not allowed`,
        );
      const pkNames = s.primaryKey ?? inline;
      const primaryKey = pkNames.map((n) => {
        const ci = columns.findIndex((c) => c.name === n);
        if (ci < 0)
          throw new SqlError(SqlState.UNDEFINED_COLUMN, `column "${n}" named in key does not exist`);
        return ci;
      });
      columns = columns.map((c, i) => (primaryKey.includes(i) ? { ...c, notNull: true } : c));
      const uniques = [...s.columns.filter((c) => c.unique).map((c) => [c.name]), ...s.uniques];
      const indexes: IndexDef[] = uniques.map((cols) => ({
        id: catalog.allocateId(),
        name: `${name}_${cols.join('_')}_key`,
        columns: cols.map((n) => {
          const ci = columns.findIndex((c) => c.name === n);
          if (ci < 0)
            throw new SqlError(SqlState.UNDEFINED_COLUMN, `column "${n}" named in key does not exist`);
          return { column: ci, desc: false };
        }),
        unique: true,
        constraint: true,
      }));
      const def: TableDef = {
        id,
        name,
        columns,
        primaryKey,
        primaryKeyName: primaryKey.length > 0 ? `${name}_pkey` : undefined,
        rowIdSequence: primaryKey.length > 0 ? undefined : catalog.allocateId(),
        indexes,
      };
      for (const c of columns) if (c.default !== undefined) compileDefault(planner, def, c);
      catalog.put(def);
      return doneCursor('CREATE TABLE');
    }
    case 'dropTable': {
      for (const t of s.tables) {
        const def = catalog.get(t.name);
        if (def === undefined) {
          if (s.ifExists) {
            ex.runtime.notice(
              'NOTICE',
              SqlState.UNDEFINED_TABLE,
              `table "${t.name}" does not exist, skipping`,
            );
            continue;
          }
          throw new SqlError(SqlState.UNDEFINED_TABLE, `table "${t.name}" does not exist`);
        }
        clearTable(ex, def);
        for (const c of def.columns) if (c.sequence !== undefined) ex.runtime.dropSequence(c.sequence);
        catalog.drop(t.name);
      }
      return doneCursor('DROP TABLE');
    }
    case 'truncate': {
      for (const t of s.tables) {
        const def = catalog.table(t.name);
        clearTable(ex, def);
        if (s.restartIdentity)
          for (const c of def.columns) if (c.sequence !== undefined) ex.runtime.dropSequence(c.sequence);
      }
      return doneCursor('TRUNCATE TABLE');
    }
    case 'createIndex': {
      const t = catalog.table(s.table.name);
      const cols = s.columns.map((c) => {
        const ci = columnIndex(t, c.name);
        if (ci < 0) throw new SqlError(SqlState.UNDEFINED_COLUMN, `column "${c.name}" does not exist`);
        return { column: ci, desc: c.desc };
      });
      let name = s.name ?? `${t.name}_${s.columns.map((c) => c.name).join('_')}_idx`;
      if (s.name === undefined)
        for (let i = 1; catalog.get(name) !== undefined || catalog.indexOwner(name) !== undefined; i++)
          name = `${t.name}_${s.columns.map((c) => c.name).join('_')}_idx${i}`;
      if (catalog.get(name) !== undefined || catalog.indexOwner(name) !== undefined) {
        if (s.ifNotExists) {
          ex.runtime.notice(
            'NOTICE',
            SqlState.DUPLICATE_TABLE,
            `relation "${name}" already exists, skipping`,
          );
          return doneCursor('CREATE INDEX');
        }
        checkName(catalog, name);
      }
      const ix: IndexDef = {
        id: catalog.allocateId(),
        name,
        columns: cols,
        unique: s.unique,
        constraint: false,
      };
      addIndex(ex, catalog, t, ix);
      return doneCursor('CREATE INDEX');
    }
    case 'dropIndex': {
      for (const name of s.names) {
        const t = catalog.indexOwner(name);
        const ix = t?.indexes.find((i) => i.name === name);
        if (t === undefined || ix === undefined) {
          if (t !== undefined)
            throw new SqlError(
              '2BP01',
              `cannot drop index ${name} because constraint ${name} on table ${t.name} requires it`,
            );
          if (s.ifExists) {
            ex.runtime.notice(
              'NOTICE',
              SqlState.UNDEFINED_OBJECT,
              `index "${name}" does not exist, skipping`,
            );
            continue;
          }
          throw new SqlError(SqlState.UNDEFINED_OBJECT, `index "${name}" does not exist`);
        }
        if (ix.constraint)
          throw new SqlError(
            '2BP01',
            `cannot drop index ${name} because constraint ${name} on table ${t.name} requires it`,
          );
        deleteRange(ex, indexPrefix(ix.id));
        catalog.put({ ...t, indexes: t.indexes.filter((i) => i !== ix) });
      }
      return doneCursor('DROP INDEX');
    }
    case 'alterTable': {
      for (const a of s.actions) alter(planner, ex, catalog, s.table.name, a);
      return doneCursor('ALTER TABLE');
    }
    default:
      throw new SqlError(SqlState.INTERNAL_ERROR, `not a DDL statement: ${s.kind}`);
  }
}

function addIndex(ex: ExecContext, catalog: CatalogView, t: TableDef, ix: IndexDef): void {
  const next: TableDef = { ...t, indexes: [...t.indexes, ix] };
  const writer = rowIdWriter(ex, next);
  const rows = [...new TableScan(t, t.name, undefined).entries(ex)];
  const seen = new Map<string, Uint8Array>();
  for (const e of rows) {
    const k = writer.indexKey(ix, e.row, e.key);
    const id = Buffer.from(k).toString('latin1');
    if (ix.unique && seen.has(id) && ix.columns.every((c) => e.row[c.column] !== null)) {
      const c = writer.uniqueViolation(
        { constraint: ix.name, columns: ix.columns.map((x) => x.column) },
        e.row,
      );
      throw new SqlError('23505', `could not create unique index "${ix.name}"`, {
        detail: c.detail!.replace('already exists', 'is duplicated'),
      });
    }
    seen.set(id, e.key);
    ex.txn.put(k, e.key);
  }
  catalog.put(next);
}

function alter(
  planner: Planner,
  ex: ExecContext,
  catalog: CatalogView,
  name: string,
  a: Extract<Statement, { kind: 'alterTable' }>['actions'][number],
): void {
  const t = catalog.table(name);
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
      const col = columnFrom(catalog, a.column);
      const next: TableDef = { ...t, columns: [...t.columns, col] };
      // Existing rows get the default now (PostgreSQL fills them in too); NOT NULL is checked on each.
      const d = compileDefault(planner, next, col);
      const writer = rowIdWriter(ex, next);
      const rows = [...new TableScan(t, t.name, undefined).entries(ex)];
      for (const e of rows) {
        const row = [...e.row, d === undefined ? null : d.eval([], ex)];
        if (row[row.length - 1] === null && col.notNull)
          throw new SqlError(
            SqlState.NOT_NULL_VIOLATION,
            `column "${col.name}" of relation "${name}" contains null values`,
          );
        writer.update(e.key, e.row, row);
      }
      catalog.put(next);
      if (a.column.unique)
        addIndex(ex, catalog, next, {
          id: catalog.allocateId(),
          name: `${name}_${col.name}_key`,
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
      const pk = a.columns.map((n) => {
        const ci = columnIndex(t, n);
        if (ci < 0)
          throw new SqlError(SqlState.UNDEFINED_COLUMN, `column "${n}" of relation "${name}" does not exist`);
        return ci;
      });
      const next: TableDef = {
        ...t,
        columns: t.columns.map((c, i) => (pk.includes(i) ? { ...c, notNull: true } : c)),
        primaryKey: pk,
        primaryKeyName: `${name}_pkey`,
        rowIdSequence: undefined,
      };
      // Re-key every row: rows move from hidden row ids to their primary key values.
      const rows = [...new TableScan(t, t.name, undefined).entries(ex)];
      const oldWriter = rowIdWriter(ex, t);
      for (const e of rows) oldWriter.remove(e.key, e.row);
      const writer = rowIdWriter(ex, next);
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
            throw new SqlError(SqlState.UNIQUE_VIOLATION, `could not create unique index "${name}_pkey"`, {
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
      addIndex(ex, catalog, t, {
        id: catalog.allocateId(),
        name: `${name}_${a.columns.join('_')}_key`,
        columns: cols,
        unique: true,
        constraint: true,
      });
      return;
    }
  }
}
