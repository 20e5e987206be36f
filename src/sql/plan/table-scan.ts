/**
 * TableScan reads a table's rows through an access path (a point get, a key range or an index) or all of
 * them, decoding each row. DML uses entries() to get each row with its key.
 */
import type { TableDef } from '../catalog/table-def.js';
import type { ExecContext } from '../expr/context.js';
import { decodeRow } from '../storage/row-codec.js';
import { rowPrefix } from '../storage/keyspace.js';
import { prefixEnd } from '../storage/key-codec.js';
import { keyRange, type AccessPath } from './access-path.js';
import type { Plan } from './plan.js';
import type { ColumnInfo, Row } from './scope.js';
import type { SqlType, Value } from '../types/sql-type.js';

/** TableEntry is one stored row with its key. */
export interface TableEntry {
  readonly key: Uint8Array;
  readonly row: Row;
}

/** tableColumns describes a table's columns under an alias. */
export function tableColumns(table: TableDef, alias: string): ColumnInfo[] {
  return table.columns.map((c, i) => ({
    name: c.name,
    type: c.type,
    table: alias,
    tableOid: table.id,
    attnum: i + 1,
  }));
}

/** typesByTable: each table definition's column types (definitions are immutable: a change makes a new one). */
const typesByTable = new WeakMap<TableDef, readonly SqlType[]>();

/** tableTypes: the table's column types, as one kept array (the row codec keys its layout on it). */
export function tableTypes(table: TableDef): readonly SqlType[] {
  let types = typesByTable.get(table);
  if (types === undefined) {
    types = table.columns.map((c) => c.type);
    typesByTable.set(table, types);
  }
  return types;
}

/** decodeTableRow decodes a stored row, padding rows written before columns were added. */
export function decodeTableRow(types: readonly SqlType[], value: Uint8Array): Row {
  const row = decodeRow(types, value);
  while (row.length < types.length) row.push(null as Value);
  return row;
}

const NO_ROW: never[] = [];

export class TableScan implements Plan {
  readonly columns: readonly ColumnInfo[];
  private readonly types: readonly SqlType[];
  constructor(
    readonly table: TableDef,
    readonly alias: string,
    readonly path: AccessPath | undefined,
  ) {
    this.columns = tableColumns(table, alias);
    this.types = tableTypes(table);
  }

  *entries(ex: ExecContext): Iterable<TableEntry> {
    const txn = ex.txn;
    const types = this.types;
    const path = this.path;
    if (path === undefined) {
      const prefix = rowPrefix(this.table.id);
      const it = txn.iterator({ gte: prefix, lt: prefixEnd(prefix)! });
      const runtime = ex.runtime;
      try {
        for (const [k, v] of it) {
          runtime.tick();
          yield { key: k, row: decodeTableRow(types, v) };
        }
      } finally {
        it.close();
      }
      return;
    }
    const range = keyRange(path, this.table, NO_ROW, ex);
    if (range === undefined) return;
    if (range.point) {
      const v = txn.get(range.gte);
      if (v !== undefined) yield { key: range.gte, row: decodeTableRow(types, v) };
      return;
    }
    const it = txn.iterator(range.lt === undefined ? { gte: range.gte } : { gte: range.gte, lt: range.lt });
    const runtime = ex.runtime;
    try {
      if (path.index === undefined) {
        for (const [k, v] of it) {
          runtime.tick();
          yield { key: k, row: decodeTableRow(types, v) };
        }
      } else {
        for (const [, rowKey] of it) {
          runtime.tick();
          const v = txn.get(rowKey);
          if (v !== undefined) yield { key: rowKey, row: decodeTableRow(types, v) };
        }
      }
    } finally {
      it.close();
    }
  }

  *rows(ex: ExecContext): Iterable<Row> {
    for (const e of this.entries(ex)) yield e.row;
  }

  explain(): string[] {
    return [
      this.path === undefined
        ? `Seq Scan on ${this.table.name}${this.alias !== this.table.name ? ' ' + this.alias : ''}`
        : this.path.describe,
    ];
  }
}
