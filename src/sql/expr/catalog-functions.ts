/**
 * The system information functions psql and drivers call on catalog rows: pg_get_userbyid,
 * pg_table_is_visible, format_type, pg_get_expr, pg_get_indexdef, pg_get_constraintdef,
 * pg_get_serial_sequence, pg_encoding_to_char, current_schemas, the *_description functions (shale keeps no
 * comments: NULL), pg_relation_is_publishable.
 */
import { constraintDef, indexDef, quoteIdent } from '../catalog/deparse.js';
import {
  constraintOid,
  indexesOf,
  relationByName,
  relationByOid,
  sequenceName,
} from '../catalog/pg-objects.js';
import { ENCODING_UTF8, SYSTEM_RELATION_OIDS, roleName } from '../catalog/system-tables.js';
import { columnIndex } from '../catalog/table-def.js';
import { SqlError, SqlState } from '../errors.js';
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
  pg_get_expr: fixed(['pg_node_tree', 'oid', 'bool'], 'text', ([tree]) => tree, { min: 2 }),
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
};
