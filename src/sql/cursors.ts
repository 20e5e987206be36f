/**
 * SQL-level cursors of one session (DECLARE, FETCH, MOVE, CLOSE), with PostgreSQL's positions and results.
 *
 * A cursor pulls its query's rows lazily and keeps those it has read, so it can move backward and
 * re-fetch. Its rows must be the ones its query saw at DECLARE: the session materializes every open cursor
 * (reads the rest of its rows) before a statement that could change what a later read sees (a write, or
 * a new READ COMMITTED snapshot), and a WITH HOLD cursor before its transaction commits (its engine
 * iterators end with the transaction). A cursor without WITH HOLD ends with its transaction; one declared
 * in a transaction that rolls back ends too.
 *
 * Positions follow PostgreSQL: 0 is before the first row, 1..n on a row, n + 1 after the last.
 */
import { SqlError, SqlState } from './errors.js';
import type { Statement } from './ast.js';
import { doneCursor, type Cursor } from './exec/executable.js';
import type { ColumnInfo, Row } from './plan/scope.js';

type Fetch = Extract<Statement, { kind: 'fetch' }>;

/** CursorOptions: how a cursor was declared. */
export interface CursorOptions {
  readonly hold: boolean;
  readonly scroll: boolean | undefined;
}

class SqlCursor {
  /** rows: the rows read from the query so far. */
  readonly rows: Row[] = [];
  /** source: the running query, until it has given all its rows. */
  private source: Cursor | undefined;
  pos = 0;

  constructor(
    readonly name: string,
    readonly columns: readonly ColumnInfo[],
    source: Cursor,
    readonly options: CursorOptions,
    /** inTransaction: declared in the open transaction (it ends with it if that rolls back). */
    public inTransaction: boolean,
  ) {
    this.source = source;
  }

  /** available: reads rows until there are `n` (or all of them); returns how many there are. */
  available(n: number): number {
    while (this.source !== undefined && this.rows.length < n) {
      const { rows, done } = this.source.next(n === Infinity ? 0 : Math.min(n - this.rows.length, 256));
      for (const r of rows) this.rows.push(r);
      if (done) this.close();
    }
    return this.rows.length;
  }

  materialize(): void {
    this.available(Infinity);
  }

  close(): void {
    this.source?.close();
    this.source = undefined;
  }
}

export class Cursors {
  private readonly open = new Map<string, SqlCursor>();

  /** size: how many cursors are open (the session checks it before materializing). */
  get size(): number {
    return this.open.size;
  }

  /** declare registers a cursor over a started query. `inBlock`: inside a transaction block. */
  declare(
    name: string,
    columns: readonly ColumnInfo[],
    source: Cursor,
    options: CursorOptions,
    inBlock: boolean,
  ): void {
    if (!options.hold && !inBlock) {
      source.close();
      throw new SqlError(
        SqlState.NO_ACTIVE_SQL_TRANSACTION,
        'DECLARE CURSOR can only be used in transaction blocks',
      );
    }
    if (this.open.has(name)) {
      source.close();
      throw new SqlError(SqlState.DUPLICATE_CURSOR, `cursor "${name}" already exists`);
    }
    this.open.set(name, new SqlCursor(name, columns, source, options, true));
  }

  /** columnsOf: a FETCH's result columns (undefined for MOVE or a cursor that does not exist). */
  columnsOf(s: Fetch): readonly ColumnInfo[] | undefined {
    return s.move ? undefined : this.open.get(s.name)?.columns;
  }

  /** close runs CLOSE name / CLOSE ALL. */
  close(name: string | undefined): Cursor {
    if (name === undefined) {
      for (const c of this.open.values()) c.close();
      this.open.clear();
      return doneCursor('CLOSE CURSOR ALL');
    }
    const c = this.get(name);
    c.close();
    this.open.delete(name);
    return doneCursor('CLOSE CURSOR');
  }

  /** materialize reads the rest of every open cursor's rows (before a write or a new snapshot). */
  materialize(onlyHeld = false): void {
    for (const c of this.open.values()) if (!onlyHeld || c.options.hold) c.materialize();
  }

  /**
   * endTransaction: at commit, cursors without WITH HOLD end (WITH HOLD ones were materialized); at
   * rollback, those declared in the transaction end as well.
   */
  endTransaction(committed: boolean): void {
    for (const [name, c] of this.open) {
      if (c.options.hold && (committed || !c.inTransaction)) {
        c.inTransaction = false;
        continue;
      }
      c.close();
      this.open.delete(name);
    }
  }

  /** fetch runs FETCH or MOVE. */
  fetch(s: Fetch): Cursor {
    const c = this.get(s.name);
    const out: Row[] = [];
    const n = this.move(c, s, out);
    const tag = `${s.move ? 'MOVE' : 'FETCH'} ${n}`;
    return doneCursor(tag, s.move ? undefined : c.columns, s.move ? [] : out);
  }

  private get(name: string): SqlCursor {
    const c = this.open.get(name);
    if (c === undefined) throw new SqlError(SqlState.INVALID_CURSOR_NAME, `cursor "${name}" does not exist`);
    return c;
  }

  /** move carries out a FETCH/MOVE on c, collecting the rows it passes over into `out`; returns the count. */
  private move(c: SqlCursor, s: Fetch, out: Row[]): number {
    let { direction, count } = s;
    if (direction === 'absolute') {
      if (count > 0) {
        // PostgreSQL rewinds when the target is nearer the start than the current row.
        const here = this.portalPos(c);
        if (count - 1 <= Math.floor(here / 2)) this.rewind(c);
        else if (count <= here) this.requireScroll(c);
        return this.goTo(c, count, out);
      }
      if (count < 0) {
        this.requireScroll(c);
        const total = c.available(Infinity);
        return this.goTo(c, total + 1 + count, out);
      }
      this.rewind(c);
      c.pos = 0;
      return 0;
    }
    if (direction === 'relative') {
      if (count < 0) this.requireScroll(c);
      if (count !== 0) return this.goTo(c, c.pos + count, out);
      direction = 'forward';
    }
    if (count < 0) {
      direction = direction === 'forward' ? 'backward' : 'forward';
      count = -count;
    }
    const total = (): number => c.available(c.pos + count + 1);
    if (count === 0) {
      // FETCH 0 / RELATIVE 0 re-fetches the current row (a backward step in PostgreSQL).
      const onRow = c.pos >= 1 && c.pos <= total();
      if (!onRow) return 0;
      if (!s.move) this.requireScroll(c);
      out.push(c.rows[c.pos - 1]!);
      return 1;
    }
    if (direction === 'forward') {
      const last = c.available(c.pos + count);
      let n = 0;
      while (n < count && c.pos < last) {
        c.pos++;
        out.push(c.rows[c.pos - 1]!);
        n++;
      }
      if (n < count) c.pos = last + 1;
      return n;
    }
    this.requireScroll(c);
    let n = 0;
    while (n < count && c.pos > 1) {
      c.pos--;
      out.push(c.rows[c.pos - 1]!);
      n++;
    }
    if (n < count) c.pos = 0;
    return n;
  }

  /** goTo moves to row k (0: before the first; past the end: after the last) and returns it if there. */
  private goTo(c: SqlCursor, k: number, out: Row[]): number {
    if (k < c.pos) this.requireScroll(c);
    if (k <= 0) {
      c.pos = 0;
      return 0;
    }
    const total = c.available(k);
    if (k > total) {
      c.pos = total + 1;
      return 0;
    }
    c.pos = k;
    out.push(c.rows[k - 1]!);
    return 1;
  }

  /** portalPos: PostgreSQL's portalPos, the number of the current row (the count of rows after the end). */
  private portalPos(c: SqlCursor): number {
    return Math.min(c.pos, c.rows.length);
  }

  private rewind(c: SqlCursor): void {
    if (c.pos !== 0) this.requireScroll(c);
    c.pos = 0;
  }

  private requireScroll(c: SqlCursor): void {
    // Without SCROLL or NO SCROLL PostgreSQL allows going backward when the plan can; shale always can.
    if (c.options.scroll === false)
      throw new SqlError('55000', 'cursor can only scan forward', {
        hint: 'Declare it with SCROLL option to enable backward scan.',
      });
  }
}
