/**
 * The pg_catalog relations drivers and psql read, computed from shale's catalog: pg_type (postgres.js reads
 * it before its first query), pg_namespace, pg_class, pg_attribute, pg_index, pg_database, and
 * information_schema.tables / columns. Only the columns clients use are present.
 */
import type { CatalogView } from './catalog.js';
import { TYPE_INFO, sqlType, type TypeId, type SqlType, type Value } from '../types/sql-type.js';
import { ValuesPlan, type Plan } from '../plan/plan.js';
import type { ColumnInfo } from '../plan/scope.js';
import type { SystemRelations } from '../plan/system-relations.js';
import { formatType } from '../types/sql-type.js';

const NAMESPACE_PG_CATALOG = 11;
const NAMESPACE_PUBLIC = 2200;

type Spec = readonly [string, TypeId][];

function relation(spec: Spec, rows: Value[][]): Plan {
  const columns: ColumnInfo[] = spec.map(([name, t]) => ({
    name,
    type: sqlType(t),
    table: undefined,
    tableOid: 0,
    attnum: 0,
  }));
  return new ValuesPlan(
    columns,
    rows.map((r) => r.map((v) => () => v)),
  );
}

const PG_TYPE: Spec = [
  ['oid', 'oid'],
  ['typname', 'name'],
  ['typnamespace', 'oid'],
  ['typlen', 'int2'],
  ['typtype', 'text'],
  ['typcategory', 'text'],
  ['typelem', 'oid'],
  ['typarray', 'oid'],
  ['typbasetype', 'oid'],
  ['typtypmod', 'int4'],
  ['typnotnull', 'bool'],
];

function pgType(): Plan {
  const rows: Value[][] = [];
  for (const id of Object.keys(TYPE_INFO) as TypeId[]) {
    const t = TYPE_INFO[id];
    rows.push([t.oid, id, NAMESPACE_PG_CATALOG, t.typlen, 'b', t.category, 0, 0, 0, -1, false]);
  }
  return relation(PG_TYPE, rows);
}

function pgNamespace(): Plan {
  return relation(
    [
      ['oid', 'oid'],
      ['nspname', 'name'],
    ],
    [
      [NAMESPACE_PG_CATALOG, 'pg_catalog'],
      [NAMESPACE_PUBLIC, 'public'],
      [13000, 'information_schema'],
    ],
  );
}

function pgClass(catalog: CatalogView): Plan {
  const rows: Value[][] = [];
  for (const t of catalog.all()) {
    rows.push([
      t.id,
      t.name,
      NAMESPACE_PUBLIC,
      'r',
      'p',
      t.columns.length,
      t.indexes.length > 0 || t.primaryKey.length > 0,
      -1,
    ]);
    if (t.primaryKeyName !== undefined)
      rows.push([
        t.id + 1_000_000,
        t.primaryKeyName,
        NAMESPACE_PUBLIC,
        'i',
        'p',
        t.primaryKey.length,
        false,
        -1,
      ]);
    for (const ix of t.indexes)
      rows.push([ix.id, ix.name, NAMESPACE_PUBLIC, 'i', 'p', ix.columns.length, false, -1]);
  }
  return relation(
    [
      ['oid', 'oid'],
      ['relname', 'name'],
      ['relnamespace', 'oid'],
      ['relkind', 'text'],
      ['relpersistence', 'text'],
      ['relnatts', 'int2'],
      ['relhasindex', 'bool'],
      ['reltuples', 'float4'],
    ],
    rows,
  );
}

function pgAttribute(catalog: CatalogView): Plan {
  const rows: Value[][] = [];
  for (const t of catalog.all())
    t.columns.forEach((c, i) =>
      rows.push([
        t.id,
        c.name,
        TYPE_INFO[c.type.id].oid,
        i + 1,
        c.type.typmod,
        c.notNull,
        false,
        c.default !== undefined || c.sequence !== undefined,
      ]),
    );
  return relation(
    [
      ['attrelid', 'oid'],
      ['attname', 'name'],
      ['atttypid', 'oid'],
      ['attnum', 'int2'],
      ['atttypmod', 'int4'],
      ['attnotnull', 'bool'],
      ['attisdropped', 'bool'],
      ['atthasdef', 'bool'],
    ],
    rows,
  );
}

function infoTables(catalog: CatalogView): Plan {
  return relation(
    [
      ['table_catalog', 'name'],
      ['table_schema', 'name'],
      ['table_name', 'name'],
      ['table_type', 'text'],
    ],
    catalog.all().map((t) => ['shale', 'public', t.name, 'BASE TABLE']),
  );
}

function infoColumns(catalog: CatalogView): Plan {
  const rows: Value[][] = [];
  for (const t of catalog.all())
    t.columns.forEach((c, i) =>
      rows.push([
        'shale',
        'public',
        t.name,
        c.name,
        i + 1,
        c.notNull ? 'NO' : 'YES',
        formatType(c.type as SqlType),
      ]),
    );
  return relation(
    [
      ['table_catalog', 'name'],
      ['table_schema', 'name'],
      ['table_name', 'name'],
      ['column_name', 'name'],
      ['ordinal_position', 'int4'],
      ['is_nullable', 'text'],
      ['data_type', 'text'],
    ],
    rows,
  );
}

export class CatalogRelations implements SystemRelations {
  relation(schema: string | undefined, name: string, catalog: CatalogView): Plan | undefined {
    if (schema === 'information_schema') {
      if (name === 'tables') return infoTables(catalog);
      if (name === 'columns') return infoColumns(catalog);
      return undefined;
    }
    switch (name) {
      case 'pg_type':
        return pgType();
      case 'pg_namespace':
        return pgNamespace();
      case 'pg_class':
        return pgClass(catalog);
      case 'pg_attribute':
        return pgAttribute(catalog);
      default:
        return undefined;
    }
  }
}
