/**
 * Operations DDL statements share: naming constraints, building columns from their syntax, clearing and
 * rewriting a table's rows and index entries inside the transaction.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import type { ColumnDef as AstColumn } from '../ast.js';
import { constraintNames, type ColumnDef, type IndexDef, type TableDef } from '../catalog/table-def.js';
import type { CatalogView } from '../catalog/catalog.js';
import type { ExecContext } from '../expr/context.js';
import { resolveTypeName } from '../expr/type-name.js';
import type { Planner } from '../plan/planner.js';
import type { Row } from '../plan/scope.js';
import { TableScan } from '../plan/table-scan.js';
import { indexPrefix, rowPrefix } from '../storage/keyspace.js';
import { prefixEnd } from '../storage/key-codec.js';
import { TYPE_INFO, sqlType, type SqlType } from '../types/sql-type.js';
import { chooseName, writeHooks } from './checks.js';
import { RowWriter } from './row-writer.js';
import { holdsExclusively } from '../plan/table-locks.js';

const SERIALS: Record<string, SqlType> = {
  serial: sqlType('int4'),
  serial4: sqlType('int4'),
  bigserial: sqlType('int8'),
  serial8: sqlType('int8'),
  smallserial: sqlType('int2'),
  serial2: sqlType('int2'),
};

export function checkName(catalog: CatalogView, name: string): void {
  if (catalog.entry(name) !== undefined || catalog.indexOwner(name) !== undefined)
    throw new SqlError(SqlState.DUPLICATE_TABLE, `relation "${name}" already exists`);
}

/**
 * skipExisting: for CREATE ... IF NOT EXISTS. False when `name` is free; when a relation or index holds it,
 * true after PostgreSQL's NOTICE if `ifNotExists`, else 42P07.
 */
export function skipExisting(ex: ExecContext, name: string, ifNotExists: boolean): boolean {
  const catalog = ex.runtime.catalog;
  if (catalog.entry(name) === undefined && catalog.indexOwner(name) === undefined) return false;
  if (!ifNotExists) checkName(catalog, name);
  ex.runtime.notice('NOTICE', SqlState.DUPLICATE_TABLE, `relation "${name}" already exists, skipping`);
  return true;
}

/** checkColumnType refuses a pseudo-type (record, void) as a column's type, as PostgreSQL does (42P16). */
export function checkColumnType(name: string, type: SqlType): void {
  if (TYPE_INFO[type.id].category === 'P')
    throw new SqlError(
      SqlState.INVALID_TABLE_DEFINITION,
      `column "${name}" has pseudo-type ${TYPE_INFO[type.id].pgName}`,
    );
}

export function columnFrom(catalog: CatalogView, c: AstColumn, table: string): ColumnDef {
  const serial = SERIALS[c.type.name];
  if (serial !== undefined) {
    if (c.default !== undefined)
      throw new SqlError(SqlState.SYNTAX_ERROR, `multiple default values specified for column "${c.name}"`);
    return { name: c.name, type: serial, notNull: true, default: undefined, sequence: catalog.allocateId() };
  }
  if (c.type.array) throw notSupported('array columns', c.type.loc + 1);
  if (c.type.name === 'char') throw notSupported('"char" columns', c.type.loc + 1);
  const type = resolveTypeName(c.type);
  checkColumnType(c.name, type);
  if (c.identity !== undefined) {
    if (type.id !== 'int2' && type.id !== 'int4' && type.id !== 'int8')
      throw new SqlError(
        SqlState.INVALID_PARAMETER_VALUE,
        'identity column type must be smallint, integer, or bigint',
      );
    if (c.default !== undefined)
      throw new SqlError(
        SqlState.SYNTAX_ERROR,
        `both default and identity specified for column "${c.name}" of table "${table}"`,
      );
    return {
      name: c.name,
      type,
      notNull: true,
      default: undefined,
      sequence: catalog.allocateId(),
      identity: c.identity,
    };
  }
  if (c.generated !== undefined) {
    if (c.default !== undefined)
      throw new SqlError(
        SqlState.SYNTAX_ERROR,
        `both default and generation expression specified for column "${c.name}" of table "${table}"`,
      );
    if (c.identity !== undefined)
      throw new SqlError(
        SqlState.SYNTAX_ERROR,
        `both identity and generation expression specified for column "${c.name}" of table "${table}"`,
      );
  }
  return {
    name: c.name,
    type,
    notNull: c.notNull || c.primaryKey,
    default: c.default,
    sequence: undefined,
    ...(c.generated !== undefined ? { generated: c.generated } : {}),
  };
}

/**
 * keyName names a PRIMARY KEY or UNIQUE constraint (and its index): the given name, which must be a free
 * relation name, or PostgreSQL's generated one made unique with a number.
 */
export function keyName(catalog: CatalogView, t: TableDef, given: string | undefined, base: string): string {
  const taken = (n: string): boolean =>
    catalog.entry(n) !== undefined ||
    catalog.indexOwner(n) !== undefined ||
    n === t.name ||
    constraintNames(t).includes(n);
  if (given === undefined) return chooseName(base, taken);
  if (constraintNames(t).includes(given))
    throw new SqlError(
      SqlState.DUPLICATE_OBJECT,
      `constraint "${given}" for relation "${t.name}" already exists`,
    );
  checkName(catalog, given);
  if (given === t.name) throw new SqlError(SqlState.DUPLICATE_TABLE, `relation "${given}" already exists`);
  return given;
}

/**
 * deleteRange deletes every key under `prefix` in the transaction; `unlocked`: without row locks (the
 * transaction holds the table in ACCESS EXCLUSIVE mode).
 */
export function deleteRange(ex: ExecContext, prefix: Uint8Array, unlocked = false): void {
  const it = ex.txn.iterator({ gte: prefix, lt: prefixEnd(prefix)! });
  const keys: Uint8Array[] = [];
  try {
    for (const [k] of it) keys.push(k);
  } finally {
    it.close();
  }
  if (unlocked) for (const k of keys) ex.txn.deleteUnlocked(k);
  else for (const k of keys) ex.txn.delete(k);
}

/** clearTable deletes every row and index entry of `t` (without row locks when it is held exclusively). */
export function clearTable(ex: ExecContext, t: TableDef): void {
  const unlocked = holdsExclusively(ex.txn, t);
  deleteRange(ex, rowPrefix(t.id), unlocked);
  for (const ix of t.indexes) deleteRange(ex, indexPrefix(ix.id), unlocked);
}

/** rowIdWriter makes a RowWriter for DDL, with the table's CHECKs and index expressions compiled. */
export function rowIdWriter(planner: Planner, ex: ExecContext, t: TableDef): RowWriter {
  return new RowWriter(
    ex.txn,
    t,
    () => (t.rowIdSequence === undefined ? 0n : ex.runtime.nextSequenceValue(t.rowIdSequence)),
    writeHooks(planner, t, ex),
  );
}

export function addIndex(
  planner: Planner,
  ex: ExecContext,
  catalog: CatalogView,
  t: TableDef,
  ix: IndexDef,
): void {
  const next: TableDef = { ...t, indexes: [...t.indexes, ix] };
  const writer = rowIdWriter(planner, ex, next);
  const rows = [...new TableScan(t, t.name, undefined).entries(ex)];
  const seen = new Map<string, Uint8Array>();
  for (const e of rows) {
    const k = writer.indexKey(ix, e.row, e.key);
    const id = Buffer.from(k).toString('latin1');
    if (ix.unique && seen.has(id) && writer.uniqueKey(ix, e.row) !== undefined) {
      const c = writer.uniqueViolation({ constraint: ix.name, columns: [], index: ix }, e.row);
      throw new SqlError('23505', `could not create unique index "${ix.name}"`, {
        detail: c.detail!.replace('already exists', 'is duplicated'),
      });
    }
    seen.set(id, e.key);
    // A new index's entries: nobody else can see or write them before the commit.
    ex.txn.putUnlocked(k, e.key);
  }
  catalog.put(next);
}

/**
 * rewriteTable stores every row of `t` again, as `map(row)` under the definition `next` (same table id):
 * the old rows and index entries are removed first, and each new row is checked (NOT NULL, CHECK, keys) as an
 * insert would be. Used where the stored form changes: column types, dropped columns, a changed primary key.
 */
export function rewriteTable(
  planner: Planner,
  ex: ExecContext,
  catalog: CatalogView,
  t: TableDef,
  next: TableDef,
  map: (row: Row) => Row,
): void {
  const rows = [...new TableScan(t, t.name, undefined).entries(ex)];
  clearTable(ex, t);
  const writer = rowIdWriter(planner, ex, next);
  for (const e of rows) writer.insert(map(e.row));
  catalog.put(next);
}
