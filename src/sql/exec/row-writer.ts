/**
 * RowWriter stores, replaces and removes rows of one table inside a transaction, keeping its secondary
 * indexes in step and enforcing NOT NULL, PRIMARY KEY and UNIQUE with PostgreSQL's errors.
 */
import type { Transaction } from '../../txn/transaction.js';
import { SqlError, SqlState } from '../errors.js';
import type { Expr } from '../ast.js';
import type { IndexDef, TableDef } from '../catalog/table-def.js';
import { KeyWriter } from '../storage/key-codec.js';
import { indexPrefix, rowPrefix } from '../storage/keyspace.js';
import { encodeTypedRow } from '../storage/row-codec.js';
import { tableTypes } from '../plan/table-scan.js';
import { formatValue } from '../types/text-io.js';
import type { SqlType, Value } from '../types/sql-type.js';
import type { Row } from '../plan/scope.js';
import { compareBytes } from '../../util/bytes.js';
import { DEFAULT_IO, type IoSettings } from '../types/io-settings.js';
import { holdsExclusively } from '../plan/table-locks.js';

const EMPTY = new Uint8Array(0);

/**
 * WriteHooks are the parts of a table's definition that need compiled expressions (exec/checks.ts makes
 * them): its CHECK constraints, and the expression columns of its indexes.
 */
export interface WriteHooks {
  /** generate fills a row's generated columns from its other columns. */
  readonly generate?: (row: Row) => void;
  /** check throws 23514 when a row violates a CHECK constraint. */
  readonly check?: (row: Row) => void;
  /** indexExpr evaluates column i (an expression) of an index for a row. */
  readonly indexExpr?: (ix: IndexDef, i: number) => { type: SqlType; eval: (row: Row) => Value };
  /** io: the session's settings, which values in error details print by. */
  readonly io?: IoSettings;
}

export class RowWriter {
  private readonly types: readonly SqlType[];
  /**
   * exclusive: the transaction holds the table in ACCESS EXCLUSIVE mode (it created, truncated or is
   * altering it): nobody else can touch its rows, so writes take no row locks.
   */
  private readonly exclusive: boolean;
  constructor(
    private readonly txn: Transaction,
    readonly table: TableDef,
    private readonly nextRowId: () => bigint,
    private readonly hooks: WriteHooks = {},
  ) {
    this.types = tableTypes(table);
    this.exclusive = holdsExclusively(txn, table);
    if (
      hooks.indexExpr === undefined &&
      table.indexes.some((ix) => ix.columns.some((c) => c.expr !== undefined))
    )
      throw new SqlError(SqlState.INTERNAL_ERROR, `index expressions of "${table.name}" are not compiled`);
    if (hooks.generate === undefined && table.columns.some((c) => c.generated !== undefined))
      throw new SqlError(SqlState.INTERNAL_ERROR, `generated columns of "${table.name}" are not compiled`);
    if (hooks.check === undefined && (table.checks ?? []).length > 0)
      throw new SqlError(SqlState.INTERNAL_ERROR, `CHECK constraints of "${table.name}" are not compiled`);
  }

  /** column: the type and value of an index's column i for a row. */
  private column(ix: IndexDef, i: number, row: Row): [SqlType, Value] {
    const c = ix.columns[i]!;
    if (c.expr === undefined) return [this.types[c.column]!, row[c.column]!];
    const e = this.hooks.indexExpr!(ix, i);
    return [e.type, e.eval(row)];
  }

  /** rowKey computes a row's key from its primary key values (a new hidden row id when there is none). */
  rowKey(row: Row): Uint8Array {
    const w = new KeyWriter(rowPrefix(this.table.id));
    if (this.table.primaryKey.length === 0)
      return w.value({ id: 'int8', typmod: -1 }, this.nextRowId()).finish();
    for (const c of this.table.primaryKey) w.value(this.types[c]!, row[c]!);
    return w.finish();
  }

  /** conflictOn returns the name of the unique constraint a new row would violate, or undefined. */
  conflicting(
    row: Row,
    key: Uint8Array,
    ignoreKey?: Uint8Array,
  ): { constraint: string; columns: number[]; existing: Uint8Array; index?: IndexDef } | undefined {
    if (this.table.primaryKey.length > 0 && (ignoreKey === undefined || compareBytes(key, ignoreKey) !== 0)) {
      // Uniqueness looks at the newest committed rows, not only the snapshot: a key another transaction
      // committed after this one began is a duplicate (23505), as in PostgreSQL.
      if (this.txn.getLatest(key) !== undefined)
        return {
          constraint: this.table.primaryKeyName ?? `${this.table.name}_pkey`,
          columns: [...this.table.primaryKey],
          existing: key,
        };
    }
    for (const ix of this.table.indexes) {
      if (!ix.unique) continue;
      const ik = this.uniqueKey(ix, row);
      if (ik === undefined) continue;
      const owner = this.txn.getLatest(ik);
      if (owner !== undefined && (ignoreKey === undefined || compareBytes(owner, ignoreKey) !== 0))
        return { constraint: ix.name, columns: ix.columns.map((c) => c.column), existing: owner, index: ix };
    }
    return undefined;
  }

  /**
   * lockKeys (READ COMMITTED): waits for and takes the locks of the keys a write of `row` under `key` will
   * claim: the row key (not for hidden row ids, which are new) and its unique index entries.
   */
  async lockKeys(row: Row, key: Uint8Array | undefined): Promise<void> {
    if (this.exclusive) return;
    if (key !== undefined) await this.txn.getForUpdate(key);
    for (const ix of this.table.indexes) {
      if (!ix.unique) continue;
      const ik = this.uniqueKey(ix, row);
      if (ik !== undefined) await this.txn.getForUpdate(ik);
    }
  }

  /** checkNotNull computes the generated columns, then enforces NOT NULL (the first check of a row). */
  checkNotNull(row: Row): void {
    this.hooks.generate?.(row);
    for (let i = 0; i < this.table.columns.length; i++) {
      const c = this.table.columns[i]!;
      if (row[i] === null && (c.notNull || this.table.primaryKey.includes(i)))
        throw new SqlError(
          SqlState.NOT_NULL_VIOLATION,
          `null value in column "${c.name}" of relation "${this.table.name}" violates not-null constraint`,
          {
            detail: `Failing row contains (${this.describeRow(row)}).`,
          },
        );
    }
  }

  /** checkRow enforces NOT NULL, then the CHECK constraints. */
  checkRow(row: Row): void {
    this.checkNotNull(row);
    this.hooks.check?.(row);
  }

  private get io(): IoSettings {
    return this.hooks.io ?? DEFAULT_IO;
  }

  describeRow(row: Row): string {
    return row.map((v, i) => (v === null ? 'null' : formatValue(this.types[i]!, v, this.io))).join(', ');
  }

  uniqueViolation(c: { constraint: string; columns: number[]; index?: IndexDef }, row: Row): SqlError {
    const ix = c.index;
    const cols = ix === undefined ? c.columns.map((i) => ({ column: i, expr: undefined })) : ix.columns;
    const names = cols
      .map((x) => (x.expr === undefined ? this.table.columns[x.column]!.name : exprText(x.expr)))
      .join(', ');
    const values = cols
      .map((_, i) => {
        const [t, v] =
          ix === undefined ? [this.types[c.columns[i]!]!, row[c.columns[i]!]!] : this.column(ix, i, row);
        return v === null ? 'null' : formatValue(t, v, this.io);
      })
      .join(', ');
    return new SqlError(
      SqlState.UNIQUE_VIOLATION,
      `duplicate key value violates unique constraint "${c.constraint}"`,
      {
        detail: `Key (${names})=(${values}) already exists.`,
      },
    );
  }

  /** insert stores a new row; throws 23505 when a key exists. Returns the row's key. */
  insert(row: Row): Uint8Array {
    this.checkRow(row);
    const key = this.rowKey(row);
    const c = this.conflicting(row, key);
    if (c !== undefined) throw this.uniqueViolation(c, row);
    // The key and the row were made for this write (KeyWriter.finish and encodeTypedRow copy out).
    if (this.exclusive) {
      this.txn.putUnlocked(key, encodeTypedRow(this.types, row));
      for (const ix of this.table.indexes) this.txn.putUnlocked(this.indexKey(ix, row, key), key);
    } else {
      this.txn.putOwned(key, encodeTypedRow(this.types, row));
      for (const ix of this.table.indexes) this.txn.put(this.indexKey(ix, row, key), key);
    }
    return key;
  }

  /** update replaces the row stored under oldKey with newRow (its key may change). */
  update(oldKey: Uint8Array, oldRow: Row, newRow: Row): Uint8Array {
    this.txn.checkUnchangedSinceSnapshot(oldKey);
    this.checkRow(newRow);
    const key = this.table.primaryKey.length === 0 ? oldKey : this.rowKey(newRow);
    const c = this.conflicting(newRow, key, oldKey);
    if (c !== undefined) throw this.uniqueViolation(c, newRow);
    for (const ix of this.table.indexes) this.del(this.indexKey(ix, oldRow, oldKey));
    if (compareBytes(key, oldKey) !== 0) this.del(oldKey);
    this.put(key, encodeTypedRow(this.types, newRow));
    for (const ix of this.table.indexes) this.put(this.indexKey(ix, newRow, key), key);
    return key;
  }

  /** remove deletes a row and its index entries. */
  remove(key: Uint8Array, row: Row): void {
    this.txn.checkUnchangedSinceSnapshot(key);
    this.del(key);
    for (const ix of this.table.indexes) this.del(this.indexKey(ix, row, key));
  }

  /** put and del write a key of the table, with its row lock unless exclusive (never changed afterwards). */
  private put(key: Uint8Array, value: Uint8Array): void {
    if (this.exclusive) this.txn.putUnlocked(key, value);
    else this.txn.put(key, value);
  }

  private del(key: Uint8Array): void {
    if (this.exclusive) this.txn.deleteUnlocked(key);
    else this.txn.delete(key);
  }

  /** uniqueKey: the entry key of a unique index for a row, undefined when a column is NULL (no conflict). */
  uniqueKey(ix: IndexDef, row: Row): Uint8Array | undefined {
    const w = new KeyWriter(indexPrefix(ix.id));
    for (let i = 0; i < ix.columns.length; i++) {
      const [t, v] = this.column(ix, i, row);
      if (v === null) return undefined;
      w.value(t, v, ix.columns[i]!.desc);
    }
    return w.finish();
  }

  /** indexKey: the entry key of an index for a row (non-unique entries end with the row key). */
  indexKey(ix: IndexDef, row: Row, rowKey: Uint8Array): Uint8Array {
    const unique = ix.unique ? this.uniqueKey(ix, row) : undefined;
    if (unique !== undefined) return unique;
    const w = new KeyWriter(indexPrefix(ix.id));
    for (let i = 0; i < ix.columns.length; i++) {
      const [t, v] = this.column(ix, i, row);
      w.value(t, v, ix.columns[i]!.desc);
    }
    return w.bytes(rowKey.length === 0 ? EMPTY : rowKey).finish();
  }
}

/** exprText shows an index expression as PostgreSQL's messages do, for the common forms. */
function exprText(e: Expr): string {
  switch (e.kind) {
    case 'column':
      return e.name;
    case 'func':
      return `${e.name}(${e.args.map(exprText).join(', ')})`;
    case 'op':
      return e.left === undefined
        ? `(${e.op}${exprText(e.right)})`
        : `(${exprText(e.left)} ${e.op} ${exprText(e.right)})`;
    case 'literal':
      return e.literal.kind === 'string'
        ? `'${e.literal.value}'::text`
        : String((e.literal as { value?: unknown }).value ?? 'NULL');
    default:
      return 'expr';
  }
}
