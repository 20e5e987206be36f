/**
 * The SQL types shale knows, with PostgreSQL's OIDs and sizes, and how their values live in JavaScript:
 *
 *   bool → boolean            int2, int4, float4, float8 → number        int8 → bigint
 *   numeric → string (canonical decimal text, see numeric.ts)           text, varchar, bpchar → string
 *   bytea → Uint8Array        date → number (days since 1970-01-01)     json, jsonb → string
 *   timestamp, timestamptz → bigint (microseconds since 1970-01-01 00:00:00 UTC)
 *   time → number (microseconds since midnight)
 *   interval → string "<months> <days> <microseconds>" (see interval.ts)
 *   unknown → string (an untyped literal, resolved by context)
 *   record → RecordValue (fields with their types and names, see record.ts)
 *   uuid → string (canonical lower-case hyphenated text, see uuid.ts)
 *
 * NULL is JavaScript's null for every type.
 */
import type { RecordValue } from './record.js';

/** TypeId names a scalar SQL type. */
export type TypeId =
  | 'bool'
  | 'int2'
  | 'int4'
  | 'int8'
  | 'float4'
  | 'float8'
  | 'numeric'
  | 'text'
  | 'varchar'
  | 'bpchar'
  | 'name'
  | 'bytea'
  | 'date'
  | 'timestamp'
  | 'timestamptz'
  | 'json'
  | 'jsonb'
  | 'interval'
  | 'time'
  | 'oid'
  | 'regclass'
  | 'regtype'
  | 'regnamespace'
  | 'pg_node_tree'
  | 'int2vector'
  | 'char'
  | 'unknown'
  | 'void'
  | 'record'
  | 'uuid'
  | ArrayTypeId;

/** ArrayTypeId names a one-dimensional array type: `_` and the element type (PostgreSQL's naming). */
export type ArrayTypeId =
  | '_bool'
  | '_char'
  | '_int2'
  | '_int4'
  | '_int8'
  | '_float4'
  | '_float8'
  | '_numeric'
  | '_text'
  | '_varchar'
  | '_bpchar'
  | '_name'
  | '_oid'
  | '_date'
  | '_timestamp'
  | '_timestamptz'
  | '_json'
  | '_jsonb'
  | '_bytea'
  | '_uuid';

/**
 * Value is one SQL value in its JavaScript form (see above); an array value is a JavaScript array of its
 * elements' values (one dimension, lower bound 1).
 */
export type Value = null | boolean | number | bigint | string | Uint8Array | readonly Value[] | RecordValue;

/** SqlType is a type with its modifier (the n of varchar(n) and char(n); -1 when none). */
export interface SqlType {
  readonly id: TypeId;
  readonly typmod: number;
}

/** TypeInfo is what the wire protocol and the catalog need to know of a type. */
export interface TypeInfo {
  readonly oid: number;
  /** typlen: the size in bytes, -1 for variable length, -2 for C strings (unknown). */
  readonly typlen: number;
  /** category: PostgreSQL's typcategory letter (B boolean, N numeric, S string, D datetime, U user...). */
  readonly category: string;
  /** pgName: the name format_type and error messages use. */
  readonly pgName: string;
}

export const TYPE_INFO: Readonly<Record<TypeId, TypeInfo>> = {
  bool: { oid: 16, typlen: 1, category: 'B', pgName: 'boolean' },
  bytea: { oid: 17, typlen: -1, category: 'U', pgName: 'bytea' },
  name: { oid: 19, typlen: 64, category: 'S', pgName: 'name' },
  int8: { oid: 20, typlen: 8, category: 'N', pgName: 'bigint' },
  int2: { oid: 21, typlen: 2, category: 'N', pgName: 'smallint' },
  int4: { oid: 23, typlen: 4, category: 'N', pgName: 'integer' },
  text: { oid: 25, typlen: -1, category: 'S', pgName: 'text' },
  oid: { oid: 26, typlen: 4, category: 'N', pgName: 'oid' },
  json: { oid: 114, typlen: -1, category: 'U', pgName: 'json' },
  float4: { oid: 700, typlen: 4, category: 'N', pgName: 'real' },
  float8: { oid: 701, typlen: 8, category: 'N', pgName: 'double precision' },
  unknown: { oid: 705, typlen: -2, category: 'X', pgName: 'unknown' },
  // void: what pg_sleep returns; its one value prints as the empty string.
  void: { oid: 2278, typlen: 4, category: 'P', pgName: 'void' },
  // record: ROW(...) and whole-row references; each value carries its field types (record.ts).
  record: { oid: 2249, typlen: -1, category: 'P', pgName: 'record' },
  bpchar: { oid: 1042, typlen: -1, category: 'S', pgName: 'character' },
  varchar: { oid: 1043, typlen: -1, category: 'S', pgName: 'character varying' },
  date: { oid: 1082, typlen: 4, category: 'D', pgName: 'date' },
  timestamp: { oid: 1114, typlen: 8, category: 'D', pgName: 'timestamp without time zone' },
  timestamptz: { oid: 1184, typlen: 8, category: 'D', pgName: 'timestamp with time zone' },
  time: { oid: 1083, typlen: 8, category: 'D', pgName: 'time without time zone' },
  interval: { oid: 1186, typlen: 16, category: 'T', pgName: 'interval' },
  numeric: { oid: 1700, typlen: -1, category: 'N', pgName: 'numeric' },
  regclass: { oid: 2205, typlen: 4, category: 'N', pgName: 'regclass' },
  regtype: { oid: 2206, typlen: 4, category: 'N', pgName: 'regtype' },
  regnamespace: { oid: 4089, typlen: 4, category: 'N', pgName: 'regnamespace' },
  pg_node_tree: { oid: 194, typlen: -1, category: 'Z', pgName: 'pg_node_tree' },
  int2vector: { oid: 22, typlen: -1, category: 'A', pgName: 'int2vector' },
  char: { oid: 18, typlen: 1, category: 'Z', pgName: '"char"' },
  _char: { oid: 1002, typlen: -1, category: 'A', pgName: '"char"[]' },
  jsonb: { oid: 3802, typlen: -1, category: 'U', pgName: 'jsonb' },
  uuid: { oid: 2950, typlen: 16, category: 'U', pgName: 'uuid' },
  _uuid: { oid: 2951, typlen: -1, category: 'A', pgName: 'uuid[]' },
  _bool: { oid: 1000, typlen: -1, category: 'A', pgName: 'boolean[]' },
  _bytea: { oid: 1001, typlen: -1, category: 'A', pgName: 'bytea[]' },
  _name: { oid: 1003, typlen: -1, category: 'A', pgName: 'name[]' },
  _int2: { oid: 1005, typlen: -1, category: 'A', pgName: 'smallint[]' },
  _int4: { oid: 1007, typlen: -1, category: 'A', pgName: 'integer[]' },
  _text: { oid: 1009, typlen: -1, category: 'A', pgName: 'text[]' },
  _bpchar: { oid: 1014, typlen: -1, category: 'A', pgName: 'character[]' },
  _varchar: { oid: 1015, typlen: -1, category: 'A', pgName: 'character varying[]' },
  _int8: { oid: 1016, typlen: -1, category: 'A', pgName: 'bigint[]' },
  _float4: { oid: 1021, typlen: -1, category: 'A', pgName: 'real[]' },
  _float8: { oid: 1022, typlen: -1, category: 'A', pgName: 'double precision[]' },
  _oid: { oid: 1028, typlen: -1, category: 'A', pgName: 'oid[]' },
  _timestamp: { oid: 1115, typlen: -1, category: 'A', pgName: 'timestamp without time zone[]' },
  _date: { oid: 1182, typlen: -1, category: 'A', pgName: 'date[]' },
  _timestamptz: { oid: 1185, typlen: -1, category: 'A', pgName: 'timestamp with time zone[]' },
  _numeric: { oid: 1231, typlen: -1, category: 'A', pgName: 'numeric[]' },
  _json: { oid: 199, typlen: -1, category: 'A', pgName: 'json[]' },
  _jsonb: { oid: 3807, typlen: -1, category: 'A', pgName: 'jsonb[]' },
};

/**
 * arrayElement returns the element type of an array type, or undefined for a scalar type. int2vector (the
 * column lists of pg_index) is an int2 array that prints space-separated and is subscripted from 0.
 */
export function arrayElement(id: TypeId): TypeId | undefined {
  if (id === 'int2vector') return 'int2';
  return id.startsWith('_') ? (id.slice(1) as TypeId) : undefined;
}

/** arrayOf returns the array type of an element type, or undefined when shale has none. */
export function arrayOf(id: TypeId): ArrayTypeId | undefined {
  const a = `_${id}`;
  return Object.hasOwn(TYPE_INFO, a) ? (a as ArrayTypeId) : undefined;
}

const BY_OID = new Map<number, TypeId>(
  (Object.keys(TYPE_INFO) as TypeId[]).map((id) => [TYPE_INFO[id].oid, id]),
);

/** typeByOid returns the type with that OID, or undefined. */
export function typeByOid(oid: number): TypeId | undefined {
  return BY_OID.get(oid);
}

/** sqlType makes a type without (or with) a modifier. */
export function sqlType(id: TypeId, typmod = -1): SqlType {
  return typmod === -1 ? PLAIN[id] : { id, typmod };
}

const PLAIN = Object.fromEntries(
  (Object.keys(TYPE_INFO) as TypeId[]).map((id) => [id, Object.freeze({ id, typmod: -1 })]),
) as Record<TypeId, SqlType>;

/** isInteger: int2, int4, int8 (and oid). */
export function isInteger(id: TypeId): boolean {
  return (
    id === 'int2' ||
    id === 'int4' ||
    id === 'int8' ||
    id === 'oid' ||
    id === 'regclass' ||
    id === 'regtype' ||
    id === 'regnamespace'
  );
}

/** isNumeric: any number type. */
export function isNumericType(id: TypeId): boolean {
  return isInteger(id) || id === 'float4' || id === 'float8' || id === 'numeric';
}

/** isString: text-like types (compare as strings). */
export function isStringType(id: TypeId): boolean {
  return (
    id === 'text' ||
    id === 'varchar' ||
    id === 'bpchar' ||
    id === 'name' ||
    id === 'unknown' ||
    id === 'pg_node_tree' ||
    id === 'char'
  );
}

/** formatType renders a type as PostgreSQL's format_type does (e.g. "character varying(10)"). */
export function formatType(t: SqlType): string {
  const elem = arrayElement(t.id);
  if (elem !== undefined) return formatType({ id: elem, typmod: t.typmod }) + '[]';
  const name = TYPE_INFO[t.id].pgName;
  if ((t.id === 'varchar' || t.id === 'bpchar') && t.typmod >= 4) return `${name}(${t.typmod - 4})`;
  if (t.id === 'time' && t.typmod >= 0) return `time(${t.typmod}) without time zone`;
  if ((t.id === 'timestamp' || t.id === 'timestamptz') && t.typmod >= 0)
    return `timestamp(${t.typmod}) with${t.id === 'timestamp' ? 'out' : ''} time zone`;
  if (t.id === 'numeric' && t.typmod >= 4) {
    const m = t.typmod - 4;
    return `numeric(${m >> 16},${m & 0xffff})`;
  }
  return name;
}

/** Type names as written in SQL (after PostgreSQL's own aliasing in the grammar) → TypeId. */
const NAMES: Record<string, TypeId> = {
  bool: 'bool',
  boolean: 'bool',
  int2: 'int2',
  smallint: 'int2',
  int4: 'int4',
  int: 'int4',
  integer: 'int4',
  int8: 'int8',
  bigint: 'int8',
  float4: 'float4',
  real: 'float4',
  float8: 'float8',
  'double precision': 'float8',
  numeric: 'numeric',
  decimal: 'numeric',
  text: 'text',
  varchar: 'varchar',
  'character varying': 'varchar',
  bpchar: 'bpchar',
  // Only a quoted "char" arrives as char: the grammar turns CHAR and CHARACTER into bpchar.
  char: 'char',
  character: 'bpchar',
  name: 'name',
  bytea: 'bytea',
  date: 'date',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
  json: 'json',
  jsonb: 'jsonb',
  interval: 'interval',
  time: 'time',
  oid: 'oid',
  regclass: 'regclass',
  regtype: 'regtype',
  regnamespace: 'regnamespace',
  pg_node_tree: 'pg_node_tree',
  int2vector: 'int2vector',
  unknown: 'unknown',
  record: 'record',
  uuid: 'uuid',
};

/** typeIdByName resolves a type name (lower case, without pg_catalog.); undefined when unknown. */
export function typeIdByName(name: string): TypeId | undefined {
  return Object.hasOwn(NAMES, name) ? NAMES[name] : undefined;
}
