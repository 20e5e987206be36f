/**
 * The objects of shale's catalog as PostgreSQL's catalogs number and name them: every table, index (the
 * primary key's included) and serial sequence is a relation with an OID in the public schema; schemas, roles,
 * access methods and the database have PostgreSQL's fixed OIDs. pg_catalog relations (system-tables.ts),
 * regclass input and output, and the catalog functions (pg_get_indexdef...) all go through here.
 */
import type { CatalogView } from './catalog.js';
import type { IndexDef, TableDef } from './table-def.js';

export const NAMESPACE_PG_CATALOG = 11;
export const NAMESPACE_PUBLIC = 2200;
export const NAMESPACE_INFORMATION_SCHEMA = 13000;
/** ROLE_BOOTSTRAP: the superuser that owns everything (its name is the session's user). */
export const ROLE_BOOTSTRAP = 10;
/** ROLE_DATABASE_OWNER: pg_database_owner, the owner of schema public since PostgreSQL 15. */
export const ROLE_DATABASE_OWNER = 6171;
export const AM_HEAP = 2;
export const AM_BTREE = 403;
export const DATABASE_OID = 5;
/** COLLATION_DEFAULT: the database's collation (C for shale), the collation of every string type. */
export const COLLATION_DEFAULT = 100;

export const NAMESPACES: readonly { oid: number; name: string; owner: number }[] = [
  { oid: 99, name: 'pg_toast', owner: ROLE_BOOTSTRAP },
  { oid: NAMESPACE_PG_CATALOG, name: 'pg_catalog', owner: ROLE_BOOTSTRAP },
  { oid: NAMESPACE_PUBLIC, name: 'public', owner: ROLE_DATABASE_OWNER },
  { oid: NAMESPACE_INFORMATION_SCHEMA, name: 'information_schema', owner: ROLE_BOOTSTRAP },
];

/** Relation is one pg_class row of a user object. */
export interface Relation {
  readonly oid: number;
  readonly name: string;
  /** kind: pg_class.relkind: r table, i index, S sequence. */
  readonly kind: 'r' | 'i' | 'S';
  readonly table: TableDef;
  /** index: for kind 'i', the index (the primary key is an IndexDef with `primary`). */
  readonly index?: IndexInfo;
}

/** IndexInfo is an index as pg_index sees it: secondary indexes and the primary key alike. */
export interface IndexInfo {
  readonly oid: number;
  readonly name: string;
  readonly columns: IndexDef['columns'];
  readonly unique: boolean;
  readonly primary: boolean;
  /** constraint: backs a PRIMARY KEY or UNIQUE constraint (pg_constraint has a row for it). */
  readonly constraint: boolean;
}

/** primaryKeyOid: the OID of a table's primary key index. */
export function primaryKeyOid(t: TableDef): number {
  return t.id + 1_000_000;
}

/** constraintOid: the OID of the PRIMARY KEY or UNIQUE constraint an index backs (pg_constraint). */
export function constraintOid(ix: IndexInfo): number {
  return ix.oid + 2_000_000;
}

/** attrdefOid: the OID of a column default (pg_attrdef). */
export function attrdefOid(t: TableDef, attnum: number): number {
  return 3_000_000_000 + t.id * 1600 + attnum;
}

/** sequenceName: the name of a serial column's sequence. */
export function sequenceName(t: TableDef, column: string): string {
  return `${t.name}_${column}_seq`;
}

/** indexesOf lists a table's indexes, the primary key first. */
export function indexesOf(t: TableDef): IndexInfo[] {
  const out: IndexInfo[] = [];
  if (t.primaryKeyName !== undefined && t.primaryKey.length > 0)
    out.push({
      oid: primaryKeyOid(t),
      name: t.primaryKeyName,
      columns: t.primaryKey.map((column) => ({ column, desc: false })),
      unique: true,
      primary: true,
      constraint: true,
    });
  for (const ix of t.indexes)
    out.push({
      oid: ix.id,
      name: ix.name,
      columns: ix.columns,
      unique: ix.unique,
      primary: false,
      constraint: ix.constraint,
    });
  return out;
}

/** relations lists every user relation: tables, their indexes and their serial sequences. */
export function relations(catalog: CatalogView): Relation[] {
  const out: Relation[] = [];
  for (const t of catalog.all()) {
    out.push({ oid: t.id, name: t.name, kind: 'r', table: t });
    for (const ix of indexesOf(t)) out.push({ oid: ix.oid, name: ix.name, kind: 'i', table: t, index: ix });
    for (const c of t.columns)
      if (c.sequence !== undefined)
        out.push({ oid: c.sequence, name: sequenceName(t, c.name), kind: 'S', table: t });
  }
  return out;
}

interface RelationIndex {
  readonly stamp: string;
  readonly byOid: Map<number, Relation>;
  readonly byName: Map<string, Relation>;
}

/** INDEXES: each view's relations by OID and by name, rebuilt when the catalog or the view changes. */
const INDEXES = new WeakMap<CatalogView, RelationIndex>();

function relationIndex(catalog: CatalogView): RelationIndex {
  const stamp = `${catalog.catalog.version}:${catalog.edits}`;
  let ix = INDEXES.get(catalog);
  if (ix === undefined || ix.stamp !== stamp) {
    const all = relations(catalog);
    const byName = new Map<string, Relation>();
    for (const r of all) if (!byName.has(r.name)) byName.set(r.name, r);
    ix = { stamp, byOid: new Map(all.map((r) => [r.oid, r])), byName };
    INDEXES.set(catalog, ix);
  }
  return ix;
}

/** relationByOid finds a user relation by OID. */
export function relationByOid(catalog: CatalogView, oid: number): Relation | undefined {
  return relationIndex(catalog).byOid.get(oid);
}

/** relationByName finds a user relation by name (schema public). */
export function relationByName(catalog: CatalogView, name: string): Relation | undefined {
  return relationIndex(catalog).byName.get(name);
}
