/**
 * NestedLoopJoin joins two plans. For each left row it runs the right plan with the left row pushed as the
 * innermost outer row (so a right-hand table scan can look its rows up by key from the left row's values),
 * and keeps the pairs the condition accepts. LEFT joins add unmatched left rows with NULLs on the right; a
 * RIGHT join is planned as a LEFT join with the sides swapped (output columns stay in written order); FULL
 * joins run the right side once and add the right rows no left row matched.
 */
import type { Compiled, ExecContext } from '../expr/context.js';
import { indent, type Plan } from './plan.js';
import type { ColumnInfo, Row } from './scope.js';

export class NestedLoopJoin implements Plan {
  readonly columns: readonly ColumnInfo[];
  constructor(
    private readonly left: Plan,
    private readonly right: Plan,
    private readonly type: 'inner' | 'left' | 'full',
    /** condition: compiled against the joined row in output column order. */
    private readonly condition: Compiled | undefined,
    /** swapped: a RIGHT join: `left` is the written right side; output puts `right`'s columns first. */
    private readonly swapped = false,
  ) {
    this.columns = swapped ? [...right.columns, ...left.columns] : [...left.columns, ...right.columns];
  }

  private join(l: Row, r: Row): Row {
    return this.swapped ? [...r, ...l] : [...l, ...r];
  }

  *rows(ex: ExecContext): Iterable<Row> {
    const cond = this.condition?.eval;
    const nullRight: Row = new Array(this.right.columns.length).fill(null);
    if (this.type === 'full') {
      const rights = [...this.right.rows(ex)];
      const matched = new Uint8Array(rights.length);
      for (const l of this.left.rows(ex)) {
        let any = false;
        for (let i = 0; i < rights.length; i++) {
          ex.runtime.tick();
          const row = this.join(l, rights[i]!);
          if (cond === undefined || cond(row, ex) === true) {
            any = true;
            matched[i] = 1;
            yield row;
          }
        }
        if (!any) yield this.join(l, nullRight);
      }
      const nullLeft: Row = new Array(this.left.columns.length).fill(null);
      for (let i = 0; i < rights.length; i++) if (matched[i] === 0) yield this.join(nullLeft, rights[i]!);
      return;
    }
    for (const l of this.left.rows(ex)) {
      // Collect the right rows while the left row is pushed; evaluate and yield after popping it, so that
      // plans above see the outer-row stack as they left it.
      const candidates: Row[] = [];
      ex.outer.push(l);
      try {
        for (const r of this.right.rows(ex)) candidates.push(this.join(l, r));
      } finally {
        ex.outer.pop();
      }
      let any = false;
      for (const row of candidates) {
        if (cond === undefined || cond(row, ex) === true) {
          any = true;
          yield row;
        }
      }
      if (!any && this.type === 'left') yield this.join(l, nullRight);
    }
  }

  explain(): string[] {
    const kind =
      this.type === 'inner'
        ? ''
        : this.type === 'full'
          ? ' Full Join'
          : this.swapped
            ? ' Right Join'
            : ' Left Join';
    return [`Nested Loop${kind}`, ...indent(this.left.explain()), ...indent(this.right.explain())];
  }
}
