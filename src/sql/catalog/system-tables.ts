/**
 * The pg_catalog relations drivers and psql read, computed from shale's catalog when a query runs: pg_type
 * (postgres.js reads it before its first query), pg_namespace, pg_class, pg_attribute, pg_index,
 * pg_constraint, pg_attrdef, pg_am, pg_collation, pg_roles, pg_database, the relations psql's \d reads that
 * shale has nothing for (policies, statistics objects, publications, inheritance, descriptions: empty), and
 * information_schema.tables / columns. Only the columns clients use are present; OIDs come from
 * pg-objects.ts.
 */
import type { Runtime } from '../runtime.js';
import { TYPE_INFO, arrayElement, arrayOf, sqlType, type TypeId, type Value } from '../types/sql-type.js';
import { indent, type Plan } from '../plan/plan.js';
import type { ColumnInfo, Row } from '../plan/scope.js';
import type { ExecContext } from '../expr/context.js';
import type { SystemRelations } from '../plan/system-relations.js';
import type { CatalogView } from './catalog.js';
import { formatType } from '../types/sql-type.js';
import { defaultText, defaultTree, indexDef } from './deparse.js';
import { functionNames } from '../expr/functions.js';
import { AGGREGATES } from '../expr/aggregates.js';
import {
  AM_BTREE,
  AM_HEAP,
  COLLATION_DEFAULT,
  DATABASE_OID,
  NAMESPACES,
  NAMESPACE_PG_CATALOG,
  NAMESPACE_PUBLIC,
  ROLE_BOOTSTRAP,
  ROLE_DATABASE_OWNER,
  attrdefOid,
  constraintOid,
  indexesOf,
  relations,
} from './pg-objects.js';

type Spec = readonly (readonly [string, TypeId])[];
type Build = (rt: Runtime) => Value[][];

/** SystemRelationPlan computes a system relation's rows from the catalog as the running statement sees it. */
class SystemRelationPlan implements Plan {
  readonly columns: readonly ColumnInfo[];
  constructor(
    private readonly name: string,
    spec: Spec,
    private readonly build: Build,
  ) {
    this.columns = spec.map(([n, t]) => ({
      name: n,
      type: sqlType(t),
      table: undefined,
      tableOid: 0,
      attnum: 0,
    }));
  }
  rows(ex: ExecContext): Iterable<Row> {
    // Built once per execution: a statement cannot change the catalog while it reads it, and joins scan the
    // same relation once per outer row.
    let rows = ex.cache.get(this) as Row[] | undefined;
    if (rows === undefined) {
      rows = this.build(ex.runtime);
      ex.cache.set(this, rows);
    }
    return rows;
  }
  explain(): string[] {
    return [`Seq Scan on ${this.name}`, ...indent([])];
  }
}

/** isStringLike: PostgreSQL gives these types the default collation. */
function collatable(id: TypeId): boolean {
  return id === 'text' || id === 'varchar' || id === 'bpchar' || id === 'name';
}

/** storage: PostgreSQL's typstorage letter (plain, extended, main). */
function storage(id: TypeId): string {
  if (TYPE_INFO[id].typlen > 0) return 'p';
  return id === 'numeric' ? 'm' : 'x';
}

const PG_TYPE: Spec = [
  ['oid', 'oid'],
  ['typname', 'name'],
  ['typnamespace', 'oid'],
  ['typowner', 'oid'],
  ['typlen', 'int2'],
  ['typbyval', 'bool'],
  ['typtype', 'char'],
  ['typcategory', 'char'],
  ['typispreferred', 'bool'],
  ['typisdefined', 'bool'],
  ['typdelim', 'char'],
  ['typrelid', 'oid'],
  ['typelem', 'oid'],
  ['typarray', 'oid'],
  ['typbasetype', 'oid'],
  ['typtypmod', 'int4'],
  ['typndims', 'int4'],
  ['typcollation', 'oid'],
  ['typnotnull', 'bool'],
];

function pgType(): Value[][] {
  return (Object.keys(TYPE_INFO) as TypeId[]).map((id) => {
    const t = TYPE_INFO[id];
    const elem = arrayElement(id);
    const arr = arrayOf(id);
    return [
      t.oid,
      id,
      NAMESPACE_PG_CATALOG,
      ROLE_BOOTSTRAP,
      t.typlen,
      t.typlen > 0 && t.typlen <= 8,
      id === 'unknown' ? 'p' : 'b',
      t.category,
      id === 'text' || id === 'float8' || id === 'bool' || id === 'oid' || id === 'timestamptz',
      true,
      ',',
      0,
      elem === undefined ? 0 : TYPE_INFO[elem].oid,
      arr === undefined ? 0 : TYPE_INFO[arr].oid,
      0,
      -1,
      0,
      collatable(elem ?? id) ? COLLATION_DEFAULT : 0,
      false,
    ];
  });
}

const PG_NAMESPACE: Spec = [
  ['oid', 'oid'],
  ['nspname', 'name'],
  ['nspowner', 'oid'],
];

const PG_CLASS: Spec = [
  ['oid', 'oid'],
  ['relname', 'name'],
  ['relnamespace', 'oid'],
  ['reltype', 'oid'],
  ['reloftype', 'oid'],
  ['relowner', 'oid'],
  ['relam', 'oid'],
  ['relfilenode', 'oid'],
  ['reltablespace', 'oid'],
  ['relpages', 'int4'],
  ['reltuples', 'float4'],
  ['relallvisible', 'int4'],
  ['reltoastrelid', 'oid'],
  ['relhasindex', 'bool'],
  ['relisshared', 'bool'],
  ['relpersistence', 'char'],
  ['relkind', 'char'],
  ['relnatts', 'int2'],
  ['relchecks', 'int2'],
  ['relhasrules', 'bool'],
  ['relhastriggers', 'bool'],
  ['relhassubclass', 'bool'],
  ['relrowsecurity', 'bool'],
  ['relforcerowsecurity', 'bool'],
  ['relispopulated', 'bool'],
  ['relreplident', 'char'],
  ['relispartition', 'bool'],
  ['relrewrite', 'oid'],
  ['relacl', '_text'],
  ['reloptions', '_text'],
  ['relpartbound', 'pg_node_tree'],
];

/** systemClassRows: pg_class rows of the pg_catalog relations shale serves (views: relkind v). */
function systemClassRows(): Value[][] {
  return Object.entries(PG_CATALOG).map(([name, r]) => {
    const view = VIEWS.has(name);
    const oid = SYSTEM_RELATION_OIDS[name]!;
    return [
      oid,
      name,
      NAMESPACE_PG_CATALOG,
      0,
      0,
      ROLE_BOOTSTRAP,
      view ? 0 : AM_HEAP,
      view ? 0 : oid,
      0,
      0,
      -1,
      0,
      0,
      false,
      name === 'pg_database' || name === 'pg_authid',
      'p',
      view ? 'v' : 'r',
      r.spec.length,
      0,
      view,
      false,
      false,
      false,
      false,
      true,
      view ? 'n' : 'd',
      false,
      0,
      null,
      null,
      null,
    ];
  });
}

function pgClass(catalog: CatalogView): Value[][] {
  return [
    ...systemClassRows(),
    ...relations(catalog).map((r) => {
      const natts = r.kind === 'r' ? r.table.columns.length : r.kind === 'i' ? r.index!.columns.length : 3;
      return [
        r.oid,
        r.name,
        NAMESPACE_PUBLIC,
        0,
        0,
        ROLE_BOOTSTRAP,
        r.kind === 'r' ? AM_HEAP : r.kind === 'i' ? AM_BTREE : 0,
        r.oid,
        0,
        0,
        -1,
        0,
        0,
        r.kind === 'r' && indexesOf(r.table).length > 0,
        false,
        'p',
        r.kind,
        natts,
        0,
        false,
        false,
        false,
        false,
        false,
        true,
        r.kind === 'i' ? 'n' : 'd',
        false,
        0,
        null,
        null,
        null,
      ];
    }),
  ];
}

const PG_ATTRIBUTE: Spec = [
  ['attrelid', 'oid'],
  ['attname', 'name'],
  ['atttypid', 'oid'],
  ['attstattarget', 'int4'],
  ['attlen', 'int2'],
  ['attnum', 'int2'],
  ['attndims', 'int4'],
  ['atttypmod', 'int4'],
  ['attbyval', 'bool'],
  ['attstorage', 'char'],
  ['attcompression', 'char'],
  ['attnotnull', 'bool'],
  ['atthasdef', 'bool'],
  ['atthasmissing', 'bool'],
  ['attidentity', 'char'],
  ['attgenerated', 'char'],
  ['attisdropped', 'bool'],
  ['attislocal', 'bool'],
  ['attinhcount', 'int4'],
  ['attcollation', 'oid'],
  ['attacl', '_text'],
];

function pgAttribute(catalog: CatalogView): Value[][] {
  const rows: Value[][] = [];
  const row = (
    relid: number,
    c: { name: string; type: { id: TypeId; typmod: number } },
    n: number,
    notNull: boolean,
    hasDef: boolean,
  ) => {
    const info = TYPE_INFO[c.type.id];
    rows.push([
      relid,
      c.name,
      info.oid,
      -1,
      info.typlen,
      n,
      0,
      c.type.typmod,
      info.typlen > 0 && info.typlen <= 8,
      storage(c.type.id),
      '',
      notNull,
      hasDef,
      false,
      '',
      '',
      false,
      true,
      0,
      collatable(c.type.id) ? COLLATION_DEFAULT : 0,
      null,
    ]);
  };
  for (const [name, r] of Object.entries(PG_CATALOG))
    r.spec.forEach(([col, type], i) =>
      row(SYSTEM_RELATION_OIDS[name]!, { name: col, type: sqlType(type) }, i + 1, !VIEWS.has(name), false),
    );
  for (const t of catalog.all()) {
    t.columns.forEach((c, i) =>
      row(t.id, c, i + 1, c.notNull, c.default !== undefined || c.sequence !== undefined),
    );
    for (const ix of indexesOf(t))
      ix.columns.forEach((k, i) => row(ix.oid, t.columns[k.column]!, i + 1, false, false));
  }
  return rows;
}

const PG_INDEX: Spec = [
  ['indexrelid', 'oid'],
  ['indrelid', 'oid'],
  ['indnatts', 'int2'],
  ['indnkeyatts', 'int2'],
  ['indisunique', 'bool'],
  ['indnullsnotdistinct', 'bool'],
  ['indisprimary', 'bool'],
  ['indisexclusion', 'bool'],
  ['indimmediate', 'bool'],
  ['indisclustered', 'bool'],
  ['indisvalid', 'bool'],
  ['indcheckxmin', 'bool'],
  ['indisready', 'bool'],
  ['indislive', 'bool'],
  ['indisreplident', 'bool'],
  ['indkey', 'int2vector'],
  ['indoption', 'int2vector'],
  ['indexprs', 'pg_node_tree'],
  ['indpred', 'pg_node_tree'],
];

function pgIndex(catalog: CatalogView): Value[][] {
  const rows: Value[][] = [];
  for (const t of catalog.all())
    for (const ix of indexesOf(t))
      rows.push([
        ix.oid,
        t.id,
        ix.columns.length,
        ix.columns.length,
        ix.unique,
        false,
        ix.primary,
        false,
        true,
        false,
        true,
        false,
        true,
        true,
        false,
        ix.columns.map((k) => k.column + 1),
        ix.columns.map((k) => (k.desc ? 3 : 0)),
        null,
        null,
      ]);
  return rows;
}

const PG_CONSTRAINT: Spec = [
  ['oid', 'oid'],
  ['conname', 'name'],
  ['connamespace', 'oid'],
  ['contype', 'char'],
  ['condeferrable', 'bool'],
  ['condeferred', 'bool'],
  ['convalidated', 'bool'],
  ['conrelid', 'oid'],
  ['contypid', 'oid'],
  ['conindid', 'oid'],
  ['conparentid', 'oid'],
  ['confrelid', 'oid'],
  ['conislocal', 'bool'],
  ['coninhcount', 'int4'],
  ['connoinherit', 'bool'],
  ['conkey', '_int2'],
  ['confkey', '_int2'],
  ['conbin', 'pg_node_tree'],
];

function pgConstraint(catalog: CatalogView): Value[][] {
  const rows: Value[][] = [];
  for (const t of catalog.all())
    for (const ix of indexesOf(t))
      if (ix.constraint)
        rows.push([
          constraintOid(ix),
          ix.name,
          NAMESPACE_PUBLIC,
          ix.primary ? 'p' : 'u',
          false,
          false,
          true,
          t.id,
          0,
          ix.oid,
          0,
          0,
          true,
          0,
          true,
          ix.columns.map((k) => k.column + 1),
          null,
          null,
        ]);
  return rows;
}

const PG_ATTRDEF: Spec = [
  ['oid', 'oid'],
  ['adrelid', 'oid'],
  ['adnum', 'int2'],
  ['adbin', 'pg_node_tree'],
];

function pgAttrdef(catalog: CatalogView): Value[][] {
  const rows: Value[][] = [];
  for (const t of catalog.all())
    t.columns.forEach((c, i) => {
      const d = defaultTree(t, c);
      if (d !== undefined) rows.push([attrdefOid(t, i + 1), t.id, i + 1, d]);
    });
  return rows;
}

const PG_AM: Spec = [
  ['oid', 'oid'],
  ['amname', 'name'],
  ['amtype', 'char'],
];

const PG_COLLATION: Spec = [
  ['oid', 'oid'],
  ['collname', 'name'],
  ['collnamespace', 'oid'],
  ['collowner', 'oid'],
  ['collprovider', 'char'],
  ['collisdeterministic', 'bool'],
  ['collencoding', 'int4'],
  ['collcollate', 'text'],
  ['collctype', 'text'],
];

const PG_SEQUENCE: Spec = [
  ['seqrelid', 'oid'],
  ['seqtypid', 'oid'],
  ['seqstart', 'int8'],
  ['seqincrement', 'int8'],
  ['seqmax', 'int8'],
  ['seqmin', 'int8'],
  ['seqcache', 'int8'],
  ['seqcycle', 'bool'],
];

const SEQUENCE_MAX: Partial<Record<TypeId, bigint>> = {
  int2: 32767n,
  int4: 2147483647n,
  int8: 9223372036854775807n,
};

function pgSequence(catalog: CatalogView): Value[][] {
  const rows: Value[][] = [];
  for (const t of catalog.all())
    for (const c of t.columns)
      if (c.sequence !== undefined)
        rows.push([
          c.sequence,
          TYPE_INFO[c.type.id].oid,
          1n,
          1n,
          SEQUENCE_MAX[c.type.id] ?? SEQUENCE_MAX.int8!,
          1n,
          1n,
          false,
        ]);
  return rows;
}

const PG_DEPEND: Spec = [
  ['classid', 'oid'],
  ['objid', 'oid'],
  ['objsubid', 'int4'],
  ['refclassid', 'oid'],
  ['refobjid', 'oid'],
  ['refobjsubid', 'int4'],
  ['deptype', 'char'],
];

/** pgDepend: the dependencies clients read: a serial sequence is owned by its column (deptype a). */
function pgDepend(catalog: CatalogView): Value[][] {
  const rows: Value[][] = [];
  const pgClassOid = SYSTEM_RELATION_OIDS.pg_class!;
  for (const t of catalog.all())
    t.columns.forEach((c, i) => {
      if (c.sequence !== undefined) rows.push([pgClassOid, c.sequence, 0, pgClassOid, t.id, i + 1, 'a']);
    });
  return rows;
}

const PG_PROC: Spec = [
  ['oid', 'oid'],
  ['proname', 'name'],
  ['pronamespace', 'oid'],
  ['proowner', 'oid'],
  ['prokind', 'char'],
  ['proretset', 'bool'],
];

/** FIRST_PROC_OID: pg_proc lists shale's functions (without signatures) from this OID on. */
export const FIRST_PROC_OID = 9000;

function pgProc(): Value[][] {
  const names = [
    ...functionNames().map((n) => [n, 'f'] as const),
    ...Object.keys(AGGREGATES)
      .sort()
      .map((n) => [n, 'a'] as const),
  ];
  return names.map(([n, kind], i) => [
    FIRST_PROC_OID + i,
    n,
    NAMESPACE_PG_CATALOG,
    ROLE_BOOTSTRAP,
    kind,
    n === 'unnest' || n === 'generate_series',
  ]);
}

const PG_TABLES: Spec = [
  ['schemaname', 'name'],
  ['tablename', 'name'],
  ['tableowner', 'name'],
  ['tablespace', 'name'],
  ['hasindexes', 'bool'],
  ['hasrules', 'bool'],
  ['hastriggers', 'bool'],
  ['rowsecurity', 'bool'],
];

/** pgTables: the pg_tables view: user tables, then the pg_catalog tables shale serves. */
function pgTables(rt: Runtime): Value[][] {
  const owner = rt.session.user;
  return [
    ...rt.catalog
      .all()
      .map((t) => ['public', t.name, owner, null, indexesOf(t).length > 0, false, false, false]),
    ...Object.keys(PG_CATALOG)
      .filter((n) => !VIEWS.has(n))
      .map((n) => ['pg_catalog', n, owner, null, false, false, false, false]),
  ];
}

const PG_INDEXES: Spec = [
  ['schemaname', 'name'],
  ['tablename', 'name'],
  ['indexname', 'name'],
  ['tablespace', 'name'],
  ['indexdef', 'text'],
];

function pgIndexes(catalog: CatalogView): Value[][] {
  const rows: Value[][] = [];
  for (const t of catalog.all())
    for (const ix of indexesOf(t)) rows.push(['public', t.name, ix.name, null, indexDef(t, ix)]);
  return rows;
}

const PG_ROLES: Spec = [
  ['oid', 'oid'],
  ['rolname', 'name'],
  ['rolsuper', 'bool'],
  ['rolinherit', 'bool'],
  ['rolcreaterole', 'bool'],
  ['rolcreatedb', 'bool'],
  ['rolcanlogin', 'bool'],
  ['rolreplication', 'bool'],
  ['rolconnlimit', 'int4'],
  ['rolbypassrls', 'bool'],
  ['rolvaliduntil', 'timestamptz'],
];

/** roleName: the names of the roles shale knows (the bootstrap superuser is the session's user). */
export function roleName(rt: Runtime, oid: number): string | undefined {
  if (oid === ROLE_BOOTSTRAP) return rt.session.user;
  if (oid === ROLE_DATABASE_OWNER) return 'pg_database_owner';
  return undefined;
}

const PG_DATABASE: Spec = [
  ['oid', 'oid'],
  ['datname', 'name'],
  ['datdba', 'oid'],
  ['encoding', 'int4'],
  ['datlocprovider', 'char'],
  ['datistemplate', 'bool'],
  ['datallowconn', 'bool'],
  ['datconnlimit', 'int4'],
  ['datcollate', 'text'],
  ['datctype', 'text'],
  ['daticulocale', 'text'],
  ['datacl', '_text'],
];

/** UTF8: PostgreSQL's number of the UTF8 encoding (pg_database.encoding). */
export const ENCODING_UTF8 = 6;

const EMPTY: Record<string, Spec> = {
  pg_extension: [
    ['oid', 'oid'],
    ['extname', 'name'],
    ['extowner', 'oid'],
    ['extnamespace', 'oid'],
    ['extrelocatable', 'bool'],
    ['extversion', 'text'],
  ],
  pg_enum: [
    ['oid', 'oid'],
    ['enumtypid', 'oid'],
    ['enumsortorder', 'float4'],
    ['enumlabel', 'name'],
  ],
  pg_range: [
    ['rngtypid', 'oid'],
    ['rngsubtype', 'oid'],
    ['rngmultitypid', 'oid'],
  ],
  pg_auth_members: [
    ['oid', 'oid'],
    ['roleid', 'oid'],
    ['member', 'oid'],
    ['grantor', 'oid'],
    ['admin_option', 'bool'],
  ],
  pg_policy: [
    ['oid', 'oid'],
    ['polname', 'name'],
    ['polrelid', 'oid'],
    ['polcmd', 'char'],
    ['polpermissive', 'bool'],
    ['polroles', '_oid'],
    ['polqual', 'pg_node_tree'],
    ['polwithcheck', 'pg_node_tree'],
  ],
  pg_statistic_ext: [
    ['oid', 'oid'],
    ['stxrelid', 'oid'],
    ['stxname', 'name'],
    ['stxnamespace', 'oid'],
    ['stxowner', 'oid'],
    ['stxstattarget', 'int4'],
    ['stxkeys', 'int2vector'],
    ['stxkind', '_char'],
    ['stxexprs', 'pg_node_tree'],
  ],
  pg_publication: [
    ['oid', 'oid'],
    ['pubname', 'name'],
    ['pubowner', 'oid'],
    ['puballtables', 'bool'],
    ['pubinsert', 'bool'],
    ['pubupdate', 'bool'],
    ['pubdelete', 'bool'],
    ['pubtruncate', 'bool'],
    ['pubviaroot', 'bool'],
  ],
  pg_publication_namespace: [
    ['oid', 'oid'],
    ['pnpubid', 'oid'],
    ['pnnspid', 'oid'],
  ],
  pg_publication_rel: [
    ['oid', 'oid'],
    ['prpubid', 'oid'],
    ['prrelid', 'oid'],
    ['prqual', 'pg_node_tree'],
    ['prattrs', 'int2vector'],
  ],
  pg_inherits: [
    ['inhrelid', 'oid'],
    ['inhparent', 'oid'],
    ['inhseqno', 'int4'],
    ['inhdetachpending', 'bool'],
  ],
  pg_partitioned_table: [
    ['partrelid', 'oid'],
    ['partstrat', 'char'],
    ['partnatts', 'int2'],
    ['partdefid', 'oid'],
  ],
  pg_description: [
    ['objoid', 'oid'],
    ['classoid', 'oid'],
    ['objsubid', 'int4'],
    ['description', 'text'],
  ],
  pg_trigger: [
    ['oid', 'oid'],
    ['tgrelid', 'oid'],
    ['tgparentid', 'oid'],
    ['tgname', 'name'],
    ['tgenabled', 'char'],
    ['tgisinternal', 'bool'],
  ],
};

/** PG_CATALOG: each pg_catalog relation shale serves, with its columns and rows. */
const PG_CATALOG: Record<string, { spec: Spec; build: Build }> = {
  pg_type: { spec: PG_TYPE, build: pgType },
  pg_namespace: {
    spec: PG_NAMESPACE,
    build: () => NAMESPACES.map((n) => [n.oid, n.name, n.owner]),
  },
  pg_class: { spec: PG_CLASS, build: (rt) => pgClass(rt.catalog) },
  pg_attribute: { spec: PG_ATTRIBUTE, build: (rt) => pgAttribute(rt.catalog) },
  pg_index: { spec: PG_INDEX, build: (rt) => pgIndex(rt.catalog) },
  pg_constraint: { spec: PG_CONSTRAINT, build: (rt) => pgConstraint(rt.catalog) },
  pg_attrdef: { spec: PG_ATTRDEF, build: (rt) => pgAttrdef(rt.catalog) },
  pg_sequence: { spec: PG_SEQUENCE, build: (rt) => pgSequence(rt.catalog) },
  pg_depend: { spec: PG_DEPEND, build: (rt) => pgDepend(rt.catalog) },
  pg_proc: { spec: PG_PROC, build: pgProc },
  pg_tablespace: {
    spec: [
      ['oid', 'oid'],
      ['spcname', 'name'],
      ['spcowner', 'oid'],
      ['spcacl', '_text'],
      ['spcoptions', '_text'],
    ],
    build: () => [
      [1663, 'pg_default', ROLE_BOOTSTRAP, null, null],
      [1664, 'pg_global', ROLE_BOOTSTRAP, null, null],
    ],
  },
  pg_tables: { spec: PG_TABLES, build: pgTables },
  pg_indexes: { spec: PG_INDEXES, build: (rt) => pgIndexes(rt.catalog) },
  pg_am: {
    spec: PG_AM,
    build: () => [
      [AM_HEAP, 'heap', 't'],
      [AM_BTREE, 'btree', 'i'],
    ],
  },
  pg_collation: {
    spec: PG_COLLATION,
    build: () => [
      [COLLATION_DEFAULT, 'default', NAMESPACE_PG_CATALOG, ROLE_BOOTSTRAP, 'd', true, -1, null, null],
      [950, 'C', NAMESPACE_PG_CATALOG, ROLE_BOOTSTRAP, 'c', true, -1, 'C', 'C'],
      [951, 'POSIX', NAMESPACE_PG_CATALOG, ROLE_BOOTSTRAP, 'c', true, -1, 'POSIX', 'POSIX'],
    ],
  },
  pg_roles: {
    spec: PG_ROLES,
    build: (rt) => [
      [ROLE_BOOTSTRAP, rt.session.user, true, true, true, true, true, true, -1, true, null],
      [ROLE_DATABASE_OWNER, 'pg_database_owner', false, true, false, false, false, false, -1, false, null],
    ],
  },
  pg_database: {
    spec: PG_DATABASE,
    build: (rt) => [
      [
        DATABASE_OID,
        rt.session.database,
        ROLE_BOOTSTRAP,
        ENCODING_UTF8,
        'c',
        false,
        true,
        -1,
        'C',
        'C',
        null,
        null,
      ],
    ],
  },
  ...Object.fromEntries(Object.entries(EMPTY).map(([n, spec]) => [n, { spec, build: () => [] }])),
};

/** VIEWS: the pg_catalog relations that are views in PostgreSQL. */
const VIEWS = new Set(['pg_roles', 'pg_tables', 'pg_indexes']);

/** SYSTEM_RELATION_OIDS: the OIDs of the pg_catalog relations (regclass input and output). */
export const SYSTEM_RELATION_OIDS: Readonly<Record<string, number>> = {
  pg_type: 1247,
  pg_attribute: 1249,
  pg_class: 1259,
  pg_database: 1262,
  pg_am: 2601,
  pg_attrdef: 2604,
  pg_constraint: 2606,
  pg_description: 2609,
  pg_index: 2610,
  pg_inherits: 2611,
  pg_namespace: 2615,
  pg_trigger: 2620,
  pg_collation: 3456,
  pg_policy: 3256,
  pg_statistic_ext: 3381,
  pg_partitioned_table: 3350,
  pg_publication: 6104,
  pg_publication_namespace: 6237,
  pg_publication_rel: 6106,
  pg_roles: 12001,
  pg_sequence: 2224,
  pg_depend: 2608,
  pg_auth_members: 1261,
  pg_proc: 1255,
  pg_tables: 12005,
  pg_extension: 3079,
  pg_tablespace: 1213,
  pg_enum: 3501,
  pg_range: 3541,
  pg_indexes: 12013,
};

const INFO_TABLES: Spec = [
  ['table_catalog', 'name'],
  ['table_schema', 'name'],
  ['table_name', 'name'],
  ['table_type', 'varchar'],
  ['is_insertable_into', 'varchar'],
  ['is_typed', 'varchar'],
];

const INFO_COLUMNS: Spec = [
  ['table_catalog', 'name'],
  ['table_schema', 'name'],
  ['table_name', 'name'],
  ['column_name', 'name'],
  ['ordinal_position', 'int4'],
  ['column_default', 'varchar'],
  ['is_nullable', 'varchar'],
  ['data_type', 'varchar'],
  ['character_maximum_length', 'int4'],
  ['numeric_precision', 'int4'],
  ['numeric_precision_radix', 'int4'],
  ['numeric_scale', 'int4'],
  ['datetime_precision', 'int4'],
  ['udt_catalog', 'name'],
  ['udt_schema', 'name'],
  ['udt_name', 'name'],
  ['is_identity', 'varchar'],
  ['is_generated', 'varchar'],
  ['is_updatable', 'varchar'],
];

const BINARY_PRECISION: Partial<Record<TypeId, number>> = {
  int2: 16,
  int4: 32,
  int8: 64,
  float4: 24,
  float8: 53,
};

/** typeFacts: information_schema.columns' length, precision and scale of a column type. */
function typeFacts(t: { id: TypeId; typmod: number }): Value[] {
  const length = (t.id === 'varchar' || t.id === 'bpchar') && t.typmod >= 4 ? t.typmod - 4 : null;
  let precision: Value = BINARY_PRECISION[t.id] ?? null;
  let radix: Value = precision === null ? null : 2;
  let scale: Value = precision === null || t.id.startsWith('float') ? null : 0;
  if (t.id === 'numeric') {
    const m = t.typmod - 4;
    precision = t.typmod >= 4 ? m >> 16 : null;
    scale = t.typmod >= 4 ? m & 0xffff : null;
    radix = 10;
  }
  // timestamp(p) and time(p) keep p as their typmod (-1: the default 6).
  const datetime =
    t.id === 'date'
      ? 0
      : t.id === 'timestamp' || t.id === 'timestamptz' || t.id === 'time'
        ? t.typmod >= 0
          ? t.typmod
          : 6
        : null;
  return [length, precision, radix, scale, datetime];
}

/** tableConstraints: PRIMARY KEY and UNIQUE constraints, and NOT NULL as PostgreSQL lists it (CHECK). */
function tableConstraints(rt: Runtime): Value[][] {
  const db = rt.session.database;
  const rows: Value[][] = [];
  for (const t of rt.catalog.all()) {
    for (const ix of indexesOf(t))
      if (ix.constraint)
        rows.push([
          db,
          'public',
          ix.name,
          db,
          'public',
          t.name,
          ix.primary ? 'PRIMARY KEY' : 'UNIQUE',
          'NO',
          'NO',
          'YES',
        ]);
    t.columns.forEach((c, i) => {
      if (c.notNull)
        rows.push([
          db,
          'public',
          `${NAMESPACE_PUBLIC}_${t.id}_${i + 1}_not_null`,
          db,
          'public',
          t.name,
          'CHECK',
          'NO',
          'NO',
          'YES',
        ]);
    });
  }
  return rows;
}

function keyColumnUsage(rt: Runtime): Value[][] {
  const db = rt.session.database;
  const rows: Value[][] = [];
  for (const t of rt.catalog.all())
    for (const ix of indexesOf(t))
      if (ix.constraint)
        ix.columns.forEach((k, i) =>
          rows.push([db, 'public', ix.name, db, 'public', t.name, t.columns[k.column]!.name, i + 1, null]),
        );
  return rows;
}

const INFORMATION_SCHEMA: Record<string, { spec: Spec; build: Build }> = {
  schemata: {
    spec: [
      ['catalog_name', 'name'],
      ['schema_name', 'name'],
      ['schema_owner', 'name'],
    ],
    build: (rt) => NAMESPACES.map((n) => [rt.session.database, n.name, roleName(rt, n.owner) ?? null]),
  },
  tables: {
    spec: INFO_TABLES,
    build: (rt) =>
      rt.catalog.all().map((t) => [rt.session.database, 'public', t.name, 'BASE TABLE', 'YES', 'NO']),
  },
  columns: {
    spec: INFO_COLUMNS,
    build: (rt) => {
      const rows: Value[][] = [];
      for (const t of rt.catalog.all())
        t.columns.forEach((c, i) =>
          rows.push([
            rt.session.database,
            'public',
            t.name,
            c.name,
            i + 1,
            defaultText(t, c, false) ?? null,
            c.notNull ? 'NO' : 'YES',
            formatType(sqlType(c.type.id)),
            ...typeFacts(c.type),
            rt.session.database,
            'pg_catalog',
            c.type.id,
            'NO',
            'NEVER',
            'YES',
          ]),
        );
      return rows;
    },
  },
  table_constraints: {
    spec: [
      ['constraint_catalog', 'name'],
      ['constraint_schema', 'name'],
      ['constraint_name', 'name'],
      ['table_catalog', 'name'],
      ['table_schema', 'name'],
      ['table_name', 'name'],
      ['constraint_type', 'varchar'],
      ['is_deferrable', 'varchar'],
      ['initially_deferred', 'varchar'],
      ['enforced', 'varchar'],
    ],
    build: tableConstraints,
  },
  key_column_usage: {
    spec: [
      ['constraint_catalog', 'name'],
      ['constraint_schema', 'name'],
      ['constraint_name', 'name'],
      ['table_catalog', 'name'],
      ['table_schema', 'name'],
      ['table_name', 'name'],
      ['column_name', 'name'],
      ['ordinal_position', 'int4'],
      ['position_in_unique_constraint', 'int4'],
    ],
    build: keyColumnUsage,
  },
};

export class CatalogRelations implements SystemRelations {
  relation(schema: string | undefined, name: string): Plan | undefined {
    if (schema === 'information_schema') {
      const r = Object.hasOwn(INFORMATION_SCHEMA, name) ? INFORMATION_SCHEMA[name]! : undefined;
      return r === undefined
        ? undefined
        : new SystemRelationPlan(`information_schema.${name}`, r.spec, r.build);
    }
    const r = Object.hasOwn(PG_CATALOG, name) ? PG_CATALOG[name]! : undefined;
    return r === undefined ? undefined : new SystemRelationPlan(name, r.spec, r.build);
  }
}
