/**
 * Executable is a planned statement: its result columns (undefined when it returns no rows), the types of
 * its parameters, and how to run it in a transaction. Cursor is a running statement's result, pulled in
 * batches so that a portal can be executed with a row limit and resumed.
 */
import type { ExecContext } from '../expr/context.js';
import type { ColumnInfo, Row } from '../plan/scope.js';
import type { SqlType } from '../types/sql-type.js';

export interface Cursor {
  readonly columns: readonly ColumnInfo[] | undefined;
  /** next returns up to max rows (all when max is 0) and whether the result is exhausted. */
  next(max: number): { rows: Row[]; done: boolean };
  /** tag: the CommandComplete tag once done (SELECT n counts the rows handed out). */
  tag(): string;
  close(): void;
}

export interface Executable {
  readonly columns: readonly ColumnInfo[] | undefined;
  readonly paramTypes: readonly SqlType[];
  /** writes: the statement may write (a read-only transaction refuses it). */
  readonly writes: boolean;
  run(ex: ExecContext): Cursor | Promise<Cursor>;
  /** explain: the plan as EXPLAIN prints it. */
  explain?(): string[];
  /** lockNoWait: a table lock another transaction holds is an error (55P03) rather than a wait. */
  readonly lockNoWait?: boolean;
  /** blockOnly: the statement's name when it may only run in a transaction block (LOCK TABLE). */
  readonly blockOnly?: string;
}

/** rowsCursor makes a cursor over a row iterator; `tagOf` makes the tag from the count of rows handed out. */
export function rowsCursor(
  columns: readonly ColumnInfo[] | undefined,
  rows: Iterable<Row>,
  tagOf: (n: number) => string,
): Cursor {
  const it = rows[Symbol.iterator]();
  let n = 0;
  let done = false;
  return {
    columns,
    next(max) {
      const out: Row[] = [];
      while (!done && (max === 0 || out.length < max)) {
        const r = it.next();
        if (r.done === true) {
          done = true;
          break;
        }
        out.push(r.value);
        n++;
      }
      if (!done && max !== 0 && out.length === max) {
        // Peek is not possible on a generator; report not done and let the next call find the end.
      }
      return { rows: out, done };
    },
    tag: () => tagOf(n),
    close() {
      if (!done) it.return?.();
      done = true;
    },
  };
}

/** doneCursor is the result of a statement that has already run (DDL, DML without RETURNING). */
export function doneCursor(tag: string, columns?: readonly ColumnInfo[], rows: Row[] = []): Cursor {
  return rowsCursor(columns, rows, () => tag);
}
