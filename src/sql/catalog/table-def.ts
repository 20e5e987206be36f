/**
 * The definitions the catalog keeps: tables, their columns, primary key, secondary indexes and sequences.
 * They are plain JSON-able data, stored under the catalog keys (storage/keyspace.ts).
 */
import type { Expr } from '../ast.js';
import type { SqlType } from '../types/sql-type.js';

export interface ColumnDef {
  readonly name: string;
  readonly type: SqlType;
  readonly notNull: boolean;
  /** default: the DEFAULT expression (shale's syntax tree), if any. */
  readonly default: Expr | undefined;
  /** sequence: the id of the sequence a serial column draws from. */
  readonly sequence: number | undefined;
}

export interface IndexDef {
  readonly id: number;
  readonly name: string;
  readonly columns: readonly { readonly column: number; readonly desc: boolean }[];
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
}

/** columnIndex finds a column by name, or -1. */
export function columnIndex(t: TableDef, name: string): number {
  for (let i = 0; i < t.columns.length; i++) if (t.columns[i]!.name === name) return i;
  return -1;
}
