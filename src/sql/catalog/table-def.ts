/**
 * The definitions the catalog keeps: tables, their columns, primary key, secondary indexes and sequences.
 * They are plain JSON-able data, stored under the catalog keys (storage/keyspace.ts).
 */
import type { Expr, Select } from '../ast.js';
import type { SqlType } from '../types/sql-type.js';

export interface ColumnDef {
  readonly name: string;
  readonly type: SqlType;
  readonly notNull: boolean;
  /** default: the DEFAULT expression (shale's syntax tree), if any. */
  readonly default: Expr | undefined;
  /** sequence: the id of the sequence a serial column draws from. */
  readonly sequence: number | undefined;
  /** identity: GENERATED ALWAYS / BY DEFAULT AS IDENTITY (the values come from `sequence`). */
  readonly identity?: 'always' | 'byDefault';
  /** generated: GENERATED ALWAYS AS (expr) STORED: computed from the row's other columns on every write. */
  readonly generated?: Expr;
}

/** CheckDef is a CHECK constraint: a boolean expression over the table's columns (by name). */
export interface CheckDef {
  readonly name: string;
  readonly expr: Expr;
}

export interface IndexDef {
  readonly id: number;
  readonly name: string;
  /** columns: table column positions; an expression column has column -1 and its expression in `expr`. */
  readonly columns: readonly { readonly column: number; readonly desc: boolean; readonly expr?: Expr }[];
  readonly unique: boolean;
  /** constraint: made by a UNIQUE or PRIMARY KEY constraint (dropped with it, shown as a constraint). */
  readonly constraint: boolean;
}

export interface TableDef {
  readonly id: number;
  readonly name: string;
  readonly columns: readonly ColumnDef[];
  /** primaryKey: column positions of the primary key; empty when the table has none (hidden row ids). */
  readonly primaryKey: readonly number[];
  /** primaryKeyName: the constraint's name (t_pkey). */
  readonly primaryKeyName: string | undefined;
  /** rowIdSequence: the sequence hidden row ids come from (tables without a primary key). */
  readonly rowIdSequence: number | undefined;
  readonly indexes: readonly IndexDef[];
  /** checks: CHECK constraints (absent in definitions written before they existed). */
  readonly checks?: readonly CheckDef[];
}

/** constraintNames lists the names of a table's constraints (primary key, unique, check). */
export function constraintNames(t: TableDef): string[] {
  return [
    ...(t.primaryKeyName === undefined ? [] : [t.primaryKeyName]),
    ...t.indexes.filter((i) => i.constraint).map((i) => i.name),
    ...(t.checks ?? []).map((c) => c.name),
  ];
}

/**
 * SequenceDef is a stand-alone sequence (CREATE SEQUENCE). Its counter lives under the sequence key of its id
 * (catalog/sequences.ts); the definition holds the parameters, as decimal strings (they are int8).
 */
export interface SequenceDef {
  readonly kind: 'sequence';
  readonly id: number;
  readonly name: string;
  readonly start: string;
  readonly increment: string;
}

/** ViewDef is a view: its query (shale's syntax tree, resolved by name when used) and column names. */
export interface ViewDef {
  readonly kind: 'view';
  readonly id: number;
  readonly name: string;
  readonly columns: readonly string[];
  readonly query: Select;
}

/** CatalogEntry is what the catalog stores under a relation name: a table, a sequence or a view. */
export type CatalogEntry = TableDef | SequenceDef | ViewDef;

export function isSequence(e: CatalogEntry): e is SequenceDef {
  return (e as { kind?: string }).kind === 'sequence';
}

export function isView(e: CatalogEntry): e is ViewDef {
  return (e as { kind?: string }).kind === 'view';
}

/** isTable: a table's definition (they have no kind field). */
export function isTable(e: CatalogEntry): e is TableDef {
  return (e as { kind?: string }).kind === undefined;
}

/** columnIndex finds a column by name, or -1. */
export function columnIndex(t: TableDef, name: string): number {
  for (let i = 0; i < t.columns.length; i++) if (t.columns[i]!.name === name) return i;
  return -1;
}
