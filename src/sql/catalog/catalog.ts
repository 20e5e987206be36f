/**
 * Catalog keeps the committed table definitions in memory (loaded from the engine at start) and lets a
 * transaction change them: a CatalogView reads the committed definitions plus the transaction's own changes,
 * writes each change into the transaction (so DDL commits or rolls back with it), and hands its changes to the
 * Catalog once the transaction has committed.
 */
import type { DB } from '../../db/db.js';
import type { Transaction } from '../../txn/transaction.js';
import { SqlError, SqlState } from '../errors.js';
import { CATALOG_NEXT_ID, CATALOG_TABLE_PREFIX, catalogTableKey } from '../storage/keyspace.js';
import { prefixEnd } from '../storage/key-codec.js';
import {
  isSequence,
  isTable,
  isView,
  type CatalogEntry,
  type SequenceDef,
  type TableDef,
  type ViewDef,
} from './table-def.js';

const FIRST_ID = 16384;

export class Catalog {
  /** entries: tables and sequences by name (they share PostgreSQL's relation namespace). */
  private readonly entries = new Map<string, CatalogEntry>();
  /** version: bumped on every committed change (prepared plans made under an older version are re-planned). */
  version = 0;
  /**
   * Commit bookkeeping that keeps DDL and row writes of the same table apart. Row layouts and index sets
   * are read from the catalog when a statement runs, and the engine detects conflicts on keys only: a row
   * written under an older definition by a transaction that overlaps a DDL transaction on the same table
   * would survive in the old layout, or without an entry in a new index. So a commit fails (40001) when
   * the other kind of change to one of its tables committed after it began, or is committing now.
   */
  private clock = 0;
  private readonly lastDdl = new Map<string, number>();
  private readonly lastDml = new Map<string, number>();
  private readonly pendingDdl = new Map<string, number>();
  private readonly pendingDml = new Map<string, number>();

  /** now: the commit clock a transaction starts at. */
  now(): number {
    return this.clock;
  }

  /**
   * beginCommit checks a transaction begun at `start` against the others and marks it as committing. A READ
   * COMMITTED transaction is checked from when it first locked each table (`lockedAt`): it read the table at
   * snapshots taken after that, and while it holds the lock no conflicting change can commit.
   */
  beginCommit(
    start: number,
    ddl: readonly string[],
    dml: readonly string[],
    lockedAt?: ReadonlyMap<string, number>,
  ): void {
    const since = (t: string): number => Math.max(start, lockedAt?.get(t) ?? start);
    const clash =
      dml.some((t) => (this.lastDdl.get(t) ?? -1) > since(t) || this.pendingDdl.has(t)) ||
      ddl.some((t) => (this.lastDml.get(t) ?? -1) > since(t) || this.pendingDml.has(t));
    if (clash)
      throw new SqlError(
        SqlState.SERIALIZATION_FAILURE,
        'could not serialize access due to concurrent update',
        { detail: 'A table was changed by DDL and written by another transaction at the same time.' },
      );
    for (const t of ddl) this.pendingDdl.set(t, (this.pendingDdl.get(t) ?? 0) + 1);
    for (const t of dml) this.pendingDml.set(t, (this.pendingDml.get(t) ?? 0) + 1);
  }

  /** endCommit ends what beginCommit started (committed: the transaction's changes are now visible). */
  endCommit(ddl: readonly string[], dml: readonly string[], committed: boolean): void {
    const release = (m: Map<string, number>, t: string): void => {
      const n = (m.get(t) ?? 1) - 1;
      if (n <= 0) m.delete(t);
      else m.set(t, n);
    };
    if (committed) this.clock++;
    for (const t of ddl) {
      release(this.pendingDdl, t);
      if (committed) this.lastDdl.set(t, this.clock);
    }
    for (const t of dml) {
      release(this.pendingDml, t);
      if (committed) this.lastDml.set(t, this.clock);
    }
  }

  private constructor() {}

  /** load reads every table definition from the database. */
  static load(db: DB): Catalog {
    const c = new Catalog();
    const it = db.iterator({ gte: CATALOG_TABLE_PREFIX, lt: prefixEnd(CATALOG_TABLE_PREFIX)! });
    try {
      for (const [, v] of it) {
        const def = JSON.parse(Buffer.from(v).toString('utf8')) as CatalogEntry;
        c.entries.set(def.name, def);
      }
    } finally {
      it.close();
    }
    return c;
  }

  /** entry returns the table or sequence of this name. */
  entry(name: string): CatalogEntry | undefined {
    return this.entries.get(name);
  }

  get(name: string): TableDef | undefined {
    const e = this.entries.get(name);
    return e === undefined || !isTable(e) ? undefined : e;
  }

  *all(): IterableIterator<TableDef> {
    for (const e of this.entries.values()) if (isTable(e)) yield e;
  }

  allEntries(): IterableIterator<CatalogEntry> {
    return this.entries.values();
  }

  /** apply installs the changes of a committed transaction (null: dropped). */
  apply(changes: ReadonlyMap<string, CatalogEntry | null>): void {
    for (const [name, def] of changes) {
      if (def === null) this.entries.delete(name);
      else this.entries.set(name, def);
    }
    if (changes.size > 0) this.version++;
  }
}

/** CatalogView is the catalog as one transaction sees it. */
export class CatalogView {
  readonly changes = new Map<string, CatalogEntry | null>();
  /** edits: bumped on every put and drop (caches of what the view shows compare it). */
  edits = 0;
  /** written: the tables whose rows the transaction wrote (by name). */
  readonly written = new Set<string>();

  constructor(
    readonly catalog: Catalog,
    private readonly txn: () => Transaction,
  ) {}

  /** entry returns the table or sequence of this name as the transaction sees it. */
  entry(name: string): CatalogEntry | undefined {
    if (this.changes.has(name)) return this.changes.get(name) ?? undefined;
    return this.catalog.entry(name);
  }

  get(name: string): TableDef | undefined {
    const e = this.entry(name);
    return e === undefined || !isTable(e) ? undefined : e;
  }

  view(name: string): ViewDef | undefined {
    const e = this.entry(name);
    return e !== undefined && isView(e) ? e : undefined;
  }

  /** views lists the views. */
  views(): ViewDef[] {
    const out = new Map<string, ViewDef>();
    for (const [n, e] of this.changes) if (e !== null && isView(e)) out.set(n, e);
    for (const t of this.catalog.allEntries()) if (isView(t) && !this.changes.has(t.name)) out.set(t.name, t);
    return [...out.values()];
  }

  sequence(name: string): SequenceDef | undefined {
    const e = this.entry(name);
    return e !== undefined && isSequence(e) ? e : undefined;
  }

  /** sequences lists the stand-alone sequences. */
  sequences(): SequenceDef[] {
    const out = new Map<string, SequenceDef>();
    for (const [n, e] of this.changes) if (e !== null && isSequence(e)) out.set(n, e);
    for (const t of this.catalog.allEntries())
      if (isSequence(t) && !this.changes.has(t.name)) out.set(t.name, t);
    return [...out.values()];
  }

  /** table returns a table or throws 42P01. */
  table(name: string, position?: number): TableDef {
    const t = this.get(name);
    if (t === undefined)
      throw new SqlError(
        SqlState.UNDEFINED_TABLE,
        `relation "${name}" does not exist`,
        position === undefined ? {} : { position },
      );
    return t;
  }

  all(): TableDef[] {
    const out = new Map<string, TableDef>();
    for (const t of this.catalog.all()) out.set(t.name, t);
    for (const [n, t] of this.changes) {
      if (t === null || !isTable(t)) out.delete(n);
      else out.set(n, t);
    }
    return [...out.values()];
  }

  /** put writes a table (or sequence) definition in the transaction. */
  put(def: CatalogEntry): void {
    this.txn().put(catalogTableKey(def.name), JSON.stringify(def));
    this.changes.set(def.name, def);
    this.edits++;
  }

  /** drop removes a table definition in the transaction. */
  drop(name: string): void {
    this.txn().delete(catalogTableKey(name));
    this.changes.set(name, null);
    this.edits++;
  }

  /** allocateId hands out a new object id (tables, indexes, sequences), transactionally. */
  allocateId(): number {
    const tx = this.txn();
    const cur = tx.get(CATALOG_NEXT_ID);
    const id = cur === undefined ? FIRST_ID : Number(Buffer.from(cur).toString('utf8'));
    tx.put(CATALOG_NEXT_ID, String(id + 1));
    return id;
  }

  /** indexOwner finds the table that has an index of this name. */
  indexOwner(name: string): TableDef | undefined {
    for (const t of this.all()) {
      if (t.indexes.some((i) => i.name === name)) return t;
      if (t.primaryKeyName === name) return t;
    }
    return undefined;
  }
}
