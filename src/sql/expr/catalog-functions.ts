/**
 * The system information functions psql and drivers call on catalog rows: pg_get_userbyid,
 * pg_table_is_visible, format_type, pg_get_expr, pg_get_indexdef, pg_get_constraintdef,
 * pg_get_serial_sequence, pg_encoding_to_char, current_schemas, the *_description functions (shale keeps no
 * comments: NULL), pg_relation_is_publishable.
 */
import { constraintDef, indexDef, quoteIdent, treeText } from '../catalog/deparse.js';
import {
  constraintOid,
  indexesOf,
  relationByName,
  relationByOid,
  sequenceName,
} from '../catalog/pg-objects.js';
import { ENCODING_UTF8, FIRST_PROC_OID, SYSTEM_RELATION_OIDS, roleName } from '../catalog/system-tables.js';
import { columnIndex } from '../catalog/table-def.js';
import { SqlError, SqlState } from '../errors.js';
import { regIn } from './reg-types.js';
import { indexPrefix, rowPrefix } from '../storage/keyspace.js';
import type { Runtime } from '../runtime.js';
import { formatType, sqlType, typeByOid, type TypeId, type Value } from '../types/sql-type.js';
import type { FunctionDef, Impl } from './functions.js';

const T = sqlType;

/** fixed: a function with one signature (argument counts allowed: the first n of `args`). */
function fixed(
  args: readonly TypeId[],
  result: TypeId,
  impl: Impl,
  opts: { min?: number; strict?: boolean } = {},
): FunctionDef {
  const min = opts.min ?? args.length;
  return (types) =>
    types.length < min || types.length > args.length
      ? undefined
      : {
          args: args.slice(0, types.length).map((a) => T(a)),
          result: T(result),
          impl,
          ...(opts.strict === false ? { strict: false } : {}),
        };
}

function findIndex(rt: Runtime, oid: number) {
  for (const t of rt.catalog.all()) for (const ix of indexesOf(t)) if (ix.oid === oid) return { t, ix };
  return undefined;
}

/** formatTypeOid is format_type(oid, typmod): typmod NULL prints bpchar as character. */
function formatTypeOid(oid: number, typmod: Value): string {
  const id = typeByOid(oid);
  if (id === undefined) return '???';
  if (typmod === null || typmod === undefined) return formatType(T(id));
  if (id === 'bpchar' && (typmod as number) < 0) return 'bpchar';
  return formatType({ id, typmod: typmod as number });
}

/**
 * relationBytes is the approximate on-disk size of a relation's keys (memtable contents are not counted): a
 * table's rows (its primary key is the row order, it has no separate index), a secondary index's entries.
 */
function relationBytes(rt: Runtime, oid: number, withIndexes: boolean): bigint | null {
  const r = relationByOid(rt.catalog, oid);
  if (r === undefined) return null;
  if (r.kind === 'S') return 0n;
  if (r.kind === 'i') return BigInt(r.index!.primary ? 0 : rt.approximateBytes(indexPrefix(r.index!.oid)));
  let n = rt.approximateBytes(rowPrefix(r.table.id));
  if (withIndexes) for (const ix of r.table.indexes) n += rt.approximateBytes(indexPrefix(ix.id));
  return BigInt(n);
}

/** sizePretty is pg_size_pretty: bytes up to 10 kB, then kB, MB, GB, TB, PB, each rounded half up. */
function sizePretty(n: bigint): string {
  const limit = 10n * 1024n;
  const limit2 = limit * 2n - 1n;
  const abs = (x: bigint): bigint => (x < 0n ? -x : x);
  const half = (x: bigint): bigint => (x + (x < 0n ? -1n : 1n)) / 2n;
  if (abs(n) < limit) return `${n} bytes`;
  let size = n / (1n << 9n);
  for (const unit of ['kB', 'MB', 'GB', 'TB']) {
    if (abs(size) < limit2) return `${half(size)} ${unit}`;
    size /= 1n << 10n;
  }
  return `${half(size)} PB`;
}

export const CATALOG_FUNCTIONS: Record<string, FunctionDef> = {
  pg_get_userbyid: fixed(
    ['oid'],
    'name',
    ([oid], ex) => roleName(ex.runtime, oid as number) ?? `unknown (OID=${String(oid)})`,
  ),
  pg_table_is_visible: fixed(['oid'], 'bool', ([oid], ex) => {
    const o = oid as number;
    if (relationByOid(ex.runtime.catalog, o) !== undefined) return true;
    return Object.values(SYSTEM_RELATION_OIDS).includes(o) ? true : null;
  }),
  pg_type_is_visible: fixed(['oid'], 'bool', ([oid]) =>
    typeByOid(oid as number) === undefined ? null : true,
  ),
  format_type: fixed(
    ['oid', 'int4'],
    'text',
    ([oid, typmod]) => (oid === null ? null : formatTypeOid(oid as number, typmod ?? null)),
    { strict: false },
  ),
  pg_get_expr: fixed(
    ['pg_node_tree', 'oid', 'bool'],
    'text',
    ([tree, , pretty]) => treeText(tree as string, pretty === true),
    { min: 2 },
  ),
  pg_get_indexdef: fixed(
    ['oid', 'int4', 'bool'],
    'text',
    ([oid, column], ex) => {
      const f = findIndex(ex.runtime, oid as number);
      if (f === undefined) return null;
      const k = (column as number | undefined) ?? 0;
      if (k === 0) return indexDef(f.t, f.ix);
      const c = f.ix.columns[k - 1];
      return c === undefined ? null : quoteIdent(f.t.columns[c.column]!.name);
    },
    { min: 1 },
  ),
  pg_get_constraintdef: fixed(
    ['oid', 'bool'],
    'text',
    ([oid], ex) => {
      for (const t of ex.runtime.catalog.all())
        for (const ix of indexesOf(t))
          if (ix.constraint && constraintOid(ix) === oid) return constraintDef(t, ix);
      return null;
    },
    { min: 1 },
  ),
  pg_get_serial_sequence: fixed(['text', 'text'], 'text', ([table, column], ex) => {
    const name = (table as string).replace(/^public\./, '');
    const r = relationByName(ex.runtime.catalog, name);
    if (r === undefined || r.kind !== 'r')
      throw new SqlError(SqlState.UNDEFINED_TABLE, `relation "${table as string}" does not exist`);
    const i = columnIndex(r.table, column as string);
    if (i < 0)
      throw new SqlError(
        SqlState.UNDEFINED_COLUMN,
        `column "${column as string}" of relation "${name}" does not exist`,
      );
    const c = r.table.columns[i]!;
    return c.sequence === undefined ? null : `public.${quoteIdent(sequenceName(r.table, c.name))}`;
  }),
  pg_encoding_to_char: fixed(['int4'], 'name', ([n]) =>
    n === ENCODING_UTF8 ? 'UTF8' : n === 0 ? 'SQL_ASCII' : '',
  ),
  current_schemas: fixed(['bool'], '_name', ([implicit]) =>
    implicit ? ['pg_catalog', 'public'] : ['public'],
  ),
  obj_description: fixed(['oid', 'name'], 'text', () => null, { min: 1, strict: false }),
  col_description: fixed(['oid', 'int4'], 'text', () => null, { strict: false }),
  shobj_description: fixed(['oid', 'name'], 'text', () => null, { strict: false }),
  pg_relation_is_publishable: fixed(['regclass'], 'bool', ([oid], ex) => {
    const r = relationByOid(ex.runtime.catalog, oid as number);
    return r !== undefined && r.kind === 'r';
  }),
  pg_get_statisticsobjdef_columns: fixed(['oid'], 'text', () => null),
  pg_table_size: fixed(['regclass'], 'int8', ([oid], ex) => relationBytes(ex.runtime, oid as number, false)),
  pg_relation_size: fixed(['regclass'], 'int8', ([oid], ex) =>
    relationBytes(ex.runtime, oid as number, false),
  ),
  pg_total_relation_size: fixed(['regclass'], 'int8', ([oid], ex) =>
    relationBytes(ex.runtime, oid as number, true),
  ),
  pg_indexes_size: fixed(['regclass'], 'int8', ([oid], ex) => {
    const r = relationByOid(ex.runtime.catalog, oid as number);
    if (r === undefined || r.kind !== 'r') return r === undefined ? null : 0n;
    return BigInt(r.table.indexes.reduce((n, ix) => n + ex.runtime.approximateBytes(indexPrefix(ix.id)), 0));
  }),
  pg_tablespace_location: fixed(['oid'], 'text', () => ''),
  to_regclass: fixed(['text'], 'regclass', ([name], ex) => {
    try {
      return regIn(ex.runtime, sqlType('regclass'), name as string);
    } catch (err) {
      if (err instanceof SqlError && err.code === SqlState.UNDEFINED_TABLE) return null;
      throw err;
    }
  }),
  quote_ident: fixed(['text'], 'text', ([s]) => quoteIdent(s as string)),
  pg_size_pretty: fixed(['int8'], 'text', ([n]) => sizePretty(n as bigint)),
  pg_function_is_visible: fixed(['oid'], 'bool', ([oid]) =>
    (oid as number) >= FIRST_PROC_OID ? true : null,
  ),
  // shale keeps no function signatures: the result and arguments of its (built-in) functions are unknown.
  pg_get_function_result: fixed(['oid'], 'text', () => null),
  pg_get_function_arguments: fixed(['oid'], 'text', () => null),
};
