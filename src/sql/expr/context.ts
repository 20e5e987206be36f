/**
 * The contexts expressions are compiled in (Analyzer) and run in (ExecContext).
 */
import type { Transaction } from '../../txn/transaction.js';
import type { Expr, Select } from '../ast.js';
import type { Row, Scope, ColumnInfo, Resolved } from '../plan/scope.js';
import type { SqlType, Value } from '../types/sql-type.js';
import type { Runtime } from '../runtime.js';
import type { IoSettings } from '../types/io-settings.js';

/** ExecContext is what a running statement carries: its transaction, parameters and clock. */
export interface ExecContext {
  readonly txn: Transaction;
  readonly params: readonly Value[];
  /** now: the transaction's start, in microseconds since 1970 (now(), CURRENT_TIMESTAMP). */
  readonly now: bigint;
  /** outer: the rows of the enclosing query levels, innermost last (correlated subqueries). */
  readonly outer: Row[];
  readonly runtime: Runtime;
  /**
   * lockRows: the transaction is READ COMMITTED (pessimistic): DML locks each row before writing it, waiting
   * for other writers, and works on the row as last committed (PostgreSQL's EvalPlanQual).
   */
  readonly lockRows?: boolean;
  /** cache: per-execution results of uncorrelated subqueries. */
  readonly cache: Map<unknown, unknown>;
}

/** RunContext is the ExecContext of one statement execution; its subquery cache is made on first use. */
export class RunContext implements ExecContext {
  readonly outer: Row[] = [];
  private cached: Map<unknown, unknown> | undefined;
  constructor(
    readonly txn: Transaction,
    readonly params: readonly Value[],
    readonly now: bigint,
    readonly runtime: Runtime,
    readonly lockRows: boolean = false,
  ) {}

  get cache(): Map<unknown, unknown> {
    return (this.cached ??= new Map());
  }
}

/** Evaluator computes an expression's value for a row. */
export type Evaluator = (row: Row, ex: ExecContext) => Value;

/** Compiled is an expression ready to run, with its static type. */
export interface Compiled {
  readonly type: SqlType;
  readonly eval: Evaluator;
  /** unknownLiteral: the text of an untyped string literal (its type is decided by context). */
  readonly unknownLiteral?: string;
  /** nullLiteral: an untyped NULL (takes its type from context, like an untyped literal). */
  readonly nullLiteral?: boolean;
  /** paramIndex: set for a bare $n whose type was not yet decided (0-based). */
  readonly paramIndex?: number;
  /** correlated: refers to an enclosing query level (so its value can change between rows of a subquery). */
  readonly correlated: boolean;
  /** volatile: reads something besides the row and parameters (subqueries, random()). */
  readonly volatile?: boolean;
}

/** SubPlan is a planned subquery, runnable against the enclosing rows. */
export interface SubPlan {
  readonly columns: readonly ColumnInfo[];
  readonly correlated: boolean;
  rows(ex: ExecContext): Iterable<Row>;
}

/** AggregateOrderKey is one ORDER BY key inside an aggregate call (as plan/sort.ts's SortSpec). */
export interface AggregateOrderKey {
  readonly eval: Evaluator;
  readonly type: SqlType;
  readonly desc: boolean;
  readonly nullsFirst: boolean | undefined;
}

/** AggregateExtras: an aggregate call's FILTER (WHERE ...) and ORDER BY. */
export interface AggregateExtras {
  readonly filter?: Evaluator;
  readonly order?: readonly AggregateOrderKey[];
}

/** AggregateCollector gathers the aggregate calls of a grouped query level. */
export interface AggregateCollector {
  /** add registers an aggregate call and returns its slot in the aggregate output row. */
  add(
    name: string,
    args: readonly Compiled[],
    distinct: boolean,
    star: boolean,
    loc: number,
    extras?: AggregateExtras,
  ): { slot: number; type: SqlType };
  /** groupSlot returns the output slot of a GROUP BY expression equal to this one, or -1. */
  groupSlot(exprKey: string): number;
  /**
   * dependent: a column outside GROUP BY that is functionally dependent on it (its table's primary key is
   * grouped by), read from the grouped rows; undefined when it is not.
   */
  dependent(r: Resolved): Compiled | undefined;
  /** inputScope: the scope aggregate arguments are compiled in. */
  readonly inputScope: Scope;
  /** outputScope: the scope of the grouped rows (group keys, then aggregates). */
  readonly outputScope: Scope;
}

/** WindowCollectorHook takes the window function calls (calls with OVER) of a query level. */
export interface WindowCollectorHook {
  /** add registers a call with OVER, compiled in `scope`, and returns how to read its result. */
  add(call: Extract<Expr, { kind: 'func' }>, scope: Scope): Compiled;
}

/** SrfCollectorHook takes the set-returning function calls of a select list (PostgreSQL's ProjectSet). */
export interface SrfCollectorHook {
  /** add registers a set-returning call, compiled in `scope`, and returns how to read its value per row. */
  add(call: Extract<Expr, { kind: 'func' }>, scope: Scope): Compiled;
}

/** Analyzer is the state of compiling one statement. */
export interface Analyzer {
  /** io: the session's TimeZone and IntervalStyle when the statement is planned (literals read by them). */
  readonly io: IoSettings;
  /** params: the types of $1..$n, decided from context as compilation goes (undefined: not yet). */
  readonly params: (SqlType | undefined)[];
  planSubquery(query: Select, outer: Scope): SubPlan;
  /** aggregates: set while compiling the target list, HAVING and ORDER BY of a grouped level. */
  aggregates: AggregateCollector | undefined;
  /** windows: set while compiling the target list, ORDER BY and DISTINCT ON of a query level. */
  windows: WindowCollectorHook | undefined;
  /**
   * srfs: set while compiling the target list, ORDER BY and DISTINCT ON of a level that calls set-returning
   * functions there; elsewhere (undefined) such a call is an error.
   */
  srfs?: SrfCollectorHook | undefined;
  /** sleeps: the statement calls pg_sleep (the session then waits out the time its rows asked for). */
  sleeps?: boolean;
  /** clause: where compilation is (for errors such as "aggregate functions are not allowed in WHERE"). */
  clause: string;
}
