/**
 * SetOpPlan: UNION, INTERSECT and EXCEPT, with or without ALL, rows compared as DISTINCT compares them.
 */
import type { ExecContext, Evaluator } from '../expr/context.js';
import { groupKey } from './distinct.js';
import { indent, type Plan } from './plan.js';
import type { ColumnInfo, Row } from './scope.js';

export class SetOpPlan implements Plan {
  constructor(
    private readonly op: 'union' | 'intersect' | 'except',
    private readonly all: boolean,
    private readonly left: Plan,
    private readonly right: Plan,
    readonly columns: readonly ColumnInfo[],
    /** leftConv, rightConv: convert each side's row to the common column types. */
    private readonly leftConv: readonly Evaluator[],
    private readonly rightConv: readonly Evaluator[],
  ) {}

  private *side(p: Plan, conv: readonly Evaluator[], ex: ExecContext): Iterable<Row> {
    for (const r of p.rows(ex)) yield conv.map((f) => f(r, ex));
  }

  *rows(ex: ExecContext): Iterable<Row> {
    const types = this.columns.map((c) => c.type);
    const key = (r: Row): string => groupKey(types, r);
    if (this.op === 'union') {
      if (this.all) {
        yield* this.side(this.left, this.leftConv, ex);
        yield* this.side(this.right, this.rightConv, ex);
        return;
      }
      const seen = new Set<string>();
      for (const r of [
        ...this.side(this.left, this.leftConv, ex),
        ...this.side(this.right, this.rightConv, ex),
      ]) {
        const k = key(r);
        if (!seen.has(k)) {
          seen.add(k);
          yield r;
        }
      }
      return;
    }
    const counts = new Map<string, number>();
    for (const r of this.side(this.right, this.rightConv, ex))
      counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
    const emitted = new Set<string>();
    for (const r of this.side(this.left, this.leftConv, ex)) {
      const k = key(r);
      const n = counts.get(k) ?? 0;
      if (this.op === 'intersect') {
        if (n === 0) continue;
        if (this.all) counts.set(k, n - 1);
        else if (emitted.has(k)) continue;
        emitted.add(k);
        yield r;
      } else {
        if (this.all) {
          if (n > 0) {
            counts.set(k, n - 1);
            continue;
          }
          yield r;
        } else {
          if (n > 0 || emitted.has(k)) continue;
          emitted.add(k);
          yield r;
        }
      }
    }
  }

  explain(): string[] {
    const name =
      this.op === 'union'
        ? this.all
          ? 'Append'
          : 'HashSetOp Union'
        : `HashSetOp ${this.op === 'intersect' ? 'Intersect' : 'Except'}${this.all ? ' All' : ''}`;
    return [name, ...indent(this.left.explain()), ...indent(this.right.explain())];
  }
}
