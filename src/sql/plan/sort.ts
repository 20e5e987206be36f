/**
 * SortPlan orders rows by keys, as PostgreSQL does: ascending puts NULLs last, descending puts them first,
 * unless NULLS FIRST/LAST says otherwise. The sort is stable.
 */
import type { ExecContext, Evaluator } from '../expr/context.js';
import { compareFor, type Compare } from '../types/compare.js';
import type { SqlType, Value } from '../types/sql-type.js';
import { indent, type Plan } from './plan.js';
import type { ColumnInfo, Row } from './scope.js';

export interface SortSpec {
  readonly eval: Evaluator;
  readonly type: SqlType;
  readonly desc: boolean;
  readonly nullsFirst: boolean | undefined;
}

/** rowComparator builds a comparison of precomputed key arrays. */
export function keyComparator(specs: readonly SortSpec[]): (a: Value[], b: Value[]) => number {
  const cmps: Compare[] = specs.map((s) => compareFor(s.type.id));
  return (a, b) => {
    for (let i = 0; i < specs.length; i++) {
      const s = specs[i]!;
      const x = a[i]!;
      const y = b[i]!;
      if (x === null || y === null) {
        if (x === y) continue;
        const nullsFirst = s.nullsFirst ?? s.desc;
        return x === null ? (nullsFirst ? -1 : 1) : nullsFirst ? 1 : -1;
      }
      const c = cmps[i]!(x, y);
      if (c !== 0) return s.desc ? -c : c;
    }
    return 0;
  };
}

export class SortPlan implements Plan {
  readonly columns: readonly ColumnInfo[];
  constructor(
    private readonly input: Plan,
    private readonly specs: readonly SortSpec[],
  ) {
    this.columns = input.columns;
  }
  *rows(ex: ExecContext): Iterable<Row> {
    const keyed: { k: Value[]; r: Row }[] = [];
    for (const r of this.input.rows(ex)) keyed.push({ k: this.specs.map((s) => s.eval(r, ex)), r });
    const cmp = keyComparator(this.specs);
    keyed.sort((a, b) => cmp(a.k, b.k));
    for (const e of keyed) yield e.r;
  }
  explain(): string[] {
    return ['Sort', ...indent(this.input.explain())];
  }
}
