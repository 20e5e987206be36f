/**
 * Plan is a runnable query plan: rows pulled one at a time (generators), so LIMIT and cursors stop early.
 * Small plan nodes that need no file of their own live here: filter, project, limit, values, materialize.
 */
import type { Compiled, ExecContext, Evaluator } from '../expr/context.js';
import type { ColumnInfo, Row } from './scope.js';
import { SqlError } from '../errors.js';
import type { Value } from '../types/sql-type.js';

export interface Plan {
  readonly columns: readonly ColumnInfo[];
  rows(ex: ExecContext): Iterable<Row>;
  /** explain: this node and its children, one line each, children indented. */
  explain(): string[];
}

/** indent prefixes child plan lines for EXPLAIN. */
export function indent(lines: string[]): string[] {
  return lines.map((l, i) => (i === 0 ? '  ->  ' + l : '      ' + l));
}

export class FilterPlan implements Plan {
  readonly columns: readonly ColumnInfo[];
  constructor(
    private readonly input: Plan,
    private readonly predicate: Compiled,
  ) {
    this.columns = input.columns;
  }
  *rows(ex: ExecContext): Iterable<Row> {
    const p = this.predicate.eval;
    for (const r of this.input.rows(ex)) if (p(r, ex) === true) yield r;
  }
  explain(): string[] {
    const [first, ...rest] = this.input.explain();
    return [first!, '  Filter', ...rest];
  }
}

export class ProjectPlan implements Plan {
  constructor(
    private readonly input: Plan,
    readonly columns: readonly ColumnInfo[],
    private readonly exprs: readonly Evaluator[],
  ) {}
  *rows(ex: ExecContext): Iterable<Row> {
    const fs = this.exprs;
    const n = fs.length;
    for (const r of this.input.rows(ex)) {
      const out: Row = new Array(n);
      for (let i = 0; i < n; i++) out[i] = fs[i]!(r, ex);
      yield out;
    }
  }
  explain(): string[] {
    return this.input.explain();
  }
}

export class LimitPlan implements Plan {
  readonly columns: readonly ColumnInfo[];
  constructor(
    private readonly input: Plan,
    private readonly limit: Compiled | undefined,
    private readonly offset: Compiled | undefined,
  ) {
    this.columns = input.columns;
  }
  *rows(ex: ExecContext): Iterable<Row> {
    const lim = this.count(this.limit, ex, 'LIMIT');
    let skip = this.count(this.offset, ex, 'OFFSET') ?? 0;
    if (lim === 0) return;
    let n = 0;
    for (const r of this.input.rows(ex)) {
      if (skip > 0) {
        skip--;
        continue;
      }
      yield r;
      if (lim !== undefined && ++n >= lim) return;
    }
  }
  private count(c: Compiled | undefined, ex: ExecContext, what: string): number | undefined {
    if (c === undefined) return undefined;
    const v: Value = c.eval([], ex);
    if (v === null) return undefined;
    const n = Number(v);
    if (n < 0) throw new SqlError(what === 'LIMIT' ? '2201W' : '2201X', `${what} must not be negative`);
    return n;
  }
  explain(): string[] {
    return ['Limit', ...indent(this.input.explain())];
  }
}

/** ValuesPlan yields rows computed from expressions (VALUES, SELECT without FROM). */
export class ValuesPlan implements Plan {
  constructor(
    readonly columns: readonly ColumnInfo[],
    private readonly rowExprs: readonly (readonly Evaluator[])[],
  ) {}
  *rows(ex: ExecContext): Iterable<Row> {
    for (const fs of this.rowExprs) {
      const out: Row = new Array(fs.length);
      for (let i = 0; i < fs.length; i++) out[i] = fs[i]!([], ex);
      yield out;
    }
  }
  explain(): string[] {
    return [
      this.rowExprs.length === 1 && this.columns.length > 0
        ? 'Result'
        : `Values Scan (${this.rowExprs.length} rows)`,
    ];
  }
}

/** MaterializePlan computes its input once per execution (CTEs, uncorrelated derived tables). */
export class MaterializePlan implements Plan {
  readonly columns: readonly ColumnInfo[];
  private readonly key = {};
  constructor(
    private readonly input: Plan,
    private readonly label: string,
  ) {
    this.columns = input.columns;
  }
  rows(ex: ExecContext): Iterable<Row> {
    let rows = ex.cache.get(this.key) as Row[] | undefined;
    if (rows === undefined) {
      rows = [...this.input.rows(ex)];
      ex.cache.set(this.key, rows);
    }
    return rows;
  }
  explain(): string[] {
    return [this.label, ...indent(this.input.explain())];
  }
}

/** RenamePlan exposes an input's rows under other column names and a table alias (subqueries, CTEs). */
export class RenamePlan implements Plan {
  constructor(
    private readonly input: Plan,
    readonly columns: readonly ColumnInfo[],
  ) {}
  rows(ex: ExecContext): Iterable<Row> {
    return this.input.rows(ex);
  }
  explain(): string[] {
    return this.input.explain();
  }
}
