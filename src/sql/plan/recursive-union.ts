/**
 * WITH RECURSIVE: RecursiveUnionPlan runs the non-recursive term once, then the recursive term over and over,
 * each time reading (through a WorkTablePlan) the rows the previous round produced, until a round produces
 * none. UNION (without ALL) drops rows already produced, which is what makes most recursions end. Rows are
 * handed out as they are found, so a LIMIT above stops an endless recursion as in PostgreSQL.
 */
import type { ExecContext } from '../expr/context.js';
import { groupKey } from './distinct.js';
import { indent, type Plan } from './plan.js';
import type { ColumnInfo, Row } from './scope.js';

/** WorkTablePlan reads the rows of the recursion's previous round (per execution, from ex.cache). */
export class WorkTablePlan implements Plan {
  readonly key = {};
  constructor(readonly columns: readonly ColumnInfo[]) {}
  rows(ex: ExecContext): Iterable<Row> {
    return (ex.cache.get(this.key) as Row[] | undefined) ?? [];
  }
  explain(): string[] {
    return ['WorkTable Scan'];
  }
}

export class RecursiveUnionPlan implements Plan {
  readonly columns: readonly ColumnInfo[];
  constructor(
    private readonly left: Plan,
    private readonly right: Plan,
    private readonly work: WorkTablePlan,
    private readonly all: boolean,
  ) {
    this.columns = left.columns;
  }

  *rows(ex: ExecContext): Iterable<Row> {
    const types = this.columns.map((c) => c.type);
    const seen = new Set<string>();
    const fresh = (r: Row): boolean => {
      if (this.all) return true;
      const k = groupKey(types, r);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    };
    let round: Row[] = [];
    for (const r of this.left.rows(ex))
      if (fresh(r)) {
        round.push(r);
        yield r;
      }
    while (round.length > 0) {
      ex.cache.set(this.work.key, round);
      const next: Row[] = [];
      for (const r of [...this.right.rows(ex)])
        if (fresh(r)) {
          next.push(r);
          yield r;
        }
      round = next;
    }
    ex.cache.delete(this.work.key);
  }

  explain(): string[] {
    return ['Recursive Union', ...indent(this.left.explain()), ...indent(this.right.explain())];
  }
}
